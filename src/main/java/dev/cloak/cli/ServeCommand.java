package dev.cloak.cli;

import dev.cloak.config.ServeConfig;
import dev.cloak.config.ServeConfigLoader;
import dev.cloak.daemon.CloakDaemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the CRI image service on a unix socket: decrypt encrypted images and hand them to containerd.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration (default /etc/cloak/config.toml).")
    Path config;

    @Option(names = "--listen", paramLabel = "unix://PATH", description = "Socket to serve on (default unix:///run/cloak/cloak.sock).")
    String listen;

    @Option(names = "--runtime-endpoint", paramLabel = "unix://PATH",
            description = "containerd's socket (default unix:///run/containerd/containerd.sock).")
    String runtimeEndpoint;

    @Option(names = "--decryption-keys-path", paramLabel = "DIR", description = "The node's private keys (default /etc/crio/keys).")
    String keys;

    @Option(names = "--containerd-namespace", paramLabel = "NAME", description = "Must match the CRI plugin's (default k8s.io).")
    String namespace;

    @Option(names = "--snapshotter", paramLabel = "NAME", description = "Must match the CRI plugin's (default overlayfs).")
    String snapshotter;

    @Option(names = "--containerd-content-dir", paramLabel = "auto|off|DIR",
            description = "containerd's content directory (an absolute path as Cloak sees it), where decrypted layers are"
                    + " handed over as files (default auto: ask containerd; off: always over its API).")
    String contentDir;

    @Option(names = "--registry-config-dir", paramLabel = "DIR",
            description = "containerd-style hosts directory (default /etc/containerd/certs.d).")
    String registryConfigDir;

    @Option(names = "--max-concurrent-downloads", paramLabel = "N", description = "Layers fetched at once, all pulls together (default 3).")
    String maxConcurrentDownloads;

    @Option(names = "--shutdown-grace-seconds", paramLabel = "S", description = "How long running pulls may finish on SIGTERM (default 30).")
    String shutdownGrace;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT|none",
            description = "Where to serve /metrics, /healthz and /readyz (default 127.0.0.1:9810; none turns them off).")
    String metricsListen;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Log lines as text (default) or JSON objects.")
    String logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", description = "error, warn, info (default), debug or trace.")
    String logLevel;

    @Option(names = "--keyprovider-config", paramLabel = "FILE",
            description = "ocicrypt key provider JSON file (the format of $OCICRYPT_KEYPROVIDER_CONFIG; default: none).")
    String keyProviderConfig;

    @Option(names = "--keyprovider-timeout-seconds", paramLabel = "S", description = "Limit for each key provider call (default 10).")
    String keyProviderTimeout;

    @Option(names = {"-v", "--verbose"}, description = "Debug logging (never key material or credentials).")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("listen", listen);
        flags.put("runtime_endpoint", runtimeEndpoint);
        flags.put("decryption_keys_path", keys);
        flags.put("containerd_namespace", namespace);
        flags.put("snapshotter", snapshotter);
        flags.put("containerd_content_dir", contentDir);
        flags.put("registry_config_dir", registryConfigDir);
        flags.put("max_concurrent_downloads", maxConcurrentDownloads);
        flags.put("shutdown_grace_seconds", shutdownGrace);
        flags.put("metrics_listen", metricsListen);
        flags.put("log_format", logFormat);
        flags.put("log_level", verbose ? "debug" : logLevel);
        flags.put("keyprovider_config", keyProviderConfig);
        flags.put("keyprovider_timeout_seconds", keyProviderTimeout);
        ServeConfig cfg = ServeConfigLoader.load(config != null ? config : ServeConfigLoader.DEFAULT_FILE, config != null, flags);
        Logging.configure(cfg.logFormat(), cfg.logLevel());
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try (CloakDaemon daemon = new CloakDaemon(cfg)) {
            daemon.start(new VersionProvider().getVersion()[0]);
            stop.await();
        }
        return ExitCodes.OK;
    }
}
