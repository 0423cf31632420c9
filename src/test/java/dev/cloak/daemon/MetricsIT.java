package dev.cloak.daemon;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator watches: metrics that move with pulls, and readiness that follows containerd. */
class MetricsIT {
    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static ContainerdFixture containerd;
    static CloakFixture cloak;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        containerd = new ContainerdFixture(dir.resolve("containerd")).start();
        cloak = new CloakFixture(dir.resolve("cloak"), containerd).withPlainHttpRegistry(registry.host());
        KeyPair node = PemKeys.ec();
        PemKeys.writePkcs8(node, cloak.keys().resolve("node.pem"));
        Files.writeString(cloak.keys().resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
        Path image = Layouts.busybox(dir, "v1", "hello metrics");
        Cmd.run(dir, "skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                "--encryption-key", "jwe:" + PemKeys.writePublic(node, dir.resolve("node.pub")),
                "oci:" + image + ":v1", "docker://" + registry.host() + "/m/enc:v1").ok();
        cloak.start();
    }

    @AfterAll
    static void stop() {
        cloak.close();
        containerd.close();
        registry.close();
    }

    static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(cloak.metricsUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static double metric(String scrape, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aPullMovesTheCounters() throws Exception {
        String before = get("/metrics").body();
        cloak.images("pull", registry.host() + "/m/enc:v1").ok();
        String after = get("/metrics").body();
        assertEquals(metric(before, "cloak_pulls_total{encrypted=\"true\",result=\"success\"}") + 1,
                metric(after, "cloak_pulls_total{encrypted=\"true\",result=\"success\"}"), after);
        assertTrue(metric(after, "cloak_downloaded_bytes_total") > metric(before, "cloak_downloaded_bytes_total"));
        assertTrue(metric(after, "cloak_decrypted_bytes_total") > 1_000_000, "busybox is over 1 MB");
        assertTrue(metric(after, "cloak_pull_duration_seconds_count") >= 1);
        assertEquals(1, metric(after, "cloak_keys_loaded{type=\"EC\"}"));
        assertTrue(metric(after, "cloak_key_files_skipped_total") >= 1, "the garbage key file is counted");
        assertEquals(1, metric(after, "cloak_runtime_reachable"));
        assertTrue(after.contains("jvm_memory_used_bytes"), "JVM metrics are exported");
        assertTrue(!after.contains("m/enc"), "image names never become labels");
    }

    @Test
    void readinessFollowsContainerd() throws Exception {
        assertEquals(200, get("/healthz").statusCode());
        assertEquals(200, get("/readyz").statusCode());
        containerd.stop();
        try {
            HttpResponse<String> down = get("/readyz");
            assertEquals(503, down.statusCode());
            assertTrue(down.body().contains("containerd does not answer"), down.body());
            assertEquals(200, get("/healthz").statusCode(), "alive even when not ready");
            assertEquals(0, metric(get("/metrics").body(), "cloak_runtime_reachable"));
        } finally {
            containerd.start();
        }
        Instant deadline = Instant.now().plusSeconds(30);
        while (get("/readyz").statusCode() != 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertEquals(200, get("/readyz").statusCode(), "ready again once containerd is back");
    }
}
