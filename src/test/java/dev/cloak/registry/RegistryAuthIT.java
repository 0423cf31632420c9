package dev.cloak.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.cli.ExitCodes;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.FreePort;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.RegistryFixture;
import dev.cloak.testing.TestPki;
import dev.cloak.testing.TokenIssuer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PushbackInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry client against a real Distribution registry, through {@code bin/cloak}: Basic and Bearer
 * authentication, token caching, TLS with a private CA and client certificates from containerd-style
 * hosts.toml, and hosts that are down or broken, mirrors included. Images are pushed with skopeo, so what Cloak reads was written by
 * an independent client; results are checked with skopeo and plain JSON for the same reason.
 */
class RegistryAuthIT {
    private static final String TAG = "v1";
    private static final String USER = "alice";
    private static final String PASSWORD = "Pw-4-alice-only";
    private static final String WRONG_PASSWORD = "Not-the-Pw-9271";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path layout;
    static List<String> originalLayers;
    static Path privateKey;
    static Path publicKey;

    /** Every fixture goes in here before it starts, so @AfterAll stops it even when setup fails half-way. */
    private static final List<RegistryFixture> registries = new ArrayList<>();
    static TokenIssuer issuer;
    static RegistryFixture basic;
    static RegistryFixture token;
    static TestPki pki;
    static RegistryFixture tls;
    static RegistryFixture mtls;
    static RegistryFixture plain;

    @BeforeAll
    static void startRegistriesAndPush() throws IOException {
        layout = Layouts.busybox(dir, TAG, "hello through an authenticated registry");
        originalLayers = Layouts.layerDigests(layout, TAG);
        assertEquals(2, originalLayers.size());
        KeyPair rsa = PemKeys.rsa();
        privateKey = PemKeys.writeTraditional(rsa, dir.resolve("rsa.pem"));
        publicKey = PemKeys.writePublic(rsa, dir.resolve("rsa.pub"));

        basic = registry("reg-basic").withHtpasswd(USER, PASSWORD).start();
        push(basic, "test/busybox", "--dest-tls-verify=false", "--dest-creds", USER + ":" + PASSWORD);

        issuer = new TokenIssuer(USER, PASSWORD);
        token = registry("reg-token").withTokenAuth(issuer).start();
        push(token, "test/busybox", "--dest-tls-verify=false", "--dest-creds", USER + ":" + PASSWORD);

        pki = new TestPki("cloak test registry CA");
        tls = registry("reg-tls").withTls(pki, false).start();
        push(tls, "test/busybox", "--dest-tls-verify=false");

        mtls = registry("reg-mtls").withTls(pki, true).start();
        // skopeo reads docker's certs.d layout: ca.crt, client.cert, client.key.
        Path skopeoCerts = Files.createDirectories(dir.resolve("skopeo-certs"));
        pki.writeCa(skopeoCerts.resolve("ca.crt"));
        Path[] pushClient = pki.client(skopeoCerts, "pusher");
        Files.move(pushClient[0], skopeoCerts.resolve("client.cert"));
        Files.move(pushClient[1], skopeoCerts.resolve("client.key"));
        push(mtls, "test/busybox", "--dest-cert-dir", skopeoCerts.toString());

        plain = registry("reg-plain").start();
        push(plain, "test/busybox", "--dest-tls-verify=false");
        Cmd.cloak(dir, "encrypt", "-r", "jwe:" + publicKey, "--tls-verify=false", "oci:" + layout + ":" + TAG,
                "docker://" + plain.host() + "/test/enc:" + TAG).ok();
    }

    @AfterAll
    static void stopRegistries() {
        registries.forEach(RegistryFixture::stop);
        if (issuer != null) {
            issuer.close();
        }
    }

    private static RegistryFixture registry(String name) throws IOException {
        RegistryFixture r = new RegistryFixture(dir.resolve(name));
        registries.add(r);
        return r;
    }

    private static void push(RegistryFixture registry, String repository, String... options) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q"));
        cmd.addAll(List.of(options));
        cmd.add("oci:" + layout + ":" + TAG);
        cmd.add("docker://" + registry.host() + "/" + repository + ":" + TAG);
        Cmd.run(dir, cmd).ok();
    }

    private static String image(RegistryFixture registry, String repository) {
        return "docker://" + registry.host() + "/" + repository + ":" + TAG;
    }

    private static Cmd.Result cloak(String... args) {
        return Cmd.cloak(dir, args);
    }

    /** A failure as users must see it: the right exit code, one "cloak: " line, no stack trace, the key words. */
    private static void assertFailure(Cmd.Result r, int exit, String... keywords) {
        assertEquals(exit, r.exit(), "exit code; stderr: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "expected exactly one line on stderr, got: " + r.err());
        assertTrue(r.err().startsWith("cloak: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String k : keywords) {
            assertTrue(r.err().contains(k), "stderr should mention \"" + k + "\": " + r.err());
        }
    }

    /** Inspect's table shows short digests: every layer of the pushed layout must appear, in order. */
    private static void assertListsOriginalLayers(Cmd.Result r) {
        List<String> rows = r.out().lines().filter(l -> l.matches("^\\d+\\s+sha256:.*")).toList();
        assertEquals(originalLayers.size(), rows.size(), r.out());
        for (int i = 0; i < originalLayers.size(); i++) {
            String shortDigest = originalLayers.get(i).substring(0, "sha256:".length() + 12);
            assertTrue(rows.get(i).startsWith(Integer.toString(i)) && rows.get(i).contains(shortDigest),
                    "layer " + i + " should be " + shortDigest + ": " + r.out());
        }
    }

    private static Path hostsToml(String name, String registryHost, String content) throws IOException {
        Path configDir = dir.resolve(name);
        Path hostDir = Files.createDirectories(configDir.resolve(registryHost));
        Files.writeString(hostDir.resolve("hosts.toml"), content);
        return configDir;
    }

    // ---- Basic authentication (htpasswd) ----

    @Test
    void basicAuthWithoutCredentialsIsRefusedNamingTheRegistry() {
        Cmd.Result r = cloak("inspect", "--tls-verify=false", image(basic, "test/busybox"));
        assertFailure(r, ExitCodes.FAILURE, "authentication", "registry " + basic.host());
    }

    @Test
    void basicAuthWithCredsListsThePushedLayers() {
        Cmd.Result r = cloak("inspect", "--tls-verify=false", "--creds", USER + ":" + PASSWORD,
                image(basic, "test/busybox")).ok();
        assertListsOriginalLayers(r);
    }

    @Test
    void basicAuthWithAuthfile() throws IOException {
        Path authfile = dir.resolve("basic-config.json");
        String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        Files.writeString(authfile, "{\"auths\":{\"" + basic.host() + "\":{\"auth\":\"" + auth + "\"}}}");
        Cmd.Result r = cloak("inspect", "--tls-verify=false", "--authfile", authfile.toString(),
                image(basic, "test/busybox")).ok();
        assertListsOriginalLayers(r);
    }

    @Test
    void basicAuthWrongPasswordFailsWithoutShowingIt() {
        Cmd.Result r = cloak("inspect", "--tls-verify=false", "--creds", USER + ":" + WRONG_PASSWORD,
                image(basic, "test/busybox"));
        assertFailure(r, ExitCodes.FAILURE, "authentication", "registry " + basic.host());
        assertFalse(r.err().contains(WRONG_PASSWORD) || r.out().contains(WRONG_PASSWORD), "password leaked: " + r.err());
        String basicHeader = Base64.getEncoder().encodeToString((USER + ":" + WRONG_PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertFalse(r.err().contains(basicHeader), "encoded password leaked: " + r.err());
    }

    // ---- Bearer tokens ----

    @Test
    void tokenAuthAnonymousPullNeedsOneToken() {
        int before = issuer.issued.get();
        Cmd.Result r = cloak("inspect", "--tls-verify=false", image(token, "test/busybox")).ok();
        assertListsOriginalLayers(r);
        assertEquals(1, issuer.issued.get() - before, "one anonymous pull token for one inspect");
    }

    @Test
    void tokenIsReusedForEveryRequestOfOneScope() throws IOException {
        // Pulling the whole image is at least 4 authenticated requests (manifest, config, two layers) in one
        // scope; without a token cache each would fetch its own token after a 401.
        int before = issuer.issued.get();
        Path out = dir.resolve("token-pull-out");
        cloak("decrypt", "--key", privateKey.toString(), "--tls-verify=false", image(token, "test/busybox"),
                "oci:" + out + ":" + TAG).ok();
        assertEquals(originalLayers, Layouts.layerDigests(out, TAG));
        assertEquals(1, issuer.issued.get() - before, "tokens issued for one pull of one repository");
    }

    @Test
    void tokenAuthEncryptWithCredsPushesWhatSkopeoDecrypts() throws IOException {
        cloak("encrypt", "-r", "jwe:" + publicKey, "--tls-verify=false", "--creds", USER + ":" + PASSWORD,
                image(token, "test/busybox"), image(token, "test/enc")).ok();
        Cmd.Result raw = Cmd.run(dir, "skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", USER + ":" + PASSWORD,
                image(token, "test/enc")).ok();
        JsonNode manifest = JSON.readTree(raw.out());
        manifest.get("layers").forEach(l -> assertTrue(l.get("mediaType").asText().endsWith("+encrypted"), raw.out()));
        Path out = dir.resolve("token-skopeo-decrypted");
        Cmd.run(dir, "skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                "--src-creds", USER + ":" + PASSWORD, "--decryption-key", privateKey.toString(),
                image(token, "test/enc"), "oci:" + out + ":" + TAG).ok();
        assertEquals(originalLayers, Layouts.layerDigests(out, TAG));
    }

    @Test
    void tokenAuthEncryptWithoutCredsCannotPush() {
        Cmd.Result r = cloak("encrypt", "-r", "jwe:" + publicKey, "--tls-verify=false",
                image(token, "test/busybox"), image(token, "test/enc-anonymous"));
        assertFailure(r, ExitCodes.FAILURE, "registry " + token.host(), "test/enc-anonymous");
        String lower = r.err().toLowerCase(Locale.ROOT);
        assertTrue(lower.contains("authentication") || lower.contains("denied"), r.err());
        Cmd.Result pushed = Cmd.run(dir, "skopeo", "inspect", "--raw", "--tls-verify=false",
                "--creds", USER + ":" + PASSWORD, image(token, "test/enc-anonymous"));
        assertNotEquals(0, pushed.exit(), "no manifest may have been pushed: " + pushed.out());
    }

    @Test
    void tokenServiceRefusingTheCredentialsDoesNotShowThem() {
        Cmd.Result r = cloak("inspect", "--tls-verify=false", "--creds", USER + ":" + WRONG_PASSWORD,
                image(token, "test/busybox"));
        assertFailure(r, ExitCodes.FAILURE, "token service", "registry " + token.host(), "refused");
        assertFalse(r.err().contains(WRONG_PASSWORD), "password leaked: " + r.err());
    }

    // ---- TLS with a private CA ----

    @Test
    void privateCaFromHostsToml() throws IOException {
        Path config = hostsToml("tls-config", tls.host(),
                "server = \"https://" + tls.host() + "\"\nca = \"ca.pem\"\n");
        pki.writeCa(config.resolve(tls.host()).resolve("ca.pem"));
        Cmd.Result r = cloak("inspect", "--registry-config-dir", config.toString(), image(tls, "test/busybox")).ok();
        assertListsOriginalLayers(r);
    }

    @Test
    void unknownCaFailsNamingTls() {
        Cmd.Result r = cloak("inspect", image(tls, "test/busybox"));
        assertFailure(r, ExitCodes.UNAVAILABLE, "registry " + tls.host(), "TLS", "CA");
    }

    @Test
    void tlsVerifyFalseNeedsNoCa() {
        Cmd.Result r = cloak("inspect", "--tls-verify=false", image(tls, "test/busybox")).ok();
        assertListsOriginalLayers(r);
    }

    // ---- Client certificates ----

    @Test
    void clientCertificateFromHostsToml() throws IOException {
        Path config = hostsToml("mtls-config", mtls.host(), "server = \"https://" + mtls.host() + "\"\n"
                + "ca = \"ca.pem\"\nclient = [[\"client.pem\", \"client-key.pem\"]]\n");
        Path hostDir = config.resolve(mtls.host());
        pki.writeCa(hostDir.resolve("ca.pem"));
        pki.client(hostDir, "client");
        Cmd.Result r = cloak("inspect", "--registry-config-dir", config.toString(), image(mtls, "test/busybox")).ok();
        assertListsOriginalLayers(r);
    }

    @Test
    void missingClientCertificateFailsClearly() throws IOException {
        Path config = hostsToml("mtls-noclient-config", mtls.host(),
                "server = \"https://" + mtls.host() + "\"\nca = \"ca.pem\"\n");
        pki.writeCa(config.resolve(mtls.host()).resolve("ca.pem"));
        Cmd.Result r = cloak("inspect", "--registry-config-dir", config.toString(), image(mtls, "test/busybox"));
        assertFailure(r, ExitCodes.UNAVAILABLE, "registry " + mtls.host(), "TLS", "certificate");
    }

    // ---- Hosts that fail, and mirrors ----

    /**
     * With {@code --tls-verify=false} a plain-HTTP registry is first tried over HTTPS; the transport hands
     * over to http:// at once when the handshake fails ("it will fail the same way again"). Blob downloads
     * must not undo that by retrying the failed HTTPS host with backoff for every blob. A proxy in front of
     * the registry counts TLS handshakes and forwards plain HTTP.
     */
    @Test
    void failedTlsHandshakeIsNotRetriedForEveryBlob() throws IOException {
        try (DroppingProxy proxy = DroppingProxy.httpOnly(plain.port())) {
            String registry = "127.0.0.1:" + proxy.port();
            cloak("inspect", "--tls-verify=false", "docker://" + registry + "/test/enc:" + TAG).ok();
            // Inspect sends one request (the manifest): what one failed HTTPS attempt costs, JDK retries included.
            int perRequest = proxy.dropped.getAndSet(0);
            assertTrue(perRequest >= 1, "the HTTPS attempt must have reached the proxy");

            Path out = dir.resolve("proxy-decrypted");
            cloak("decrypt", "--key", privateKey.toString(), "--tls-verify=false",
                    "docker://" + registry + "/test/enc:" + TAG, "oci:" + out + ":" + TAG).ok();
            assertEquals(originalLayers, Layouts.layerDigests(out, TAG));
            // Four objects (manifest, config, two layers): at worst one failed handshake each, and twice that
            // leaves room for the config being read twice. Retrying the failed host with backoff for each blob
            // costs five handshakes per blob instead.
            int handshakes = proxy.dropped.get();
            assertTrue(handshakes <= 2 * 4 * perRequest, handshakes + " TLS handshakes to pull 4 objects, "
                    + perRequest + " per request");
        }
    }

    @Test
    void downHostsHandOverToALiveMirror() throws IOException {
        int deadServer = FreePort.pick();
        int deadMirror = FreePort.pick();
        String registry = "127.0.0.1:" + deadServer;
        Path config = hostsToml("mirror-config", registry, "server = \"http://" + registry + "\"\n\n"
                + "[host.\"http://127.0.0.1:" + deadMirror + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n"
                + "[host.\"http://" + plain.host() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        Cmd.Result r = cloak("inspect", "--registry-config-dir", config.toString(),
                "docker://" + registry + "/test/busybox:" + TAG).ok();
        assertListsOriginalLayers(r);

        Path out = dir.resolve("mirror-decrypted");
        cloak("decrypt", "--key", privateKey.toString(), "--registry-config-dir", config.toString(),
                "docker://" + registry + "/test/enc:" + TAG, "oci:" + out + ":" + TAG).ok();
        assertEquals(originalLayers, Layouts.layerDigests(out, TAG));
    }

    @Test
    void aMirrorThatDropsConnectionsIsGivenUpForTheRestOfThePull() throws IOException {
        try (DroppingProxy broken = DroppingProxy.closingEverything()) {
            Path config = hostsToml("broken-mirror-config", plain.host(), "server = \"http://" + plain.host() + "\"\n\n"
                    + "[host.\"http://127.0.0.1:" + broken.port() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
            Path out = dir.resolve("broken-mirror-decrypted");
            cloak("decrypt", "--key", privateKey.toString(), "--registry-config-dir", config.toString(),
                    image(plain, "test/enc"), "oci:" + out + ":" + TAG).ok();
            assertEquals(originalLayers, Layouts.layerDigests(out, TAG));
            int attempts = broken.dropped.get();
            assertTrue(attempts >= 1, "the mirror comes first and must have been tried");
            // One request's retries cost 10 connections (5 attempts, each of which the JDK client repeats once
            // on a connection closed without an answer); after that the mirror should go last. Twice that is
            // the limit: trying the mirror afresh for every blob costs about 200.
            assertTrue(attempts <= 20, attempts + " connections to a broken mirror during one pull");
        }
    }

    @Test
    void onlyDownHostsIsUnavailableNamingTheRegistry() throws IOException {
        int deadServer = FreePort.pick();
        int deadMirror = FreePort.pick();
        String registry = "127.0.0.1:" + deadServer;
        Path config = hostsToml("dead-config", registry, "server = \"http://" + registry + "\"\n\n"
                + "[host.\"http://127.0.0.1:" + deadMirror + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
        Cmd.Result r = cloak("inspect", "--registry-config-dir", config.toString(),
                "docker://" + registry + "/test/busybox:" + TAG);
        assertFailure(r, ExitCodes.UNAVAILABLE, "registry " + registry);
    }

    /**
     * Forwards TCP to a registry port, except connections whose first byte {@code drop} accepts: those are
     * counted, answered with {@code answer} and closed.
     */
    private static final class DroppingProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final IntPredicate drop;
        private final byte[] answer;
        final AtomicInteger dropped = new AtomicInteger();

        DroppingProxy(int target, IntPredicate drop, String answer) throws IOException {
            this.target = target;
            this.drop = drop;
            this.answer = answer.getBytes(StandardCharsets.US_ASCII);
            daemon(this::acceptLoop);
        }

        /** In front of a plain-HTTP registry: refuses TLS the way Go's HTTP server does. */
        static DroppingProxy httpOnly(int target) throws IOException {
            return new DroppingProxy(target, first -> first == 0x16, "HTTP/1.0 400 Bad Request\r\n\r\n");
        }

        /** Accepts connections and closes them at once: a host that is up but broken. */
        static DroppingProxy closingEverything() throws IOException {
            return new DroppingProxy(0, first -> true, "");
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    daemon(() -> handle(client));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void handle(Socket client) {
            try (client) {
                PushbackInputStream in = new PushbackInputStream(client.getInputStream(), 1);
                int first = in.read();
                if (first < 0) {
                    return;
                }
                if (drop.test(first)) {
                    dropped.incrementAndGet();
                    client.getOutputStream().write(answer);
                    return;
                }
                in.unread(first);
                try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target)) {
                    Thread back = daemon(() -> {
                        try {
                            upstream.getInputStream().transferTo(client.getOutputStream());
                            client.shutdownOutput();
                        } catch (IOException ignored) {
                            // Either side went away: the connection is over.
                        }
                    });
                    in.transferTo(upstream.getOutputStream());
                    upstream.shutdownOutput();
                    back.join();
                }
            } catch (IOException ignored) {
                // Either side went away: the connection is over.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static Thread daemon(Runnable r) {
            Thread t = new Thread(r, "dropping-proxy");
            t.setDaemon(true);
            t.start();
            return t;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
