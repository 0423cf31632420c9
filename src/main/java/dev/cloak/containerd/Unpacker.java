package dev.cloak.containerd;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.proto.containerd.diff.ApplyRequest;
import dev.cloak.proto.containerd.snapshots.CommitSnapshotRequest;
import dev.cloak.proto.containerd.snapshots.PrepareSnapshotRequest;
import dev.cloak.proto.containerd.snapshots.RemoveSnapshotRequest;
import dev.cloak.proto.containerd.snapshots.StatSnapshotRequest;
import dev.cloak.proto.containerd.types.Mount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Unpacks layers into snapshots the way containerd's own unpacker does: per layer, a snapshot named by its
 * chain ID (prepared on the parent's, filled by the diff service, committed); layers whose snapshot exists
 * are skipped. The digest the diff service reports for each applied layer must equal the config's diff_id.
 */
public final class Unpacker {
    private final Containerd containerd;
    private final ContentStore content;
    private final String snapshotter;

    public Unpacker(Containerd containerd, ContentStore content, String snapshotter) {
        this.containerd = containerd;
        this.content = content;
        this.snapshotter = snapshotter;
    }

    /** chainID_0 = diffID_0; chainID_i = sha256(chainID_{i-1} + " " + diffID_i). */
    public static Digest chainId(Digest parentChain, Digest diffId) {
        if (parentChain == null) {
            return diffId;
        }
        return Digest.sha256Of((parentChain + " " + diffId).getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Unpacks one layer onto the snapshot of the layers below it ({@code parentChain}, null for the first)
     * and returns its chain ID. A pull calls this for each layer as soon as it is in the store, so unpacking
     * the lower layers overlaps the download of the upper ones.
     */
    public Digest unpackLayer(Digest parentChain, Descriptor layer, Digest diffId) {
        Digest chain = chainId(parentChain, diffId);
        if (!exists(chain)) {
            apply(layer, diffId, chain, parentChain);
        }
        content.label(layer.digest(), Map.of("containerd.io/uncompressed", diffId.toString()));
        return chain;
    }

    private boolean exists(Digest chain) {
        try {
            containerd.snapshots().stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(chain.toString()).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (ContainerdErrors.is(e, Status.Code.NOT_FOUND)) {
                return false;
            }
            throw ContainerdErrors.of(e, "look up snapshot " + chain, containerd);
        }
    }

    private void apply(Descriptor layer, Digest diffId, Digest chain, Digest parent) {
        String key = "extract-" + UUID.randomUUID() + " " + chain;
        Map<String, String> labels = Map.of("containerd.io/snapshot.ref", chain.toString());
        boolean prepared = false;
        try {
            PrepareSnapshotRequest.Builder prepare = PrepareSnapshotRequest.newBuilder().setSnapshotter(snapshotter)
                    .setKey(key).putAllLabels(labels);
            if (parent != null) {
                prepare.setParent(parent.toString());
            }
            List<Mount> mounts;
            try {
                mounts = containerd.snapshots().prepare(prepare.build()).getMountsList();
            } catch (StatusRuntimeException e) {
                // With the snapshot.ref label, containerd answers ALREADY_EXISTS ("target snapshot") when a
                // concurrent pull committed this chain ID between our look-up and now: the layer is unpacked.
                if (ContainerdErrors.is(e, Status.Code.ALREADY_EXISTS) && exists(chain)) {
                    return;
                }
                throw e;
            }
            prepared = true;
            Digest applied = Digest.parse(containerd.diff().apply(ApplyRequest.newBuilder()
                    .setDiff(Descriptors.toProto(layer)).addAllMounts(mounts).build()).getApplied().getDigest());
            if (!applied.equals(diffId)) {
                throw CloakException.integrity("layer " + layer.digest() + " unpacked to " + applied
                        + " but the image config promises diff_id " + diffId + "; the image is inconsistent");
            }
            try {
                containerd.snapshots().commit(CommitSnapshotRequest.newBuilder().setSnapshotter(snapshotter)
                        .setName(chain.toString()).setKey(key).putAllLabels(labels).build());
                prepared = false;
            } catch (StatusRuntimeException e) {
                if (!ContainerdErrors.is(e, Status.Code.ALREADY_EXISTS)) {
                    throw e;
                }
                // A concurrent unpack of the same layer won; its snapshot is as good as ours.
            }
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of(e, "unpack layer " + layer.digest() + " into the " + snapshotter + " snapshotter", containerd);
        } finally {
            if (prepared) {
                remove(key);
            }
        }
    }

    private void remove(String key) {
        try {
            containerd.snapshots().remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(snapshotter).setKey(key).build());
        } catch (StatusRuntimeException ignored) {
            // Best effort; an uncommitted active snapshot is collected once no lease holds it.
        }
    }
}
