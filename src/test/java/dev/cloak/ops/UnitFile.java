package dev.cloak.ops;

import dev.cloak.testing.Cmd;
import dev.cloak.testing.Project;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A systemd unit file read the way systemd reads the parts the tests care about: sections, and each
 * setting's values in order (settings such as ExecStartPost= may repeat). Comments and blank lines are
 * skipped; the unit uses no line continuations, which {@link #parse} refuses so that none slips in unread.
 */
record UnitFile(Map<String, Map<String, List<String>>> sections) {
    static final Path SOURCE = Project.root().resolve("systemd/cloak.service");

    static UnitFile parse(Path file) throws IOException {
        Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
        Map<String, List<String>> current = null;
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.endsWith("\\")) {
                throw new AssertionError(file + ": line continuation in \"" + line + "\"");
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1), k -> new LinkedHashMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (current == null || eq < 1) {
                throw new AssertionError(file + ": not a setting inside a section: \"" + line + "\"");
            }
            current.computeIfAbsent(line.substring(0, eq).strip(), k -> new ArrayList<>()).add(line.substring(eq + 1).strip());
        }
        return new UnitFile(sections);
    }

    /** All values of a setting in a section; empty when it is absent. */
    List<String> all(String section, String key) {
        return sections.getOrDefault(section, Map.of()).getOrDefault(key, List.of());
    }

    /** The single value of a setting; fails when it is absent or given more than once. */
    String one(String section, String key) {
        List<String> v = all(section, key);
        if (v.size() != 1) {
            throw new AssertionError("[" + section + "] " + key + "= should be set exactly once, found " + v);
        }
        return v.get(0);
    }

    /**
     * The unit as scripts/install writes it: the default paths on non-comment lines replaced, so that
     * ExecStart= names an executable that exists here.
     */
    static String rewritten(String unit, Path cloak, Path config, Path keys) {
        return unit.lines().map(l -> l.startsWith("#") ? l : l
                        .replace("/usr/local/bin/cloak", cloak.toString())
                        .replace("/etc/cloak/config.toml", config.toString())
                        .replace("/etc/crio/keys", keys.toString()))
                .collect(Collectors.joining("\n", "", "\n"));
    }

    /**
     * {@code systemd-analyze verify} on a unit file, and the lines of its output about that file. verify
     * exits 0 on many problems (an unknown setting is only a warning), so the lines are what tells.
     */
    static List<String> verifyComplaints(Path unitFile) {
        Cmd.Result r = Cmd.run(unitFile.getParent(), "systemd-analyze", "verify", unitFile.toString());
        String name = unitFile.getFileName().toString();
        List<String> complaints = (r.out() + "\n" + r.err()).lines().filter(l -> l.contains(name)).collect(Collectors.toList());
        if (r.exit() != 0) {
            complaints.add(0, "systemd-analyze verify exited " + r.exit() + ": " + r.out() + r.err());
        }
        return complaints;
    }
}
