package dev.cloak.containerd;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.testing.ContainerdFixture;
import io.grpc.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blobs of several chunks written into a real containerd through {@link ContentWriter}'s pipelined WRITEs:
 * what is committed is exactly what was written, and a blob that fails after several WRITEs were already
 * sent (refused at COMMIT, or never committed because the decryptor's verification failed) leaves neither
 * content nor an ingest behind. Everything is written under a lease, as a pull does, so that containerd's
 * garbage collector keeps what was committed and "not there" means never committed.
 */
class ContentWriterIT {
    /** More than the window of unanswered WRITEs, and not a whole number of chunks. */
    private static final int SIZE = ContentWriter.WINDOW + 2 * ContentWriter.CHUNK + 12_345;

    @TempDir
    static Path dir;
    static ContainerdFixture fixture;
    static Containerd containerd;
    static ContentStore content;
    static String lease;
    private Context leased;
    private Context previous;

    @BeforeAll
    static void start() throws IOException {
        fixture = new ContainerdFixture(dir.resolve("containerd")).start();
        containerd = Containerd.connect(fixture.socket(), ContainerdFixture.NAMESPACE);
        content = new ContentStore(containerd);
        lease = new Leases(containerd).create();
    }

    @BeforeEach
    void underTheLease() {
        leased = Context.current().withValue(Containerd.LEASE, lease);
        previous = leased.attach();
    }

    @AfterEach
    void leaveTheLease() {
        leased.detach(previous);
    }

    @AfterAll
    static void stop() {
        if (containerd != null) {
            containerd.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void blobOfManyChunksFromAStreamIsCommittedWhole() throws IOException {
        byte[] blob = random(SIZE, 1);
        Digest digest = Digest.sha256Of(blob);
        // Reads of odd sizes, as a network stream gives them.
        content.write(digest, blob.length, new Trickle(blob, 100_003), Map.of("test", "whole"));
        assertEquals(blob.length, content.size(digest).orElseThrow(), "committed size");
        assertEquals(digest.toString(), ctr("content", "ls", "-q").lines().filter(digest.toString()::equals).findFirst().orElse(null));
        assertEquals(List.of(), ingestsOf(digest.hex()), "no ingest is left after a commit");
    }

    @Test
    void writesOfOddSizesAreSentInOrderAndCommitted() throws IOException {
        byte[] blob = random(SIZE, 2);
        Digest digest = Digest.sha256Of(blob);
        try (ContentWriter w = ContentWriter.open(containerd, "test-" + UUID.randomUUID(), blob.length, digest)) {
            assertNotNull(w, "the blob is new");
            for (int off = 0; off < blob.length; ) {
                int n = Math.min(blob.length - off, 1 + (off % 700_001));
                w.write(blob, off, n);
                off += n;
            }
            // containerd computes the digest of what it received and refuses the commit unless it matches.
            assertTrue(w.commit(digest, blob.length, Map.of()));
        }
        assertEquals(blob.length, content.size(digest).orElseThrow());
    }

    @Test
    void concurrentBlobsOnOneConnectionEachArriveIntact() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Digest>> done = new ArrayList<>();
            List<String> hexes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] blob = random(SIZE - i * 1000, 10 + i);
                hexes.add(Digest.sha256Of(blob).hex());
                done.add(pool.submit(Context.current().wrap(() -> {
                    Digest d = Digest.sha256Of(blob);
                    content.write(d, blob.length, new ByteArrayInputStream(blob), Map.of());
                    return d;
                })));
            }
            for (int i = 0; i < done.size(); i++) {
                assertEquals(SIZE - i * 1000L, content.size(done.get(i).get()).orElseThrow());
                assertEquals(List.of(), ingestsOf(hexes.get(i)));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * containerd sends its reply to COMMIT a second time as it ends the stream; taken for a reply to nothing,
     * it failed a commit whenever it arrived before the writer had seen the first. Small blobs, many in a
     * row, so that it arrives right behind the first.
     */
    @Test
    void manyCommitsInARowAllSucceed() throws IOException {
        for (int i = 0; i < 300; i++) {
            byte[] blob = random(64 + i, 1000 + i);
            Digest digest = Digest.sha256Of(blob);
            content.write(digest, blob, Map.of());
            assertEquals(blob.length, content.size(digest).orElseThrow());
        }
    }

    @Test
    void contentAlreadyThereIsLabelledNotWrittenAgain() throws IOException {
        byte[] blob = random(ContentWriter.CHUNK + 5, 3);
        Digest digest = Digest.sha256Of(blob);
        content.write(digest, blob.length, new ByteArrayInputStream(blob), Map.of());
        content.write(digest, blob.length, new ByteArrayInputStream(blob), Map.of("dev.cloak.test", "second"));
        assertTrue(ctr("content", "ls").lines().anyMatch(l -> l.startsWith(digest.toString()) && l.contains("dev.cloak.test=second")),
                "labels of the second write are applied: " + ctr("content", "ls"));
    }

    @Test
    void digestRefusedAtCommitAfterPipelinedWritesKeepsNothing() {
        byte[] blob = random(SIZE, 4);
        Digest claimed = Digest.sha256Of(random(16, 5));
        CloakException e = assertThrows(CloakException.class,
                () -> content.write(claimed, blob.length, new ByteArrayInputStream(blob), Map.of()));
        assertEquals(ErrorKind.INTEGRITY, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(claimed.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(content.size(claimed).isPresent(), "nothing is committed");
        assertFalse(content.size(Digest.sha256Of(blob)).isPresent(), "nothing is committed under the real digest either");
        assertEquals(List.of(), ingestsOf(claimed.hex()), "the refused ingest is aborted");
    }

    @Test
    void closingWithoutCommitAfterPipelinedWritesAbortsTheIngest() throws IOException {
        byte[] blob = random(SIZE, 6);
        String ref = "test-" + UUID.randomUUID();
        try (ContentWriter w = ContentWriter.open(containerd, ref, blob.length, null)) {
            w.write(blob, 0, blob.length - 1);
            assertEquals(1, ingestsOf(ref).size(), "the ingest exists while writing");
        }
        assertEquals(List.of(), ingestsOf(ref), "close() without commit aborts the ingest");
        assertFalse(content.size(Digest.sha256Of(blob)).isPresent());
    }

    /**
     * The decryptor writes every chunk before it can check the digest of the ciphertext; when the last byte
     * was altered, the check fails after all the WRITEs went out, and the plaintext must not exist.
     */
    @Test
    void layerFailingVerificationAfterPipelinedWritesIsNeverCommitted() throws IOException {
        EncryptedLayer layer = EncryptedLayer.encrypt(SIZE, 7);
        Descriptor encrypted = layer.encrypted();
        byte[] tampered = layer.ciphertext().clone();
        tampered[tampered.length - 1] ^= 1;

        CloakException e = assertThrows(CloakException.class, () -> layer.decryptInto(content, new ByteArrayInputStream(tampered)));
        assertEquals(ErrorKind.INTEGRITY, e.kind(), e.getMessage());
        assertFalse(content.size(layer.plainDigest()).isPresent(), "unverified plaintext is not committed");
        assertFalse(content.decryptedFrom(encrypted.digest()).isPresent());
        assertEquals(List.of(), ingestsOf(encrypted.digest().hex()), "the ingest of the unverified plaintext is aborted");

        // For contrast: the intact layer goes through the same path and is committed, labelled with its origin.
        layer.decryptInto(content, new ByteArrayInputStream(layer.ciphertext()));
        assertEquals(layer.plain().length, content.size(layer.plainDigest()).orElseThrow());
        assertEquals(layer.plainDigest().toString(), content.decryptedFrom(encrypted.digest()).orElseThrow().getDigest());
        assertEquals(List.of(), ingestsOf(encrypted.digest().hex()));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String ctr(String... args) {
        return fixture.ctr(args).ok().out();
    }

    /** containerd's active ingests whose ref contains {@code part} (a ref, or the digest in Cloak's refs), one line each. */
    private static List<String> ingestsOf(String part) {
        return ctr("content", "active").lines().skip(1).filter(l -> l.contains(part)).toList();
    }

    /** A stream that gives at most {@code max} bytes per read. */
    private static final class Trickle extends InputStream {
        private final byte[] data;
        private final int max;
        private int pos;

        Trickle(byte[] data, int max) {
            this.data = data;
            this.max = max;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos == data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, max), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
