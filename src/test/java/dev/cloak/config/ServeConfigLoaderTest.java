package dev.cloak.config;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServeConfigLoaderTest {
    @TempDir
    Path dir;

    private Path toml(String content) throws IOException {
        Path f = dir.resolve("config.toml");
        Files.writeString(f, content);
        return f;
    }

    private static CloakException refused(Path file, Map<String, String> flags) {
        CloakException e = assertThrows(CloakException.class, () -> ServeConfigLoader.load(file, true, flags));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
        return e;
    }

    @Test
    void defaultsWhenTheDefaultFileIsMissing() {
        ServeConfig c = ServeConfigLoader.load(dir.resolve("absent.toml"), false, Map.of());
        assertEquals(ServeConfig.DEFAULTS, c);
        assertEquals(Path.of("/run/cloak/cloak.sock"), c.listen());
        assertEquals("127.0.0.1", c.metricsAddress().getHostString());
        assertEquals(9810, c.metricsAddress().getPort());
    }

    @Test
    void aNamedFileThatIsMissingIsAnError() {
        CloakException e = assertThrows(CloakException.class,
                () -> ServeConfigLoader.load(dir.resolve("absent.toml"), true, Map.of()));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("absent.toml"));
    }

    @Test
    void fileValuesAndFlagsOnTop() throws IOException {
        Path f = toml("listen = \"unix:///tmp/x/cloak.sock\"\nruntime_endpoint = \"/tmp/ctd.sock\"\n"
                + "containerd_namespace = \"k8s.io\"\nsnapshotter = \"native\"\nmax_concurrent_downloads = 5\n"
                + "shutdown_grace_seconds = 7\nmetrics_listen = \"none\"\nlog_format = \"json\"\n");
        Map<String, String> flags = new HashMap<>();
        flags.put("snapshotter", "overlayfs");
        flags.put("decryption_keys_path", null);
        ServeConfig c = ServeConfigLoader.load(f, true, flags);
        assertEquals(Path.of("/tmp/x/cloak.sock"), c.listen());
        assertEquals(Path.of("/tmp/ctd.sock"), c.runtimeEndpoint());
        assertEquals("overlayfs", c.snapshotter(), "flags win over the file");
        assertEquals(Path.of("/etc/crio/keys"), c.decryptionKeysPath(), "an unset flag keeps the default");
        assertEquals(5, c.maxConcurrentDownloads());
        assertEquals(Duration.ofSeconds(7), c.shutdownGrace());
        assertNull(c.metricsAddress());
        assertEquals("json", c.logFormat());
    }

    @Test
    void unknownKeyIsNamed() throws IOException {
        CloakException e = refused(toml("listen = \"unix:///tmp/a.sock\"\nsnapshoter = \"overlayfs\"\n"), Map.of());
        assertTrue(e.getMessage().contains("unknown key \"snapshoter\""), e.getMessage());
        assertTrue(e.getMessage().contains("snapshotter"), "lists the known keys: " + e.getMessage());
    }

    @Test
    void badValuesNameTheKey() throws IOException {
        assertTrue(refused(toml("max_concurrent_downloads = 0\n"), Map.of()).getMessage().contains("max_concurrent_downloads"));
        assertTrue(refused(toml("listen = \"tcp://0.0.0.0:1\"\n"), Map.of()).getMessage().contains("\"listen\""));
        assertTrue(refused(toml("decryption_keys_path = \"relative/keys\"\n"), Map.of()).getMessage().contains("decryption_keys_path"));
        assertTrue(refused(toml("containerd_namespace = \"k8s io\"\n"), Map.of()).getMessage().contains("containerd_namespace"));
        assertTrue(refused(toml("metrics_listen = \"9810\"\n"), Map.of()).getMessage().contains("metrics_listen"));
        assertTrue(refused(toml("log_format = \"xml\"\n"), Map.of()).getMessage().contains("log_format"));
        assertTrue(refused(toml("shutdown_grace_seconds = \"soon\"\n"), Map.of()).getMessage().contains("shutdown_grace_seconds"));
        assertTrue(refused(toml("[listen]\nx = 1\n"), Map.of()).getMessage().contains("single value"));
        assertTrue(refused(toml("containerd_content_dir = \"sometimes\"\n"), Map.of()).getMessage()
                .contains("\"containerd_content_dir\" (--containerd-content-dir) is \"sometimes\""));
    }

    @Test
    void contentDirectoryIsAutoOffOrAPath() throws IOException {
        assertEquals("auto", ServeConfig.DEFAULTS.containerdContentDir());
        assertEquals("off", ServeConfigLoader.load(toml("containerd_content_dir = \"off\"\n"), true, Map.of()).containerdContentDir());
        assertEquals("/host/var/lib/containerd/io.containerd.content.v1.content", ServeConfigLoader.load(toml(""), true,
                Map.of("containerd_content_dir", "/host/var/lib/containerd/io.containerd.content.v1.content")).containerdContentDir());
        assertTrue(refused(toml(""), Map.of("containerd_content_dir", "relative")).getMessage().startsWith("--containerd-content-dir is"));
    }

    @Test
    void badFlagNamesTheFlag() throws IOException {
        CloakException e = refused(toml("snapshotter = \"overlayfs\"\n"), Map.of("listen", "tcp://x"));
        assertTrue(e.getMessage().startsWith("--listen is \"tcp://x\""), e.getMessage());
        assertFalse(e.getMessage().contains("configuration file"), "the value came from a flag, not the file: " + e.getMessage());

        CloakException fromFile = refused(toml("listen = \"tcp://x\"\n"), Map.of("snapshotter", "native"));
        assertTrue(fromFile.getMessage().startsWith("configuration file "), fromFile.getMessage());
        assertTrue(fromFile.getMessage().contains("\"listen\" (--listen) is \"tcp://x\""), fromFile.getMessage());
    }

    @Test
    void invalidTomlIsOneLine() throws IOException {
        CloakException e = refused(toml("listen = \n= broken"), Map.of());
        assertTrue(e.getMessage().contains("not valid TOML"), e.getMessage());
    }

    @Test
    void keyProvidersAreReadAndCheckedAtStart() throws IOException {
        Path providers = Files.writeString(dir.resolve("kp.json"),
                "{\"key-providers\": {\"kms\": {\"cmd\": {\"path\": \"/usr/bin/kms\"}}, \"vault\": {\"grpc\": \"127.0.0.1:5\"}}}");
        ServeConfig c = ServeConfigLoader.load(toml("keyprovider_config = \"" + providers + "\"\nkeyprovider_timeout_seconds = 4\n"),
                true, Map.of());
        assertEquals(java.util.Set.of("kms", "vault"), c.keyProviders().providers().keySet());
        assertEquals(Duration.ofSeconds(4), c.keyProviders().timeout());
        assertEquals(Duration.ofSeconds(10), ServeConfig.DEFAULTS.keyProviders().timeout());
        assertTrue(ServeConfig.DEFAULTS.keyProviders().providers().isEmpty());

        Files.writeString(providers, "{\"key-providers\": {\"kms\": {\"cmd\": {\"path\": \"kms\"}}}}");
        CloakException broken = refused(toml("keyprovider_config = \"" + providers + "\"\n"), Map.of());
        assertTrue(broken.getMessage().contains("\"keyprovider_config\" (" + providers + ")"), broken.getMessage());

        CloakException missing = assertThrows(CloakException.class, () -> ServeConfigLoader.load(toml(""), true,
                Map.of("keyprovider_config", dir.resolve("absent.json").toString())));
        assertEquals(ErrorKind.NOT_FOUND, missing.kind());
        assertTrue(missing.getMessage().contains("keyprovider_config"), missing.getMessage());

        CloakException relative = refused(toml("keyprovider_config = \"kp.json\"\n"), Map.of());
        assertTrue(relative.getMessage().contains("--keyprovider-config"), relative.getMessage());
        refused(toml("keyprovider_timeout_seconds = 0\n"), Map.of());
    }
}
