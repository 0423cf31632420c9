package dev.cloak.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.testing.CloakFixture;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.FreePort;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.Project;
import dev.cloak.testing.RegistryFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How {@code cloak serve} fails, with real parts: every failure must give the documented exit code and
 * sentence through {@code cloak images}, and must leave containerd as it found it for that image (no image
 * record, no ingest, no lease, no unverified decrypted content), because kubelet retries pulls forever and
 * whatever one failed attempt leaves behind piles up on the node.
 */
class DaemonFailuresIT {
    private static final String MISSING_KEY = "missing private key needed for decryption";
    private static final String DECRYPTED_FROM = "dev.cloak.decrypted-from";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static ContainerdFixture containerd;
    /** The node as configured: the right key (and a README), registries through hosts.toml. */
    static CloakFixture cloak;
    /** A daemon whose key directory the key tests rewrite; the directory is read again on every pull. */
    static CloakFixture bare;
    static KeyPair node;

    static Pushed noKey;
    static Pushed wrongKeys;
    static Pushed tampered;
    static Pushed containerdDown;
    static Pushed byDigest;
    static Pushed reused;
    /** The same plaintext as {@link #reused}, encrypted separately: a re-encrypted image, or a shared base. */
    static Pushed reusedTwin;
    static Pushed shared;
    static Pushed big;
    /** Two images (own configs, so own ids) in two repositories, with the same encrypted layers. */
    static Pushed layersA;
    static Pushed layersB;
    /** The same, with {@link #big}'s layer. */
    static Pushed bigA;
    static Pushed bigB;

    /** An encrypted image in the registry, as the registry itself describes it. */
    record Pushed(String repo, String tag, String manifestDigest, String id, List<String> layers) {
        String name() {
            return registry.host() + "/" + repo;
        }

        String ref() {
            return name() + ":" + tag;
        }

        String last() {
            return layers.get(layers.size() - 1);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        containerd = new ContainerdFixture(dir.resolve("containerd")).start();
        node = PemKeys.rsa();
        Path pub = PemKeys.writePublic(node, dir.resolve("node.pub"));

        cloak = new CloakFixture(dir.resolve("cloak"), containerd).withPlainHttpRegistry(registry.host());
        PemKeys.writeTraditional(node, cloak.keys().resolve("node.pem"));
        Files.writeString(cloak.keys().resolve("README"), "not a key: must be skipped, not fatal\n");
        bare = new CloakFixture(dir.resolve("bare"), containerd).withPlainHttpRegistry(registry.host());

        // Every case gets its own plaintext (so its own image id) and its own encryption (so its own layer
        // digests): "nothing left for this image" must not be confused by another case's successful pull.
        noKey = pushBusybox("enc/no-key", pub);
        wrongKeys = pushBusybox("enc/wrong-keys", pub);
        tampered = pushBusybox("enc/tampered", pub);
        containerdDown = pushBusybox("enc/containerd-down", pub);
        byDigest = pushBusybox("enc/by-digest", pub);
        Path plain = Layouts.busybox(dir, "reused", "hello from enc/reused");
        reused = encrypt(plain, "reused", "enc/reused", pub);
        reusedTwin = encrypt(plain, "reused", "enc/reused-twin", pub);
        shared = pushBusybox("enc/shared", pub);

        // Big enough that a pull is still running a second after it started, on any machine this runs on.
        Path bigLayout = dir.resolve("big");
        Cmd.run(dir, Project.root().resolve("bench/make-image").toString(), bigLayout.toString(), "v1", "512", "random").ok();
        skopeo("--encryption-key", "jwe:" + pub, "oci:" + bigLayout + ":v1", "docker://" + registry.host() + "/enc/big:v1");
        big = describe("enc/big", "v1");
        Cmd.run(dir, "rm", "-rf", bigLayout.toString()).ok();
        layersA = pushBusybox("enc/layers-a", pub);
        layersB = withOwnConfig(layersA, "enc/layers-b");
        bigA = withOwnConfig(big, "enc/big-a");
        bigB = withOwnConfig(big, "enc/big-b");

        cloak.start();
        bare.start();
    }

    @AfterAll
    static void stop() {
        // Everything is stopped whatever fails; the first failure is reported after.
        int cloakExit = cloak == null ? 0 : cloak.stop();
        int bareExit = bare == null ? 0 : bare.stop();
        if (containerd != null) {
            containerd.close();
        }
        if (registry != null) {
            registry.close();
        }
        assertEquals(0, cloakExit, "cloak serve must exit 0 on SIGTERM");
        assertEquals(0, bareExit, "the key tests' cloak serve must exit 0 on SIGTERM");
    }

    private static Pushed pushBusybox(String repo, Path pub) throws IOException {
        String tag = repo.substring(repo.lastIndexOf('/') + 1);
        return encrypt(Layouts.busybox(dir, tag, "hello from " + repo), tag, repo, pub);
    }

    private static Pushed encrypt(Path layout, String tag, String repo, Path pub) throws IOException {
        skopeo("--encryption-key", "jwe:" + pub, "oci:" + layout + ":" + tag, "docker://" + registry.host() + "/" + repo + ":v1");
        return describe(repo, "v1");
    }

    static void skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"));
        cmd.addAll(List.of(args));
        Cmd.run(dir, cmd).ok();
    }

    /**
     * Another image with the very same encrypted layer blobs as {@code from}, in repository {@code repo}: the
     * layers are mounted from {@code from}'s repository (as a registry does for a shared base image), the
     * config gets an author of its own (so the image has its own id) and the manifest is pushed as tag v1.
     */
    private static Pushed withOwnConfig(Pushed from, String repo) throws IOException {
        String base = "http://" + registry.host() + "/v2/";
        for (String layer : from.layers()) {
            HttpResponse<byte[]> r = http(HttpRequest.newBuilder(URI.create(base + repo + "/blobs/uploads/?mount=" + layer + "&from=" + from.repo()))
                    .POST(HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(201, r.statusCode(), "mount " + layer + " into " + repo + ": " + new String(r.body()));
        }
        HttpResponse<byte[]> manifestResponse = http(HttpRequest.newBuilder(URI.create(base + from.repo() + "/manifests/" + from.manifestDigest()))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json").build());
        assertEquals(200, manifestResponse.statusCode(), "manifest of " + from.ref());
        com.fasterxml.jackson.databind.node.ObjectNode manifest = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(manifestResponse.body());
        HttpResponse<byte[]> configResponse = http(HttpRequest.newBuilder(URI.create(base + from.repo() + "/blobs/" + from.id())).build());
        assertEquals(200, configResponse.statusCode(), "config of " + from.ref());
        com.fasterxml.jackson.databind.node.ObjectNode config = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(configResponse.body());
        config.put("author", repo);
        byte[] configBytes = JSON.writeValueAsBytes(config);
        String configDigest = "sha256:" + sha256(configBytes);
        HttpResponse<byte[]> started = http(HttpRequest.newBuilder(URI.create(base + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(202, started.statusCode(), "start an upload to " + repo);
        String location = started.headers().firstValue("Location").orElseThrow();
        URI upload = URI.create("http://" + registry.host()).resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + configDigest);
        HttpResponse<byte[]> put = http(HttpRequest.newBuilder(upload).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(configBytes)).build());
        assertEquals(201, put.statusCode(), "upload the config to " + repo + ": " + new String(put.body()));
        ((com.fasterxml.jackson.databind.node.ObjectNode) manifest.get("config")).put("digest", configDigest).put("size", configBytes.length);
        String mediaType = manifest.path("mediaType").asText("application/vnd.oci.image.manifest.v1+json");
        HttpResponse<byte[]> pushed = http(HttpRequest.newBuilder(URI.create(base + repo + "/manifests/v1")).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(manifest))).build());
        assertEquals(201, pushed.statusCode(), "push the manifest of " + repo + ": " + new String(pushed.body()));
        Pushed made = describe(repo, "v1");
        assertEquals(from.layers(), made.layers());
        assertEquals(configDigest, made.id());
        return made;
    }

    private static HttpResponse<byte[]> http(HttpRequest request) throws IOException {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Reads the manifest straight from the registry: its digest as served, the config digest, the layers. */
    private static Pushed describe(String repo, String tag) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + registry.host() + "/v2/" + repo + "/manifests/" + tag))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
                .build();
        byte[] body;
        try {
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode(), "manifest of " + repo + ":" + tag);
            body = r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        JsonNode manifest = JSON.readTree(body);
        List<String> layers = new ArrayList<>();
        for (JsonNode l : manifest.get("layers")) {
            assertTrue(l.get("mediaType").asText().endsWith("+encrypted"), "skopeo must have encrypted every layer: " + l);
            layers.add(l.get("digest").asText());
        }
        return new Pushed(repo, tag, "sha256:" + sha256(body), manifest.get("config").get("digest").asText(), layers);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- what containerd holds ----

    private static List<String> ctrLines(String... args) {
        return containerd.ctr(args).ok().out().lines().filter(l -> !l.isBlank()).toList();
    }

    private static List<String> leases() {
        return ctrLines("leases", "ls", "-q");
    }

    /** Refs of ingests in progress. */
    private static List<String> activeIngests() {
        return ctrLines("content", "active").stream().skip(1).map(l -> l.split("\\s+")[0]).toList();
    }

    /**
     * Layers being written into containerd: its ingests over the API (by ref) and Cloak's staging files in
     * its content directory ("staged PATH"; they carry no layer name).
     */
    private static List<String> writesInProgress() {
        List<String> all = new ArrayList<>(activeIngests());
        Path staging = containerd.contentRoot().resolve("cloak-staging");
        if (Files.isDirectory(staging)) {
            try (var files = Files.walk(staging)) {
                files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(".lock"))
                        .forEach(f -> all.add("staged " + f));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return all;
    }

    /** Unpacks in progress: active snapshots named the way Cloak's unpacker names them. */
    private static List<String> extractSnapshots() {
        return ctrLines("snapshots", "--snapshotter", containerd.snapshotter(), "ls").stream()
                .filter(l -> l.startsWith("extract-")).map(l -> l.split("\\s+")[0]).toList();
    }

    private static List<String> imageRecords(Pushed image) {
        return ctrLines("images", "ls", "-q").stream()
                .filter(n -> n.equals(image.id()) || n.startsWith(image.name() + ":") || n.startsWith(image.name() + "@"))
                .toList();
    }

    /** Content lines whose labels say they were decrypted from {@code encryptedLayer} (any dev.cloak.decrypted-from* label). */
    private static List<String> decryptedFrom(String encryptedLayer) {
        return ctrLines("content", "ls").stream().skip(1).filter(line -> {
            String[] columns = line.split("\\s+");
            for (String label : columns[columns.length - 1].split(",")) {
                int eq = label.indexOf('=');
                if (eq > 0 && label.startsWith(DECRYPTED_FROM) && label.substring(eq + 1).equals(encryptedLayer)) {
                    return true;
                }
            }
            return false;
        }).toList();
    }

    /**
     * Leases, ingests and unpacks that existed before a case: a leak in one case is that case's failure, not
     * every later one's.
     */
    record Before(List<String> leases, List<String> ingests, List<String> unpacks) {
        static Before now() {
            return new Before(DaemonFailuresIT.leases(), writesInProgress(), extractSnapshots());
        }
    }

    /**
     * What containerd holds for {@code image} that a failed pull must not leave; empty when clean.
     * {@code unverified} are the encrypted layers whose decrypted content must not exist.
     */
    private static List<String> leftovers(Pushed image, List<String> unverified, Before before) {
        List<String> problems = new ArrayList<>();
        imageRecords(image).forEach(n -> problems.add("image record " + n));
        writesInProgress().stream().filter(i -> !before.ingests().contains(i)).forEach(i -> problems.add("write in progress " + i));
        leases().stream().filter(l -> !before.leases().contains(l)).forEach(l -> problems.add("lease " + l));
        extractSnapshots().stream().filter(u -> !before.unpacks().contains(u)).forEach(u -> problems.add("unpack snapshot " + u));
        unverified.forEach(layer -> decryptedFrom(layer).forEach(c -> problems.add("content decrypted from " + layer + ": " + c)));
        return problems;
    }

    private static void assertClean(Pushed image, List<String> unverified, Before before) {
        assertEquals(List.of(), leftovers(image, unverified, before), "containerd must be left clean after the failed pull of " + image.ref());
    }

    /** Cleanup after a cancellation runs on the daemon's side, after the client is gone: give it time. */
    private static void assertEventuallyClean(Pushed image, List<String> unverified, Before before, Duration limit) {
        eventually(limit, () -> {
            List<String> problems = leftovers(image, unverified, before);
            return problems.isEmpty() ? null : "containerd still holds, for " + image.ref() + ": " + problems;
        });
    }

    /** No lease and no ingest that was not there before: a successful pull lets go of everything too. */
    private static void assertLetGo(Before before) {
        assertEquals(List.of(), leases().stream().filter(l -> !before.leases().contains(l)).toList(), "leases left");
        assertEquals(List.of(), writesInProgress().stream().filter(i -> !before.ingests().contains(i)).toList(), "ingests left");
    }

    /** Polls until {@code check} returns null (done); fails with its last answer otherwise. */
    private static void eventually(Duration limit, Supplier<String> check) {
        Instant deadline = Instant.now().plus(limit);
        String problem = check.get();
        while (problem != null) {
            if (Instant.now().isAfter(deadline)) {
                fail(problem + " (after " + limit.toSeconds() + " s)");
            }
            sleep(250);
            problem = check.get();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---- what the daemon said ----

    /** The daemon's one-line results for pulls of {@code ref}: "result=... bytes=N". */
    private static List<Matcher> pullResults(CloakFixture daemon, String ref) throws IOException {
        Pattern line = Pattern.compile("pull " + Pattern.quote(ref) + " encrypted=(\\w+) result=(.*) bytes=(\\d+) duration=\\d+ms");
        List<Matcher> out = new ArrayList<>();
        for (String l : daemon.log().lines().toList()) {
            Matcher m = line.matcher(l);
            if (m.find()) {
                out.add(m);
            }
        }
        return out;
    }

    private static void assertOneLineError(Cmd.Result r, int exit, String... fragments) {
        assertEquals(exit, r.exit(), "exit code; stdout: " + r.out() + " stderr: " + r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr: " + r.err());
        assertTrue(lines.get(0).startsWith("cloak: "), r.err());
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), "stderr must contain \"" + f + "\": " + r.err());
        }
    }

    private static void resetKeys(CloakFixture daemon) throws IOException {
        try (Stream<Path> files = Files.list(daemon.keys())) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
    }

    /**
     * Key files an operator ends up with beside the right one: none of them can unwrap an RSA recipient. Their
     * names sort before the right key's, so a reader that gives up at the first bad file never reaches it.
     */
    private static void writeWrongKeys(CloakFixture daemon) throws Exception {
        PemKeys.writePkcs8(PemKeys.ec(), daemon.keys().resolve("a-ec.pem"));
        PemKeys.writePkcs8(KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), daemon.keys().resolve("b-ed25519.pem"));
        PemKeys.writePublic(node, daemon.keys().resolve("c-node-public.pem"));
        Files.writeString(daemon.keys().resolve("d-malformed.pem"),
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\n");
        byte[] garbage = new byte[700];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(daemon.keys().resolve("e-garbage.der"), garbage);
        Files.writeString(daemon.keys().resolve("README"), "not a key: must be skipped, not fatal\n");
    }

    // ---- the cases ----

    @Test
    void withoutTheKeyThePullFailsBeforeAnythingIsWritten() throws Exception {
        resetKeys(bare);
        PemKeys.writeTraditional(PemKeys.rsa(), bare.keys().resolve("unrelated.pem"));
        Files.writeString(bare.keys().resolve("README"), "not a key: must be skipped, not fatal\n");
        Before before = Before.now();

        Cmd.Result r = bare.images("pull", noKey.ref());
        assertOneLineError(r, 3, MISSING_KEY);
        assertTrue(noKey.layers().stream().anyMatch(r.err()::contains), "the message names the encrypted layer: " + r.err());
        assertClean(noKey, noKey.layers(), before);
        assertTrue(pullResults(bare, noKey.ref()).get(0).group(2).startsWith("failed (NO_KEY)"), bare.log());
    }

    @Test
    void badKeyFilesBesideTheRightOneNeverBreakDecryption() throws Exception {
        resetKeys(bare);
        writeWrongKeys(bare);
        Before before = Before.now();
        Cmd.Result only = bare.images("pull", wrongKeys.ref());
        assertOneLineError(only, 3, MISSING_KEY);
        assertTrue(wrongKeys.layers().stream().anyMatch(only.err()::contains), only.err());
        assertClean(wrongKeys, wrongKeys.layers(), before);

        // The directory is read again on each pull: adding the key is enough, no restart.
        PemKeys.writeTraditional(node, bare.keys().resolve("z-node.pem"));
        String id = bare.images("pull", wrongKeys.ref()).ok().out().strip();
        assertEquals(wrongKeys.id(), id);
        assertTrue(bare.log().lines().anyMatch(l -> l.contains("WARN") && l.contains("skipping key file") && l.contains("d-malformed.pem")),
                "an unusable key file is named in a warning: " + bare.log());
        assertLetGo(before);
    }

    @Test
    void tamperedBlobIsDataLossAndLeavesNothingUnverified() throws Exception {
        String hex = tampered.last().substring("sha256:".length());
        Path blob = registry.storage().resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
        try (RandomAccessFile f = new RandomAccessFile(blob.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
        Before before = Before.now();
        Cmd.Result r = cloak.images("pull", tampered.ref());
        assertOneLineError(r, 4, "DATA_LOSS", tampered.last());
        // The untouched layer was verified, so its plaintext may stay for reuse; the tampered one never exists.
        assertClean(tampered, List.of(tampered.last()), before);
    }

    @Test
    void unreachableRegistryIsUnavailableWithinBoundedTime() throws Exception {
        int port = FreePort.pick();
        String host = "127.0.0.1:" + port;
        cloak.withPlainHttpRegistry(host);
        Before before = Before.now();
        Instant start = Instant.now();
        Cmd.Result r = cloak.images("pull", host + "/enc/nowhere:v1");
        Duration took = Duration.between(start, Instant.now());
        assertOneLineError(r, 6, "UNAVAILABLE", host);
        assertTrue(took.compareTo(Duration.ofSeconds(90)) < 0, "kubelet waits on PullImage without a deadline: " + took);
        assertTrue(ctrLines("images", "ls", "-q").stream().noneMatch(n -> n.startsWith(host)));
        assertLetGo(before);
    }

    @Test
    void containerdDownIsUnavailableAndTheDaemonReconnects() throws Exception {
        Before before = Before.now();
        containerd.stop();
        try {
            assertOneLineError(cloak.images("fsinfo"), 6, "containerd is not reachable");
            assertOneLineError(cloak.images("pull", containerdDown.ref()), 6, "containerd is not reachable");
            // containerd stays down a while, as in an upgrade, and kubelet keeps probing: every probe fails the
            // same way. The daemon's reconnect backoff grows meanwhile, which the call below must not wait out.
            sleep(10_000);
            assertOneLineError(cloak.images("fsinfo"), 6, "containerd is not reachable");
        } finally {
            containerd.start();
        }
        // The first call after containerd is back must reach it: the daemon must not sit out a reconnect backoff.
        cloak.images("fsinfo").ok();
        assertClean(containerdDown, containerdDown.layers(), before);
        assertEquals(containerdDown.id(), cloak.images("pull", containerdDown.ref()).ok().out().strip());
        assertLetGo(before);
        // The call right after a restart races the channel's fresh dial; a few short outages give the race
        // several chances to show (it did, about once in five runs, before calls waited for the dial).
        for (int i = 0; i < 5; i++) {
            containerd.stop();
            try {
                assertOneLineError(cloak.images("fsinfo"), 6, "containerd is not reachable");
            } finally {
                containerd.start();
            }
            cloak.images("fsinfo").ok();
        }
    }

    @Test
    void pullByDigestOfTheEncryptedManifest() {
        String ref = byDigest.name() + "@" + byDigest.manifestDigest();
        String id = cloak.images("pull", ref).ok().out().strip();
        assertEquals(byDigest.id(), id);
        Cmd.Result inspect = cloak.images("inspect", ref);
        assertEquals(0, inspect.exit(), inspect.err());
        assertTrue(inspect.out().lines().anyMatch(l -> l.equals("id: " + id)), inspect.out());
        assertTrue(inspect.out().lines().anyMatch(l -> l.equals("digest: " + ref)), inspect.out());
    }

    @Test
    void secondPullReusesDecryptedLayersAndDownloadsNothing() throws Exception {
        Before before = Before.now();
        // The twin's plaintext layers are already in containerd when the image itself is first decrypted:
        // what that first pull decrypted must still be found again by the second.
        assertEquals(reused.id(), cloak.images("pull", reusedTwin.ref()).ok().out().strip());
        assertTrue(reusedTwin.layers().stream().noneMatch(reused.layers()::contains), "separate encryptions");

        String first = cloak.images("pull", reused.ref()).ok().out().strip();
        List<Matcher> results = pullResults(cloak, reused.ref());
        assertTrue(Long.parseLong(results.get(results.size() - 1).group(3)) > 0, cloak.log());

        String second = cloak.images("pull", reused.ref()).ok().out().strip();
        assertEquals(first, second);
        assertEquals(reused.id(), second);
        results = pullResults(cloak, reused.ref());
        assertEquals(2, results.size(), cloak.log());
        assertEquals("0", results.get(1).group(3), "the second pull must download nothing: " + results.get(1).group());
        for (String layer : reused.layers()) {
            assertEquals(1, decryptedFrom(layer).size(), "one decrypted copy of " + layer);
        }
        assertLetGo(before);
    }

    @Test
    void concurrentPullsOfOneImageShareOnePull() throws Exception {
        Before before = Before.now();
        List<Process> pulls = pullAllAtOnce(java.util.Collections.nCopies(10, shared.ref()), "shared");
        try {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < pulls.size(); i++) {
                ids.add(succeeded(pulls.get(i), "shared-" + i));
            }
            assertEquals(List.of(shared.id()), ids.stream().distinct().toList());
        } finally {
            pulls.forEach(Process::destroyForcibly);
        }
        List<Matcher> results = pullResults(cloak, shared.ref());
        assertEquals(1, results.size(), "ten callers, one pull: " + results.stream().map(Matcher::group).toList());
        assertTrue(results.get(0).group(2).startsWith("imported " + shared.id()), results.get(0).group());
        assertLetGo(before);
    }

    @Test
    void concurrentPullsOfDifferentImagesFetchTheirSharedLayersOnce() throws Exception {
        Before before = Before.now();
        List<Long> gets = new ArrayList<>();
        for (String layer : layersA.layers()) {
            gets.add(registry.blobGets(layer));
        }
        // Two images, so two pulls (not one shared pull), arriving together at the layers they have in common.
        List<Pushed> images = List.of(layersA, layersB, layersA, layersB);
        List<Process> pulls = pullAllAtOnce(images.stream().map(Pushed::ref).toList(), "layers");
        try {
            for (int i = 0; i < pulls.size(); i++) {
                assertEquals(images.get(i).id(), succeeded(pulls.get(i), "layers-" + i));
            }
        } finally {
            pulls.forEach(Process::destroyForcibly);
        }
        for (int i = 0; i < layersA.layers().size(); i++) {
            String layer = layersA.layers().get(i);
            assertEquals(1, registry.blobGets(layer) - gets.get(i), "the registry must serve shared layer " + layer + " once");
            assertEquals(1, decryptedFrom(layer).size(), "one decrypted copy of " + layer);
        }
        for (Pushed image : List.of(layersA, layersB)) {
            List<Matcher> results = pullResults(cloak, image.ref());
            assertEquals(1, results.size(), "one pull of " + image.ref() + ": " + results.stream().map(Matcher::group).toList());
            assertTrue(results.get(0).group(2).startsWith("imported " + image.id()), results.get(0).group());
            Cmd.Result run = containerd.ctr("run", "--rm", "--snapshotter", containerd.snapshotter(), image.ref(),
                    "shared-layers-" + image.repo().replace('/', '-'));
            assertEquals("hello from enc/layers-a", run.ok().out().strip());
        }
        assertLetGo(before);
    }

    @Test
    void cancellingThePullThatFetchesASharedLayerLeavesTheOtherPullToFetchIt() throws Exception {
        Before before = Before.now();
        String layer = big.last();
        String ingest = "cloak-decrypt-" + layer.substring("sha256:".length());
        long gets = registry.blobGets(layer);
        List<Process> pulls = pullAllAtOnce(List.of(bigA.ref(), bigB.ref()), "big-shared");
        Pushed waiting;
        Pushed fetching;
        ProcessHandle registryProcess = child("docker-registry", dir.resolve("registry/config.yml").toString());
        try {
            // The two pulls met at the layer: one fetches it, the other waits for that fetch.
            Pattern line = Pattern.compile("layer " + Pattern.quote(layer) + " of docker://(\\S+) is being fetched by ");
            eventually(Duration.ofSeconds(120), () -> line.matcher(read(cloak.logFile())).find()
                    && writesInProgress().stream().anyMatch(i -> i.startsWith(ingest) || i.startsWith("staged ")) ? null
                    : "no pull is waiting for the other's fetch of " + layer + " while it is written: " + writesInProgress());
            Matcher m = line.matcher(read(cloak.logFile()));
            assertTrue(m.find());
            waiting = m.group(1).equals(bigA.ref()) ? bigA : bigB;
            fetching = waiting == bigA ? bigB : bigA;
            Process fetcher = pulls.get(fetching == bigA ? 0 : 1);
            // The registry is frozen (well within Cloak's 30 s idle-read limit), so the fetch cannot finish
            // before its only caller goes away, whatever the machine's speed.
            Cmd.run(dir, "kill", "-STOP", Long.toString(registryProcess.pid())).ok();
            try {
                assertTrue(fetcher.isAlive(), "the fetching pull's caller must still be waiting");
                fetcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                eventually(Duration.ofSeconds(30), () -> {
                    try {
                        List<Matcher> r = pullResults(cloak, fetching.ref());
                        return r.isEmpty() ? "the cancelled pull of " + fetching.ref() + " has not ended yet" : null;
                    } catch (IOException e) {
                        return e.toString();
                    }
                });
            } finally {
                Cmd.run(dir, "kill", "-CONT", Long.toString(registryProcess.pid())).ok();
            }
            assertEquals(waiting.id(), succeeded(pulls.get(waiting == bigA ? 0 : 1), "big-shared-" + (waiting == bigA ? 0 : 1)));
        } finally {
            pulls.forEach(Process::destroyForcibly);
        }
        List<Matcher> cancelled = pullResults(cloak, fetching.ref());
        assertTrue(cancelled.get(0).group(2).startsWith("failed"), "the pull whose caller left must fail: " + cancelled.get(0).group());
        List<Matcher> done = pullResults(cloak, waiting.ref());
        assertEquals(1, done.size(), done.stream().map(Matcher::group).toList().toString());
        assertTrue(done.get(0).group(2).startsWith("imported " + waiting.id()), done.get(0).group());
        assertTrue(Long.parseLong(done.get(0).group(3)) > 0, "the waiting pull must have fetched the layer itself: " + done.get(0).group());
        assertEquals(2, registry.blobGets(layer) - gets, "the cancelled fetch, then the waiting pull's own");
        assertEquals(1, decryptedFrom(layer).size(), "one decrypted copy of " + layer);
        eventually(Duration.ofSeconds(30), () -> {
            List<String> left = leases().stream().filter(l -> !before.leases().contains(l)).toList();
            List<String> ingests = writesInProgress().stream().filter(i -> !before.ingests().contains(i)).toList();
            return left.isEmpty() && ingests.isEmpty() ? null : "leases left: " + left + ", ingests left: " + ingests;
        });
        // The other cases expect no plaintext of the big layer: removing the image lets containerd collect it.
        cloak.images("rm", waiting.ref()).ok();
        eventually(Duration.ofSeconds(30), () -> decryptedFrom(layer).isEmpty() ? null : "still in containerd: " + decryptedFrom(layer));
    }

    /**
     * Starts {@code cloak images pull REF} for each of {@code refs} at once, with containerd frozen until every
     * caller is connected: the pulls can do nothing in containerd until then (its first call, creating a lease,
     * waits without a deadline), so they surely overlap however slowly the client JVMs start on a busy
     * machine. Each client's output goes to PREFIX-N.out and .err.
     */
    private static List<Process> pullAllAtOnce(List<String> refs, String prefix) throws IOException {
        ProcessHandle containerdProcess = child("containerd", dir.resolve("containerd/config.toml").toString());
        long connected = connectionsTo(cloak.socket());
        List<Process> pulls = new ArrayList<>();
        Cmd.run(dir, "kill", "-STOP", Long.toString(containerdProcess.pid())).ok();
        try {
            for (int i = 0; i < refs.size(); i++) {
                pulls.add(new ProcessBuilder(Project.root().resolve("bin/cloak").toString(), "images", "--endpoint",
                        cloak.endpoint(), "pull", refs.get(i))
                        .redirectOutput(dir.resolve(prefix + "-" + i + ".out").toFile())
                        .redirectError(dir.resolve(prefix + "-" + i + ".err").toFile()).start());
            }
            eventually(Duration.ofSeconds(120), () -> connectionsTo(cloak.socket()) - connected >= refs.size() ? null
                    : "callers connected: " + (connectionsTo(cloak.socket()) - connected) + ", running: "
                    + pulls.stream().filter(Process::isAlive).count() + ", first said: " + read(dir.resolve(prefix + "-0.err")));
            sleep(2000);
        } catch (RuntimeException | Error e) {
            pulls.forEach(Process::destroyForcibly);
            throw e;
        } finally {
            Cmd.run(dir, "kill", "-CONT", Long.toString(containerdProcess.pid())).ok();
        }
        return pulls;
    }

    /** Waits for a client started by {@link #pullAllAtOnce}; it must succeed. Returns the image id it printed. */
    private static String succeeded(Process p, String name) throws InterruptedException {
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "pull " + name + " did not finish");
        assertEquals(0, p.exitValue(), read(dir.resolve(name + ".err")));
        return read(dir.resolve(name + ".out")).strip();
    }

    /** The process this class started whose command line names {@code name} and {@code arg} (its own config file). */
    private static ProcessHandle child(String name, String arg) {
        return ProcessHandle.current().descendants()
                .filter(h -> h.info().commandLine().map(c -> c.contains(name) && c.contains(arg)).orElse(false))
                .findFirst().orElseThrow(() -> new AssertionError("the " + name + " this class started is not running"));
    }

    @Test
    void cancelledPullLeavesNothingAndTheNextPullSucceeds() throws Exception {
        Before before = Before.now();
        // Cancelled while downloading: the layer is not verified, so nothing of it may exist.
        String layerHex = big.last().substring("sha256:".length());
        cancelPullWhen("its layer is being written", Duration.ofSeconds(1),
                () -> writesInProgress().stream().anyMatch(i -> i.contains(layerHex) || i.startsWith("staged ")));
        assertEquals(1, pullResults(cloak, big.ref()).size());
        assertEventuallyClean(big, big.layers(), before, Duration.ofSeconds(30));

        // Cancelled while unpacking: the layer was verified (it may stay), but no lease or unpack may remain.
        // Half a second: unpacking 512 MiB takes a few seconds, and the kill must land inside it.
        cancelPullWhen("its layer is being unpacked", Duration.ofMillis(500),
                () -> extractSnapshots().stream().anyMatch(u -> !before.unpacks().contains(u)));
        assertEquals(2, pullResults(cloak, big.ref()).size());
        assertEventuallyClean(big, List.of(), before, Duration.ofSeconds(30));

        assertEquals(big.id(), cloak.images("pull", big.ref()).ok().out().strip());
        assertLetGo(before);
        cloak.images("rm", big.ref()).ok();
    }

    /** Starts a pull of the big image, SIGKILLs the client {@code after} once {@code running}, waits for the log line. */
    private static void cancelPullWhen(String what, Duration after, java.util.function.BooleanSupplier running) throws Exception {
        int results = pullResults(cloak, big.ref()).size();
        Process p = new ProcessBuilder(Project.root().resolve("bin/cloak").toString(), "images", "--endpoint", cloak.endpoint(),
                "pull", big.ref()).redirectErrorStream(true).redirectOutput(dir.resolve("cancelled.out").toFile()).start();
        try {
            eventually(Duration.ofSeconds(60), () -> running.getAsBoolean() ? null
                    : "the pull of " + big.ref() + " never reached the point where " + what + (p.isAlive() ? "" : " (client exited " + p.exitValue() + ")"));
            sleep(after.toMillis());
            assertTrue(p.isAlive(), "the pull must still run when its caller goes away; make the image larger");
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        eventually(Duration.ofSeconds(30), () -> {
            try {
                List<Matcher> r = pullResults(cloak, big.ref());
                return r.size() > results ? null : "no result line for the cancelled pull yet";
            } catch (IOException e) {
                return e.toString();
            }
        });
        List<Matcher> r = pullResults(cloak, big.ref());
        assertTrue(r.get(r.size() - 1).group(2).startsWith("failed"), "the cancelled pull must end failed: " + r.get(r.size() - 1).group());
    }

    @Test
    void badConfigurationStopsTheStartWithOneLineNamingTheKey() throws Exception {
        Path socket = dir.resolve("config-test/cloak.sock");
        String valid = "listen = \"unix://" + socket + "\"\nruntime_endpoint = \"unix://" + containerd.socket()
                + "\"\ndecryption_keys_path = \"" + cloak.keys() + "\"\n";

        Path unknown = Files.writeString(dir.resolve("unknown-key.toml"), valid + "max_concurent_downloads = 4\n");
        assertRefused(List.of("--config", unknown.toString()), "\"max_concurent_downloads\"");

        Path zero = Files.writeString(dir.resolve("zero.toml"), valid + "max_concurrent_downloads = 0\n");
        assertRefused(List.of("--config", zero.toString()), "\"max_concurrent_downloads\"");

        Path ok = Files.writeString(dir.resolve("ok.toml"), valid);
        assertRefused(List.of("--config", ok.toString(), "--listen", "tcp://x"), "--listen is \"tcp://x\"");
        assertFalse(Files.exists(socket), "a refused start must not create its socket");
    }

    /** {@code cloak serve ARGS} must refuse to start, at once, with one line naming what is wrong. */
    private static void assertRefused(List<String> args, String... fragments) {
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(args);
        Instant start = Instant.now();
        Cmd.Result r = Cmd.cloak(dir, all.toArray(new String[0]));
        Duration took = Duration.between(start, Instant.now());
        assertOneLineError(r, 2, fragments);
        assertEquals("", r.out());
        assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "a bad configuration must stop the start at once: " + took);
    }

    @Test
    void secondServerOnALiveSocketIsRefusedAndTheFirstKeepsServing() throws IOException {
        // A daemon of its own: if the second server harmed the first, no other case would suffer for it.
        CloakFixture first = new CloakFixture(dir.resolve("first"), containerd);
        String config = dir.resolve("first/config.toml").toString();
        int exit;
        try {
            first.start();
            // The same configuration started twice, as an operator might: the socket is what it is told about,
            // not the metrics port it would trip over next.
            Cmd.Result same = Cmd.cloak(dir, "serve", "--config", config);
            assertTrue(same.exit() != 0, "a second server must not start: " + same.err());
            assertTrue(same.err().contains("another server is already listening on " + first.socket()), same.err());
            assertStillServing(first);

            // Only the metrics address in common: one sentence naming it and the setting, no stack trace, and the
            // second server's socket is not left behind.
            Path otherSocket = dir.resolve("other/cloak.sock");
            Cmd.Result metricsTaken = Cmd.cloak(dir, "serve", "--config", config, "--listen", "unix://" + otherSocket);
            assertTrue(metricsTaken.exit() != 0, "a second server must not start: " + metricsTaken.err());
            assertTrue(metricsTaken.err().contains("cannot serve metrics on 127.0.0.1:") && metricsTaken.err().contains("--metrics-listen"),
                    metricsTaken.err());
            assertFalse(metricsTaken.err().contains("\tat "), "no stack trace: " + metricsTaken.err());
            assertFalse(Files.exists(otherSocket), "the refused server must not leave its socket");
            assertStillServing(first);

            // Only the socket in common: the refusal names the server that holds it.
            Instant start = Instant.now();
            Cmd.Result second = Cmd.cloak(dir, "serve", "--config", config, "--metrics-listen", "none");
            assertTrue(Duration.between(start, Instant.now()).compareTo(Duration.ofSeconds(60)) < 0, "it must give up, not wait");
            assertTrue(second.exit() != 0, "a second server must not start: " + second.err());
            assertTrue(second.err().contains("another server is already listening on " + first.socket()), second.err());
            assertStillServing(first);
        } finally {
            exit = first.stop();
        }
        assertEquals(0, exit, "the first server must still stop cleanly");
    }

    private static void assertStillServing(CloakFixture daemon) {
        assertTrue(Files.exists(daemon.socket()), "the running server's socket must stay");
        daemon.images("fsinfo").ok();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Connected unix sockets on {@code socket}'s path: one per client connection the server accepted. */
    private static long connectionsTo(Path socket) {
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            return lines.map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 8 && f[5].equals("03") && f[7].equals(socket.toString()))
                    .count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
