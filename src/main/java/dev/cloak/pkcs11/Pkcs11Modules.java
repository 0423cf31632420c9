package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a URI's {@code module-name} or {@code module-path} into a module file, and refuses any module that is
 * not directly in an allowed directory: a PKCS#11 module is native code loaded into Cloak, and a key file must
 * not be a way to make Cloak load a library of the writer's choice. A module counts as in an allowed directory
 * when its path as named (with {@code ..} resolved) or its real path is; the first admits the links that
 * packages install there (Debian's {@code pkcs11/opensc-pkcs11.so} points into the parent directory), which
 * only root can create.
 */
public final class Pkcs11Modules {
    private final List<Path> allowed;

    public Pkcs11Modules(List<Path> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /** Debian's and Fedora's module directories (for SoftHSM2, OpenSC, p11-kit modules) on this architecture. */
    public static Pkcs11Modules standard() {
        String multiarch = multiarch();
        List<Path> dirs = new ArrayList<>(List.of(Path.of("/usr/lib/softhsm"), Path.of("/usr/lib/pkcs11"),
                Path.of("/usr/lib64/pkcs11"), Path.of("/usr/local/lib/pkcs11")));
        if (multiarch != null) {
            dirs.add(Path.of("/usr/lib", multiarch, "softhsm"));
            dirs.add(Path.of("/usr/lib", multiarch, "pkcs11"));
        }
        return new Pkcs11Modules(dirs);
    }

    /** Debian's multiarch triplet for this JVM's architecture, or null for one Cloak does not know. */
    static String multiarch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            case "ppc64le" -> "powerpc64le-linux-gnu";
            case "s390x" -> "s390x-linux-gnu";
            default -> null;
        };
    }

    public List<Path> allowed() {
        return allowed;
    }

    /** The real path of the module {@code uri} names. */
    public Path resolve(Pkcs11Uri uri) {
        String modulePath = uri.query("module-path");
        String moduleName = uri.query("module-name");
        Path candidate;
        if (modulePath != null) {
            Path p = Path.of(modulePath);
            if (!p.isAbsolute()) {
                throw CloakException.invalid("PKCS#11 module-path \"" + Printable.of(modulePath) + "\" must be absolute");
            }
            candidate = Files.isDirectory(p) && moduleName != null ? find(List.of(p), moduleName) : p;
        } else if (moduleName != null) {
            candidate = find(allowed, moduleName);
        } else {
            throw CloakException.invalid("the PKCS#11 URI names no module: add module-name=NAME or module-path=FILE");
        }
        if (candidate == null || !Files.isRegularFile(candidate)) {
            throw CloakException.notFound("PKCS#11 module " + Printable.of(modulePath != null ? modulePath : moduleName)
                    + " was not found" + (modulePath == null ? " in " + allowed : ""));
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (IOException e) {
            throw CloakException.notFound("PKCS#11 module " + candidate + " cannot be read");
        }
        Path named = candidate.toAbsolutePath().normalize();
        for (Path dir : allowed) {
            Path realDir = realOrSelf(dir);
            if (realDir.equals(real.getParent()) || dir.equals(named.getParent()) || realDir.equals(realOrSelf(named.getParent()))) {
                return real;
            }
        }
        throw CloakException.invalid("PKCS#11 module " + candidate + (real.equals(candidate) ? "" : " (really " + real + ")")
                + " is not in an allowed module directory; allowed: " + allowed);
    }

    /** {@code NAME.so} or {@code libNAME.so}, as RFC 7512's module-name leaves prefix and suffix out. */
    private static Path find(List<Path> dirs, String name) {
        if (name.contains("/") || name.isEmpty()) {
            throw CloakException.invalid("PKCS#11 module-name \"" + Printable.of(name) + "\" must be a bare name such as softhsm2");
        }
        for (Path dir : dirs) {
            for (String file : List.of(name + ".so", "lib" + name + ".so", name)) {
                Path p = dir.resolve(file);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static Path realOrSelf(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir;
        }
    }
}
