package dev.cloak.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.testing.CloakFixture;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.RegistryFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What an operator reads: every line about a pull carries the pull's id, also the lines its layer threads
 * write, in text and in JSON, and no key material.
 */
class LogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static ContainerdFixture containerd;
    static KeyPair node;

    @BeforeAll
    static void start() throws IOException {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        containerd = new ContainerdFixture(dir.resolve("containerd")).start();
        node = PemKeys.ec();
        Path pub = PemKeys.writePublic(node, dir.resolve("node.pub"));
        for (String tag : List.of("json", "text")) {
            Path image = Layouts.busybox(dir, tag, "hello logs in " + tag);
            Cmd.run(dir, "skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                    "--encryption-key", "jwe:" + pub, "oci:" + image + ":" + tag,
                    "docker://" + registry.host() + "/logs/enc:" + tag).ok();
        }
    }

    @AfterAll
    static void stop() {
        containerd.close();
        registry.close();
    }

    /** Runs a daemon with {@code args}, pulls {@code tag} through it, stops it and returns its log. */
    private static String pullAndStop(String tag, String... args) throws IOException {
        CloakFixture cloak = new CloakFixture(dir.resolve("cloak-" + tag), containerd)
                .withPlainHttpRegistry(registry.host()).withServeArgs(args);
        PemKeys.writePkcs8(node, cloak.keys().resolve("node.pem"));
        try {
            cloak.start();
            cloak.images("pull", registry.host() + "/logs/enc:" + tag).ok();
        } finally {
            assertEquals(0, cloak.stop(), "the daemon must stop cleanly");
        }
        String log = cloak.log();
        String keyBody = Base64.getEncoder().encodeToString(node.getPrivate().getEncoded());
        // Past the fixed PKCS#8 header of a P-256 key: the private scalar itself.
        assertFalse(log.contains(keyBody.substring(48, 88)), "key material must never be logged");
        return log;
    }

    @Test
    void jsonLinesCarryThePullIdFromEveryThreadOfThePull() throws IOException {
        String log = pullAndStop("json", "--log-format", "json", "--log-level", "debug");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                lines.add(JSON.readTree(line));
            } catch (IOException e) {
                fail("every line must be one JSON object: " + line);
            }
        }
        JsonNode summary = lines.stream()
                .filter(l -> l.path("formattedMessage").asText().matches("pull \\S+/logs/enc:json encrypted=true result=imported .*"))
                .findFirst().orElseThrow(() -> new AssertionError("no summary line for the pull: " + log));
        String id = summary.path("mdc").path("pull").asText();
        assertTrue(id.matches("[0-9a-f]{8}"), "the pull id is its own field: " + summary);
        assertEquals("INFO", summary.path("level").asText());

        List<JsonNode> layers = lines.stream()
                .filter(l -> l.path("formattedMessage").asText().contains("decrypted and verified")).toList();
        assertFalse(layers.isEmpty(), "debug lines about the layers: " + log);
        for (JsonNode layer : layers) {
            assertTrue(layer.path("threadName").asText().startsWith("cloak-layer-"), layer.toString());
            assertEquals(id, layer.path("mdc").path("pull").asText(), "a layer thread's line names its pull: " + layer);
        }
        JsonNode serving = lines.stream()
                .filter(l -> l.path("formattedMessage").asText().startsWith("serving the CRI image service")).findFirst()
                .orElseThrow(() -> new AssertionError("no start line: " + log));
        assertTrue(serving.path("mdc").path("pull").isMissingNode(), "lines outside a pull carry no pull id: " + serving);
    }

    @Test
    void textLinesCarryThePullIdFromEveryThreadOfThePull() throws IOException {
        String log = pullAndStop("text", "--log-level", "debug");
        Matcher summary = Pattern.compile("(?m)^\\S+ INFO +PullService: pull=([0-9a-f]{8}) pull \\S+/logs/enc:text encrypted=true result=imported ")
                .matcher(log);
        assertTrue(summary.find(), "one summary line per pull: " + log);
        String id = summary.group(1);
        Matcher layer = Pattern.compile("(?m)^.*decrypted and verified.*$").matcher(log);
        int layers = 0;
        while (layer.find()) {
            layers++;
            assertTrue(layer.group().contains("ImageImporter: pull=" + id + " layer sha256:"), layer.group());
        }
        assertTrue(layers > 0, "debug lines about the layers: " + log);
        Matcher serving = Pattern.compile("(?m)^\\S+ INFO +CloakDaemon: serving the CRI image service").matcher(log);
        assertTrue(serving.find(), "lines outside a pull have no pull= prefix: " + log);
    }
}
