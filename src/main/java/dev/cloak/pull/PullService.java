package dev.cloak.pull;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.image.RegistrySource;
import dev.cloak.image.ResolvedImage;
import dev.cloak.registry.HostsDirectory;
import dev.cloak.registry.RegistryClient;
import dev.cloak.registry.RegistryTransport;
import dev.cloak.registry.auth.CredentialSource;
import io.grpc.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs pulls: concurrent requests for the same image (and credentials) share one pull; a pull whose every
 * caller has gone away is cancelled. Each pull has an id that appears in every log line about it, and ends
 * with one line: reference, encrypted or not, result, bytes, duration. Never credentials or key material.
 */
public final class PullService {
    private static final Logger LOG = LoggerFactory.getLogger(PullService.class);

    private final ImageImporter importer;
    private final HostsDirectory hosts;
    private final CredentialSource configuredCredentials;
    private final RegistryTransport.Settings registrySettings;
    private final ExecutorService pullPool;
    private final dev.cloak.metrics.CloakMetrics metrics;
    private final Map<String, Shared> inflight = new ConcurrentHashMap<>();

    public PullService(ImageImporter importer, HostsDirectory hosts, CredentialSource configuredCredentials,
                       RegistryTransport.Settings registrySettings, ExecutorService pullPool,
                       dev.cloak.metrics.CloakMetrics metrics) {
        this.metrics = metrics;
        this.importer = importer;
        this.hosts = hosts;
        this.configuredCredentials = configuredCredentials;
        this.registrySettings = registrySettings;
        this.pullPool = pullPool;
    }

    /** How many distinct pulls are running now. */
    public int inFlight() {
        return inflight.size();
    }

    private final class Shared {
        final AtomicInteger waiters = new AtomicInteger();
        volatile Future<PullOutcome> future;
    }

    /**
     * Pulls {@code request} or joins the pull already running for it. Returns when it ends; if the calling
     * gRPC context is cancelled, this caller stops waiting, and the pull stops when no caller is left.
     */
    public PullOutcome pull(PullRequest request) throws IOException {
        String key = request.sharingKey();
        Shared shared;
        synchronized (inflight) {
            shared = inflight.computeIfAbsent(key, k -> new Shared());
            shared.waiters.incrementAndGet();
            if (shared.future == null) {
                Shared s = shared;
                shared.future = pullPool.submit(() -> {
                    try {
                        return run(request);
                    } finally {
                        synchronized (inflight) {
                            inflight.remove(key, s);
                        }
                    }
                });
            }
        }
        Thread waiting = Thread.currentThread();
        Context.CancellationListener leave = ctx -> {
            leave(shared);
            waiting.interrupt();
        };
        Context caller = Context.current();
        caller.addListener(leave, Runnable::run);
        try {
            return dev.cloak.error.Futures.await(shared.future, "pull of " + request.reference());
        } catch (CancellationException e) {
            throw new CloakException(ErrorKind.CANCELLED, "pull of " + request.reference() + " was cancelled");
        } catch (InterruptedException e) {
            // Only our cancellation listener interrupts this gRPC thread; the flag must not leak to its next call.
            Thread.interrupted();
            throw new CloakException(ErrorKind.CANCELLED, "pull of " + request.reference() + " was cancelled");
        } finally {
            caller.removeListener(leave);
            if (!caller.isCancelled()) {
                shared.waiters.decrementAndGet();
            } else {
                Thread.interrupted();
            }
        }
    }

    private static String reason(ErrorKind kind) {
        return switch (kind) {
            case NO_KEY -> "no_key";
            case INTEGRITY -> "integrity";
            case REGISTRY, NOT_FOUND -> "registry";
            case RUNTIME -> "runtime";
            case UNAVAILABLE -> "unavailable";
            case CANCELLED -> "cancelled";
            case INVALID_INPUT -> "invalid";
            case INTERNAL -> "internal";
        };
    }

    private void leave(Shared shared) {
        if (shared.waiters.decrementAndGet() == 0) {
            shared.future.cancel(true);
        }
    }

    private PullOutcome run(PullRequest request) throws IOException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        MDC.put("pull", id);
        long start = System.nanoTime();
        boolean encrypted = false;
        String result = "failed";
        String metricResult = "failure";
        String reason = "internal";
        long bytes = 0;
        metrics.pullStarted();
        try {
            LOG.debug("pull {} started", request.reference());
            CredentialSource credentials = CredentialSource.fixed(request.credentials()).orElse(configuredCredentials);
            RegistryClient client = new RegistryClient(new RegistryTransport(credentials, registrySettings), hosts);
            RegistrySource source = new RegistrySource(client, request.reference());
            ResolvedImage image = importer.resolve(source);
            if (image == null) {
                result = "forwarded";
                metricResult = "forwarded";
                reason = null;
                return new PullOutcome.Forward();
            }
            encrypted = true;
            PullOutcome.Imported imported = importer.importImage(source, image);
            bytes = imported.bytesDownloaded();
            metrics.downloaded(imported.bytesDownloaded());
            metrics.decrypted(imported.bytesDecrypted());
            result = "imported " + imported.imageRef();
            metricResult = "success";
            reason = null;
            return imported;
        } catch (CloakException e) {
            result = "failed (" + e.kind() + "): " + e.getMessage();
            reason = reason(e.kind());
            throw e;
        } catch (IOException e) {
            result = "failed: " + e.getClass().getSimpleName();
            throw e;
        } finally {
            long ms = (System.nanoTime() - start) / 1_000_000;
            LOG.info("pull {} encrypted={} result={} bytes={} duration={}ms", request.reference(), encrypted, result, bytes, ms);
            metrics.pullFinished(encrypted, metricResult, reason, java.time.Duration.ofMillis(ms));
            MDC.remove("pull");
        }
    }
}
