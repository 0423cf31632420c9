package dev.cloak.daemon;

import dev.cloak.containerd.Containerd;
import dev.cloak.containerd.ContentDirectory;
import dev.cloak.testing.CloakFixture;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.GpgHome;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.RegistryFixture;
import dev.cloak.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The product, with real parts: images encrypted by skopeo in the real registry, pulled through
 * {@code cloak serve} into the real containerd, seen by containerd's own CRI plugin and run by ctr.
 */
class DaemonIT {
    private static final String HELLO = "hello from the daemon test";

    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static ContainerdFixture containerd;
    static CloakFixture cloak;
    static Path image;
    static GpgHome gpg;
    private static final String POOL_C = "pool-c@cloak.test";

    @BeforeAll
    static void start() throws IOException {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        containerd = new ContainerdFixture(dir.resolve("containerd")).start();
        cloak = new CloakFixture(dir.resolve("cloak"), containerd).withPlainHttpRegistry(registry.host());
        KeyPair node = PemKeys.rsa();
        PemKeys.writeTraditional(node, cloak.keys().resolve("node.pem"));
        Path pub = PemKeys.writePublic(node, dir.resolve("node.pub"));
        Files.writeString(cloak.keys().resolve("README"), "not a key: must be skipped, not fatal\n");
        // A second node pool's PKCS7 certificate and a third's gpg key sit in the same key directory.
        Path[] pkcs7 = new TestPki("Pool CA").writeRecipient(dir, "pool-b", PemKeys.rsa());
        Files.copy(pkcs7[0], cloak.keys().resolve("pool-b.crt"));
        Files.copy(pkcs7[1], cloak.keys().resolve("pool-b.key"));
        gpg = new GpgHome(dir.resolve("gnupg"));
        gpg.generate("Pool C <" + POOL_C + ">", null);
        Files.write(cloak.keys().resolve("pool-c.gpg"), gpg.exportSecret(POOL_C, null, false));
        image = Layouts.busybox(dir, "v1", HELLO);
        skopeo("oci:" + image + ":v1", "docker://" + registry.host() + "/plain/busybox:v1");
        skopeo("--encryption-key", "jwe:" + pub, "oci:" + image + ":v1", "docker://" + registry.host() + "/enc/busybox:v1");
        skopeo("--encryption-key", "pkcs7:" + pkcs7[0], "oci:" + image + ":v1", "docker://" + ref("pkcs7/busybox:v1"));
        skopeo("--encryption-key", "pgp:" + POOL_C, "oci:" + image + ":v1", "docker://" + ref("pgp/busybox:v1"));
        cloak.start();
    }

    @AfterAll
    static void stop() {
        int exit = cloak.stop();
        containerd.close();
        registry.close();
        gpg.close();
        assertEquals(0, exit, "cloak serve must exit 0 on SIGTERM");
        assertFalse(Files.exists(cloak.socket()), "the socket must be removed on shutdown");
    }

    static void skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"));
        cmd.addAll(List.of(args));
        Cmd.run(dir, gpg.env(), cmd).ok();
    }

    private static String ref(String repoTag) {
        return registry.host() + "/" + repoTag;
    }

    private static String containerdImages() {
        return Cmd.cloak(dir, "images", "--endpoint", "unix://" + containerd.socket(), "list").ok().out();
    }

    @Test
    void encryptedImagePullsRunsAndIsRemoved() throws IOException {
        String id = cloak.images("pull", ref("enc/busybox:v1")).ok().out().strip();
        assertTrue(id.matches("sha256:[0-9a-f]{64}"), id);
        // containerd's own CRI plugin reports the image under the same id.
        assertTrue(containerdImages().lines().anyMatch(l -> l.startsWith(id) && l.contains(ref("enc/busybox:v1"))),
                containerdImages());
        Cmd.Result run = containerd.ctr("run", "--rm", "--snapshotter", containerd.snapshotter(), ref("enc/busybox:v1"), "daemon-it-1");
        assertEquals(HELLO, run.ok().out().strip());
        cloak.images("rm", ref("enc/busybox:v1")).ok();
        assertFalse(containerdImages().contains(ref("enc/busybox:v1")), containerdImages());
        assertTrue(cloak.log().contains("encrypted=true result=imported"), cloak.log());
        // The daemon and containerd share this machine's files, so layers went over as files, not over gRPC.
        assertTrue(cloak.log().contains("decrypted layers are handed to containerd as files in its content directory "
                + containerd.contentRoot()), cloak.log());
        // A second daemon starting on the node (a DaemonSet update) leaves the running one's staging
        // directory alone: the running daemon holds its lock from another process.
        Path staging = containerd.contentRoot().resolve("cloak-staging");
        List<Path> before;
        try (var dirs = Files.list(staging)) {
            before = dirs.toList();
        }
        assertEquals(1, before.size(), "the daemon's own staging directory: " + before);
        try (Containerd second = Containerd.connect(containerd.socket(), ContainerdFixture.NAMESPACE)) {
            assertTrue(ContentDirectory.locate(second, ContentDirectory.AUTO).isPresent());
        }
        assertTrue(Files.isDirectory(before.get(0)), "the running daemon's staging directory is still there");
    }

    /** The node's key directory holds a JWE key, a PKCS7 key with its certificate and a gpg keyring. */
    @Test
    void pkcs7AndPgpEncryptedImagesPullAndRun() throws IOException {
        for (String repo : List.of("pkcs7", "pgp")) {
            String ref = ref(repo + "/busybox:v1");
            String id = cloak.images("pull", ref).ok().out().strip();
            assertTrue(id.matches("sha256:[0-9a-f]{64}"), id);
            Cmd.Result run = containerd.ctr("run", "--rm", "--snapshotter", containerd.snapshotter(), ref, "daemon-it-" + repo);
            assertEquals(HELLO, run.ok().out().strip());
            assertTrue(cloak.log().contains("pull " + ref + " encrypted=true result=imported"), cloak.log());
        }
    }

    @Test
    void plainImagesPassThroughToContainerd() throws IOException {
        String id = cloak.images("pull", ref("plain/busybox:v1")).ok().out().strip();
        assertTrue(containerdImages().contains(ref("plain/busybox:v1")));
        assertTrue(cloak.log().contains("pull " + ref("plain/busybox:v1") + " encrypted=false result=forwarded"), cloak.log());
        assertTrue(id.startsWith("sha256:"), id);
    }

    @Test
    void statusListAndFsInfoAreContainerdsOwnAnswers() {
        String viaCloak = cloak.images("fsinfo").ok().out();
        String direct = Cmd.cloak(dir, "images", "--endpoint", "unix://" + containerd.socket(), "fsinfo").ok().out();
        assertEquals(direct.lines().map(l -> l.split(" ")[0]).toList(), viaCloak.lines().map(l -> l.split(" ")[0]).toList());
        Cmd.Result missing = cloak.images("inspect", ref("enc/not-pulled:v1"));
        assertEquals(5, missing.exit(), missing.err());
    }
}
