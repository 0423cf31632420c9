package dev.cloak.ops;

import dev.cloak.config.ServeConfig;
import dev.cloak.config.ServeConfigLoader;
import dev.cloak.testing.Cmd;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** scripts/install and scripts/uninstall into a temporary root, as an operator would run them. */
class InstallScriptIT {
    @TempDir
    Path tmp;

    private Path prefix() {
        return tmp.resolve("usr");
    }

    private Path systemdDir() {
        return tmp.resolve("systemd");
    }

    private Path configDir() {
        return tmp.resolve("etc/cloak");
    }

    private Path keysDir() {
        return tmp.resolve("keys");
    }

    private Path jar() {
        return prefix().resolve("lib/cloak/cloak.jar");
    }

    private Path archive() {
        return prefix().resolve("lib/cloak/cloak.jsa");
    }

    private Path launcher() {
        return prefix().resolve("bin/cloak");
    }

    private Path unit() {
        return systemdDir().resolve("cloak.service");
    }

    private Path config() {
        return configDir().resolve("config.toml");
    }

    private Cmd.Result script(String name, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(Project.script(name).toString(),
                "--prefix", prefix().toString(), "--systemd-dir", systemdDir().toString(),
                "--config-dir", configDir().toString(), "--keys-dir", keysDir().toString()));
        cmd.addAll(List.of(extra));
        return Cmd.run(Project.root(), cmd);
    }

    @Test
    void installsJarLauncherUnitConfigAndKeyDirectory() throws IOException {
        Cmd.Result r = script("install").ok();

        assertEquals(-1, Files.mismatch(Project.root().resolve("target/cloak.jar"), jar()), "installed jar differs");
        assertEquals(-1, Files.mismatch(Project.root().resolve("bin/cloak"), launcher()), "installed launcher differs");
        assertEquals("rwxr-xr-x", mode(launcher()));
        assertEquals("rw-r--r--", mode(jar()));
        assertEquals("rw-r--r--", mode(archive()));
        assertEquals("rw-r--r--", mode(unit()));
        assertEquals("rwx------", mode(keysDir()));
        assertTrue(r.out().contains("systemctl daemon-reload"), r.out());
        assertTrue(r.out().contains("systemctl enable --now cloak"), r.out());
        assertTrue(r.out().contains("imageServiceEndpoint: unix:///run/cloak/cloak.sock"), r.out());
        // Nothing half-written is left beside the installed files.
        try (Stream<Path> all = Files.walk(tmp)) {
            assertEquals(List.of(), all.filter(p -> p.toString().endsWith(".new")).collect(Collectors.toList()));
        }
    }

    @Test
    void installedLauncherRunsTheInstalledJar() throws IOException {
        script("install").ok();

        // PREFIX/bin/../target does not exist, so the launcher can only have found PREFIX/lib/cloak/cloak.jar.
        Cmd.Result r = Cmd.run(tmp, launcher().toString(), "--version").ok();
        assertTrue(r.out().startsWith("cloak "), r.out());

        Files.delete(jar());
        assertNotEquals(0, Cmd.run(tmp, launcher().toString(), "--version").exit());
    }

    @Test
    void installedLauncherStartsFromTheClassDataArchiveWhileItMatchesTheJar() throws IOException {
        script("install").ok();
        String shared = "source: shared objects file";
        Map<String, String> classLoading = Map.of("JAVA_OPTS", "-Xlog:class+load=info");

        // The archive comes from the trial runs: it holds the classes of the daemon and of the commands that
        // encrypt and decrypt (the JVM lists them and checks the archive against this jar and JDK), and every
        // command starts from it.
        Cmd.Result listed = Cmd.run(tmp, Map.of("JAVA_OPTS", "-XX:+PrintSharedArchiveAndExit"),
                List.of(launcher().toString(), "--version")).ok();
        assertTrue(listed.out().contains("Static archive name: " + launcher().getParent().toRealPath().resolve("../lib/cloak/cloak.jsa")), listed.out());
        assertTrue(listed.out().lines().anyMatch(l -> l.equals("archive is valid")), listed.out());
        for (String archived : List.of("dev.cloak.daemon.CloakDaemon", "dev.cloak.pull.ImageImporter", "io.grpc.netty.NettyServerBuilder",
                "dev.cloak.cli.ImagesCommand", "dev.cloak.image.EncryptLayers", "dev.cloak.image.DecryptLayers", "dev.cloak.image.ImageInspector",
                "dev.cloak.ocicrypt.ParallelHasher", "dev.cloak.ocicrypt.keywrap.JweKeyWrapper", "com.nimbusds.jose.crypto.ECDHDecrypter",
                "com.nimbusds.jose.crypto.RSADecrypter")) {
            assertTrue(listed.out().lines().anyMatch(l -> l.endsWith(": " + archived + " app_loader")), archived + " is not in the archive");
        }
        Cmd.Result r = Cmd.run(tmp, classLoading, List.of(launcher().toString(), "--version")).ok();
        assertTrue(r.out().lines().anyMatch(l -> l.contains(" dev.cloak.cli.Main " + shared)), "Main not from the archive");

        // A jar replaced after the archive was made (by hand, or an upgrade whose trial failed): the launcher
        // leaves the archive out, and nothing extra is printed.
        Files.setLastModifiedTime(jar(), java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(archive()).toMillis() + 2000));
        assertEquals(0, Cmd.run(tmp, classLoading, List.of(launcher().toString(), "--version")).ok().out().lines()
                .filter(l -> l.contains(" dev.cloak.") && l.contains(shared)).count()); // the JDK's own archive still serves the JDK
        Cmd.Result plain = Cmd.run(tmp, launcher().toString(), "--version").ok();
        assertEquals(List.of("cloak " + version()), plain.out().lines().toList());
        assertEquals("", plain.err());

        // An archive newer than the jar that the JVM cannot use: made for another jar (here, the same jar
        // touched since; the JVM checks its time and size), for another JDK, or damaged. The JVM drops it,
        // and says nothing: it would print a warning on stdout, in the middle of a command's output.
        Files.setLastModifiedTime(archive(), java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(jar()).toMillis() + 2000));
        Cmd.Result stale = Cmd.run(tmp, launcher().toString(), "--version").ok();
        assertEquals(plain.out(), stale.out());
        assertEquals("", stale.err());
        Files.write(archive(), new byte[4096]);
        Cmd.Result damaged = Cmd.run(tmp, launcher().toString(), "--version").ok();
        assertEquals(plain.out(), damaged.out());
        assertEquals("", damaged.err());
    }

    /** What cloak --version prints after "cloak ", from the jar in the source tree. */
    private String version() {
        String out = Cmd.run(tmp, Map.of("JAVA_OPTS", "-Xshare:auto"), List.of(Project.root().resolve("bin/cloak").toString(), "--version")).ok().out();
        return out.strip().substring("cloak ".length());
    }

    @Test
    void unitPointsAtTheInstalledLauncherAndConfigAndPassesVerify() throws IOException {
        script("install").ok();
        UnitFile u = UnitFile.parse(unit());

        assertEquals(launcher() + " serve --config " + config(), u.one("Service", "ExecStart"));
        assertTrue(u.one("Service", "ExecStartPost").contains(launcher() + " images --endpoint unix:///run/cloak/cloak.sock fsinfo"),
                u.one("Service", "ExecStartPost"));
        assertEquals("-" + keysDir(), u.one("Service", "ReadOnlyPaths"));
        // A default path left anywhere outside comments, as a whole path (the temporary ones end the same way).
        List<String> stale = Files.readAllLines(unit()).stream()
                .filter(l -> !l.startsWith("#") && l.matches(".*(^|[\\s=-])(/usr/local/bin/cloak|/etc/cloak/config.toml|/etc/crio/keys)\\b.*"))
                .collect(Collectors.toList());
        assertEquals(List.of(), stale);
        assertEquals(List.of(), UnitFile.verifyComplaints(unit()));
    }

    @Test
    void defaultConfigIsValidAndItsCommentedValuesAreTheDaemonsDefaults() throws IOException {
        script("install").ok();
        // The daemon's own defaults, with the key directory given to the script: what the file must amount to.
        ServeConfig expected = ServeConfigLoader.load(tmp.resolve("absent.toml"), false,
                Map.of("decryption_keys_path", keysDir().toString()));

        assertEquals(expected, ServeConfigLoader.load(config(), true, Map.of()));

        // Every commented "# key = value" line switched on must change nothing: the comments tell the truth.
        // keyprovider_config has no default, only an example of a file that does not exist here.
        List<String> uncommented = Files.readAllLines(config()).stream()
                .map(l -> l.matches("# [a-z_]+ = .*") && !l.startsWith("# keyprovider_config ") ? l.substring(2) : l)
                .collect(Collectors.toList());
        Path all = tmp.resolve("all-keys.toml");
        Files.write(all, uncommented);
        assertEquals(expected, ServeConfigLoader.load(all, true, Map.of()));
    }

    @Test
    void defaultConfigShowsEveryKeyTheConfigurationReferenceLists() throws IOException {
        script("install").ok();
        String installed = Files.readString(config());
        // The reference table in docs/configuration.md: | `--flag` | `key` | default | meaning |
        Matcher row = Pattern.compile("(?m)^\\| `--[a-z-]+` \\| `([a-z_]+)` \\|").matcher(
                Files.readString(Project.root().resolve("docs/configuration.md")));
        List<String> keys = new ArrayList<>();
        while (row.find()) {
            keys.add(row.group(1));
        }
        assertTrue(keys.size() >= 8, "the reference table was not found: " + keys);
        List<String> missing = keys.stream()
                .filter(k -> !Pattern.compile("(?m)^(# )?" + k + " = ").matcher(installed).find())
                .collect(Collectors.toList());
        assertEquals(List.of(), missing, "keys missing from the config scripts/install writes");
    }

    @Test
    void secondInstallKeepsAnEditedConfig() throws IOException {
        script("install").ok();
        Files.writeString(config(), Files.readString(config()) + "max_concurrent_downloads = 5\n");
        String edited = Files.readString(config());

        Cmd.Result again = script("install").ok();

        assertEquals(edited, Files.readString(config()));
        assertTrue(again.out().contains("keeping the existing " + config() + " (not overwritten)"), again.out());
        assertEquals(-1, Files.mismatch(Project.root().resolve("target/cloak.jar"), jar()));
    }

    @Test
    void dryRunOnAnEmptyRootPrintsEveryActionAndCreatesNothing() throws IOException {
        Cmd.Result r = script("install", "--dry-run").ok();

        try (Stream<Path> all = Files.list(tmp)) {
            assertEquals(List.of(), all.collect(Collectors.toList()));
        }
        for (Path p : List.of(jar(), launcher(), archive(), unit(), config(), keysDir())) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("would: ") && l.contains(p.toString())),
                    "no action printed for " + p + ":\n" + r.out());
        }
    }

    @Test
    void dryRunOverAnInstallationChangesNothing() throws IOException {
        script("install").ok();
        Files.writeString(config(), "snapshotter = \"native\"\n");
        Map<String, String> before = snapshot(tmp);

        Cmd.Result install = script("install", "--dry-run").ok();
        Cmd.Result uninstall = script("uninstall", "--dry-run").ok();

        assertEquals(before, snapshot(tmp));
        assertTrue(install.out().lines().anyMatch(l -> l.startsWith("would: ") && l.contains(jar().toString())), install.out());
        assertTrue(uninstall.out().lines().anyMatch(l -> l.startsWith("would: rm") && l.contains(unit().toString())), uninstall.out());
    }

    @Test
    void uninstallRemovesJarLauncherAndUnitButKeepsConfigAndKeys() throws IOException {
        script("install").ok();
        Files.writeString(keysDir().resolve("node.pem"), "not really a key\n");
        String config = Files.readString(config());

        Cmd.Result r = script("uninstall").ok();

        assertFalse(Files.exists(jar(), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(archive(), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(prefix().resolve("lib/cloak")), "the jar's directory should go with it");
        assertFalse(Files.exists(launcher(), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(unit(), LinkOption.NOFOLLOW_LINKS));
        assertEquals(config, Files.readString(config()));
        assertEquals("rwx------", mode(keysDir()));
        assertTrue(Files.exists(keysDir().resolve("node.pem")));
        assertTrue(r.out().contains("Kept: " + config() + " and " + keysDir()), r.out());

        // Run again on nothing: says so and still succeeds.
        Cmd.Result again = script("uninstall").ok();
        assertTrue(again.out().contains("not installed: " + jar()), again.out());
    }

    @Test
    void withoutABuiltJarTheInstallBuildsItFirst() throws IOException {
        // A source tree without target/: only what the script reads.
        Path src = tmp.resolve("src");
        for (String f : List.of("scripts/install", "bin/cloak", "systemd/cloak.service")) {
            Files.createDirectories(src.resolve(f).getParent());
            Files.copy(Project.root().resolve(f), src.resolve(f));
        }
        Files.setPosixFilePermissions(src.resolve("scripts/install"), PosixFilePermissions.fromString("rwxr-xr-x"));

        Cmd.Result r = Cmd.run(tmp, src.resolve("scripts/install").toString(), "--dry-run",
                "--prefix", prefix().toString(), "--systemd-dir", systemdDir().toString(),
                "--config-dir", configDir().toString(), "--keys-dir", keysDir().toString()).ok();

        assertTrue(r.out().contains("would: (cd " + src.toRealPath() + " && ./mvnw "), r.out());
        assertFalse(Files.exists(src.resolve("target")));
    }

    @Test
    void refusesUnknownOptionsAndRelativeOrUnsafeDirectories() {
        Cmd.Result unknown = Cmd.run(Project.root(), Project.script("install").toString(), "--prefx", "/x");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown option: --prefx"), unknown.err());

        Cmd.Result relative = Cmd.run(Project.root(), Project.script("install").toString(), "--dry-run", "--prefix", "usr");
        assertEquals(2, relative.exit());
        assertTrue(relative.err().contains("absolute"), relative.err());

        // A % would be a systemd specifier in ExecStart=; refused rather than written into the unit.
        Cmd.Result percent = Cmd.run(Project.root(), Project.script("install").toString(), "--dry-run", "--prefix", "/opt/a%b");
        assertEquals(2, percent.exit());

        Cmd.Result help = Cmd.run(Project.root(), Project.script("uninstall").toString(), "--help").ok();
        assertTrue(help.out().contains("--dry-run") && help.out().contains("--prefix"), help.out());
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** Every path under root with its permissions, size, modification time and content hash. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.forEach(p -> {
                try {
                    String what = mode(p) + " " + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        what += " " + Files.size(p) + " " + sha256(p);
                    }
                    out.put(root.relativize(p).toString(), what);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return out;
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
