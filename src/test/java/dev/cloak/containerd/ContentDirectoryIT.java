package dev.cloak.containerd;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.testing.ContainerdFixture;
import io.grpc.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decrypted layers handed to a real containerd as files in its content directory: while a layer is decrypted
 * its bytes are in a staging file there and containerd has no ingest for it; once verified it is a read-only
 * blob that containerd serves and labels; a layer that fails verification leaves no file. Against a
 * containerd that keeps namespaces' content apart (content_sharing_policy = "isolated") the directory is not
 * used, and a layer linked in anyway still arrives, streamed from the staging file.
 */
class ContentDirectoryIT {
    /** Several of the decryptor's writes, so that the middle of a layer can be watched. */
    private static final int SIZE = 6 * ContentWriter.CHUNK + 4321;

    @TempDir
    static Path dir;
    static ContainerdFixture shared;
    static ContainerdFixture isolated;
    static Containerd containerd;
    static Containerd isolatedContainerd;
    static String lease;
    static String isolatedLease;

    @BeforeAll
    static void start() throws IOException {
        shared = new ContainerdFixture(dir.resolve("shared")).start();
        isolated = new ContainerdFixture(dir.resolve("isolated")).withConfig(
                "[plugins.\"io.containerd.metadata.v1.bolt\"]\n  content_sharing_policy = \"isolated\"\n").start();
        containerd = Containerd.connect(shared.socket(), ContainerdFixture.NAMESPACE);
        isolatedContainerd = Containerd.connect(isolated.socket(), ContainerdFixture.NAMESPACE);
        lease = new Leases(containerd).create();
        isolatedLease = new Leases(isolatedContainerd).create();
    }

    @AfterAll
    static void stop() {
        for (Containerd c : new Containerd[] {containerd, isolatedContainerd}) {
            if (c != null) {
                c.close();
            }
        }
        for (ContainerdFixture f : new ContainerdFixture[] {shared, isolated}) {
            if (f != null) {
                f.close();
            }
        }
    }

    @Test
    void autoFindsContainerdsDirectoryAndTheProbeLeavesNothing() throws Exception {
        ContentDirectory found = leased(lease, () -> ContentDirectory.locate(containerd, ContentDirectory.AUTO)).orElseThrow();
        assertEquals(shared.contentRoot(), found.root());
        assertEquals(List.of(), files(shared.contentRoot().resolve(ContentDirectory.STAGING)), "no staging file is left");
        assertEquals(List.of(), files(shared.contentRoot().resolve("blobs")), "no probe blob is left");
        assertEquals(List.of(), ingests(shared), "no probe ingest is left");
    }

    @Test
    void offAndADirectoryContainerdDoesNotUseAreNotUsed() throws Exception {
        assertTrue(ContentDirectory.locate(containerd, ContentDirectory.OFF).isEmpty());
        // Looks like a content directory, but containerd does not read it.
        Path lookalike = Files.createDirectories(dir.resolve("lookalike/ingest")).getParent();
        assertTrue(leased(lease, () -> ContentDirectory.locate(containerd, lookalike.toString())).isEmpty());
        assertEquals(List.of(), files(lookalike), "the probe leaves no file behind");
        assertFalse(Files.exists(lookalike.resolve(ContentDirectory.STAGING)), "nor a staging directory");
        assertTrue(ContentDirectory.locate(containerd, dir.resolve("nowhere").toString()).isEmpty());
        assertFalse(Files.exists(dir.resolve("nowhere")), "nothing is created where there is no content directory");
    }

    @Test
    void decryptedLayerIsStagedInContainerdsDirectoryThenCommittedAsAReadOnlyBlob() throws Exception {
        ContentStore content = new ContentStore(containerd, ContentDirectory.AUTO);
        EncryptedLayer layer = EncryptedLayer.encrypt(SIZE, 1);
        Path staging = shared.contentRoot().resolve(ContentDirectory.STAGING);
        List<Long> stagedSizes = new ArrayList<>();
        List<List<String>> ingestsMeanwhile = new ArrayList<>();
        // Halfway through the ciphertext: what is on disk, and what containerd is ingesting.
        InputStream watched = new Midway(layer.ciphertext(), () -> {
            for (Path f : files(staging)) {
                stagedSizes.add(Files.size(f));
            }
            ingestsMeanwhile.add(ingests(shared));
        });
        leased(lease, () -> layer.decryptInto(content, watched));

        assertEquals(1, stagedSizes.size(), "one staging file while the layer is decrypted: " + stagedSizes);
        assertTrue(stagedSizes.get(0) > 0 && stagedSizes.get(0) < SIZE, "it holds the plaintext so far: " + stagedSizes);
        assertEquals(List.of(List.of()), ingestsMeanwhile, "containerd ingests nothing over its API meanwhile");

        Path blob = shared.contentRoot().resolve("blobs/sha256/" + layer.plainDigest().hex());
        assertArrayEquals(layer.plain(), Files.readAllBytes(blob), "the blob is the plaintext");
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(blob)), "read-only, as containerd's own blobs");
        assertEquals(SIZE, content.size(layer.plainDigest()).orElseThrow(), "containerd serves it in the namespace");
        assertEquals(layer.plainDigest().toString(), content.decryptedFrom(layer.encrypted().digest()).orElseThrow().getDigest(),
                "labelled with its origin");
        assertEquals(List.of(), files(staging), "the staging file is gone");
        assertEquals(List.of(), ingests(shared));
        // The same layer again: containerd has it, and the second origin's label is added.
        EncryptedLayer again = EncryptedLayer.encrypt(SIZE, 1);
        leased(lease, () -> again.decryptInto(content, new ByteArrayInputStream(again.ciphertext())));
        assertEquals(layer.plainDigest().toString(), content.decryptedFrom(again.encrypted().digest()).orElseThrow().getDigest());
        assertEquals(List.of(), files(staging));
    }

    @Test
    void layerFailingVerificationLeavesNoFileAndNoBlob() throws Exception {
        ContentStore content = new ContentStore(containerd, ContentDirectory.AUTO);
        EncryptedLayer layer = EncryptedLayer.encrypt(SIZE, 2);
        byte[] tampered = layer.ciphertext().clone();
        tampered[tampered.length - 1] ^= 1;
        CloakException e = assertThrows(CloakException.class,
                () -> leased(lease, () -> layer.decryptInto(content, new ByteArrayInputStream(tampered))));
        assertEquals(ErrorKind.INTEGRITY, e.kind(), e.getMessage());
        assertEquals(List.of(), files(shared.contentRoot().resolve(ContentDirectory.STAGING)), "no unverified plaintext on disk");
        assertFalse(Files.exists(shared.contentRoot().resolve("blobs/sha256/" + layer.plainDigest().hex())));
        assertFalse(content.size(layer.plainDigest()).isPresent());
        assertEquals(List.of(), ingests(shared));
    }

    @Test
    void containerdKeepingNamespacesApartIsNotHandedFilesAndALinkedLayerStillArrives() throws Exception {
        assertTrue(leased(isolatedLease, () -> ContentDirectory.locate(isolatedContainerd, ContentDirectory.AUTO)).isEmpty(),
                "the probe finds that containerd does not take linked blobs");
        assertFalse(Files.exists(isolated.contentRoot().resolve(ContentDirectory.STAGING)), "and leaves no staging directory");
        // Forced through the directory anyway: containerd does not take the link, so the staged bytes are streamed.
        ContentDirectory forced = new ContentDirectory(isolated.contentRoot());
        ContentStore content = new ContentStore(isolatedContainerd, forced);
        EncryptedLayer layer = EncryptedLayer.encrypt(SIZE, 3);
        leased(isolatedLease, () -> layer.decryptInto(content, new ByteArrayInputStream(layer.ciphertext())));
        assertEquals(SIZE, content.size(layer.plainDigest()).orElseThrow());
        assertArrayEquals(layer.plain(), Files.readAllBytes(isolated.contentRoot().resolve("blobs/sha256/" + layer.plainDigest().hex())));
        assertEquals(List.of(), files(isolated.contentRoot().resolve(ContentDirectory.STAGING)));
        assertEquals(List.of(), ingests(isolated));
    }

    /**
     * Two daemons on one node (a DaemonSet update runs the new pod beside the old one): the second's start
     * removes what a dead daemon left, never what the live one is writing.
     */
    @Test
    void aStartRemovesWhatADeadDaemonLeftButNotWhatALiveOneWrites() throws Exception {
        Path staging = shared.contentRoot().resolve(ContentDirectory.STAGING);
        ContentDirectory live = new ContentDirectory(shared.contentRoot());
        Path writing = live.newStagingFile();
        Files.write(writing, new byte[] {1, 2, 3});
        // A daemon that died mid-layer: its directory is there, its lock is not held.
        Path dead = Files.createDirectories(staging.resolve("dead-daemon"));
        Files.createFile(dead.resolve(ContentDirectory.LOCK));
        Files.write(dead.resolve("half-a-layer"), new byte[] {4, 5, 6});

        assertTrue(leased(lease, () -> ContentDirectory.locate(containerd, ContentDirectory.AUTO)).isPresent());
        assertFalse(Files.exists(dead), "the dead daemon's unverified plaintext is removed");
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(writing), "the live daemon's file is untouched");
        ContentDirectory.deleteQuietly(writing);
    }

    /** Runs {@code check} once, when half of {@code data} has been read. */
    private static final class Midway extends FilterInputStream {
        private final long half;
        private final Check check;
        private long read;
        private boolean checked;

        interface Check {
            void run() throws IOException;
        }

        Midway(byte[] data, Check check) {
            super(new ByteArrayInputStream(data));
            this.half = data.length / 2;
            this.check = check;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (!checked && read >= half) {
                checked = true;
                check.run();
            }
            // Stop at the half once, so that the check sees the state at exactly that point.
            int n = super.read(b, off, read < half ? (int) Math.min(len, half - read) : len);
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }

    /** Calls {@code call} with containerd's lease header set, as a pull does. */
    private static <T> T leased(String id, Callable<T> call) throws Exception {
        return Context.current().withValue(Containerd.LEASE, id).call(call);
    }

    /** Regular files under {@code root} but daemons' lock files, or none when it does not exist. */
    private static List<Path> files(Path root) {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals(ContentDirectory.LOCK)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> ingests(ContainerdFixture f) {
        return f.ctr("content", "active").ok().out().lines().skip(1).toList();
    }
}
