package dev.cloak.ocicrypt.keyprovider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The key providers named in an ocicrypt key provider configuration file (the file
 * {@code $OCICRYPT_KEYPROVIDER_CONFIG} names): {@code {"key-providers": {"NAME": {"cmd": {"path": ..., "args": [...]}}}}}
 * or {@code {"NAME": {"grpc": "host:port"}}}. The file is read once and checked whole, so a typo stops the
 * start instead of silently leaving a provider out.
 */
public record KeyProviderConfig(Map<String, Endpoint> providers, Duration timeout, String origin) {
    public static final String ENV = "OCICRYPT_KEYPROVIDER_CONFIG";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** The name becomes part of an annotation key, so it is kept to characters that are safe there. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    public KeyProviderConfig {
        providers = Map.copyOf(providers);
    }

    /** How a provider is reached. */
    public sealed interface Endpoint {
        /** A program that reads one request as JSON on stdin and writes one response on stdout. */
        record Command(Path path, List<String> args) implements Endpoint {
            public Command {
                args = List.copyOf(args);
            }
        }

        /** A gRPC server at {@code target} (host:port); {@code tls} null means plaintext. */
        record Grpc(String target, Tls tls) implements Endpoint {
        }
    }

    /** Cloak's own TLS block for gRPC providers; every file is PEM, and the client pair is optional. */
    public record Tls(Path rootCaFile, Path certFile, Path keyFile, String serverName) {
    }

    public static KeyProviderConfig empty() {
        return new KeyProviderConfig(Map.of(), DEFAULT_TIMEOUT, "no key provider configuration");
    }

    /** The file {@code $OCICRYPT_KEYPROVIDER_CONFIG} names, or no providers when it is unset or empty. */
    public static KeyProviderConfig fromEnvironment(Map<String, String> env) {
        String file = env.get(ENV);
        if (file == null || file.isBlank()) {
            return empty();
        }
        return load(Path.of(file), ENV + "=" + file, DEFAULT_TIMEOUT);
    }

    /** Reads {@code file}; {@code origin} says who named it, for messages. */
    public static KeyProviderConfig load(Path file, String origin, Duration timeout) {
        JsonNode root;
        try {
            if (Files.size(file) > Limits.MAX_KEY_FILE_BYTES) {
                throw invalid(origin, "the file is too large");
            }
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException e) {
            throw CloakException.notFound("key provider configuration " + origin + " does not exist");
        } catch (IOException e) {
            throw invalid(origin, "it is not valid JSON");
        }
        if (root == null || !root.isObject() || !root.path("key-providers").isObject()) {
            throw invalid(origin, "it has no \"key-providers\" object");
        }
        Map<String, Endpoint> providers = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("key-providers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!NAME.matcher(e.getKey()).matches()) {
                throw invalid(origin, "the provider name \"" + Printable.of(e.getKey())
                        + "\" must be letters, digits, '.', '_' and '-'");
            }
            providers.put(e.getKey(), endpoint(e.getKey(), e.getValue(), origin));
        }
        return new KeyProviderConfig(providers, timeout, origin);
    }

    private static Endpoint endpoint(String name, JsonNode node, String origin) {
        boolean cmd = node.has("cmd");
        boolean grpc = node.has("grpc");
        if (cmd == grpc) {
            throw invalid(origin, "provider \"" + name + "\" must have exactly one of \"cmd\" and \"grpc\"");
        }
        return cmd ? command(name, node.get("cmd"), origin) : grpc(name, node, origin);
    }

    private static Endpoint command(String name, JsonNode cmd, String origin) {
        String path = cmd.path("path").asText("");
        if (!path.startsWith("/")) {
            throw invalid(origin, "provider \"" + name + "\": \"cmd\".\"path\" must be an absolute path to a program");
        }
        List<String> args = new ArrayList<>();
        JsonNode list = cmd.path("args");
        if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
            throw invalid(origin, "provider \"" + name + "\": \"cmd\".\"args\" must be a list of strings");
        }
        list.forEach(a -> args.add(a.asText()));
        return new Endpoint.Command(Path.of(path), args);
    }

    private static Endpoint grpc(String name, JsonNode node, String origin) {
        String target = node.path("grpc").asText("");
        if (target.isBlank() || target.chars().anyMatch(Character::isWhitespace)) {
            throw invalid(origin, "provider \"" + name + "\": \"grpc\" must be host:port");
        }
        JsonNode tls = node.path("grpc-tls");
        if (tls.isMissingNode() || tls.isNull()) {
            return new Endpoint.Grpc(target, null);
        }
        Path ca = optionalPath(tls, "root-ca-file", name, origin);
        Path cert = optionalPath(tls, "cert-file", name, origin);
        Path key = optionalPath(tls, "key-file", name, origin);
        if ((cert == null) != (key == null)) {
            throw invalid(origin, "provider \"" + name + "\": \"grpc-tls\" needs both \"cert-file\" and \"key-file\", or neither");
        }
        String serverName = tls.hasNonNull("server-name") ? tls.get("server-name").asText() : null;
        return new Endpoint.Grpc(target, new Tls(ca, cert, key, serverName));
    }

    private static Path optionalPath(JsonNode tls, String field, String name, String origin) {
        if (!tls.hasNonNull(field)) {
            return null;
        }
        String p = tls.get(field).asText();
        if (!p.startsWith("/")) {
            throw invalid(origin, "provider \"" + name + "\": \"grpc-tls\".\"" + field + "\" must be an absolute path");
        }
        return Path.of(p);
    }

    private static CloakException invalid(String origin, String why) {
        return CloakException.invalid("key provider configuration " + origin + " cannot be used: " + why);
    }
}
