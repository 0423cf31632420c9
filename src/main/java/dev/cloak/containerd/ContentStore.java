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
import com.google.protobuf.FieldMask;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** containerd's content store: what is there, writing blobs, labelling them. */
public final class ContentStore {
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

    public ContentStore(Containerd containerd) {
        this.containerd = containerd;
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
     * Copies {@code in} (read to its end; not closed) into containerd as {@code digest}. containerd checks
     * the digest and size at commit; a mismatch there is an integrity error and the ingest is aborted.
     */
    public void write(Digest digest, long size, InputStream in, Map<String, String> labels) throws IOException {
        try (ContentWriter w = ContentWriter.open(containerd, ref(digest), size, digest)) {
            if (w == null) {
                label(digest, labels);
                return;
            }
            // Read straight into the writer's 1 MiB chunks: as large as the decrypted path's WRITEs, never 8 KiB ones.
            w.writeFrom(in);
            try {
                if (!w.commit(digest, size, labels)) {
                    label(digest, labels);
                }
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
     * A sink for decrypted plaintext: the bytes go into containerd's ingest area as they are decrypted and
     * are committed, under the digest the decryptor verified, only with its proof.
     */
    public PlaintextSink decryptedLayerSink(Digest encrypted, long size) {
        return () -> {
            ContentWriter w = ContentWriter.open(containerd, "cloak-decrypt-" + encrypted.hex() + "-" + UUID.randomUUID(), size, null);
            return new PlaintextSink.Staging() {
                @Override
                public OutputStream out() {
                    return w.stream();
                }

                @Override
                public void commit(VerifiedLayer proof) throws IOException {
                    String origin = encrypted.toString();
                    if (!w.commit(proof.digest(), proof.size(), Map.of(DECRYPTED_FROM_LABEL, origin,
                            decryptedFromLabel(encrypted), origin))) {
                        // Another origin (or a concurrent pull) committed this plaintext first and holds the
                        // single label; add ours without taking it away.
                        label(proof.digest(), Map.of(decryptedFromLabel(encrypted), origin));
                    }
                }

                @Override
                public void close() {
                    w.close();
                }
            };
        };
    }

    private static String ref(Digest digest) {
        // Unique per attempt: a ref is locked while a write is active, and concurrent pulls must not collide.
        return "cloak-" + digest.hex() + "-" + UUID.randomUUID();
    }
}
