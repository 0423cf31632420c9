package dev.cloak.cri;

import dev.cloak.proto.cri.RuntimeServiceGrpc;
import dev.cloak.proto.cri.VersionRequest;
import dev.cloak.proto.cri.VersionResponse;
import io.grpc.stub.StreamObserver;

/**
 * Enough of the RuntimeService for clients that ask the image endpoint who it is. Every other
 * RuntimeService call is UNIMPLEMENTED: containerd remains the runtime endpoint.
 */
public final class CriRuntimeService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    private final String version;

    public CriRuntimeService(String version) {
        this.version = version;
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> out) {
        out.onNext(VersionResponse.newBuilder().setVersion("0.1.0").setRuntimeName("cloak")
                .setRuntimeVersion(version).setRuntimeApiVersion("v1").build());
        out.onCompleted();
    }
}
