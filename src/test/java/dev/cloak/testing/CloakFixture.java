package dev.cloak.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code cloak serve} from target/cloak.jar, as a process: its socket, key directory and registry host
 * configuration in a temporary directory, talking to a {@link ContainerdFixture}. Stopped with SIGTERM by
 * its own process id; {@link #stop} returns the exit code.
 */
public final class CloakFixture implements AutoCloseable {
    private final Path dir;
    private final Path keys;
    private final Path hostsDir;
    private final Path log;
    private final ContainerdFixture containerd;
    private final int metricsPort = FreePort.pick();
    private Process process;
    private List<String> serveArgs = List.of();

    public CloakFixture(Path dir, ContainerdFixture containerd) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.keys = Files.createDirectories(dir.resolve("keys"));
        this.hostsDir = Files.createDirectories(dir.resolve("certs.d"));
        this.log = dir.resolve("cloak.log");
        this.containerd = containerd;
    }

    public Path socket() {
        return dir.resolve("run/cloak.sock");
    }

    public String endpoint() {
        return "unix://" + socket();
    }

    public Path keys() {
        return keys;
    }

    /** Base URL of /metrics, /healthz and /readyz. */
    public String metricsUrl() {
        return "http://127.0.0.1:" + metricsPort;
    }

    /** Lets Cloak reach a plain-HTTP test registry, as an operator would with hosts.toml. */
    public CloakFixture withPlainHttpRegistry(String hostAndPort) throws IOException {
        Path d = Files.createDirectories(hostsDir.resolve(hostAndPort));
        Files.writeString(d.resolve("hosts.toml"), "server = \"http://" + hostAndPort + "\"\n");
        return this;
    }

    /** Flags added to {@code cloak serve --config FILE}, e.g. the log format. */
    public CloakFixture withServeArgs(String... args) {
        serveArgs = List.of(args);
        return this;
    }

    public CloakFixture start() throws IOException {
        Path config = dir.resolve("config.toml");
        Files.writeString(config, "listen = \"unix://" + socket() + "\"\nruntime_endpoint = \"unix://" + containerd.socket()
                + "\"\ndecryption_keys_path = \"" + keys + "\"\nsnapshotter = \"" + containerd.snapshotter()
                + "\"\nregistry_config_dir = \"" + hostsDir + "\"\nshutdown_grace_seconds = 5\nmetrics_listen = \"127.0.0.1:"
                + metricsPort + "\"\n");
        List<String> command = new ArrayList<>(List.of(Project.root().resolve("bin/cloak").toString(), "serve", "--config", config.toString()));
        command.addAll(serveArgs);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("cloak serve exited: " + Files.readString(log));
            }
            if (Files.exists(socket()) && images("fsinfo").exit() == 0) {
                return this;
            }
            sleep(100);
        }
        throw new IllegalStateException("cloak serve did not answer within 30 s: " + Files.readString(log));
    }

    /** Runs {@code cloak images --endpoint <this daemon> ARGS}. */
    public Cmd.Result images(String... args) {
        List<String> all = new ArrayList<>(List.of("images", "--endpoint", endpoint()));
        all.addAll(List.of(args));
        return Cmd.cloak(dir, all.toArray(new String[0]));
    }

    /** Where the daemon's output goes (appended across restarts). */
    public Path logFile() {
        return log;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** Sends SIGTERM and returns the exit code (-1 if it had to be killed). */
    public int stop() {
        return Processes.stop(process, 30);
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
