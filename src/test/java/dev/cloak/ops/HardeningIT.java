package dev.cloak.ops;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.FreePort;
import dev.cloak.testing.Layouts;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.Project;
import dev.cloak.testing.RegistryFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two claims the unit's hardening rests on, checked with the same kernel mechanisms systemd uses:
 * cloak serve needs no capability at all (CapabilityBoundingSet= is empty) when the files it reads are
 * root's, and it reaches containerd through a read-only mount of the socket's directory; the one writable
 * path the unit grants (ReadWritePaths=) is containerd's content directory, where decrypted layers are
 * handed over as files. Runs cloak serve in its own mount namespace (unshare) with containerd's directory,
 * the keys and the registry hosts bind-mounted read-only and the content directory read-write, then with
 * every capability dropped and no_new_privs set (setpriv).
 */
class HardeningIT {
    @TempDir
    Path tmp;

    @Test
    void cloakServeDecryptsWithoutCapabilitiesThroughReadOnlyMounts() throws Exception {
        Path keys = Files.createDirectories(tmp.resolve("keys"));
        Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rwx------"));
        Path hosts = Files.createDirectories(tmp.resolve("certs.d"));
        Path socket = tmp.resolve("run/cloak.sock");
        Path log = tmp.resolve("cloak.log");

        try (RegistryFixture registry = new RegistryFixture(tmp.resolve("registry")).start();
             ContainerdFixture containerd = new ContainerdFixture(tmp.resolve("containerd")).start()) {
            Path hostDir = Files.createDirectories(hosts.resolve(registry.host()));
            Files.writeString(hostDir.resolve("hosts.toml"), "server = \"http://" + registry.host() + "\"\n");

            // node.pem is root's, as keys must be; pool.pem belongs to another user.
            KeyPair node = PemKeys.rsa();
            KeyPair pool = PemKeys.ec();
            Path nodeKey = PemKeys.writeTraditional(node, keys.resolve("node.pem"));
            Path poolKey = PemKeys.writePkcs8(pool, keys.resolve("pool.pem"));
            for (Path k : List.of(nodeKey, poolKey)) {
                Files.setPosixFilePermissions(k, PosixFilePermissions.fromString("rw-------"));
            }
            UserPrincipalLookupService users = tmp.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(poolKey, users.lookupPrincipalByName("nobody"));

            Path image = Layouts.busybox(tmp, "v1", "hardening");
            String forNode = registry.host() + "/enc/node:v1";
            String forPool = registry.host() + "/enc/pool:v1";
            skopeo("--encryption-key", "jwe:" + PemKeys.writePublic(node, tmp.resolve("node.pub")), "oci:" + image + ":v1", "docker://" + forNode);
            skopeo("--encryption-key", "jwe:" + PemKeys.writePublic(pool, tmp.resolve("pool.pub")), "oci:" + image + ":v1", "docker://" + forPool);

            int metricsPort = FreePort.pick();
            Path config = tmp.resolve("config.toml");
            Files.writeString(config, "listen = \"unix://" + socket + "\"\nruntime_endpoint = \"unix://" + containerd.socket()
                    + "\"\ndecryption_keys_path = \"" + keys + "\"\nsnapshotter = \"" + containerd.snapshotter()
                    + "\"\nregistry_config_dir = \"" + hosts + "\"\nshutdown_grace_seconds = 5\nmetrics_listen = \"127.0.0.1:"
                    + metricsPort + "\"\n");
            Path containerdDir = containerd.socket().getParent();
            StringBuilder inner = new StringBuilder("set -e\n");
            for (Path ro : List.of(containerdDir, keys, hosts)) {
                inner.append("mount --bind '").append(ro).append("' '").append(ro).append("'\n")
                        .append("mount -o remount,bind,ro '").append(ro).append("' '").append(ro).append("'\n")
                        // The test is only worth something if the mount really is read-only.
                        .append("if touch '").append(ro).append("/.rw-probe' 2>/dev/null; then echo 'not read-only: ")
                        .append(ro).append("' >&2; exit 70; fi\n");
            }
            // ReadWritePaths=: containerd's content directory, writable inside the read-only tree.
            // A bind from a read-only mount is read-only too until remounted.
            inner.append("mount --bind '").append(containerd.contentRoot()).append("' '").append(containerd.contentRoot()).append("'\n")
                    .append("mount -o remount,bind,rw '").append(containerd.contentRoot()).append("' '").append(containerd.contentRoot()).append("'\n");
            inner.append("exec setpriv --no-new-privs --bounding-set -all --inh-caps -all --ambient-caps -all -- '")
                    .append(Project.root().resolve("bin/cloak")).append("' serve --config '").append(config).append("'\n");
            Process serve = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", inner.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitAnswer(serve, socket, log);
                // Every exec above replaced the process: this is the JVM itself, as systemd would start it.
                String status = Files.readString(Path.of("/proc", Long.toString(serve.pid()), "status"));
                assertTrue(status.lines().anyMatch(l -> l.matches("Name:\\s+java")), status);
                assertTrue(status.lines().anyMatch(l -> l.matches("CapEff:\\s+0+")), status);
                assertTrue(status.lines().anyMatch(l -> l.matches("CapBnd:\\s+0+")), status);
                assertTrue(status.lines().anyMatch(l -> l.matches("NoNewPrivs:\\s+1")), status);

                // The metrics endpoint (a TCP port above 1024 needs no capability) reports ready: socket served,
                // containerd answering, key directory readable.
                HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ready.statusCode(), ready.body());

                // Root's key in a 0700 directory, containerd behind a read-only mount: decrypted and imported.
                images(socket, "pull", forNode).ok();
                // Without capabilities, as the owner of containerd's files, Cloak hands layers over as files.
                assertTrue(Files.readString(log).contains("decrypted layers are handed to containerd as files in its content directory "
                        + containerd.contentRoot()), Files.readString(log));

                // Another user's key cannot be read without CAP_DAC_OVERRIDE: skipped with a warning.
                Cmd.Result refused = images(socket, "pull", forPool);
                assertEquals(3, refused.exit(), refused.err());
                assertTrue(refused.err().contains("missing private key"), refused.err());
                assertTrue(Files.readString(log).contains("skipping key file " + poolKey + ": it cannot be read"),
                        Files.readString(log));

                // The same key made root's (and touched, so it is read again) works without a restart:
                // ownership alone was the reason.
                Files.setOwner(poolKey, users.lookupPrincipalByName("root"));
                Files.setLastModifiedTime(poolKey, FileTime.from(Instant.now().plusSeconds(5)));
                images(socket, "pull", forPool).ok();
            } finally {
                serve.destroy();
                if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                    serve.destroyForcibly();
                }
            }
        }
    }

    private Cmd.Result images(Path socket, String... args) {
        List<String> all = new ArrayList<>(List.of("images", "--endpoint", "unix://" + socket));
        all.addAll(List.of(args));
        return Cmd.cloak(tmp, all.toArray(new String[0]));
    }

    private void skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"));
        cmd.addAll(List.of(args));
        Cmd.run(tmp, cmd).ok();
    }

    private void awaitAnswer(Process serve, Path socket, Path log) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!serve.isAlive()) {
                throw new AssertionError("cloak serve exited " + serve.exitValue() + ": " + Files.readString(log));
            }
            if (Files.exists(socket) && images(socket, "fsinfo").exit() == 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("cloak serve did not answer: " + Files.readString(log));
    }
}
