package dev.cloak.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Credentials from docker {@code config.json} files ({@code auths} with {@code auth}, {@code username}/
 * {@code password}, {@code identitytoken}, {@code registrytoken}). Keys may be host names or URLs such as
 * {@code https://index.docker.io/v1/}. Files are read on every lookup so edits apply at once.
 */
public final class DockerConfigCredentials implements CredentialSource {
    private static final Logger LOG = LoggerFactory.getLogger(DockerConfigCredentials.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Path> files;
    private final boolean explicit;

    private DockerConfigCredentials(List<Path> files, boolean explicit) {
        this.files = List.copyOf(files);
        this.explicit = explicit;
    }

    /** One file the user named ({@code --authfile}): it must exist and be valid. */
    public static DockerConfigCredentials file(Path file) {
        if (!Files.isRegularFile(file)) {
            throw CloakException.notFound("auth file " + file + " does not exist");
        }
        return new DockerConfigCredentials(List.of(file), true);
    }

    /** The usual places: {@code $DOCKER_CONFIG/config.json}, {@code ~/.docker/config.json}, kubelet's file. */
    public static DockerConfigCredentials standard() {
        List<Path> files = new ArrayList<>();
        String dockerConfig = System.getenv("DOCKER_CONFIG");
        if (dockerConfig != null && !dockerConfig.isEmpty()) {
            files.add(Path.of(dockerConfig, "config.json"));
        }
        files.add(Path.of(System.getProperty("user.home"), ".docker", "config.json"));
        files.add(Path.of("/var/lib/kubelet/config.json"));
        return new DockerConfigCredentials(files, false);
    }

    @Override
    public Credentials lookup(String registry) {
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonNode auths;
            try {
                auths = JSON.readTree(file.toFile()).path("auths");
            } catch (IOException e) {
                if (explicit) {
                    throw CloakException.invalid("auth file " + file + " is not valid JSON");
                }
                LOG.warn("ignoring {}: it is not valid JSON", file);
                continue;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (hostOf(e.getKey()).equals(normalise(registry))) {
                    return credentials(e.getValue(), file);
                }
            }
        }
        return Credentials.ANONYMOUS;
    }

    private static Credentials credentials(JsonNode entry, Path file) {
        String user = text(entry, "username");
        String password = text(entry, "password");
        String auth = text(entry, "auth");
        if (auth != null && !auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw CloakException.invalid("an \"auth\" entry in " + file + " is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw CloakException.invalid("an \"auth\" entry in " + file + " is not base64 of user:password");
            }
            user = decoded.substring(0, colon);
            password = decoded.substring(colon + 1);
        }
        return new Credentials(user, password, text(entry, "identitytoken"), text(entry, "registrytoken"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    /** {@code https://index.docker.io/v1/} -> {@code docker.io}; {@code host:5000/path} -> {@code host:5000}. */
    static String hostOf(String key) {
        String k = key;
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        return normalise(k);
    }

    private static String normalise(String host) {
        return switch (host) {
            case "index.docker.io", "registry-1.docker.io", "docker.io" -> "docker.io";
            default -> host;
        };
    }
}
