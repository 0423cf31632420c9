package dev.cloak.containerd;

import dev.cloak.oci.Digest;
import dev.cloak.proto.containerd.leases.AddResourceRequest;
import dev.cloak.proto.containerd.leases.CreateRequest;
import dev.cloak.proto.containerd.leases.DeleteRequest;
import dev.cloak.proto.containerd.leases.Resource;
import io.grpc.StatusRuntimeException;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/**
 * Leases protect an import from containerd's garbage collector until the image record exists. Each lease
 * also carries an expiry, so a crashed Cloak cannot pin content forever.
 */
public final class Leases {
    private static final Duration EXPIRY = Duration.ofHours(1);
    private final Containerd containerd;

    public Leases(Containerd containerd) {
        this.containerd = containerd;
    }

    public String create() {
        String id = "cloak-" + UUID.randomUUID();
        try {
            containerd.leases().create(CreateRequest.newBuilder().setId(id)
                    .putLabels("containerd.io/gc.expire", DateTimeFormatter.ISO_INSTANT.format(Instant.now().plus(EXPIRY)))
                    .build());
            return id;
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of(e, "create a lease", containerd);
        }
    }

    /**
     * Runs {@code action} with lease {@code id} attached to every containerd call made in its gRPC context,
     * including on other threads that inherit the context ({@code Context.current().wrap(...)}).
     */
    public static <T> T within(String id, java.util.concurrent.Callable<T> action) throws Exception {
        return io.grpc.Context.current().withValue(Containerd.LEASE, id).call(action);
    }

    /**
     * Adds content {@code digest} to the lease of the current context ({@link #within}), so that it stays
     * while the lease does even if whatever else held it lets go (another pull's lease, a removed image).
     * containerd does not check that the content exists: check it after this call, not before.
     */
    public void holdContent(Digest digest) {
        String id = Containerd.LEASE.get();
        if (id == null) {
            throw new IllegalStateException("holdContent outside of a lease");
        }
        try {
            containerd.leases().addResource(AddResourceRequest.newBuilder().setId(id)
                    .setResource(Resource.newBuilder().setId(digest.toString()).setType("content")).build());
        } catch (StatusRuntimeException e) {
            throw ContainerdErrors.of(e, "add content " + digest + " to lease " + id, containerd);
        }
    }

    /** Deletes the lease; what it protected is then kept only if something else (an image) refers to it. */
    public void delete(String id) {
        try {
            containerd.leases().delete(DeleteRequest.newBuilder().setId(id).setSync(true).build());
        } catch (StatusRuntimeException e) {
            // The lease expires by itself; a failed delete must not fail a pull that succeeded.
        }
    }
}
