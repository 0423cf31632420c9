package dev.cloak.config;

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
        Path registryConfigDir,
        int maxConcurrentDownloads,
        Duration shutdownGrace) {

    public static final ServeConfig DEFAULTS = new ServeConfig(
            Path.of("/run/cloak/cloak.sock"),
            Path.of("/run/containerd/containerd.sock"),
            Path.of("/etc/crio/keys"),
            "k8s.io",
            "overlayfs",
            Path.of("/etc/containerd/certs.d"),
            3,
            Duration.ofSeconds(30));
}
