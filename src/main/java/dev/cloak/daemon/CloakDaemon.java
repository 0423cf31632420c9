package dev.cloak.daemon;

import dev.cloak.config.ServeConfig;
import dev.cloak.containerd.Containerd;
import dev.cloak.containerd.ContentStore;
import dev.cloak.containerd.ImageRecords;
import dev.cloak.containerd.Leases;
import dev.cloak.containerd.Unpacker;
import dev.cloak.cri.CriImageService;
import dev.cloak.cri.CriRuntimeService;
import dev.cloak.error.Threads;
import dev.cloak.keys.KeyDirectory;
import dev.cloak.ocicrypt.CipherWarmup;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import dev.cloak.pull.ImageImporter;
import dev.cloak.pull.PullService;
import dev.cloak.registry.HostsDirectory;
import dev.cloak.registry.RegistryTransport;
import dev.cloak.registry.auth.DockerConfigCredentials;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code cloak serve}: wires the pull pipeline to a gRPC server on a unix socket. Shutdown: stop accepting,
 * let running calls finish within the grace period, cancel the rest, remove the socket.
 */
public final class CloakDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CloakDaemon.class);

    private final ServeConfig config;
    private final Containerd containerd;
    private final ExecutorService layerPool;
    private final ExecutorService pullPool;
    private final KeyProviders keyProviders;
    private final EpollEventLoopGroup boss = new EpollEventLoopGroup(1);
    private final EpollEventLoopGroup workers = new EpollEventLoopGroup(2);
    private final dev.cloak.metrics.CloakMetrics metrics = new dev.cloak.metrics.CloakMetrics();
    private Server server;
    private NodeStatus status;
    private MetricsServer metricsServer;

    public CloakDaemon(ServeConfig config) {
        this.config = config;
        this.containerd = Containerd.connect(config.runtimeEndpoint(), config.containerdNamespace());
        this.layerPool = Executors.newFixedThreadPool(config.maxConcurrentDownloads(), Threads.named("cloak-layer"));
        this.pullPool = Executors.newCachedThreadPool(Threads.named("cloak-pull"));
        this.keyProviders = new KeyProviders(config.keyProviders());
    }

    public void start(String version) throws IOException {
        ContentStore content = new ContentStore(containerd, config.containerdContentDir());
        KeyDirectory keys = new KeyDirectory(config.decryptionKeysPath(), metrics::keyFileSkipped);
        ImageImporter importer = new ImageImporter(content, new Leases(containerd),
                new Unpacker(containerd, content, config.snapshotter()), new ImageRecords(containerd),
                keys, new LayerDecryptor(KeyWrappers.standard(keyProviders)), layerPool, config.snapshotter());
        PullService pulls = new PullService(importer, new HostsDirectory(config.registryConfigDir()),
                DockerConfigCredentials.standard(), RegistryTransport.Settings.DEFAULT, pullPool, metrics);
        status = new NodeStatus(containerd, keys, metrics);
        // The socket first: a second `cloak serve` with the same configuration must be told that a server
        // already runs on it, not that the metrics port is taken.
        UnixSocket.prepare(config.listen());
        if (config.metricsAddress() != null) {
            metricsServer = new MetricsServer(config.metricsAddress(), config.metricsListen(), metrics, status);
        }
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(config.listen().toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .addService(new CriImageService(containerd, pulls))
                .addService(new CriRuntimeService(version))
                .build()
                .start();
        UnixSocket.restrict(config.listen());
        status.serving(true);
        CipherWarmup.start(); // the first pull after a start then decrypts as fast as later ones
        LOG.info("serving the CRI image service on unix://{} for containerd at {} (namespace {}, snapshotter {}, keys {},"
                + " key providers {}, metrics {})", config.listen(), config.runtimeEndpoint(), config.containerdNamespace(),
                config.snapshotter(), config.decryptionKeysPath(),
                keyProviders.names().isEmpty() ? "none" : String.join(", ", keyProviders.names()),
                metricsServer == null ? "off" : "http://" + config.metricsListen());
    }

    @Override
    public void close() {
        if (status != null) {
            status.serving(false);
        }
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("calls still running after the {} s grace period are cancelled", config.shutdownGrace().toSeconds());
                    server.shutdownNow();
                    server.awaitTermination(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        pullPool.shutdownNow();
        layerPool.shutdownNow();
        keyProviders.close();
        containerd.close();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (server == null) {
            // Never bound: the socket, if any, belongs to another server (UnixSocket.prepare refused to take it).
            return;
        }
        try {
            Files.deleteIfExists(config.listen());
        } catch (IOException e) {
            LOG.warn("could not remove the socket {}: {}", config.listen(), e.getMessage());
        }
        LOG.info("stopped");
    }
}
