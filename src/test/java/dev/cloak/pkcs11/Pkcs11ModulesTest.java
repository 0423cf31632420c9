package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module allow-list, against the modules Debian's softhsm2 and opensc packages install. */
class Pkcs11ModulesTest {
    private static final Pkcs11Modules STANDARD = Pkcs11Modules.standard();

    @TempDir
    Path dir;

    private static Path resolve(Pkcs11Modules modules, String query) {
        return modules.resolve(Pkcs11Uri.parse("pkcs11:token=t?" + query));
    }

    @Test
    void theStandardListHasDebiansAndFedorasDirectories() {
        assertTrue(STANDARD.allowed().containsAll(List.of(Path.of("/usr/lib/softhsm"),
                Path.of("/usr/lib/x86_64-linux-gnu/softhsm"), Path.of("/usr/lib/x86_64-linux-gnu/pkcs11"),
                Path.of("/usr/lib64/pkcs11"), Path.of("/usr/lib/pkcs11"), Path.of("/usr/local/lib/pkcs11"))), STANDARD.allowed().toString());
    }

    @Test
    void findsInstalledModulesByNameAndByPath() throws IOException {
        Path softhsm = resolve(STANDARD, "module-name=softhsm2");
        assertEquals(Path.of("/usr/lib/softhsm/libsofthsm2.so").toRealPath(), softhsm);
        assertEquals(softhsm, resolve(STANDARD, "module-path=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"));
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so").toRealPath(),
                resolve(STANDARD, "module-path=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"));
        assertEquals(Path.of("/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so").toRealPath(),
                resolve(STANDARD, "module-name=opensc-pkcs11"));
        assertEquals(softhsm, resolve(STANDARD, "module-path=/usr/lib/softhsm&module-name=softhsm2"));
    }

    @Test
    void refusesAModuleOutsideTheAllowedDirectories() throws IOException {
        Path copy = Files.copy(Path.of("/usr/lib/softhsm/libsofthsm2.so"), dir.resolve("libsofthsm2.so"));
        CloakException e = assertThrows(CloakException.class, () -> resolve(STANDARD, "module-path=" + copy));
        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(copy + " is not in an allowed module directory"), e.getMessage());
        assertThrows(CloakException.class, () -> resolve(STANDARD, "module-path=/usr/lib/x86_64-linux-gnu/libc.so.6"));
    }

    @Test
    void linksCountWhereTheyLieOrWhereTheyPointAndOnlyDirectlyInAllowedDirectories() throws IOException {
        Path allowed = Files.createDirectory(dir.resolve("allowed"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("libpackaged.so"), "x");
        Files.createSymbolicLink(allowed.resolve("libpackaged.so"), outside.resolve("libpackaged.so"));
        Files.writeString(allowed.resolve("libgood.so"), "x");
        Files.createSymbolicLink(outside.resolve("libalias.so"), allowed.resolve("libgood.so"));
        Files.writeString(outside.resolve("libevil.so"), "x");
        Files.createDirectory(allowed.resolve("sub"));
        Files.writeString(allowed.resolve("sub/libdeep.so"), "x");
        Pkcs11Modules modules = new Pkcs11Modules(List.of(allowed));
        assertEquals(allowed.resolve("libgood.so").toRealPath(), resolve(modules, "module-name=good"));
        assertEquals(outside.resolve("libpackaged.so").toRealPath(), resolve(modules, "module-name=packaged"),
                "a link placed in an allowed directory is trusted like the directory");
        assertEquals(allowed.resolve("libgood.so").toRealPath(), resolve(modules, "module-path=" + outside.resolve("libalias.so")));
        CloakException evil = assertThrows(CloakException.class, () -> resolve(modules, "module-path=" + outside.resolve("libevil.so")));
        assertTrue(evil.getMessage().contains("is not in an allowed module directory"), evil.getMessage());
        assertThrows(CloakException.class, () -> resolve(modules, "module-path=" + allowed.resolve("../outside/libevil.so")));
        assertThrows(CloakException.class, () -> resolve(modules, "module-path=" + allowed.resolve("sub/libdeep.so")));
    }

    @Test
    void aMissingRelativeOrUnnamedModuleIsAClearError() {
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(CloakException.class, () -> resolve(STANDARD, "module-name=nosuchmodule")).kind());
        assertEquals(ErrorKind.INVALID_INPUT, assertThrows(CloakException.class, () -> resolve(STANDARD, "module-path=lib/x.so")).kind());
        assertEquals(ErrorKind.INVALID_INPUT, assertThrows(CloakException.class, () -> resolve(STANDARD, "module-name=../x")).kind());
        CloakException none = assertThrows(CloakException.class, () -> STANDARD.resolve(Pkcs11Uri.parse("pkcs11:token=t")));
        assertTrue(none.getMessage().contains("module-name"), none.getMessage());
    }
}
