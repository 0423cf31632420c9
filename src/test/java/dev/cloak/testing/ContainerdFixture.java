package dev.cloak.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * containerd from Debian's package, with its own root, state and socket in a temporary directory, the CRI
 * plugin on (no TCP streaming service) and the overlayfs snapshotter, or native where overlayfs is refused.
 * Stopped by its own process id; {@link #stop} and {@link #start} again keep its root.
 */
public final class ContainerdFixture implements AutoCloseable {
    public static final String NAMESPACE = "k8s.io";

    private final Path dir;
    private String snapshotter = "overlayfs";
    private String extraConfig = "";
    private Process process;

    public ContainerdFixture(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    public Path socket() {
        return dir.resolve("containerd.sock");
    }

    public String snapshotter() {
        return snapshotter;
    }

    /** Adds TOML to containerd's configuration (before {@link #start}). */
    public ContainerdFixture withConfig(String toml) {
        extraConfig += toml;
        return this;
    }

    /** containerd's content directory (its local content store's root). */
    public Path contentRoot() {
        return dir.resolve("root").resolve("io.containerd.content.v1.content");
    }

    public ContainerdFixture start() throws IOException {
        writeConfig();
        launch();
        if (!ctr("plugins", "ls").out().lines().anyMatch(l -> l.contains("overlayfs") && l.trim().endsWith("ok"))) {
            stop();
            snapshotter = "native";
            writeConfig();
            launch();
        }
        return this;
    }

    private void writeConfig() throws IOException {
        Files.writeString(dir.resolve("config.toml"), "version = 2\nroot = \"" + dir.resolve("root") + "\"\nstate = \""
                + dir.resolve("state") + "\"\n[grpc]\n  address = \"" + socket() + "\"\n[debug]\n  level = \"warn\"\n"
                + "[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable_tcp_service = true\n"
                + "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n    snapshotter = \"" + snapshotter + "\"\n" + extraConfig);
    }

    private void launch() throws IOException {
        process = new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("containerd.log").toFile()))
                .start();
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("containerd exited: " + Files.readString(dir.resolve("containerd.log")));
            }
            if (Files.exists(socket()) && ctr("version").exit() == 0) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        throw new IllegalStateException("containerd did not answer within 30 s");
    }

    /** Runs {@code ctr} against this containerd in the k8s.io namespace. */
    public Cmd.Result ctr(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ctr", "--address", socket().toString(), "--namespace", NAMESPACE));
        cmd.addAll(List.of(args));
        return Cmd.run(dir, cmd);
    }

    public void stop() {
        Processes.stop(process, 15);
    }

    @Override
    public void close() {
        stop();
    }
}
