package dev.cloak.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.RegistryFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line against the real Distribution registry (anonymous, plain HTTP): images skopeo pushed
 * are read by cloak, images cloak pushed are read by skopeo, encryption from one repository to another,
 * pulls by tag, digest and tag+digest, platform selection, and the errors users see.
 */
class RegistryIT {
    private static final String TAG = "v1";

    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static Path image;
    static List<String> originalLayers;
    static Path rsaPrivate;
    static Path rsaPublic;

    @BeforeAll
    static void start() throws IOException {
        registry = new RegistryFixture(dir.resolve("registry")).start();
        image = Layouts.busybox(dir, TAG, "hello from the registry test");
        originalLayers = Layouts.layerDigests(image, TAG);
        KeyPair rsa = PemKeys.rsa();
        rsaPrivate = PemKeys.writePkcs8(rsa, dir.resolve("rsa.pem"));
        rsaPublic = PemKeys.writePublic(rsa, dir.resolve("rsa.pub"));
        skopeo("oci:" + image + ":" + TAG, docker("test/busybox:v1"));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static String docker(String repoAndTag) {
        return "docker://" + registry.host() + "/" + repoAndTag;
    }

    private static void skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q",
                "--src-tls-verify=false", "--dest-tls-verify=false"));
        cmd.addAll(List.of(args));
        Cmd.run(dir, cmd).ok();
    }

    private static Cmd.Result cloak(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "--tls-verify=false");
        return Cmd.cloak(dir, all.toArray(new String[0]));
    }

    private static List<String> inspectedLayers(Cmd.Result r) {
        return r.out().lines().filter(l -> l.matches("^\\d+\\s+sha256:.*")).map(l -> l.split("\\s+")[1]).toList();
    }

    private static String manifestDigest(Cmd.Result inspect) {
        return inspect.out().lines().filter(l -> l.startsWith("Manifest:")).findFirst().orElseThrow().split("\\s+")[1];
    }

    private static List<String> shortForms(List<String> digests) {
        return digests.stream().map(d -> d.substring(0, "sha256:".length() + 12)).toList();
    }

    @Test
    void imagesSkopeoPushedAreReadByCloak() {
        Cmd.Result r = cloak("inspect", docker("test/busybox:v1")).ok();
        assertEquals(shortForms(originalLayers), inspectedLayers(r));
    }

    @Test
    void encryptFromOneRepositoryToAnotherThenSkopeoDecrypts() throws IOException {
        cloak("encrypt", "-r", "jwe:" + rsaPublic, docker("test/busybox:v1"), docker("test/encrypted:v1")).ok();
        Cmd.Result r = cloak("inspect", docker("test/encrypted:v1")).ok();
        assertTrue(r.out().contains("+encrypted") && r.out().contains("jwe (RSA-OAEP RSA)"), r.out());
        skopeo("--decryption-key", rsaPrivate.toString(), docker("test/encrypted:v1"), "oci:" + dir.resolve("from-reg") + ":" + TAG);
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve("from-reg"), TAG));
    }

    @Test
    void lastLayerOnlyMountsTheFirstFromTheSourceRepository() {
        cloak("encrypt", "-r", "jwe:" + rsaPublic, "--layer", "-1", docker("test/busybox:v1"), docker("test/last:v1")).ok();
        Cmd.Result r = cloak("inspect", docker("test/last:v1")).ok();
        List<String> layers = inspectedLayers(r);
        assertEquals(shortForms(originalLayers).get(0), layers.get(0));
        assertFalse(layers.get(1).equals(shortForms(originalLayers).get(1)));
        // The plain first layer is readable from the new repository, so it was mounted or uploaded there.
        Path blobLink = registry.storage().resolve("docker/registry/v2/repositories/test/last/_layers/sha256")
                .resolve(originalLayers.get(0).substring("sha256:".length()));
        assertTrue(Files.isDirectory(blobLink), "layer 0 must be linked into test/last");
    }

    @Test
    void skopeoEncryptedInRegistryDecryptsWithCloakToARegistryAndToALayout() throws IOException {
        skopeo("--encryption-key", "jwe:" + rsaPublic, "oci:" + image + ":" + TAG, docker("test/skopeo-enc:v1"));
        cloak("decrypt", "--key", rsaPrivate.toString(), docker("test/skopeo-enc:v1"), "oci:" + dir.resolve("dec-layout") + ":" + TAG).ok();
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve("dec-layout"), TAG));
        cloak("decrypt", "--key", rsaPrivate.toString(), docker("test/skopeo-enc:v1"), docker("test/decrypted:v1")).ok();
        skopeo(docker("test/decrypted:v1"), "oci:" + dir.resolve("dec-by-skopeo") + ":" + TAG);
        assertEquals(originalLayers, Layouts.layerDigests(dir.resolve("dec-by-skopeo"), TAG));
    }

    @Test
    void pullByDigestAndByTagPlusDigest() {
        String digest = manifestDigest(cloak("inspect", docker("test/busybox:v1")).ok());
        Cmd.Result byDigest = cloak("inspect", docker("test/busybox@" + digest)).ok();
        assertEquals(digest, manifestDigest(byDigest));
        Cmd.Result both = cloak("inspect", docker("test/busybox:ignored-tag@" + digest)).ok();
        assertEquals(digest, manifestDigest(both), "the digest wins over the tag");
    }

    @Test
    void unknownDigestTagAndRepository() {
        String zeros = "sha256:" + "0".repeat(64);
        Cmd.Result digest = cloak("inspect", docker("test/busybox@" + zeros));
        assertEquals(ExitCodes.NOT_FOUND, digest.exit(), digest.err());
        Cmd.Result tag = cloak("inspect", docker("test/busybox:nope"));
        assertEquals(ExitCodes.NOT_FOUND, tag.exit(), tag.err());
        assertTrue(tag.err().contains("MANIFEST_UNKNOWN") && tag.err().contains("nope") && tag.err().contains(registry.host()),
                tag.err());
        Cmd.Result repo = cloak("inspect", docker("no/such-repo:v1"));
        assertEquals(ExitCodes.NOT_FOUND, repo.exit(), repo.err());
        assertTrue(repo.err().contains("no/such-repo"), repo.err());
        for (Cmd.Result r : List.of(digest, tag, repo)) {
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void multiPlatformIndexPicksThePlatformAndListsTheOthers() throws IOException {
        String armConfig = buildTwoPlatformIndex(image, "multi");
        skopeo("--all", "oci:" + image + ":multi", docker("test/multi:v1"));
        Cmd.Result arm = cloak("inspect", "--platform", "linux/arm64", docker("test/multi:v1")).ok();
        assertTrue(arm.out().contains("Config:   " + armConfig), arm.out());
        Cmd.Result amd = cloak("inspect", "--platform", "linux/amd64", docker("test/multi:v1")).ok();
        assertFalse(amd.out().contains(armConfig), amd.out());
        Cmd.Result none = cloak("inspect", "--platform", "linux/s390x", docker("test/multi:v1"));
        assertEquals(ExitCodes.NOT_FOUND, none.exit());
        assertTrue(none.err().contains("linux/amd64") && none.err().contains("linux/arm64"), none.err());
    }

    @Test
    void corruptedBlobInRegistryStorageFailsWithNothingWritten() throws IOException {
        Path own = Layouts.busybox(dir.resolve("corrupt-src"), TAG, "a layer only this test has");
        skopeo("--encryption-key", "jwe:" + rsaPublic, "oci:" + own + ":" + TAG, docker("test/corrupt:v1"));
        String digest = inspectedFull(docker("test/corrupt:v1")).get(1);
        Path data = registry.storage().resolve("docker/registry/v2/blobs/sha256")
                .resolve(digest.substring(7, 9)).resolve(digest.substring(7)).resolve("data");
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x80);
        }
        Path out = dir.resolve("corrupt-out");
        Cmd.Result r = cloak("decrypt", "--key", rsaPrivate.toString(), docker("test/corrupt:v1"), "oci:" + out + ":" + TAG);
        assertEquals(ExitCodes.INTEGRITY, r.exit(), r.err());
        assertTrue(r.err().contains(digest), r.err());
        assertFalse(Files.exists(out), "nothing may be left behind");
    }

    /** Full layer digests via the registry API's manifest, read with skopeo so cloak is not checking itself. */
    private static List<String> inspectedFull(String ref) throws IOException {
        Path layout = dir.resolve("probe-" + Math.abs(ref.hashCode()));
        skopeo(ref, "oci:" + layout + ":" + TAG);
        return Layouts.layerDigests(layout, TAG);
    }

    /**
     * Adds tag {@code tag} to the layout: an index with the existing amd64 manifest and an arm64 one that
     * differs only in its config. Returns the arm64 config's digest.
     */
    private static String buildTwoPlatformIndex(Path layout, String tag) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = (ObjectNode) json.readTree(layout.resolve("index.json").toFile());
        ObjectNode amdEntry = null;
        for (var e : index.get("manifests")) {
            if (TAG.equals(e.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                amdEntry = (ObjectNode) e.deepCopy();
            }
        }
        ObjectNode manifest = (ObjectNode) json.readTree(Layouts.blob(layout, amdEntry.get("digest").asText()).toFile());
        ObjectNode config = (ObjectNode) json.readTree(Layouts.blob(layout, manifest.get("config").get("digest").asText()).toFile());
        config.put("architecture", "arm64");
        byte[] armConfig = json.writeValueAsBytes(config);
        String armConfigDigest = put(layout, armConfig);
        ((ObjectNode) manifest.get("config")).put("digest", armConfigDigest).put("size", armConfig.length);
        byte[] armManifest = json.writeValueAsBytes(manifest);
        String armManifestDigest = put(layout, armManifest);

        amdEntry.remove("annotations");
        amdEntry.putObject("platform").put("architecture", "amd64").put("os", "linux");
        ObjectNode armEntry = json.createObjectNode().put("mediaType", "application/vnd.oci.image.manifest.v1+json")
                .put("digest", armManifestDigest).put("size", armManifest.length);
        armEntry.putObject("platform").put("architecture", "arm64").put("os", "linux");
        ObjectNode child = json.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.oci.image.index.v1+json");
        child.putArray("manifests").add(amdEntry).add(armEntry);
        byte[] childBytes = json.writeValueAsBytes(child);
        String childDigest = put(layout, childBytes);

        ObjectNode entry = json.createObjectNode().put("mediaType", "application/vnd.oci.image.index.v1+json")
                .put("digest", childDigest).put("size", childBytes.length);
        entry.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        ((ArrayNode) index.get("manifests")).add(entry);
        Files.write(layout.resolve("index.json"), json.writeValueAsBytes(index));
        return armConfigDigest;
    }

    private static String put(Path layout, byte[] content) throws IOException {
        try {
            String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
            Files.write(Layouts.blob(layout, digest), content);
            return digest;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
