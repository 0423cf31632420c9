import dev.cloak.proto.cri.ImageFsInfoRequest;
import dev.cloak.proto.cri.ImageServiceGrpc;
import dev.cloak.proto.cri.ImageSpec;
import dev.cloak.proto.cri.PullImageRequest;
import dev.cloak.proto.cri.RemoveImageRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The CRI client of bench/run: one JVM times CRI calls from the inside, so no JVM start-up is counted in a
 * measurement (each `cloak images` call starts one). The gRPC channel is the one `cloak images` uses: Netty,
 * epoll, a unix socket, warmed by one untimed call first. Times are printed in seconds with millisecond
 * resolution, on stdout, one per line.
 *
 * <pre>
 * CriBench pull SOCKET IMAGE...            each image in turn; one line per image: seconds
 * CriBench concurrent SOCKET COPIES IMAGE...  COPIES PullImage calls per image, all at once; one line:
 *                                          wall seconds; exits 1 if any call failed (each failure on stderr)
 * CriBench rm SOCKET IMAGE...              RemoveImage (gone already is fine)
 * CriBench startup SOCKET LOG COMMAND...   launches COMMAND (output to LOG), polls ImageFsInfo in a tight
 *                                          loop until it answers; one line: "PID seconds"; COMMAND keeps running
 * </pre>
 */
public final class CriBench {
    private static EpollEventLoopGroup group;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CriBench pull|concurrent|rm|startup SOCKET ...");
            System.exit(2);
        }
        group = new EpollEventLoopGroup(2);
        String socket = args[1].replaceFirst("^unix://", "");
        List<String> rest = Arrays.asList(args).subList(2, args.length);
        int rc = 0;
        try {
            switch (args[0]) {
                case "pull" -> {
                    ManagedChannel ch = channel(socket);
                    warm(ch);
                    for (String image : rest) {
                        long t0 = System.nanoTime();
                        pull(ch, image);
                        System.out.println(seconds(System.nanoTime() - t0));
                    }
                    close(ch);
                }
                case "concurrent" -> rc = concurrent(socket, Integer.parseInt(rest.get(0)), rest.subList(1, rest.size()));
                case "rm" -> {
                    ManagedChannel ch = channel(socket);
                    var stub = ImageServiceGrpc.newBlockingStub(ch);
                    for (String image : rest) {
                        stub.removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
                    }
                    close(ch);
                }
                case "startup" -> startup(socket, rest.get(0), rest.subList(1, rest.size()));
                default -> {
                    System.err.println("unknown command " + args[0]);
                    rc = 2;
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.exit(rc);
    }

    private static ManagedChannel channel(String socket) {
        return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket)).eventLoopGroup(group)
                .channelType(EpollDomainSocketChannel.class).usePlaintext().maxInboundMessageSize(16 << 20).build();
    }

    /**
     * One ImageFsInfo call before any timed one, as kubelet's connection is long-lived: the connection and
     * most of this fresh JVM's first-call cost (about 0.4 s) are then paid before the clock starts. About
     * 60-110 ms still passes between a timed PullImage's start and the server's handler, for Cloak and
     * containerd alike (their logs against this JVM's clock), so it cancels in the ratios.
     */
    private static void warm(ManagedChannel ch) {
        ImageServiceGrpc.newBlockingStub(ch).imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
    }

    private static void close(ManagedChannel ch) throws InterruptedException {
        ch.shutdownNow();
        ch.awaitTermination(2, TimeUnit.SECONDS);
    }

    private static String pull(ManagedChannel ch, String image) {
        return ImageServiceGrpc.newBlockingStub(ch)
                .pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build())
                .getImageRef();
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e9);
    }

    /** COPIES calls per image, released together by a latch, each on its own thread and channel. */
    private static int concurrent(String socket, int copies, List<String> images) throws Exception {
        int n = copies * images.size();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ManagedChannel ch = channel(socket);
            warm(ch);
            channels.add(ch);
        }
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ManagedChannel ch = channels.get(i);
            String image = images.get(i % images.size());
            calls.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return pull(ch, image);
            }));
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        int failed = 0;
        for (int i = 0; i < n; i++) {
            try {
                calls.get(i).get();
            } catch (java.util.concurrent.ExecutionException e) {
                failed++;
                System.err.println("call " + i + " (" + images.get(i % images.size()) + ") failed: " + e.getCause());
            }
        }
        long wall = System.nanoTime() - t0;
        System.out.println(seconds(wall));
        pool.shutdown();
        for (ManagedChannel ch : channels) {
            close(ch);
        }
        return failed == 0 ? 0 : 1;
    }

    /**
     * Launches the daemon and asks ImageFsInfo until it answers. The gRPC and Netty classes are loaded and
     * compiled enough before the launch (a call to a socket nobody serves yet), so the probe's own warm-up
     * is not counted. Each attempt uses a fresh channel: a failed channel would wait out gRPC's reconnect
     * backoff (1 s) instead of trying again at once.
     */
    private static void startup(String socket, String log, List<String> command) throws Exception {
        new File(socket).delete();
        for (int i = 0; i < 3; i++) {
            tryFsInfo(socket);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(log)));
        long t0 = System.nanoTime();
        Process p = pb.start();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (new File(socket).exists() && tryFsInfo(socket)) {
                break;
            }
            if (!p.isAlive()) {
                System.err.println("the daemon exited with " + p.exitValue() + " before answering; see " + log);
                System.exit(1);
            }
            if (System.nanoTime() > deadline) {
                System.err.println("no answer on " + socket + " within 60 s; stopping the daemon (pid " + p.pid() + ")");
                p.destroy();
                p.waitFor(20, TimeUnit.SECONDS);
                p.destroyForcibly();
                System.exit(1);
            }
            Thread.sleep(2);
        }
        long elapsed = System.nanoTime() - t0;
        System.out.println(p.pid() + " " + seconds(elapsed));
    }

    private static boolean tryFsInfo(String socket) throws InterruptedException {
        ManagedChannel ch = channel(socket);
        try {
            ImageServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        } finally {
            ch.shutdownNow();
        }
    }
}
