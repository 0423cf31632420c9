package dev.cloak.ops;

import dev.cloak.config.ServeConfig;
import dev.cloak.testing.Cmd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/containerd-cri.toml read by containerd itself (Debian's 1.6): the settings land in the CRI
 * plugin's tables, where a misplaced table would be ignored without a word.
 */
class ContainerdConfigIT {
    @TempDir
    Path tmp;

    @Test
    void containerdReadsTheCriSettingsWhereCloakExpectsThem() {
        Cmd.Result dump = Cmd.run(tmp, "containerd", "--config", DeployFiles.DIR.resolve("containerd-cri.toml").toString(),
                "config", "dump").ok();

        // config_path defaults to "" in containerd 1.6, so this value can only come from the file.
        assertEquals(ServeConfig.DEFAULTS.registryConfigDir().toString(),
                value(section(dump.out(), "plugins.\"io.containerd.grpc.v1.cri\".registry"), "config_path"));
        assertEquals(ServeConfig.DEFAULTS.snapshotter(),
                value(section(dump.out(), "plugins.\"io.containerd.grpc.v1.cri\".containerd"), "snapshotter"));
    }

    /** The lines of one [table] of containerd's dump, up to the next table header. */
    private static String section(String dump, String table) {
        int start = dump.indexOf("[" + table + "]\n");
        assertTrue(start >= 0, "no [" + table + "] in containerd's dump:\n" + dump);
        Matcher next = Pattern.compile("\\n\\s*\\[").matcher(dump);
        return dump.substring(start, next.find(start + 1) ? next.start() : dump.length());
    }

    private static String value(String section, String key) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + " = \"([^\"]*)\"$").matcher(section);
        assertTrue(m.find(), "no " + key + " in:\n" + section);
        return m.group(1);
    }
}
