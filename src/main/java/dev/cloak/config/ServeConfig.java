package dev.cloak.config;

import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code cloak serve} needs, validated. Built by {@link ServeConfigLoader} from defaults, the
 * TOML file and flags, in that order of precedence (flags win).
 */
public record ServeConfig(
        Path listen,
        Path runtimeEndpoint,
        Path decryptionKeysPath,
        String containerdNamespace,
        String snapshotter,
        String containerdContentDir,
        Path registryConfigDir,
        int maxConcurrentDownloads,
        Duration shutdownGrace,
        String metricsListen,
        String logFormat,
        String logLevel,
        KeyProviderConfig keyProviders) {

    public static final ServeConfig DEFAULTS = new ServeConfig(
            Path.of("/run/cloak/cloak.sock"),
            Path.of("/run/containerd/containerd.sock"),
            Path.of("/etc/crio/keys"),
            "k8s.io",
            "overlayfs",
            "auto",
            Path.of("/etc/containerd/certs.d"),
            3,
            Duration.ofSeconds(30),
            "127.0.0.1:9810",
            "text",
            "info",
            KeyProviderConfig.empty());

    /** The metrics address, or null when metrics are off ({@code none}). */
    public java.net.InetSocketAddress metricsAddress() {
        if (metricsListen.equals("none")) {
            return null;
        }
        int colon = metricsListen.lastIndexOf(':');
        return new java.net.InetSocketAddress(metricsListen.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(metricsListen.substring(colon + 1)));
    }
}
