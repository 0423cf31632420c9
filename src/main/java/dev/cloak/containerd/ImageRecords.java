package dev.cloak.containerd;

import com.google.protobuf.FieldMask;
import dev.cloak.oci.Descriptor;
import dev.cloak.proto.containerd.images.CreateImageRequest;
import dev.cloak.proto.containerd.images.Image;
import dev.cloak.proto.containerd.images.UpdateImageRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.util.List;

/** containerd image records, named and labelled the way its CRI plugin names and labels the images it pulls. */
public final class ImageRecords {
    public static final String CRI_MANAGED_LABEL = "io.cri-containerd.image";

    private final Containerd containerd;

    public ImageRecords(Containerd containerd) {
        this.containerd = containerd;
    }

    /** Creates or re-points each of {@code names} at {@code manifest}. */
    public void record(List<String> names, Descriptor manifest) {
        for (String name : names) {
            Image image = Image.newBuilder().setName(name).setTarget(Descriptors.toProto(manifest))
                    .putLabels(CRI_MANAGED_LABEL, "managed").build();
            try {
                containerd.images().create(CreateImageRequest.newBuilder().setImage(image).build());
            } catch (StatusRuntimeException e) {
                if (!ContainerdErrors.is(e, Status.Code.ALREADY_EXISTS)) {
                    throw ContainerdErrors.of(e, "create image record " + name, containerd);
                }
                try {
                    containerd.images().update(UpdateImageRequest.newBuilder().setImage(image)
                            .setUpdateMask(FieldMask.newBuilder().addPaths("target").addPaths("labels." + CRI_MANAGED_LABEL))
                            .build());
                } catch (StatusRuntimeException u) {
                    throw ContainerdErrors.of(u, "update image record " + name, containerd);
                }
            }
        }
    }
}
