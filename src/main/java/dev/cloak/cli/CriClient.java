package dev.cloak.cli;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.proto.cri.ImageServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.util.concurrent.TimeUnit;

/** A CRI ImageService client over a unix socket, for {@code cloak images}. */
final class CriClient implements AutoCloseable {
    private final String endpoint;
    private final EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    private final ManagedChannel channel;

    CriClient(String endpoint) {
        this.endpoint = endpoint;
        String path = endpoint.startsWith("unix://") ? endpoint.substring("unix://".length()) : endpoint;
        if (!path.startsWith("/")) {
            throw CloakException.invalid("--endpoint \"" + endpoint + "\" must be a unix socket such as unix:///run/cloak/cloak.sock");
        }
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(path)).eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class).usePlaintext().maxInboundMessageSize(16 << 20).build();
    }

    ImageServiceGrpc.ImageServiceBlockingStub images() {
        return ImageServiceGrpc.newBlockingStub(channel);
    }

    /** The server's own sentence, as a CloakException with the matching exit code. */
    CloakException failure(StatusRuntimeException e) {
        ErrorKind kind = switch (e.getStatus().getCode()) {
            case INVALID_ARGUMENT -> ErrorKind.INVALID_INPUT;
            case NOT_FOUND -> ErrorKind.NOT_FOUND;
            case FAILED_PRECONDITION -> ErrorKind.NO_KEY;
            case DATA_LOSS -> ErrorKind.INTEGRITY;
            case UNAVAILABLE -> ErrorKind.UNAVAILABLE;
            case CANCELLED -> ErrorKind.CANCELLED;
            default -> ErrorKind.INTERNAL;
        };
        String description = e.getStatus().getDescription();
        if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE && (description == null || description.contains("io exception"))) {
            description = "nothing answers on " + endpoint + "; is the image service running?";
        }
        return new CloakException(kind, e.getStatus().getCode() + ": " + description);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
