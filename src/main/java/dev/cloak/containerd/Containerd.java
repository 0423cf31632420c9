package dev.cloak.containerd;

import dev.cloak.proto.containerd.content.ContentGrpc;
import dev.cloak.proto.containerd.diff.DiffGrpc;
import dev.cloak.proto.containerd.images.ImagesGrpc;
import dev.cloak.proto.containerd.introspection.IntrospectionGrpc;
import dev.cloak.proto.containerd.leases.LeasesGrpc;
import dev.cloak.proto.containerd.snapshots.SnapshotsGrpc;
import dev.cloak.proto.cri.ImageServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The connection to containerd's gRPC socket. Every call carries the namespace header; calls made while
 * a lease is current ({@link #withLease}) also carry the lease header, which protects what they create
 * from containerd's garbage collector until the lease is deleted. Protobuf types stay inside this package.
 */
public final class Containerd implements AutoCloseable {
    static final Metadata.Key<String> NAMESPACE = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> LEASE_HEADER = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> LEASE = Context.key("cloak-containerd-lease");
    /** containerd accepts messages up to 16 MiB; content is written in chunks well below that. */
    static final int MAX_MESSAGE_BYTES = 16 << 20;
    /**
     * How long a call waits for a fresh dial after containerd was unreachable: a unix socket settles in
     * milliseconds, the rest is room for a loaded node.
     */
    static final Duration REDIAL_WAIT = Duration.ofSeconds(2);

    private final Path socket;
    private final String namespace;
    private final EpollEventLoopGroup group;
    private final ManagedChannel channel;

    private Containerd(Path socket, String namespace, EpollEventLoopGroup group, ManagedChannel channel) {
        this.socket = socket;
        this.namespace = namespace;
        this.group = group;
        this.channel = channel;
    }

    /** Connects lazily: nothing is dialled until the first call. */
    public static Containerd connect(Path socket, String namespace) {
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        Headers headers = new Headers(namespace);
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class)
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .intercept(headers)
                .build();
        headers.channel = channel;
        return new Containerd(socket, namespace, group, channel);
    }

    public Path socket() {
        return socket;
    }

    public String namespace() {
        return namespace;
    }

    Channel channel() {
        return channel;
    }

    ContentGrpc.ContentBlockingStub content() {
        return ContentGrpc.newBlockingStub(channel);
    }

    ContentGrpc.ContentStub contentAsync() {
        return ContentGrpc.newStub(channel);
    }

    ImagesGrpc.ImagesBlockingStub images() {
        return ImagesGrpc.newBlockingStub(channel);
    }

    LeasesGrpc.LeasesBlockingStub leases() {
        return LeasesGrpc.newBlockingStub(channel);
    }

    SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
        return SnapshotsGrpc.newBlockingStub(channel);
    }

    DiffGrpc.DiffBlockingStub diff() {
        return DiffGrpc.newBlockingStub(channel);
    }

    IntrospectionGrpc.IntrospectionBlockingStub introspection() {
        return IntrospectionGrpc.newBlockingStub(channel);
    }

    /** containerd's own CRI ImageService on the same socket. */
    public ImageServiceGrpc.ImageServiceBlockingStub criImages() {
        return ImageServiceGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static final class Headers implements ClientInterceptor {
        private final String namespace;
        private volatile ManagedChannel channel;
        /** Counted down when the channel leaves the TRANSIENT_FAILURE that calls are waiting out now. */
        private final AtomicReference<CountDownLatch> outage = new AtomicReference<>();

        Headers(String namespace) {
            this.namespace = namespace;
        }

        /**
         * After containerd was down, gRPC waits out a growing backoff (up to 2 minutes) before dialling again,
         * and pick-first stays in TRANSIENT_FAILURE until a dial succeeds, failing every call meanwhile. A unix
         * socket costs nothing to try, so dial now and give that attempt a moment: a call issued at once would
         * still meet the failing state even when containerd is back. If containerd is still down the wait ends
         * at the bound (or the call's deadline, or its cancellation) and the call fails as before. Calls during
         * one outage share one state listener, so a long outage does not pile them up on the channel.
         */
        private void redial(ManagedChannel c, CallOptions options) {
            Context context = Context.current();
            if (context.isCancelled()) {
                return;
            }
            long waitNanos = REDIAL_WAIT.toNanos();
            if (options.getDeadline() != null) {
                waitNanos = Math.min(waitNanos, options.getDeadline().timeRemaining(TimeUnit.NANOSECONDS));
            }
            if (context.getDeadline() != null) {
                waitNanos = Math.min(waitNanos, context.getDeadline().timeRemaining(TimeUnit.NANOSECONDS));
            }
            CountDownLatch changed = outage.get();
            if (changed == null || changed.getCount() == 0) {
                CountDownLatch fresh = new CountDownLatch(1);
                if (outage.compareAndSet(changed, fresh)) {
                    c.notifyWhenStateChanged(ConnectivityState.TRANSIENT_FAILURE, fresh::countDown);
                    changed = fresh;
                } else {
                    changed = outage.get();
                }
            }
            c.resetConnectBackoff();
            if (waitNanos <= 0) {
                return;
            }
            try {
                changed.await(waitNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            ManagedChannel c = channel;
            if (c != null && c.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                redial(c, options);
            }
            String lease = LEASE.get();
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    headers.put(NAMESPACE, namespace);
                    if (lease != null) {
                        headers.put(LEASE_HEADER, lease);
                    }
                    super.start(listener, headers);
                }
            };
        }
    }
}
