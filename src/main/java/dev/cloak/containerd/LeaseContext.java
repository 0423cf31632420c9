package dev.cloak.containerd;

import io.grpc.Context;

/** The lease that containerd calls made in the current gRPC context belong to. */
public final class LeaseContext {
    public static final Context.Key<String> KEY = Containerd.LEASE;

    private LeaseContext() {
    }
}
