package dev.cloak.ocicrypt;

import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keywrap.Recipient;
import dev.cloak.ocicrypt.keywrap.TestKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * Child-JVM program for {@link LargeLayerTest}: streams a layer of {@code args[0]} bytes through encryption
 * and decryption with no byte of it held in memory or written to disk. Exits 0 only when the plaintext that
 * reaches the sink has the generator's digest and length.
 */
final class LargeLayerMain {
    private LargeLayerMain() {
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        long start = System.nanoTime();

        // The encryptor checks the source against its descriptor, so the digest must be known up front.
        MessageDigest plainSha = Digest.newSha256();
        drain(new SplitMixStream(size), plainSha::update);
        Digest plainDigest = Digest.sha256(plainSha.digest());
        Descriptor plain = Descriptor.of(MediaTypes.OCI_LAYER_TAR, plainDigest, size);

        KeyPair node = TestKeys.ec("secp256r1");
        Recipient recipient = TestKeys.recipient(node);
        Keyring keyring = TestKeys.keyring(node);

        long t1 = System.nanoTime();
        CountingDigestStream cipherOut = new CountingDigestStream();
        Map<String, String> annotations = Layers.ENCRYPTOR.encrypt(plain, new SplitMixStream(size), List.of(recipient), cipherOut);
        Descriptor encrypted = Descriptor.of(MediaTypes.encrypted(plain.mediaType()),
                Digest.sha256(cipherOut.sha.digest()), cipherOut.count).withAnnotations(annotations);
        long t2 = System.nanoTime();

        // The ciphertext is regenerated on the fly with the layer key instead of being stored.
        HashingSink sink = new HashingSink();
        VerifiedLayer proof;
        try (LayerKey key = Layers.DECRYPTOR.unwrap(encrypted, keyring)) {
            AesCtr reEncrypt = new AesCtr(key.privateOptions().symkey(), key.privateOptions().nonce());
            proof = Layers.DECRYPTOR.decrypt(key, new CipherStream(new SplitMixStream(size), reEncrypt), sink);
        }
        long t3 = System.nanoTime();

        Digest sinkDigest = sink.digest;
        boolean ok = sink.committed && sink.count == size && plainDigest.equals(sinkDigest)
                && proof.digest().equals(plainDigest) && proof.size() == size && cipherOut.count == size;
        System.out.printf("%s decrypted %d bytes %s digest=%s heapMax=%dMiB total=%dms encrypt=%dms decrypt=%dms%n",
                ok ? "OK" : "MISMATCH", sink.count, sink.committed ? "committed" : "not-committed", sinkDigest,
                Runtime.getRuntime().maxMemory() >> 20, (t3 - start) / 1_000_000, (t2 - t1) / 1_000_000,
                (t3 - t2) / 1_000_000);
        System.exit(ok ? 0 : 1);
    }

    interface Chunks {
        void accept(byte[] b, int off, int len);
    }

    private static void drain(InputStream in, Chunks out) throws IOException {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.accept(buf, 0, n);
        }
    }

    /** Deterministic pseudo-random bytes from a SplitMix64 sequence; only a small block is ever buffered. */
    static final class SplitMixStream extends InputStream {
        private final long size;
        private final byte[] block = new byte[1 << 16];
        private long position;
        private long state = 0x9E3779B97F4A7C15L;
        private int blockPos = block.length;

        SplitMixStream(long size) {
            this.size = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= size) {
                return -1;
            }
            if (blockPos == block.length) {
                refill();
            }
            int n = (int) Math.min(Math.min(len, block.length - blockPos), size - position);
            System.arraycopy(block, blockPos, b, off, n);
            blockPos += n;
            position += n;
            return n;
        }

        private void refill() {
            for (int i = 0; i < block.length; i += 8) {
                long z = (state += 0x9E3779B97F4A7C15L);
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                z ^= z >>> 31;
                for (int j = 0; j < 8; j++) {
                    block[i + j] = (byte) (z >>> (8 * j));
                }
            }
            blockPos = 0;
        }
    }

    /** AES-CTR applied while reading, chunk by chunk. */
    static final class CipherStream extends InputStream {
        private final InputStream in;
        private final AesCtr ctr;
        private final byte[] buf = new byte[1 << 16];

        CipherStream(InputStream in, AesCtr ctr) {
            this.in = in;
            this.ctr = ctr;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(buf, 0, Math.min(len, buf.length));
            if (n <= 0) {
                return -1;
            }
            ctr.apply(buf, 0, b, off, n);
            return n;
        }
    }

    static final class CountingDigestStream extends OutputStream {
        final MessageDigest sha = Digest.newSha256();
        long count;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
            count += len;
        }
    }

    /** A sink that keeps nothing but a count and a digest, published only on commit. */
    static final class HashingSink implements PlaintextSink {
        long count;
        Digest digest;
        boolean committed;

        @Override
        public Staging begin() {
            CountingDigestStream out = new CountingDigestStream();
            return new Staging() {
                @Override
                public OutputStream out() {
                    return out;
                }

                @Override
                public void commit(VerifiedLayer proof) {
                    committed = true;
                    count = out.count;
                    digest = Digest.sha256(out.sha.digest());
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
