package dev.cloak.cri;

import dev.cloak.containerd.Containerd;
import dev.cloak.oci.ImageReference;
import dev.cloak.proto.cri.ImageFsInfoRequest;
import dev.cloak.proto.cri.ImageFsInfoResponse;
import dev.cloak.proto.cri.ImageServiceGrpc;
import dev.cloak.proto.cri.ImageStatusRequest;
import dev.cloak.proto.cri.ImageStatusResponse;
import dev.cloak.proto.cri.ListImagesRequest;
import dev.cloak.proto.cri.ListImagesResponse;
import dev.cloak.proto.cri.PullImageRequest;
import dev.cloak.proto.cri.PullImageResponse;
import dev.cloak.proto.cri.RemoveImageRequest;
import dev.cloak.proto.cri.RemoveImageResponse;
import dev.cloak.pull.PullOutcome;
import dev.cloak.pull.PullRequest;
import dev.cloak.pull.PullService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * The CRI ImageService kubelet and crictl talk to. PullImage is Cloak's own; the other calls are answered
 * by containerd's CRI ImageService, unchanged, so image IDs and the image filesystem are the runtime's.
 */
public final class CriImageService extends ImageServiceGrpc.ImageServiceImplBase {
    /** containerd's CRI plugin learns about imported images from events, asynchronously. */
    private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(30);

    private final Containerd containerd;
    private final PullService pulls;

    public CriImageService(Containerd containerd, PullService pulls) {
        this.containerd = containerd;
        this.pulls = pulls;
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
        answer(out, () -> forward(() -> containerd.criImages().listImages(request)));
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> out) {
        answer(out, () -> forward(() -> containerd.criImages().imageStatus(request)));
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> out) {
        answer(out, () -> forward(() -> containerd.criImages().removeImage(request)));
    }

    @Override
    public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> out) {
        answer(out, () -> forward(() -> containerd.criImages().imageFsInfo(request)));
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> out) {
        answer(out, () -> {
            ImageReference ref = ImageReference.parse(request.getImage().getImage());
            PullOutcome outcome = pulls.pull(new PullRequest(ref, AuthConfigs.toCredentials(request.getAuth())));
            if (outcome instanceof PullOutcome.Imported imported) {
                awaitVisible(imported.imageRef());
                return PullImageResponse.newBuilder().setImageRef(imported.imageRef()).build();
            }
            return forward(() -> containerd.criImages().pullImage(request));
        });
    }

    private void awaitVisible(String imageRef) throws InterruptedException {
        Instant deadline = Instant.now().plus(VISIBLE_WITHIN);
        ImageStatusRequest status = ImageStatusRequest.newBuilder()
                .setImage(dev.cloak.proto.cri.ImageSpec.newBuilder().setImage(imageRef)).build();
        while (!forward(() -> containerd.criImages().imageStatus(status)).hasImage()) {
            if (Instant.now().isAfter(deadline)) {
                throw Status.INTERNAL.withDescription("image " + imageRef + " was imported into containerd but its CRI"
                        + " plugin did not report it within " + VISIBLE_WITHIN.toSeconds() + " s; check that Cloak's"
                        + " --containerd-namespace matches the CRI plugin's").asRuntimeException();
            }
            Thread.sleep(50);
        }
    }

    /** Calls containerd, turning "not reachable" into a sentence that says so. */
    private <T> T forward(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                throw Status.UNAVAILABLE.withDescription("containerd is not reachable at " + containerd.socket()
                        + "; check that it is running and that --runtime-endpoint points at its socket")
                        .withCause(e).asRuntimeException();
            }
            throw e;
        }
    }

    private static <T> void answer(StreamObserver<T> out, Callable<T> work) {
        T result;
        try {
            result = work.call();
        } catch (Throwable t) {
            out.onError(StatusMapper.toStatus(t));
            return;
        }
        out.onNext(result);
        out.onCompleted();
    }
}
