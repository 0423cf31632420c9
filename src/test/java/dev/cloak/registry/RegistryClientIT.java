package dev.cloak.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.image.ManifestBlob;
import dev.cloak.image.RegistrySource;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageReference;
import dev.cloak.oci.MediaTypes;
import dev.cloak.registry.auth.CredentialSource;
import dev.cloak.stream.Limits;
import dev.cloak.testing.RegistryFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry client against Debian's docker-registry (plain HTTP on loopback, reached the way
 * {@code --tls-verify=false} reaches it: unverified HTTPS first, then HTTP), and against small fake servers
 * for the failures a real registry will not produce on demand: 503 with Retry-After, endless 500 and 429,
 * oversized or mismatching manifests, and a body that stops arriving.
 */
class RegistryClientIT {
    private static final int MIB = 1 << 20;
    private static final int BIG_SIZE = 48 * MIB + 12_345;   // not a multiple of the chunk size: a short last chunk
    private static final int CHUNK = 5 * MIB;
    private static final RegistryTransport.Settings SETTINGS = new RegistryTransport.Settings(Duration.ofSeconds(5),
            Duration.ofSeconds(10), new RetryPolicy(8, Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(60)));

    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static RegistryClient client;
    static ImageReference bigRef;
    static byte[] big;
    static Descriptor bigBlob;
    static List<Long> offsetsDuringPush = new ArrayList<>();

    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeAll
    static void startRegistryAndPushALargeBlob() throws IOException {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        client = newClient();
        bigRef = ImageReference.parse(registry.host() + "/cloak/big:v1");
        big = random(BIG_SIZE, 1);
        bigBlob = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256Of(big), big.length);
        BlobUpload upload = client.startUpload(bigRef);
        int lastStart = (big.length - 1) / CHUNK * CHUNK;
        for (int off = 0; off < lastStart; off += CHUNK) {
            upload.append(Arrays.copyOfRange(big, off, off + CHUNK), CHUNK);
            offsetsDuringPush.add(upload.offset());
        }
        upload.finish(bigBlob.digest(), Arrays.copyOfRange(big, lastStart, big.length));
    }

    /**
     * A client as {@code --tls-verify=false} builds it: unverified HTTPS, then HTTP. A new one where a test
     * depends on which hosts the client has already seen fail.
     */
    static RegistryClient newClient() throws IOException {
        return new RegistryClient(new RegistryTransport(CredentialSource.ANONYMOUS, SETTINGS),
                new HostsDirectory(Files.createDirectories(dir.resolve("no-config")), true));
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.stop();
        }
    }

    @AfterEach
    void stopFakeServers() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Path blobFile(Digest d) {
        return registry.storage().resolve("docker/registry/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data");
    }

    /** Reads to the end, hashing; returns the byte count. */
    private static long drain(InputStream in, MessageDigest sha, long max) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < max) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, max - total));
            if (n < 0) {
                break;
            }
            sha.update(buf, 0, n);
            total += n;
        }
        return total;
    }

    // ---------------------------------------------------------------- pushing blobs

    @Test
    void chunkedPushStoresTheBlobUnderItsDigest() throws IOException {
        assertEquals(List.of(5L * MIB, 10L * MIB, 15L * MIB, 20L * MIB, 25L * MIB, 30L * MIB, 35L * MIB, 40L * MIB,
                45L * MIB), offsetsDuringPush);
        assertTrue(client.blobExists(bigRef, bigBlob.digest()));
        assertFalse(client.blobExists(bigRef, Digest.sha256Of("something else".getBytes(StandardCharsets.UTF_8))));
        assertArrayEquals(big, Files.readAllBytes(blobFile(bigBlob.digest())), "the registry holds exactly what was sent");
    }

    @Test
    void finishWithAWrongDigestIsRefusedAndStoresNothing() throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/cloak/wrong-digest");
        byte[] content = random(3 * MIB, 2);
        Digest claimed = Digest.sha256Of(random(3 * MIB, 3));
        BlobUpload upload = client.startUpload(ref);
        try {
            upload.append(content, 2 * MIB);

            CloakException e = assertThrows(CloakException.class,
                    () -> upload.finish(claimed, Arrays.copyOfRange(content, 2 * MIB, content.length)));

            assertEquals(ErrorKind.REGISTRY, e.kind());
            assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
            assertTrue(e.getMessage().contains(claimed.toString()), "names the digest: " + e.getMessage());
        } finally {
            upload.cancel();
        }
        assertFalse(client.blobExists(ref, claimed));
        assertFalse(client.blobExists(ref, Digest.sha256Of(content)), "nothing under the true digest either");
        assertFalse(Files.exists(blobFile(claimed)));
    }

    @Test
    void smallBlobPushIsIdempotent() throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/cloak/small");
        byte[] content = "tiny".getBytes(StandardCharsets.UTF_8);

        client.pushSmallBlob(ref, content);
        client.pushSmallBlob(ref, content);

        assertTrue(client.blobExists(ref, Digest.sha256Of(content)));
    }

    // ---------------------------------------------------------------- resuming downloads

    @Test
    void downloadResumesAfterTheRegistryRestarts() throws IOException {
        MessageDigest sha = Digest.newSha256();
        long read;
        try (InputStream in = client.openBlob(bigRef, bigBlob)) {
            read = drain(in, sha, 2 * MIB);
            assertEquals(2 * MIB, read);
            registry.stop();
            registry.start();
            read += drain(in, sha, Long.MAX_VALUE);
            assertEquals(-1, in.read(), "nothing after the end");
        }
        assertEquals(bigBlob.size(), read);
        assertEquals(bigBlob.digest(), Digest.sha256(sha.digest()));
    }

    @Test
    void downloadResumesWhenTheRegistryStaysDownForAWhile() throws Exception {
        MessageDigest sha = Digest.newSha256();
        AtomicReference<Throwable> restartFailure = new AtomicReference<>();
        long read;
        long downFor;
        try (InputStream in = client.openBlob(bigRef, bigBlob)) {
            read = drain(in, sha, 2 * MIB);
            registry.stop();
            long stopped = System.nanoTime();
            Thread restart = new Thread(() -> {
                try {
                    Thread.sleep(1500);
                    registry.start();
                } catch (Throwable t) {
                    restartFailure.set(t);
                }
            }, "registry-restart");
            restart.start();
            try {
                read += drain(in, sha, Long.MAX_VALUE);
            } finally {
                restart.join();
            }
            downFor = (System.nanoTime() - stopped) / 1_000_000;
        }
        assertNull(restartFailure.get());
        assertTrue(downFor >= 1500, "the rest cannot have arrived before the registry was back: " + downFor + " ms");
        assertEquals(bigBlob.size(), read);
        assertEquals(bigBlob.digest(), Digest.sha256(sha.digest()));
    }

    @Test
    void blobFromAPlainHttpRegistryStartsWithoutWaitingOutTlsRetries() throws IOException {
        // A failed TLS handshake fails the same way every time; RegistryTransport hands over to the next host
        // at once and manifest() does too. openBlob must not spend the whole retry budget on it first. A new
        // client, because one that has seen the HTTPS host fail already tries it last.
        RegistryClient fresh = newClient();
        long start = System.nanoTime();
        try (InputStream in = fresh.openBlob(bigRef, bigBlob)) {
            assertEquals(big[0] & 0xff, in.read());
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 2000, "first byte of a blob took " + ms + " ms");
    }

    // ---------------------------------------------------------------- corrupted content

    @Test
    void corruptedBlobInTheRegistryIsAnIntegrityErrorForReadBlob() throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/cloak/corrupt");
        byte[] content = random(300_000, 4);
        Descriptor blob = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256Of(content), content.length);
        client.pushSmallBlob(ref, content);
        assertArrayEquals(content, new RegistrySource(client, ref).readBlob(blob, MIB), "intact before the flip");
        try (RandomAccessFile f = new RandomAccessFile(blobFile(blob.digest()).toFile(), "rw")) {
            f.seek(150_000);
            int b = f.read();
            f.seek(150_000);
            f.write(b ^ 0x40);
        }

        CloakException e = assertThrows(CloakException.class, () -> new RegistrySource(client, ref).readBlob(blob, MIB));
        assertEquals(ErrorKind.INTEGRITY, e.kind());
        assertTrue(e.getMessage().contains(blob.digest().toString()), e.getMessage());

        // openBlob hands over bytes unverified by design (the decryptor verifies as it streams), so the
        // corruption arrives intact: one byte differs, the length is right, the digest is not.
        byte[] streamed;
        try (InputStream in = client.openBlob(ref, blob)) {
            streamed = in.readAllBytes();
        }
        assertEquals(content.length, streamed.length);
        assertNotEquals(blob.digest(), Digest.sha256Of(streamed));
        int differing = 0;
        for (int i = 0; i < content.length; i++) {
            differing += content[i] != streamed[i] ? 1 : 0;
        }
        assertEquals(1, differing);
        assertEquals((content[150_000] ^ 0x40), streamed[150_000]);
    }

    // ---------------------------------------------------------------- manifests

    private record Pushed(ImageReference ref, ManifestBlob manifest) {
    }

    private static Pushed pushImage(String repository, String tag, String annotation) throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/" + repository + ":" + tag);
        byte[] layer = random(10_000, repository.hashCode());
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + Digest.sha256Of(layer) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        client.pushSmallBlob(ref, layer);
        client.pushSmallBlob(ref, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256Of(config) + "\",\"size\":" + config.length
                + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR + "\",\"digest\":\"" + Digest.sha256Of(layer)
                + "\",\"size\":" + layer.length + "}],\"annotations\":{\"note\":\"" + annotation + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        ManifestBlob blob = ManifestBlob.of(manifest, MediaTypes.OCI_MANIFEST);
        client.putManifest(ref, tag, blob);
        return new Pushed(ref, blob);
    }

    @Test
    void manifestRoundTripsByTagAndByDigest() throws IOException {
        Pushed p = pushImage("cloak/app", "v1", "round trip");
        Digest digest = Digest.sha256Of(p.manifest().bytes());

        ManifestBlob byTag = client.manifest(p.ref());
        assertArrayEquals(p.manifest().bytes(), byTag.bytes(), "byte for byte: the digest is of these bytes");
        assertEquals(digest, byTag.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());

        ManifestBlob byDigest = client.manifest(new ImageReference(p.ref().registry(), p.ref().repository(), null, digest));
        assertArrayEquals(p.manifest().bytes(), byDigest.bytes());
        assertEquals(digest, byDigest.digest());

        assertArrayEquals(p.manifest().bytes(), client.manifest(p.ref().withDigest(digest)).bytes());
        assertArrayEquals(p.manifest().bytes(), client.manifest(p.ref(),
                Descriptor.of(MediaTypes.OCI_MANIFEST, digest, p.manifest().bytes().length)).bytes());
    }

    @Test
    void manifestPushedByDigestIsFetchableByDigest() throws IOException {
        Pushed p = pushImage("cloak/by-digest", "t", "x");
        ManifestBlob other = ManifestBlob.of(new String(p.manifest().bytes(), StandardCharsets.UTF_8)
                .replace("\"x\"", "\"y\"").getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST);

        client.putManifest(p.ref(), other.digest().toString(), other);

        assertArrayEquals(other.bytes(), client.manifest(p.ref().withDigest(other.digest())).bytes());
        assertArrayEquals(p.manifest().bytes(), client.manifest(p.ref()).bytes(), "the tag still names the first");
    }

    @Test
    void referenceWithADigestTheRegistryDoesNotHaveIsNotFound() throws IOException {
        // The registry addresses manifests by digest: it has nothing under a wrong one and says so (404
        // MANIFEST_UNKNOWN) before any bytes could be compared. INTEGRITY needs a server that serves other bytes
        // under a digest; see servedBytesThatDoNotMatchTheRequestedDigestAreAnIntegrityError.
        Pushed p = pushImage("cloak/mismatch", "v1", "m");
        Digest wrong = Digest.sha256Of("not the manifest".getBytes(StandardCharsets.UTF_8));

        RegistryClient fresh = newClient();

        CloakException e = assertThrows(CloakException.class, () -> fresh.manifest(p.ref().withDigest(wrong)));

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
        assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
    }

    @Test
    void unknownTagIsNotFoundWithManifestUnknown() throws IOException {
        Pushed p = pushImage("cloak/tags", "v1", "t");

        RegistryClient fresh = newClient();

        CloakException e = assertThrows(CloakException.class, () -> fresh.manifest(p.ref().withTag("no-such-tag")));

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-tag"), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }

    @Test
    void unknownRepositoryIsNotFound() throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/cloak/never-pushed:v1");
        RegistryClient fresh = newClient();

        CloakException e = assertThrows(CloakException.class, () -> fresh.manifest(ref));

        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("cloak/never-pushed"), e.getMessage());
    }

    @Test
    void registryRefusesToStoreAManifestOverFourMebibytes() throws IOException {
        // Distribution 2.8 caps manifest bodies at 4 MiB itself, so the client's read cap is tested with a fake.
        Pushed p = pushImage("cloak/huge", "small", "s");
        String json = new String(p.manifest().bytes(), StandardCharsets.UTF_8)
                .replace("\"note\":\"s\"", "\"note\":\"" + "a".repeat(5 * MIB) + "\"");
        ManifestBlob huge = ManifestBlob.of(json.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST);

        CloakException e = assertThrows(CloakException.class, () -> client.putManifest(p.ref(), "huge", huge));

        assertEquals(ErrorKind.REGISTRY, e.kind());
        assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
        RegistryClient fresh = newClient();
        assertEquals(ErrorKind.NOT_FOUND,
                assertThrows(CloakException.class, () -> fresh.manifest(p.ref().withTag("huge"))).kind());
    }

    @Test
    void notFoundIsNotHiddenBehindAnUnreachableHostTriedAfterIt() throws IOException {
        // The unverified-HTTPS host cannot answer a plain-HTTP registry; once it has failed, the client tries
        // it last. The registry's "no such tag" must still be what is reported, not the dead host's error:
        // NOT_FOUND and UNAVAILABLE lead to different exit codes, CRI statuses and retry decisions.
        Pushed p = pushImage("cloak/masked", "v1", "m");
        RegistryClient c = newClient();
        c.manifest(p.ref());

        CloakException e = assertThrows(CloakException.class, () -> c.manifest(p.ref().withTag("no-such-tag")));

        assertEquals(ErrorKind.NOT_FOUND, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
    }

    // ---------------------------------------------------------------- fake servers

    /** A JDK HTTP server on loopback, stopped after the test. */
    private HttpServer fake() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.start();
        servers.add(() -> server.stop(0));
        return server;
    }

    private static String hostOf(HttpServer server) {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * A client for a fake: hosts.toml names only the http URL, because the JDK server cannot reject a TLS
     * ClientHello quickly and an unverified-HTTPS attempt would only wait for the request timeout.
     */
    private static RegistryClient clientFor(String host, RegistryTransport.Settings settings) throws IOException {
        Path hostsDir = Files.createTempDirectory(dir, "hosts");
        Files.createDirectories(hostsDir.resolve(host));
        Files.writeString(hostsDir.resolve(host).resolve("hosts.toml"), "server = \"http://" + host + "\"\n");
        return new RegistryClient(new RegistryTransport(CredentialSource.ANONYMOUS, settings), new HostsDirectory(hostsDir));
    }

    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(60));

    private static void reply(HttpExchange ex, int status, Map<String, String> headers, byte[] body) throws IOException {
        ex.getRequestBody().readAllBytes();
        headers.forEach(ex.getResponseHeaders()::set);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    private static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256Of(new byte[0])
            + "\",\"size\":0},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);

    @Test
    void serviceUnavailableWithRetryAfterIsRetriedAfterTheServersDelay() throws IOException {
        HttpServer server = fake();
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        server.createContext("/", ex -> {
            String key = ex.getRequestMethod() + " " + ex.getRequestURI().getPath();
            int n = calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            if (n <= 2) {
                reply(ex, 503, Map.of("Retry-After", "1"), new byte[0]);
            } else if (ex.getRequestURI().getPath().contains("/manifests/")) {
                reply(ex, 200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST,
                        "Docker-Content-Digest", Digest.sha256Of(MANIFEST).toString()), MANIFEST);
            } else {
                reply(ex, 200, Map.of(), new byte[0]);
            }
        });
        RegistryClient c = clientFor(hostOf(server), SETTINGS);
        ImageReference ref = ImageReference.parse(hostOf(server) + "/team/app:v1");

        long start = System.nanoTime();
        ManifestBlob m = c.manifest(ref);
        long manifestMs = (System.nanoTime() - start) / 1_000_000;

        assertArrayEquals(MANIFEST, m.bytes());
        assertEquals(3, calls.get("GET /v2/team/app/manifests/v1").get());
        // Two waits of Retry-After: 1 s each, far above the policy's own 200 ms first delay.
        assertTrue(manifestMs >= 1900, manifestMs + " ms");

        Digest blob = Digest.sha256Of("b".getBytes(StandardCharsets.UTF_8));
        assertTrue(c.blobExists(ref, blob));
        assertEquals(3, calls.get("GET /v2/").get(), "the push host probe is retried as well");
        assertEquals(3, calls.get("HEAD /v2/team/app/blobs/" + blob).get());
    }

    @Test
    void endlessServerErrorsEndAsUnavailableAfterTheBoundedAttempts() throws IOException {
        HttpServer server = fake();
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", ex -> {
            calls.incrementAndGet();
            reply(ex, 500, Map.of("Content-Type", "text/plain"), "boom".getBytes(StandardCharsets.UTF_8));
        });
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), FAST));

        CloakException e = assertThrows(CloakException.class,
                () -> c.manifest(ImageReference.parse(hostOf(server) + "/team/app:v1")));

        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertEquals(FAST.maxAttempts(), calls.get());
    }

    @Test
    void retriesStopWhenTheTotalTimeIsSpent() throws IOException {
        HttpServer server = fake();
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", ex -> {
            calls.incrementAndGet();
            reply(ex, 502, Map.of(), new byte[0]);
        });
        RetryPolicy patientButBounded = new RetryPolicy(1000, Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofMillis(800));
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), patientButBounded));

        long start = System.nanoTime();
        CloakException e = assertThrows(CloakException.class,
                () -> c.manifest(ImageReference.parse(hostOf(server) + "/team/app:v1")));
        long ms = (System.nanoTime() - start) / 1_000_000;

        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertTrue(ms < 5000, ms + " ms");
        assertTrue(calls.get() >= 3 && calls.get() <= 20, calls.get() + " attempts");
    }

    @Test
    void endlessRateLimitingIsUnavailableAndSaysSo() throws IOException {
        HttpServer server = fake();
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", ex -> {
            calls.incrementAndGet();
            reply(ex, 429, Map.of("Content-Type", "application/json"),
                    "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"pull rate limit\"}]}".getBytes(StandardCharsets.UTF_8));
        });
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), FAST));

        CloakException e = assertThrows(CloakException.class,
                () -> c.manifest(ImageReference.parse(hostOf(server) + "/team/app:v1")));

        assertEquals(ErrorKind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("rate-limiting"), e.getMessage());
        assertTrue(e.getMessage().contains("TOOMANYREQUESTS"), e.getMessage());
        assertEquals(FAST.maxAttempts(), calls.get());
    }

    @Test
    void manifestOverFourMebibytesIsRefused() throws IOException {
        HttpServer server = fake();
        byte[] huge = new byte[5 * MIB];
        Arrays.fill(huge, (byte) ' ');
        server.createContext("/", ex -> reply(ex, 200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST,
                "Docker-Content-Digest", Digest.sha256Of(huge).toString()), huge));
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), FAST));
        ImageReference ref = ImageReference.parse(hostOf(server) + "/team/app:v1");

        CloakException e = assertThrows(CloakException.class, () -> c.manifest(ref));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(String.valueOf(Limits.MAX_MANIFEST_BYTES)), e.getMessage());

        // A descriptor that announces the size is refused before any request.
        CloakException early = assertThrows(CloakException.class, () -> c.manifest(ref,
                Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256Of(huge), huge.length)));
        assertEquals(ErrorKind.INVALID_INPUT, early.kind());
    }

    @Test
    void servedBytesThatDoNotMatchTheRequestedDigestAreAnIntegrityError() throws IOException {
        HttpServer server = fake();
        server.createContext("/", ex -> reply(ex, 200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST), MANIFEST));
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), FAST));
        Digest asked = Digest.sha256Of("some other manifest".getBytes(StandardCharsets.UTF_8));

        CloakException e = assertThrows(CloakException.class,
                () -> c.manifest(ImageReference.parse(hostOf(server) + "/team/app@" + asked)));

        assertEquals(ErrorKind.INTEGRITY, e.kind());
        assertTrue(e.getMessage().contains(asked.toString()), e.getMessage());
    }

    @Test
    void tagWhoseContentDigestHeaderDoesNotMatchTheBytesIsAnIntegrityError() throws IOException {
        HttpServer server = fake();
        Digest lie = Digest.sha256Of("lie".getBytes(StandardCharsets.UTF_8));
        server.createContext("/", ex -> reply(ex, 200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST,
                "Docker-Content-Digest", lie.toString()), MANIFEST));
        RegistryClient c = clientFor(hostOf(server), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(10), FAST));

        CloakException e = assertThrows(CloakException.class,
                () -> c.manifest(ImageReference.parse(hostOf(server) + "/team/app:v1")));

        assertEquals(ErrorKind.INTEGRITY, e.kind());
    }

    // ---------------------------------------------------------------- a body that stops arriving

    /**
     * Serves {@code content} over raw HTTP/1.1, but the responses listed in {@code stalling} (by request
     * number, from 0) send headers for the whole blob and {@code stallAfter} bytes, then nothing, keeping the
     * connection open. Other responses honour {@code Range}. Raw sockets, because an HTTP server library
     * would not let a response hang halfway.
     */
    private static final class StallingServer implements AutoCloseable {
        private static final java.util.regex.Pattern RANGE = java.util.regex.Pattern.compile("(?im)^Range: bytes=(\\d+)-\\s*$");
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> accepted = new CopyOnWriteArrayList<>();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final byte[] content;
        final int stallAfter;
        final java.util.function.IntPredicate stalling;

        StallingServer(byte[] content, int stallAfter, java.util.function.IntPredicate stalling) throws IOException {
            this.content = content;
            this.stallAfter = stallAfter;
            this.stalling = stalling;
            Thread acceptor = new Thread(this::acceptLoop, "stalling-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.add(s);
                    Thread t = new Thread(() -> serve(s), "stalling-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try {
                InputStream in = s.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.write(b);
                }
                String request = head.toString(StandardCharsets.ISO_8859_1);
                int index;
                synchronized (requests) {
                    index = requests.size();
                    requests.add(request);
                }
                OutputStream out = s.getOutputStream();
                java.util.regex.Matcher range = RANGE.matcher(request);
                if (stalling.test(index)) {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + content.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(content, 0, stallAfter);
                    out.flush();
                    while (in.read() >= 0) {
                        // Hold the connection open and silent until the client or the test closes it.
                    }
                } else if (range.find()) {
                    int from = Integer.parseInt(range.group(1));
                    out.write(("HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + (content.length - from) + "\r\nContent-Range: bytes " + from + "-" + (content.length - 1) + "/"
                            + content.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(content, from, content.length - from);
                    out.flush();
                } else {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + content.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(content);
                    out.flush();
                }
            } catch (IOException ignored) {
                // The client gave up on this connection, which is the point.
            }
        }

        String host() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aBodyThatStopsArrivingFailsInsteadOfHanging() throws IOException {
        StallingServer server = new StallingServer(new byte[MIB], 10, i -> true);
        servers.add(server);
        RetryPolicy retry = new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(10));
        RegistryClient c = clientFor(server.host(), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(2), retry));
        ImageReference ref = ImageReference.parse(server.host() + "/team/app");
        Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256Of(new byte[MIB]), MIB);

        long start = System.nanoTime();
        Exception e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (InputStream in = c.openBlob(ref, blob)) {
                return assertThrows(Exception.class, in::readAllBytes);
            }
        });
        long ms = (System.nanoTime() - start) / 1_000_000;

        assertTrue(e instanceof CloakException ce ? ce.kind() == ErrorKind.UNAVAILABLE : e instanceof IOException, e.toString());
        // At least one idle timeout was waited out, and at most one per attempt: bounded, never hanging.
        assertTrue(ms >= 2000 && ms < 3 * 2000 + 5000, ms + " ms, " + e);
        assertTrue(server.requests.size() <= retry.maxAttempts(), server.requests.toString());
    }

    @Test
    void aStalledDownloadIsResumedFromWhereItStopped() throws IOException {
        byte[] content = random(MIB, 5);
        int stallAfter = 100 * 1024;
        StallingServer server = new StallingServer(content, stallAfter, i -> i == 0);
        servers.add(server);
        RegistryClient c = clientFor(server.host(), new RegistryTransport.Settings(Duration.ofSeconds(5),
                Duration.ofSeconds(2), new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(10))));
        Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER_TAR, Digest.sha256Of(content), content.length);

        byte[] got = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (InputStream in = c.openBlob(ImageReference.parse(server.host() + "/team/app"), blob)) {
                return in.readAllBytes();
            }
        });

        assertArrayEquals(content, got);
        assertEquals(2, server.requests.size(), server.requests.toString());
        assertTrue(server.requests.get(1).contains("Range: bytes=" + stallAfter + "-"), server.requests.get(1));
    }
}
