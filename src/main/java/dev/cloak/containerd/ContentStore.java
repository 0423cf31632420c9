package dev.cloak.containerd;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Digest;
import dev.cloak.ocicrypt.PlaintextSink;
import dev.cloak.ocicrypt.VerifiedLayer;
import dev.cloak.proto.containerd.content.InfoRequest;
import dev.cloak.proto.containerd.content.Info;
import dev.cloak.proto.containerd.content.ListContentRequest;
import dev.cloak.proto.containerd.content.ListContentResponse;
import dev.cloak.proto.containerd.content.UpdateRequest;
import dev.cloak.stream.SyncingFileOutput;
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** containerd's content store: what is there, writing blobs, labelling them. */
public final class ContentStore {
    private static final Logger LOG = LoggerFactory.getLogger(ContentStore.class);
    /** Marks a decrypted layer with the encrypted blob it came from, so a later pull can reuse it. */
    public static final String DECRYPTED_FROM_LABEL = "dev.cloak.decrypted-from";

    /**
     * One more label per encrypted origin: the same plaintext layer is often encrypted into many images (a
     * shared base layer, a re-encrypted image), and the single label above remembers only the first of them.
     */
    static String decryptedFromLabel(Digest encrypted) {
        return DECRYPTED_FROM_LABEL + "." + encrypted;
    }

    private final Containerd containerd;
    private final String contentDirectory;
    /** Where decrypted layers go as files; null until the first layer asks. */
    private volatile Optional<ContentDirectory> directory;

    /** A store that streams every blob over Content.Write. */
    public ContentStore(Containerd containerd) {
        this(containerd, ContentDirectory.OFF);
    }

    /**
     * A store that hands decrypted layers over as files in containerd's content directory when
     * {@code contentDirectory} ({@link ContentDirectory#AUTO}, {@link ContentDirectory#OFF} or a path) allows.
     */
    public ContentStore(Containerd containerd, String contentDirectory) {
        this.containerd = containerd;
        this.contentDirectory = contentDirectory;
    }

    /** A store that hands decrypted layers over through {@code directory}, without asking whether containerd sees it. */
    ContentStore(Containerd containerd, ContentDirectory directory) {
        this(containerd, directory.root().toString());
        this.directory = Optional.of(directory);
    }

    /** Decided on first use, not at start, because containerd may start after Cloak. */
    private Optional<ContentDirectory> directory() throws InterruptedIOException {
        Optional<ContentDirectory> d = directory;
        if (d == null) {
            synchronized (this) {
                if (directory == null) {
                    directory = ContentDirectory.locate(containerd, contentDirectory);
                }
                d = directory;
            }
        }
        return d;
    }

    /** The size of blob {@code digest} if containerd has it. */
    public Optional<Long> size(Digest digest) {
        try {
            Info info = containerd.content().info(InfoRequest.newBuilder().setDigest(digest.toString()).build()).getInfo();
            return Optional.of(info.getSize());
        } catch (StatusRuntimeException e) {
            if (ContainerdErrors.is(e, Status.Code.NOT_FOUND)) {
                return Optional.empty();
            }
            throw ContainerdErrors.of(e, "look up content " + digest, containerd);
        }
    }

    /** A decrypted layer that an earlier pull made from the encrypted blob {@code encrypted}, if any. */
    public Optional<Info> decryptedFrom(Digest encrypted) {
        try {
            // Filters are alternatives: either label names this origin.
            Iterator<ListContentResponse> it = containerd.content().list(ListContentRequest.newBuilder()
                    .addFilters("labels.\"" + DECRYPTED_FROM_LABEL + "\"==\"" + encrypted + "\"")
                    .addFilters("labels.\"" + decryptedFromLabel(encrypted) + "\"==\"" + encrypted + "\"").build());
            while (it.hasNext()) {
                for (Info info : it.next().getInfoList()) {
                    return Optional.of(info);
                }
            }
            return Optional.empty();
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of(e, "list content", containerd);
        }
    }

    /**
     * Copies {@code in} (read to its end unless containerd has the blob already; not closed) into containerd as
     * {@code digest}. containerd checks
     * the digest and size at commit; a mismatch there is an integrity error and the ingest is aborted.
     */
    public void write(Digest digest, long size, InputStream in, Map<String, String> labels) throws IOException {
        // Read straight into the writer's 1 MiB chunks: as large as the decrypted path's WRITEs, never 8 KiB ones.
        if (!commit(digest, size, w -> w.writeFrom(in), labels)) {
            label(digest, labels);
        }
    }

    /** Sends a blob's bytes, when containerd needs them. */
    private interface Source {
        void writeTo(ContentWriter w) throws IOException;
    }

    /**
     * Writes blob {@code digest} from {@code source} unless containerd has every byte of it already, then
     * commits it with {@code labels}. Returns false when the namespace had the blob, in which case
     * {@code labels} were not applied.
     */
    private boolean commit(Digest digest, long size, Source source, Map<String, String> labels) throws IOException {
        try (ContentWriter w = ContentWriter.open(containerd, ref(digest), size, digest)) {
            if (w == null) {
                return false;
            }
            if (!w.holdsAll()) {
                source.writeTo(w);
            }
            try {
                return w.commit(digest, size, labels);
            } catch (CloakException e) {
                if (e.getCause() instanceof StatusRuntimeException sre
                        && ContainerdErrors.is(sre, Status.Code.FAILED_PRECONDITION)) {
                    throw CloakException.integrity("blob " + digest + " does not match its digest or size"
                            + " (containerd refused to commit it); nothing was kept");
                }
                throw e;
            }
        }
    }

    /** Writes a small blob whole. */
    public void write(Digest digest, byte[] content, Map<String, String> labels) throws IOException {
        write(digest, content.length, new java.io.ByteArrayInputStream(content), labels);
    }

    /** Sets labels on existing content (other labels stay). */
    public void label(Digest digest, Map<String, String> labels) {
        if (labels.isEmpty()) {
            return;
        }
        Info.Builder info = Info.newBuilder().setDigest(digest.toString()).putAllLabels(labels);
        FieldMask.Builder mask = FieldMask.newBuilder();
        labels.keySet().forEach(k -> mask.addPaths("labels." + k));
        try {
            containerd.content().update(UpdateRequest.newBuilder().setInfo(info).setUpdateMask(mask).build());
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of(e, "label content " + digest, containerd);
        }
    }

    /**
     * A sink for decrypted plaintext: the bytes go into containerd's ingest area (or a staging file in its
     * content directory) as they are decrypted, and are committed, under the digest the decryptor verified,
     * only with its proof.
     */
    public PlaintextSink decryptedLayerSink(Digest encrypted, long size) {
        return () -> {
            Optional<ContentDirectory> dir = directory();
            if (dir.isPresent()) {
                try {
                    return staged(dir.get(), encrypted);
                } catch (ClosedByInterruptException | InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    LOG.warn("layer {} goes to containerd over its Content.Write API: Cloak cannot create a staging file in {} ({})",
                            encrypted, dir.get().root(), ContentDirectory.reason(e));
                }
            }
            return streamed(encrypted, size);
        };
    }

    /** The labels of a layer decrypted from {@code encrypted}. */
    private static Map<String, String> origin(Digest encrypted) {
        String origin = encrypted.toString();
        return Map.of(DECRYPTED_FROM_LABEL, origin, decryptedFromLabel(encrypted), origin);
    }

    private void labelOrigin(Digest plaintext, Digest encrypted) {
        // Another origin (or a concurrent pull) committed this plaintext first and holds the single label;
        // add ours without taking it away.
        label(plaintext, Map.of(decryptedFromLabel(encrypted), encrypted.toString()));
    }

    private PlaintextSink.Staging streamed(Digest encrypted, long size) throws IOException {
        ContentWriter w = ContentWriter.open(containerd, "cloak-decrypt-" + encrypted.hex() + "-" + UUID.randomUUID(), size, null);
        return new PlaintextSink.Staging() {
            @Override
            public OutputStream out() {
                return w.stream();
            }

            @Override
            public void commit(VerifiedLayer proof) throws IOException {
                if (!w.commit(proof.digest(), proof.size(), origin(encrypted))) {
                    labelOrigin(proof.digest(), encrypted);
                }
            }

            @Override
            public void close() {
                w.close();
            }
        };
    }

    private PlaintextSink.Staging staged(ContentDirectory dir, Digest encrypted) throws IOException {
        Path file = dir.newStagingFile();
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
        } catch (IOException e) {
            ContentDirectory.deleteQuietly(file);
            throw e;
        }
        SyncingFileOutput synced = new SyncingFileOutput(channel);
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    synced.write(b, off, len);
                } catch (ClosedByInterruptException e) {
                    // A cancelled pull, not a disk problem: say so, as the streamed path does.
                    throw new InterruptedIOException("interrupted while staging the layer decrypted from " + encrypted);
                }
            }
        };
        return new PlaintextSink.Staging() {
            @Override
            public OutputStream out() {
                return out;
            }

            @Override
            public void commit(VerifiedLayer proof) throws IOException {
                // On disk before containerd records it, as containerd syncs its own ingests before a commit.
                synced.sync();
                synced.close();
                try {
                    dir.publish(file, proof.digest());
                } catch (ClosedByInterruptException | InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    LOG.warn("layer {} goes to containerd over its Content.Write API: Cloak cannot link it into {} ({})",
                            proof.digest(), dir.root(), ContentDirectory.reason(e));
                }
                // containerd takes the linked blob with COMMIT alone. Should it not see it (not linked, or its
                // garbage collector removed the unrecorded link meanwhile), the staged bytes are streamed after all.
                if (!ContentStore.this.commit(proof.digest(), proof.size(), w -> {
                    try (InputStream in = Files.newInputStream(file)) {
                        w.writeFrom(in);
                    }
                }, origin(encrypted))) {
                    labelOrigin(proof.digest(), encrypted);
                }
            }

            @Override
            public void close() {
                try {
                    synced.close(); // after a background sync of the file that has started, never under it
                } catch (IOException ignored) {
                    // Nothing to flush that matters: the file goes now.
                }
                // Published bytes live on under their blob name.
                ContentDirectory.deleteQuietly(file);
            }
        };
    }

    private static String ref(Digest digest) {
        // Unique per attempt: a ref is locked while a write is active, and concurrent pulls must not collide.
        return "cloak-" + digest.hex() + "-" + UUID.randomUUID();
    }
}
