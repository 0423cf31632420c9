package dev.cloak.ops;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bin/cloak: the JVM it starts, as the JVM itself reports its flags (-XX:+PrintFlagsFinal). */
class LauncherIT {
    @TempDir
    Path tmp;

    /** The final value and origin ("command line", "ergonomic", "default") of each JVM flag of a launch. */
    private Map<String, String[]> flags(Path launcher, String javaOpts, String... args) {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        Cmd.Result r = Cmd.run(tmp, Map.of("JAVA_OPTS", javaOpts + " -XX:+PrintFlagsFinal"), cmd).ok();
        Map<String, String[]> out = new java.util.HashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S*)\\s+\\{[^}]*\\}\\s+\\{([^}]*)\\}$").matcher(r.out());
        while (m.find()) {
            out.put(m.group(1), new String[] {m.group(2), m.group(3)});
        }
        assertTrue(out.containsKey("MaxHeapSize"), "no flags printed: " + r.out());
        return out;
    }

    private static Path launcher() {
        return Project.root().resolve("bin/cloak");
    }

    @Test
    void serveGetsABoundedJvmUnlessJavaOptsDecides() {
        Map<String, String[]> serve = flags(launcher(), "", "serve", "--help");
        assertEquals("134217728", serve.get("MaxHeapSize")[0], "-Xmx128m");
        assertEquals("67108864", serve.get("MaxDirectMemorySize")[0], "-XX:MaxDirectMemorySize=64m");
        assertEquals("true", serve.get("UseSerialGC")[0]);

        // Each default gives way to JAVA_OPTS: another collector must not meet -XX:+UseSerialGC (the JVM
        // refuses two), and a heap given as a share of memory must not be overridden by -Xmx.
        Map<String, String[]> own = flags(launcher(), "-XX:MaxRAMPercentage=10 -XX:+UseG1GC -XX:MaxDirectMemorySize=32m",
                "serve", "--help");
        assertNotEquals("134217728", own.get("MaxHeapSize")[0]);
        assertEquals("33554432", own.get("MaxDirectMemorySize")[0]);
        assertEquals("true", own.get("UseG1GC")[0]);
        assertEquals("false", own.get("UseSerialGC")[0]);
        assertEquals("209715200", flags(launcher(), "-Xmx200m", "serve", "--help").get("MaxHeapSize")[0]);
    }

    @Test
    void otherCommandsGetTheJvmsDefaults() {
        Map<String, String[]> version = flags(launcher(), "", "--version");
        assertNotEquals("command line", version.get("MaxHeapSize")[1]);
        assertNotEquals("command line", version.get("UseSerialGC")[1]);
    }

    @Test
    void theUnitSpellsOutTheLaunchersDefaults() throws IOException {
        Matcher m = Pattern.compile("^\"JAVA_OPTS=([^\"]+)\"$").matcher(UnitFile.parse(UnitFile.SOURCE).one("Service", "Environment"));
        assertTrue(m.matches());
        Map<String, String[]> unit = flags(launcher(), m.group(1), "serve", "--help");
        Map<String, String[]> defaults = flags(launcher(), "", "serve", "--help");
        for (String flag : List.of("MaxHeapSize", "MaxDirectMemorySize", "UseSerialGC", "UseG1GC")) {
            assertEquals(defaults.get(flag)[0], unit.get(flag)[0], flag);
        }
    }
}
