package dev.cloak.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code /etc/cloak/config.toml} (or the file {@code --config} names) and applies flags on top.
 * Keys are the flag names with underscores: {@code listen}, {@code runtime_endpoint},
 * {@code decryption_keys_path}, {@code containerd_namespace}, {@code snapshotter}, {@code containerd_content_dir}
 * ({@code auto}, {@code off} or an absolute path), {@code registry_config_dir},
 * {@code max_concurrent_downloads}, {@code shutdown_grace_seconds}, {@code keyprovider_config} (an ocicrypt key
 * provider JSON file, read and checked at start), {@code keyprovider_timeout_seconds}. Unknown keys and bad values stop the start
 * with a message naming the key, so a typo never silently falls back to a default.
 */
public final class ServeConfigLoader {
    public static final Path DEFAULT_FILE = Path.of("/etc/cloak/config.toml");
    private static final Set<String> KEYS = Set.of("listen", "runtime_endpoint", "decryption_keys_path",
            "containerd_namespace", "snapshotter", "containerd_content_dir", "registry_config_dir", "max_concurrent_downloads",
            "shutdown_grace_seconds", "metrics_listen", "log_format", "log_level", "keyprovider_config",
            "keyprovider_timeout_seconds");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,75}");

    private ServeConfigLoader() {
    }

    /**
     * Loads {@code file} (a missing default file is fine; a missing named file is an error) and applies
     * {@code flags} (same keys, string values) on top.
     */
    public static ServeConfig load(Path file, boolean fileNamedExplicitly, Map<String, String> flags) {
        Map<String, String> values = new LinkedHashMap<>();
        if (file != null && Files.isRegularFile(file)) {
            values.putAll(readToml(file));
        } else if (file != null && fileNamedExplicitly) {
            throw CloakException.notFound("configuration file " + file + " does not exist");
        }
        Set<String> fromFlags = new java.util.HashSet<>();
        flags.forEach((k, v) -> {
            if (v != null) {
                values.put(k, v);
                fromFlags.add(k);
            }
        });
        return build(values, new Origin(file != null && Files.isRegularFile(file) ? file : null, fromFlags));
    }

    private static Map<String, String> readToml(Path file) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(file.toFile());
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw CloakException.invalid("configuration file " + file + " is not valid TOML: "
                    + Printable.of(m.lines().findFirst().orElse(m)));
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!KEYS.contains(e.getKey())) {
                throw CloakException.invalid("configuration file " + file + ": unknown key \"" + Printable.of(e.getKey())
                        + "\" (known keys: " + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
            }
            if (e.getValue().isContainerNode()) {
                throw CloakException.invalid("configuration file " + file + ": key \"" + e.getKey()
                        + "\" must be a single value");
            }
            values.put(e.getKey(), e.getValue().asText());
        }
        return values;
    }

    private static ServeConfig build(Map<String, String> v, Origin origin) {
        ServeConfig d = ServeConfig.DEFAULTS;
        return new ServeConfig(
                socket(v, "listen", d.listen(), origin),
                socket(v, "runtime_endpoint", d.runtimeEndpoint(), origin),
                path(v, "decryption_keys_path", d.decryptionKeysPath(), origin),
                name(v, "containerd_namespace", d.containerdNamespace(), origin),
                name(v, "snapshotter", d.snapshotter(), origin),
                contentDir(v, d.containerdContentDir(), origin),
                path(v, "registry_config_dir", d.registryConfigDir(), origin),
                number(v, "max_concurrent_downloads", d.maxConcurrentDownloads(), 1, 64, origin),
                Duration.ofSeconds(number(v, "shutdown_grace_seconds", (int) d.shutdownGrace().toSeconds(), 0, 3600, origin)),
                metricsListen(v, d.metricsListen(), origin),
                oneOf(v, "log_format", d.logFormat(), java.util.List.of("text", "json"), origin),
                oneOf(v, "log_level", d.logLevel(), java.util.List.of("error", "warn", "info", "debug", "trace"), origin),
                keyProviders(v, origin));
    }

    /** The key provider file is read now, so a broken one stops the start instead of the first pull. */
    private static KeyProviderConfig keyProviders(Map<String, String> v, Origin origin) {
        Duration timeout = Duration.ofSeconds(number(v, "keyprovider_timeout_seconds",
                (int) KeyProviderConfig.DEFAULT_TIMEOUT.toSeconds(), 1, 600, origin));
        Path providers = path(v, "keyprovider_config", null, origin);
        if (providers == null) {
            return new KeyProviderConfig(java.util.Map.of(), timeout, "no key provider configuration");
        }
        return KeyProviderConfig.load(providers, "\"keyprovider_config\" (" + providers + ")", timeout);
    }

    /** {@code unix:///path} or a plain absolute path. */
    private static Path socket(Map<String, String> v, String key, Path fallback, Origin origin) {
        String s = v.get(key);
        if (s == null) {
            return fallback;
        }
        String path = s.startsWith("unix://") ? s.substring("unix://".length()) : s;
        if (!path.startsWith("/") || s.contains("://") && !s.startsWith("unix://")) {
            throw bad(key, s, "a unix socket such as unix:///run/cloak/cloak.sock", origin);
        }
        return Path.of(path);
    }

    private static Path path(Map<String, String> v, String key, Path fallback, Origin origin) {
        String s = v.get(key);
        if (s == null) {
            return fallback;
        }
        if (!s.startsWith("/")) {
            throw bad(key, s, "an absolute path", origin);
        }
        return Path.of(s);
    }

    /** {@code auto}, {@code off} or where containerd's content directory is seen from Cloak. */
    private static String contentDir(Map<String, String> v, String fallback, Origin origin) {
        String s = v.get("containerd_content_dir");
        if (s == null) {
            return fallback;
        }
        if (!s.equals("auto") && !s.equals("off") && !s.startsWith("/")) {
            throw bad("containerd_content_dir", s, "auto, off or an absolute path", origin);
        }
        return s;
    }

    private static String name(Map<String, String> v, String key, String fallback, Origin origin) {
        String s = v.get(key);
        if (s == null) {
            return fallback;
        }
        if (!NAME.matcher(s).matches()) {
            throw bad(key, s, "a name of letters, digits, '.', '_' and '-'", origin);
        }
        return s;
    }

    private static int number(Map<String, String> v, String key, int fallback, int min, int max, Origin origin) {
        String s = v.get(key);
        if (s == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // Reported below with the accepted range.
        }
        throw bad(key, s, "a whole number from " + min + " to " + max, origin);
    }

    private static String metricsListen(Map<String, String> v, String fallback, Origin origin) {
        String s = v.get("metrics_listen");
        if (s == null) {
            return fallback;
        }
        var m = HOST_PORT.matcher(s);
        if (s.equals("none") || m.matches() && Integer.parseInt(m.group(2)) <= 65535) {
            return s;
        }
        throw bad("metrics_listen", s, "HOST:PORT such as 127.0.0.1:9810, or none", origin);
    }

    private static String oneOf(Map<String, String> v, String key, String fallback, java.util.List<String> allowed, Origin file) {
        String s = v.get(key);
        if (s == null) {
            return fallback;
        }
        if (!allowed.contains(s)) {
            throw bad(key, s, "one of " + String.join(", ", allowed), file);
        }
        return s;
    }

    private static CloakException bad(String key, String value, String expected, Origin origin) {
        String flag = "--" + key.replace('_', '-');
        if (origin.flags().contains(key) || origin.file() == null) {
            return CloakException.invalid(flag + " is \"" + Printable.of(value) + "\"; it must be " + expected);
        }
        return CloakException.invalid("configuration file " + origin.file() + ": \"" + key + "\" (" + flag + ") is \""
                + Printable.of(value) + "\"; it must be " + expected);
    }

    /** Where values came from, so an error points at the flag or the file line the operator has to change. */
    private record Origin(Path file, Set<String> flags) {
    }
}
