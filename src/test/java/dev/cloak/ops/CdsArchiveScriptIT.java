package dev.cloak.ops;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * scripts/make-cds-archive on a node without openssl: the command trials need a throwaway key pair, so they are
 * left out, and the archive still holds the daemon's classes. (InstallScriptIT covers the archive with openssl.)
 */
class CdsArchiveScriptIT {
    /** Everything the script and the launcher run, except openssl. */
    private static final List<String> TOOLS = List.of("bash", "sh", "env", "java", "mktemp", "rm", "mkdir", "cat", "seq",
            "sleep", "sha256sum", "cut", "mv", "tar", "stat", "awk", "chmod", "sed", "basename", "timeout", "cmp",
            "dirname", "find");

    @TempDir
    Path tmp;

    @Test
    void withoutOpensslTheArchiveHoldsTheDaemonOnly() throws IOException {
        Path bin = Files.createDirectory(tmp.resolve("bin"));
        for (String tool : TOOLS) {
            String found = Cmd.run(tmp, "bash", "-c", "command -v " + tool).ok().out().strip();
            Files.createSymbolicLink(bin.resolve(tool), Path.of(found).toRealPath());
        }
        assertFalse(Files.exists(bin.resolve("openssl")));
        Path archive = tmp.resolve("cloak.jsa");
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));

        Cmd.Result made = Cmd.run(tmp, Map.of("PATH", bin.toString(), "TMPDIR", scratch.toString()), List.of(Project.script("make-cds-archive").toString(),
                Project.root().resolve("bin/cloak").toString(), archive.toString())).ok();

        assertTrue(made.err().contains("no openssl to make the trial's throwaway keys, so the archive holds the daemon's classes only"),
                made.err());
        Cmd.Result listed = Cmd.run(tmp, Map.of("JAVA_OPTS", "-XX:SharedArchiveFile=" + archive + " -XX:+PrintSharedArchiveAndExit"),
                List.of(Project.root().resolve("bin/cloak").toString(), "--version")).ok();
        assertTrue(listed.out().lines().anyMatch(l -> l.equals("archive is valid")), listed.out());
        assertTrue(listed.out().lines().anyMatch(l -> l.endsWith(": dev.cloak.daemon.CloakDaemon app_loader")), "the daemon is not in the archive");
        for (String commandOnly : List.of("dev.cloak.image.EncryptLayers", "dev.cloak.image.DecryptLayers")) {
            assertFalse(listed.out().lines().anyMatch(l -> l.endsWith(": " + commandOnly + " app_loader")), commandOnly + ": a command trial ran after all");
        }
        // The trials' temporary directory is gone, and nothing was written beside the archive.
        try (var left = Files.list(scratch)) {
            assertEquals(List.of(), left.toList());
        }
        try (var beside = Files.list(tmp)) {
            assertEquals(List.of(bin, archive, scratch).stream().sorted().toList(), beside.sorted().toList());
        }
    }
}
