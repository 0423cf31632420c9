package dev.cloak.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths of the project under test. */
public final class Project {
    private Project() {
    }

    /** The source tree's root (where pom.xml is); Maven runs tests from there. */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("tests must run inside the source tree");
        }
        return dir;
    }

    public static Path script(String name) {
        return root().resolve("scripts").resolve(name);
    }
}
