package dev.cloak.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The Distribution registry from Debian's {@code docker-registry} package, on a free loopback port with its
 * storage in a temporary directory. Configure with the {@code with*} methods, then {@link #start}; it is
 * stopped by its own process id. {@link #stop} and {@link #start} again keep port and storage, which lets
 * tests break a download in the middle.
 */
public final class RegistryFixture implements AutoCloseable {
    private final Path dir;
    private final int port = FreePort.pick();
    private String auth = "";
    private String tls = "";
    private boolean https;
    private Process process;

    public RegistryFixture(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** {@code 127.0.0.1:port}, the registry part of references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path storage() {
        return dir.resolve("storage");
    }

    /**
     * How many times blob {@code digest} was downloaded (GET, in any repository) since the registry started,
     * from its access log, which the registry writes whatever its log level.
     */
    public long blobGets(String digest) throws IOException {
        String request = "/blobs/" + digest + " ";
        try (var lines = Files.lines(dir.resolve("registry.log"))) {
            return lines.filter(l -> l.contains("\"GET /v2/") && l.contains(request)).count();
        }
    }

    /** Basic authentication with one user (bcrypt htpasswd file, made with Bouncy Castle). */
    public RegistryFixture withHtpasswd(String user, String password) throws IOException {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        String hash = org.bouncycastle.crypto.generators.OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 6);
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, user + ":" + hash + "\n");
        auth = "auth:\n  htpasswd:\n    realm: cloak-test\n    path: " + file + "\n";
        return this;
    }

    /** Bearer token authentication, trusting tokens signed by {@code issuer}. */
    public RegistryFixture withTokenAuth(TokenIssuer issuer) throws IOException {
        Path bundle = issuer.writeCertificate(dir.resolve("token-issuer.pem"));
        auth = "auth:\n  token:\n    realm: " + issuer.realm() + "\n    service: " + TokenIssuer.SERVICE
                + "\n    issuer: " + TokenIssuer.ISSUER + "\n    rootcertbundle: " + bundle + "\n";
        return this;
    }

    /** TLS with a certificate from {@code pki}; with {@code requireClientCert}, clients need a certificate from it too. */
    public RegistryFixture withTls(TestPki pki, boolean requireClientCert) throws IOException {
        Path[] server = pki.server(dir, "registry");
        tls = "  tls:\n    certificate: " + server[0] + "\n    key: " + server[1] + "\n";
        if (requireClientCert) {
            tls += "    clientcas:\n      - " + pki.writeCa(dir.resolve("client-ca.pem")) + "\n";
        }
        https = true;
        return this;
    }

    public RegistryFixture start() throws IOException {
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                + storage() + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n" + tls + auth);
        process = new ProcessBuilder("docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        awaitReady();
        return this;
    }

    private void awaitReady() throws IOException {
        Instant deadline = Instant.now().plusSeconds(30);
        HttpClient client = HttpClient.newBuilder().sslContext(TrustAll.context()).build();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                int status = client.send(HttpRequest.newBuilder(URI.create((https ? "https" : "http") + "://" + host() + "/v2/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet, or (with client certificates) refusing us: poll again.
                if (https && e.getMessage() != null && e.getMessage().contains("certificate")) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("docker-registry did not answer on " + host() + " within 30 s");
    }

    /** Stops the registry process this fixture started (by its pid), keeping its storage. */
    public void stop() {
        Processes.stop(process, 10);
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
