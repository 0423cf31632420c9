package dev.cloak.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cloak's metrics, named by Prometheus conventions once exported: {@code cloak_pulls_total{result,encrypted}},
 * {@code cloak_pull_duration_seconds} (histogram), {@code cloak_downloaded_bytes_total},
 * {@code cloak_decrypted_bytes_total}, {@code cloak_decryption_failures_total{reason}},
 * {@code cloak_keys_loaded{type}}, {@code cloak_key_files_skipped_total}, {@code cloak_pulls_in_flight},
 * {@code cloak_runtime_reachable}, plus the JVM's. Labels never carry image names, keys or credentials:
 * only small fixed sets of values.
 */
public final class CloakMetrics {
    /** The values of {@code cloak_keys_loaded}'s {@code type} label. */
    public static final List<String> KEY_TYPES = List.of("RSA", "EC", "certificate", "pkcs11", "pgp");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer pullDuration;
    private final Counter downloaded;
    private final Counter decrypted;
    private final Counter keyFilesSkipped;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger runtimeReachable = new AtomicInteger();
    private final Map<String, AtomicLong> keysLoaded = new ConcurrentHashMap<>();
    private boolean jvmBound;

    public CloakMetrics() {
        pullDuration = Timer.builder("cloak.pull.duration").description("Time from PullImage to its answer")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(50))
                .maximumExpectedValue(Duration.ofMinutes(30)).register(registry);
        downloaded = Counter.builder("cloak.downloaded").baseUnit("bytes").description("Layer bytes fetched from registries")
                .register(registry);
        decrypted = Counter.builder("cloak.decrypted").baseUnit("bytes").description("Plaintext bytes decrypted and verified")
                .register(registry);
        keyFilesSkipped = Counter.builder("cloak.key.files.skipped").description("Key files that could not be used")
                .register(registry);
        Gauge.builder("cloak.pulls.in.flight", inFlight, AtomicInteger::get).description("Pulls running now").register(registry);
        Gauge.builder("cloak.runtime.reachable", runtimeReachable, AtomicInteger::get)
                .description("1 when containerd answered the last check").register(registry);
    }

    /**
     * The JVM's own metrics, bound at the first scrape rather than at start: binding them loads the JDK's
     * management classes (a tenth of a second or more of every start of the daemon, before it can answer
     * kubelet), and nobody reads them before the first scrape. GC pauses before it are not counted.
     */
    private synchronized void bindJvmMetrics() {
        if (jvmBound) {
            return;
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        jvmBound = true;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of everything. */
    public String scrape() {
        bindJvmMetrics();
        return registry.scrape();
    }

    public void pullStarted() {
        inFlight.incrementAndGet();
    }

    /**
     * A pull ended. {@code result}: success, forwarded or failure; {@code failureReason}: null, or one of
     * no_key, integrity, registry, runtime, unavailable, cancelled, invalid, internal.
     */
    public void pullFinished(boolean encrypted, String result, String failureReason, Duration took) {
        inFlight.decrementAndGet();
        Counter.builder("cloak.pulls").description("PullImage calls by result")
                .tag("result", result).tag("encrypted", Boolean.toString(encrypted)).register(registry).increment();
        pullDuration.record(took);
        if (failureReason != null && encrypted) {
            Counter.builder("cloak.decryption.failures").description("Failed pulls of encrypted images by reason")
                    .tag("reason", failureReason).register(registry).increment();
        }
    }

    public void downloaded(long bytes) {
        downloaded.increment(bytes);
    }

    public void decrypted(long bytes) {
        decrypted.increment(bytes);
    }

    /**
     * The keys loaded now, by type: RSA, EC (private keys in memory), certificate, pkcs11 (key files that
     * reference a token key), pgp (OpenPGP secret keys that can decrypt). Each type is always exported, 0 when
     * there is none, so that a dashboard sees a key type disappear; a type not listed here is not exported.
     */
    public void keysLoaded(Map<String, Long> byType) {
        for (String type : KEY_TYPES) {
            keysLoaded.computeIfAbsent(type, t -> {
                AtomicLong holder = new AtomicLong();
                Gauge.builder("cloak.keys.loaded", holder, AtomicLong::get).description("Usable keys in the key directory")
                        .tag("type", t).register(registry);
                return holder;
            }).set(byType.getOrDefault(type, 0L));
        }
    }

    public void keyFileSkipped() {
        keyFilesSkipped.increment();
    }

    public void runtimeReachable(boolean reachable) {
        runtimeReachable.set(reachable ? 1 : 0);
    }
}
