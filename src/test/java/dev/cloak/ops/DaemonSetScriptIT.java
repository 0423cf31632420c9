package dev.cloak.ops;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DaemonSet's container command, run as two pods would run it on one node: the new pod takes the
 * stable socket path over while the old one still runs, the old one's exit leaves the new one's socket
 * alone, and a crashed Cloak comes back without kubelet. Each "pod" is the script from
 * deploy/daemonset.yaml, unchanged except for /run/cloak, with a stand-in for the image's java.
 */
class DaemonSetScriptIT {
    private static final String IMAGE_MAIN = "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"
            + " -cp @/app/jib-classpath-file dev.cloak.cli.Main";

    @TempDir
    Path tmp;

    @Test
    void newPodTakesTheSocketOverAndTheOldOnesExitLeavesItAlone() throws Exception {
        String script = DeployFiles.containerScript();
        assertTrue(script.contains("dir=/run/cloak\n"), script);
        assertTrue(script.contains("$main") && script.contains("main=\"" + IMAGE_MAIN + "\""), script);
        Path run = Files.createDirectories(tmp.resolve("run/cloak"));
        Path link = run.resolve("cloak.sock");

        try (ContainerdFixture containerd = new ContainerdFixture(tmp.resolve("containerd")).start()) {
            Path bin = fakeImageJava(containerd);
            String podScript = script.replace("/run/cloak", run.toString());

            Process a = pod(podScript, bin, "aaa");
            Process b = null;
            try {
                await("pod aaa serving through " + link, () -> leadsTo(link, "cloak-aaa.sock") && answers(link));

                Process podB = pod(podScript, bin, "bbb");
                b = podB;
                await("pod bbb taking over " + link, () -> leadsTo(link, "cloak-bbb.sock"));
                assertTrue(a.isAlive(), "the old pod keeps running until it is deleted");
                assertTrue(answers(link));

                // The old pod is deleted: SIGTERM, as kubelet sends it. It exits 0 and removes only its socket.
                a.destroy();
                assertTrue(a.waitFor(60, TimeUnit.SECONDS), "old pod did not stop");
                assertEquals(0, a.exitValue());
                assertFalse(Files.exists(run.resolve("cloak-aaa.sock")));
                assertTrue(leadsTo(link, "cloak-bbb.sock"));
                assertTrue(answers(link), "after the old pod's exit");

                // Cloak dies inside the new pod: the loop starts it again, no kubelet involved.
                ProcessHandle java = b.toHandle().children().findFirst().orElseThrow();
                java.destroyForcibly();
                java.onExit().get(30, TimeUnit.SECONDS);
                await("Cloak restarted inside pod bbb", () -> podB.toHandle().children().anyMatch(c -> c.pid() != java.pid()) && answers(link));
                assertTrue(podB.isAlive());
            } finally {
                stop(a);
                stop(b);
            }
        }
    }

    /**
     * Stands in for the image's java: the classpath file and main class become target/cloak.jar, and
     * cloak serve gets the paths the pod's volumes would give it (containerd's socket, keys, hosts) and
     * an ephemeral metrics port in place of the pod's own 9810.
     */
    private Path fakeImageJava(ContainerdFixture containerd) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path keys = Files.createDirectories(tmp.resolve("keys"));
        Path hosts = Files.createDirectories(tmp.resolve("certs.d"));
        String fake = "#!/bin/bash\n"
                + "args=(\"$@\")\n"
                + "for i in \"${!args[@]}\"; do\n"
                + "  if [ \"${args[$i]}\" = -cp ] && [ \"${args[$((i+1))]}\" = @/app/jib-classpath-file ] && [ \"${args[$((i+2))]}\" = dev.cloak.cli.Main ]; then\n"
                + "    jvm=(\"${args[@]:0:$i}\"); app=(\"${args[@]:$((i+3))}\")\n"
                // Each pod has its own network namespace; here both share this one, so each gets a free port.
                + "    for j in \"${!app[@]}\"; do [ \"${app[$j]}\" = --metrics-listen ] && app[$((j+1))]=127.0.0.1:0; done\n"
                + "    if [ \"${app[0]}\" = serve ]; then\n"
                + "      app+=(--runtime-endpoint unix://" + containerd.socket() + " --snapshotter " + containerd.snapshotter()
                + " --decryption-keys-path " + keys + " --registry-config-dir " + hosts + " --shutdown-grace-seconds 5)\n"
                + "    fi\n"
                + "    exec /usr/bin/java \"${jvm[@]}\" -jar " + Project.root().resolve("target/cloak.jar") + " \"${app[@]}\"\n"
                + "  fi\n"
                + "done\n"
                + "echo \"fake java: not the image's command line: $*\" >&2\n"
                + "exit 99\n";
        Path java = bin.resolve("java");
        Files.writeString(java, fake);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private Process pod(String script, Path bin, String uid) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", script).directory(tmp.toFile())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("pod-" + uid + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", bin + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("POD_UID", uid);
        env.put("JAVA_OPTS", "-Xmx128m");
        return pb.start();
    }

    private static boolean leadsTo(Path link, String target) {
        try {
            return Files.isSymbolicLink(link) && Files.readSymbolicLink(link).toString().equals(target);
        } catch (IOException e) {
            return false;
        }
    }

    /** What kubelet does: a CRI call to the stable path, answered by containerd behind Cloak. */
    private boolean answers(Path link) {
        return Cmd.cloak(tmp, "images", "--endpoint", "unix://" + link, "fsinfo").exit() == 0;
    }

    private void await(String what, BooleanSupplier condition) throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        StringBuilder logs = new StringBuilder();
        for (String uid : List.of("aaa", "bbb")) {
            Path log = tmp.resolve("pod-" + uid + ".log");
            if (Files.exists(log)) {
                logs.append("\n--- pod ").append(uid).append(":\n").append(Files.readString(log));
            }
        }
        throw new AssertionError("timed out waiting for " + what + logs);
    }

    /** Stops a pod the way kubelet does: SIGTERM to the shell, then to anything left, by process id. */
    private static void stop(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        List<ProcessHandle> children = p.toHandle().descendants().toList();
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
