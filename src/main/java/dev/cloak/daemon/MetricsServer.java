package dev.cloak.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.metrics.CloakMetrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * {@code /metrics} (Prometheus text format), {@code /healthz} (alive) and {@code /readyz} (socket served,
 * containerd reachable, key directory readable) over plain HTTP, by default on loopback only.
 */
final class MetricsServer implements AutoCloseable {
    private final HttpServer server;

    MetricsServer(InetSocketAddress address, String configured, CloakMetrics metrics, NodeStatus status) throws IOException {
        try {
            server = HttpServer.create(address, 16);
        } catch (BindException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, "cannot serve metrics on " + configured
                    + " (metrics_listen, --metrics-listen): the address is in use or not on this machine;"
                    + " choose another HOST:PORT, or none to turn metrics off");
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cloak-metrics");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", ex -> {
            status.problems();
            reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
        });
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", ex -> {
            List<String> problems = status.problems();
            if (problems.isEmpty()) {
                reply(ex, 200, "text/plain", "ok\n");
            } else {
                reply(ex, 503, "text/plain", String.join("\n", problems) + "\n");
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
