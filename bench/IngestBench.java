import com.google.protobuf.ByteString;
import dev.cloak.containerd.ContentStore;
import dev.cloak.containerd.Containerd;
import dev.cloak.oci.Digest;
import dev.cloak.ocicrypt.PlaintextSink;
import dev.cloak.proto.containerd.content.ContentGrpc;
import dev.cloak.proto.containerd.content.WriteAction;
import dev.cloak.proto.containerd.content.WriteContentRequest;
import dev.cloak.proto.containerd.content.WriteContentResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * containerd's content ingest alone, the stage a pull through Cloak feeds its plaintext into: STREAMS blobs
 * of SIZE_MIB MiB each (distinct data, made in memory, digests computed before the clock starts) written at
 * once over the Content.Write stream in 1 MiB WRITEs, either
 *
 * <ul>
 * <li>{@code decrypted}: through Cloak's own sink for decrypted layers ({@link ContentStore#decryptedLayerSink}),
 *     written 1 MiB at a time as {@code LayerDecryptor} does; up to 4 MiB of WRITEs await containerd's
 *     replies. The production code, unchanged; the ingest is aborted at the end instead of committed (only a
 *     decryptor can commit), so COMMIT is not counted;</li>
 * <li>{@code plain}: through {@link ContentStore#write}, the path of an image's unencrypted layers: the blob
 *     stream is read straight into 1 MiB WRITEs, pipelined the same way; COMMIT counted;</li>
 * <li>{@code pipelined}: 1 MiB WRITEs on the same kind of channel, sent as fast as gRPC's flow control (with
 *     its default 32 KiB on-ready threshold) lets them, replies read as they come; COMMIT last, and counted; {@code pipelined-conns}: the same with one
 *     connection per blob instead of one shared connection.</li>
 * </ul>
 *
 * Prints one line: seconds and MB/s. Committed blobs stay in containerd (bench/run removes them).
 * Usage: IngestBench SOCKET NAMESPACE decrypted|plain|pipelined|pipelined-conns SIZE_MIB STREAMS [WRITE_MIB (pipelined only)]
 */
public final class IngestBench {
    private static final int CHUNK = 1 << 20;
    /** WRITE size of the pipelined mode, in chunks (optional sixth argument, default 1: 1 MiB). */
    private static int per = 1;

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0].replaceFirst("^unix://", ""));
        String namespace = args[1];
        String mode = args[2];
        int mib = Integer.parseInt(args[3]);
        int streams = Integer.parseInt(args[4]);
        if (args.length > 5) {
            per = Integer.parseInt(args[5]);
        }
        byte[][] blocks = new byte[streams][CHUNK];
        String[] digests = new String[streams];
        long seed = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            new SplittableRandom(seed + s).nextBytes(blocks[s]);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < mib; i++) {
                md.update(chunk(blocks[s], i));
            }
            digests[s] = "sha256:" + HexFormat.of().formatHex(md.digest());
        }
        long size = (long) mib * CHUNK;
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        List<Future<?>> done = new ArrayList<>();
        long t0;
        if (!mode.equals("pipelined")) {
            try (Containerd containerd = Containerd.connect(socket, namespace)) {
                ContentStore content = new ContentStore(containerd);
                t0 = System.nanoTime();
                for (int s = 0; s < streams; s++) {
                    int k = s;
                    done.add(pool.submit(() -> {
                        if (mode.equals("plain")) {
                            content.write(Digest.parse(digests[k]), size, new Blocks(blocks[k], mib), Map.of());
                            return null;
                        }
                        try (PlaintextSink.Staging staging = content.decryptedLayerSink(Digest.parse(digests[k]), size).begin()) {
                            for (int i = 0; i < mib; i++) {
                                staging.out().write(chunk(blocks[k], i), 0, CHUNK);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                report(t0, size * streams);
            }
        } else {
            // "pipelined": one connection for all blobs, as Cloak has; "pipelined-conns": one connection each.
            int connections = mode.equals("pipelined-conns") ? streams : 1;
            EpollEventLoopGroup group = new EpollEventLoopGroup(connections);
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), namespace);
            List<ManagedChannel> channels = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                channels.add(NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                        .eventLoopGroup(group).channelType(EpollDomainSocketChannel.class).usePlaintext()
                        .maxInboundMessageSize(16 << 20).intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build());
            }
            t0 = System.nanoTime();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int s = 0; s < streams; s++) {
                ContentGrpc.ContentStub stub = ContentGrpc.newStub(channels.get(s % connections));
                all.add(pipelined(stub, "ingest-bench-" + seed + "-" + s, blocks[s], mib, digests[s]));
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get();
            report(t0, size * streams);
            channels.forEach(ManagedChannel::shutdownNow);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        pool.shutdown();
        System.exit(0);
    }

    /** Chunk i of a blob: its block, with the chunk's number in its first 8 bytes so no two chunks are alike. */
    private static byte[] chunk(byte[] block, int i) {
        byte[] c = block.clone();
        for (int b = 0; b < 8; b++) {
            c[b] = (byte) (i >>> (8 * b));
        }
        return c;
    }

    private static void report(long t0, long bytes) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(java.util.Locale.ROOT, "%.3f %.0f%n", s, bytes / 1e6 / s);
    }

    /** STAT, then every WRITE while the transport is ready, then COMMIT; completes when containerd closes the stream. */
    private static CompletableFuture<Void> pipelined(ContentGrpc.ContentStub stub, String ref, byte[] block, int mib, String digest) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        long size = (long) mib * CHUNK;
        stub.write(new ClientResponseObserver<WriteContentRequest, WriteContentResponse>() {
            private ClientCallStreamObserver<WriteContentRequest> out;
            private int next = -1; // -1: STAT not sent
            private boolean committed;

            @Override
            public void beforeStart(ClientCallStreamObserver<WriteContentRequest> requests) {
                out = requests;
                requests.setOnReadyHandler(this::pump);
            }

            private synchronized void pump() {
                while (out.isReady() && !committed) {
                    if (next < 0) {
                        out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.STAT).setRef(ref).setTotal(size).build());
                    } else if (next < mib) {
                        ByteString data = ByteString.EMPTY;
                        int first = next;
                        for (int i = 0; i < per && next < mib; i++, next++) {
                            data = data.concat(ByteString.copyFrom(chunk(block, next)));
                        }
                        next--;
                        out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref)
                                .setOffset((long) first * CHUNK).setData(data).build());
                    } else {
                        out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref)
                                .setOffset(size).setTotal(size).setExpected(digest).build());
                        committed = true;
                        out.onCompleted();
                    }
                    next++;
                }
            }

            @Override
            public void onNext(WriteContentResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(null);
            }
        });
        return result;
    }

    /** A blob's bytes as a stream, chunk by chunk, as a decryptor would hand them over. */
    private static final class Blocks extends InputStream {
        private final byte[] block;
        private final int chunks;
        private int index;
        private byte[] current;
        private int pos;

        Blocks(byte[] block, int chunks) {
            this.block = block;
            this.chunks = chunks;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (current == null || pos == current.length) {
                if (index == chunks) {
                    return -1;
                }
                current = chunk(block, index++);
                pos = 0;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
