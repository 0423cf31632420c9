package dev.cloak.ops;

import dev.cloak.config.ServeConfig;
import dev.cloak.testing.CloakFixture;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.ContainerdFixture;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * systemd/cloak.service: accepted by systemd's own checker, hardened as docs/operations.md says, and its
 * readiness check run for real against containerd and cloak serve.
 */
class SystemdUnitIT {
    private static final String SOCKET = "/run/cloak/cloak.sock";
    private static final String SH_PREFIX = "/bin/sh -c '";

    @TempDir
    Path tmp;

    /** The unit with its paths pointing at this tree's launcher, as scripts/install would write it. */
    private Path installedCopy(String unit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("unit-" + System.nanoTime()));
        Path file = dir.resolve("cloak.service");
        Files.writeString(file, UnitFile.rewritten(unit, Project.root().resolve("bin/cloak"),
                tmp.resolve("etc/config.toml"), tmp.resolve("keys")));
        return file;
    }

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnitWithoutAWarning() throws IOException {
        Path unit = installedCopy(Files.readString(UnitFile.SOURCE));

        assertEquals(List.of(), UnitFile.verifyComplaints(unit));
    }

    @Test
    void verifyComplaintsWouldShowAWarningAboutTheUnit() throws IOException {
        // Proves the check above can fail: verify exits 0 on an unknown setting and only prints a line.
        String unit = Files.readString(UnitFile.SOURCE).replace("[Service]\n", "[Service]\nNoSuchSetting=1\n");
        Path broken = installedCopy(unit);

        List<String> complaints = UnitFile.verifyComplaints(broken);

        assertTrue(complaints.stream().anyMatch(l -> l.contains("NoSuchSetting")), complaints.toString());
    }

    @Test
    void startsAfterContainerdWithoutBeingTiedToItsRestartsAndBeforeKubelet() throws IOException {
        UnitFile u = UnitFile.parse(UnitFile.SOURCE);

        assertEquals("containerd.service", u.one("Unit", "Wants"));
        assertEquals(List.of(), u.all("Unit", "Requires"));
        assertEquals(List.of(), u.all("Unit", "BindsTo"));
        assertEquals(List.of(), u.all("Unit", "PartOf"));
        assertEquals("containerd.service", u.one("Unit", "After"));
        assertEquals("kubelet.service", u.one("Unit", "Before"));
        assertEquals("exec", u.one("Service", "Type"));
        assertEquals("/usr/local/bin/cloak serve --config /etc/cloak/config.toml", u.one("Service", "ExecStart"));
        assertEquals("on-failure", u.one("Service", "Restart"));
        assertTrue(seconds(u.one("Service", "RestartSec")) > 0);
        assertEquals("cloak", u.one("Service", "RuntimeDirectory"));
        assertTrue(u.one("Install", "WantedBy").contains("multi-user.target"));
    }

    @Test
    void stopWaitsLongerThanTheDaemonsShutdownGrace() throws IOException {
        UnitFile u = UnitFile.parse(UnitFile.SOURCE);

        assertEquals("SIGTERM", u.one("Service", "KillSignal"));
        // cloak serve waits the grace period, then up to 5 s more for cancelled calls (CloakDaemon.close).
        long needed = ServeConfig.DEFAULTS.shutdownGrace().toSeconds() + 5;
        assertTrue(seconds(u.one("Service", "TimeoutStopSec")) > needed,
                "TimeoutStopSec=" + u.one("Service", "TimeoutStopSec") + " must exceed " + needed + " s");
    }

    @Test
    void jvmMemoryIsBoundedAndTheFlagsReachTheJvmThroughTheLauncher() throws IOException {
        UnitFile u = UnitFile.parse(UnitFile.SOURCE);
        String env = u.one("Service", "Environment");
        Matcher m = Pattern.compile("^\"JAVA_OPTS=([^\"]+)\"$").matcher(env);
        assertTrue(m.matches(), "Environment=" + env);
        String javaOpts = m.group(1);
        assertTrue(javaOpts.contains("-Xmx128m"), javaOpts);
        assertTrue(javaOpts.contains("-XX:+ExitOnOutOfMemoryError"), javaOpts);
        assertTrue(u.one("Service", "MemoryMax").matches("[0-9]+[MG]"), u.one("Service", "MemoryMax"));

        // bin/cloak must pass JAVA_OPTS to the JVM, and the JVM must accept every flag: a misspelt flag
        // would stop the daemon from starting at all.
        List<String> cmd = List.of("env", "JAVA_OPTS=" + javaOpts + " -XX:+PrintFlagsFinal",
                Project.root().resolve("bin/cloak").toString(), "--version");
        Cmd.Result r = Cmd.run(tmp, cmd).ok();
        assertTrue(r.out().matches("(?s).*\\bMaxHeapSize\\s+=\\s+134217728\\b.*"), "heap not 128 MiB");
        assertTrue(r.out().matches("(?s).*\\bExitOnOutOfMemoryError\\s+=\\s+true\\b.*"), "ExitOnOutOfMemoryError not on");
        assertTrue(r.out().contains("cloak "), r.out());
    }

    @Test
    void hardeningDirectivesArePresent() throws IOException {
        UnitFile u = UnitFile.parse(UnitFile.SOURCE);
        Map<String, String> expected = Map.ofEntries(
                Map.entry("NoNewPrivileges", "yes"),
                Map.entry("ProtectSystem", "strict"),
                Map.entry("ProtectHome", "yes"),
                Map.entry("PrivateTmp", "yes"),
                Map.entry("PrivateDevices", "yes"),
                Map.entry("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
                Map.entry("CapabilityBoundingSet", ""),
                Map.entry("AmbientCapabilities", ""),
                Map.entry("ProtectKernelTunables", "yes"),
                Map.entry("ProtectKernelModules", "yes"),
                Map.entry("ProtectKernelLogs", "yes"),
                Map.entry("ProtectControlGroups", "yes"),
                Map.entry("LockPersonality", "yes"),
                Map.entry("RestrictRealtime", "yes"),
                Map.entry("RestrictNamespaces", "yes"),
                Map.entry("RestrictSUIDSGID", "yes"),
                Map.entry("SystemCallArchitectures", "native"),
                Map.entry("ReadOnlyPaths", "-/etc/crio/keys"));
        List<String> wrong = new ArrayList<>();
        expected.forEach((key, value) -> {
            List<String> actual = u.all("Service", key);
            if (!actual.equals(List.of(value))) {
                wrong.add(key + "=" + value + " expected, found " + actual);
            }
        });
        assertEquals(List.of(), wrong);
        // The JIT compiler needs writable executable memory: this setting would kill the JVM.
        assertEquals(List.of(), u.all("Service", "MemoryDenyWriteExecute"));
        // Nothing on the host is writable beyond RuntimeDirectory=, the private /tmp and containerd's content
        // directory (decrypted layers are handed over as files there).
        assertEquals(List.of("-/var/lib/containerd/io.containerd.content.v1.content"), u.all("Service", "ReadWritePaths"));
    }

    @Test
    void readinessCheckPassesOnlyWhileCloakAndContainerdBothAnswer() throws IOException {
        String post = UnitFile.parse(UnitFile.SOURCE).one("Service", "ExecStartPost");
        assertTrue(post.contains("seq 60"), "the loop must be bounded: " + post);
        Path socket = tmp.resolve("cloak/run/cloak.sock");

        // Nothing listens: the loop gives up after its tries, with a message, and fails the start.
        Cmd.Result nothing = runReadiness(post, socket, 2);
        assertNotEquals(0, nothing.exit());
        assertTrue(nothing.err().contains("not ready after"), nothing.err());

        try (ContainerdFixture containerd = new ContainerdFixture(tmp.resolve("containerd")).start();
             CloakFixture cloak = new CloakFixture(tmp.resolve("cloak"), containerd).start()) {
            assertEquals(socket, cloak.socket());
            runReadiness(post, socket, 3).ok();

            // Cloak's socket still answers, but fsinfo is containerd's: not ready.
            containerd.stop();
            Cmd.Result withoutContainerd = runReadiness(post, socket, 2);
            assertNotEquals(0, withoutContainerd.exit(), withoutContainerd.out());
            assertTrue(Files.exists(socket));
        }
    }

    /**
     * Runs the ExecStartPost= command as systemd would: systemd passes the single-quoted word to sh
     * as it is, except "$$" which it turns into "$". The assertions make sure the command uses nothing
     * else systemd would change (specifiers, variables, escapes), so this reading is the only one.
     */
    private Cmd.Result runReadiness(String post, Path socket, int tries) {
        assertTrue(post.startsWith(SH_PREFIX) && post.endsWith("'"), post);
        String script = post.substring(SH_PREFIX.length(), post.length() - 1);
        assertFalse(script.contains("'") || script.contains("\\") || script.contains("%"), script);
        assertFalse(script.replace("$$", "").contains("$"), "a lone $ would be expanded by systemd: " + script);
        script = script.replace("$$", "$")
                .replace("seq 60", "seq " + tries)
                .replace("/usr/local/bin/cloak", Project.root().resolve("bin/cloak").toString())
                .replace(SOCKET, socket.toString());
        return Cmd.run(tmp, "/bin/sh", "-c", script);
    }

    /** A systemd time span in whole seconds: "45", "45s", "5min" and the like. */
    private static long seconds(String span) {
        Matcher m = Pattern.compile("([0-9]+)\\s*(s|sec|min|m)?").matcher(span.strip());
        assertTrue(m.matches(), "not a simple time span: " + span);
        long n = Long.parseLong(m.group(1));
        return m.group(2) != null && m.group(2).startsWith("m") ? Duration.ofMinutes(n).toSeconds() : n;
    }
}
