package dev.cloak.containerd;

import dev.cloak.oci.Descriptor;

/** Translates between Cloak's descriptors and containerd's protobuf ones. */
final class Descriptors {
    private Descriptors() {
    }

    static dev.cloak.proto.containerd.types.Descriptor toProto(Descriptor d) {
        return dev.cloak.proto.containerd.types.Descriptor.newBuilder()
                .setMediaType(d.mediaType()).setDigest(d.digest().toString()).setSize(d.size())
                .putAllAnnotations(d.annotations()).build();
    }
}
