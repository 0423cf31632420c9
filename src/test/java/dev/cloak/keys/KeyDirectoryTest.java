package dev.cloak.keys;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import dev.cloak.testing.PgpKeys;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static dev.cloak.keys.TestKeys.EC_256;
import static dev.cloak.keys.TestKeys.EC_384;
import static dev.cloak.keys.TestKeys.PASSWORD;
import static dev.cloak.keys.TestKeys.RSA;
import static dev.cloak.keys.TestKeys.RSA_2;
import static dev.cloak.keys.TestKeys.assertSameKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyDirectoryTest {
    private static final String OLD_VERSION = "..2026_11_22_10_00_00.123";
    private static final String NEW_VERSION = "..2026_11_22_11_30_00.456";

    @TempDir
    Path root;
    private Path dir;

    private final Logger logger = (Logger) LoggerFactory.getLogger(KeyDirectory.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createDirectory(root.resolve("keys"));
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logged);
        logged.stop();
    }

    // ---- helpers

    private Path write(Path file, String content) throws IOException {
        return write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    private Path write(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    /** Keys by the file name they were loaded from, which must be unique. */
    private static Map<String, PrivateKeyEntry> byName(Keyring keyring) {
        return keyring.privateKeys().stream().collect(Collectors.toMap(
                k -> k.source().getFileName().toString(), k -> k, (a, b) -> {
                    throw new AssertionError("two keys from " + a.source());
                }, TreeMap::new));
    }

    private static void assertKeys(Keyring keyring, Map<String, KeyPair> expected) {
        Map<String, PrivateKeyEntry> actual = byName(keyring);
        assertEquals(new TreeMap<>(expected).keySet(), actual.keySet(), "key files loaded");
        expected.forEach((name, pair) -> assertSameKey(pair.getPrivate(), actual.get(name).key()));
    }

    private List<ILoggingEvent> warnings() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    private long warningsNaming(String fileName) {
        return warnings().stream().filter(e -> e.getFormattedMessage().contains(fileName)).count();
    }

    /** A line of the key's base64, as it would appear if key material leaked into a log message. */
    private static String base64Line(byte[] der) {
        String base64 = Base64.getEncoder().encodeToString(der);
        return base64.substring(base64.length() / 2 - 20, base64.length() / 2 + 20);
    }

    private void assertLogsLeakNothing(String... secrets) {
        for (ILoggingEvent event : logged.list) {
            for (String secret : secrets) {
                assertFalse(event.getFormattedMessage().contains(secret), "log message leaks a secret: " + event);
                if (event.getThrowableProxy() != null) {
                    assertFalse(String.valueOf(event.getThrowableProxy().getMessage()).contains(secret), "log leaks: " + event);
                }
            }
        }
    }

    /** The layout kubelet's AtomicWriter gives a Secret volume. */
    private void secretVolume(String version, Map<String, String> files) throws IOException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            write(dir.resolve(version).resolve(file.getKey()), file.getValue());
        }
        Files.createSymbolicLink(dir.resolve("..data"), Path.of(version));
        for (String name : files.keySet()) {
            Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
        }
    }

    // ---- tests

    @Test
    void keysOfSeveralFormatsLoadSideBySide() throws Exception {
        write(dir.resolve("rsa-pkcs1.pem"), TestKeys.pkcs1Pem(RSA));
        write(dir.resolve("ec.key"), TestKeys.sec1PemWithParameters(EC_256));
        write(dir.resolve("ec384.der"), TestKeys.pkcs8Der(EC_384));
        write(dir.resolve("node.jwk"), TestKeys.rsaJwk(RSA_2, "node-1").toJSONString());
        write(dir.resolve("cert.crt"), TestKeys.certificatePem(TestKeys.selfSigned(RSA, "node")));

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("rsa-pkcs1.pem", RSA, "ec.key", EC_256, "ec384.der", EC_384, "node.jwk", RSA_2));
        assertEquals("node-1", byName(keyring).get("node.jwk").keyId());
        assertEquals(1, keyring.certificates().size());
        assertEquals(dir.resolve("cert.crt"), keyring.certificates().get(0).source());
        assertEquals(dir.toString(), keyring.origin());
        assertEquals(List.of(), warnings());
    }

    @Test
    void unusableFilesAreSkippedAndTheGoodKeysStillLoad() throws Exception {
        write(dir.resolve("README.md"), "# Node keys\n\nOne private key per file.\n");
        write(dir.resolve("recipient.pub"), TestKeys.publicPem(RSA_2));
        write(dir.resolve("locked.pem"), TestKeys.encryptedPkcs8Pem(EC_384, PASSWORD));
        write(dir.resolve("junk.bin"), new byte[] {0x30, (byte) 0x82, 0x7f, 0x01, 0x00, 0x13});
        write(dir.resolve("a-good.pem"), TestKeys.pkcs8Pem(RSA));
        write(dir.resolve("z-good.pem"), TestKeys.sec1Pem(EC_256));

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("a-good.pem", RSA, "z-good.pem", EC_256));
        assertEquals(1, warningsNaming("README.md"));
        assertEquals(1, warningsNaming("junk.bin"));
        assertEquals(1, warningsNaming("locked.pem"));
        assertTrue(warnings().stream().anyMatch(e -> e.getFormattedMessage().contains("locked.pem")
                && e.getFormattedMessage().contains(".password")), "the warning should say how to give the password");
        assertEquals(0, warningsNaming("recipient.pub"), "a public key is not worth a warning");
        assertEquals(0, warningsNaming("good.pem"));
    }

    @Test
    void anUnusableFileIsWarnedAboutOncePerVersion() throws Exception {
        write(dir.resolve("good.pem"), TestKeys.pkcs8Pem(RSA));
        Path junk = write(dir.resolve("junk.pem"), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        KeyDirectory keys = new KeyDirectory(dir);

        keys.keyring();
        Keyring second = keys.keyring();

        assertEquals(1, second.size());
        assertEquals(1, warnings().size(), () -> "warnings: " + warnings());
        assertEquals(1, warningsNaming(junk.toString()));

        // A new version of the file (different size, so the change is seen at once) is worth a new warning.
        write(junk, "still not a key, but a different one\n");
        keys.keyring();
        assertEquals(2, warningsNaming("junk.pem"));
    }

    @Test
    void logsCarryNeitherKeyMaterialNorPasswords() throws Exception {
        write(dir.resolve("good.pem"), TestKeys.pkcs8Pem(RSA));
        write(dir.resolve("wrong.pem"), TestKeys.encryptedPkcs8Pem(RSA_2, PASSWORD));
        write(dir.resolve("wrong.pem.password"), "wrong-" + PASSWORD + "\n");
        write(dir.resolve("locked.pem"), TestKeys.legacyEncryptedPem(RSA_2, PASSWORD));
        write(dir.resolve("broken.pem"), TestKeys.pkcs8Pem(EC_256).substring(0, 100));
        KeyDirectory keys = new KeyDirectory(dir);

        keys.keyring();
        keys.keyring();

        assertEquals(1, warningsNaming("wrong.pem"));
        assertEquals(1, warningsNaming("locked.pem"));
        assertEquals(1, warningsNaming("broken.pem"));
        assertLogsLeakNothing(PASSWORD, base64Line(RSA.getPrivate().getEncoded()),
                base64Line(RSA_2.getPrivate().getEncoded()), base64Line(EC_256.getPrivate().getEncoded()));
    }

    @Test
    void passwordFileBesideAnEncryptedKeyUnlocksIt() throws Exception {
        write(dir.resolve("node.pem"), TestKeys.encryptedPkcs8Pem(RSA, PASSWORD));
        write(dir.resolve("node.pem.password"), PASSWORD + "\n");
        write(dir.resolve("legacy.key"), TestKeys.legacyEncryptedPem(RSA_2, PASSWORD));
        write(dir.resolve("legacy.key.password"), PASSWORD + "\r\n");

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("node.pem", RSA, "legacy.key", RSA_2));
        // Were a .password file read as a key file, it would be skipped with a warning.
        assertEquals(List.of(), warnings());
    }

    @Test
    void openPgpSecretKeyringsLoadBesideOtherKeysWithTheirPasswordFiles() throws Exception {
        PGPSecretKeyRing plain = PgpKeys.generate("Node <node@cloak.test>", null);
        PGPSecretKeyRing locked = PgpKeys.generate("Locked <locked@cloak.test>", PASSWORD);
        PGPSecretKeyRing wrong = PgpKeys.generate("Wrong <wrong@cloak.test>", PASSWORD);
        write(dir.resolve("node.gpg"), PgpKeys.secretBinary(plain));
        write(dir.resolve("locked.asc"), PgpKeys.secretArmoured(locked));
        write(dir.resolve("locked.asc.password"), PASSWORD + "\n");
        write(dir.resolve("wrong.gpg"), PgpKeys.secretBinary(wrong));
        write(dir.resolve("wrong.gpg.password"), "wrong-" + PASSWORD + "\n");
        write(dir.resolve("recipient.asc"), PgpKeys.publicArmoured(wrong));
        write(dir.resolve("rsa.pem"), TestKeys.pkcs8Pem(RSA));

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("rsa.pem", RSA));
        assertEquals(Map.of("locked.asc", PgpKeys.encryptionKey(locked).getKeyID(),
                        "node.gpg", PgpKeys.encryptionKey(plain).getKeyID()),
                keyring.pgpKeys().stream().collect(Collectors.toMap(k -> k.source().getFileName().toString(),
                        PgpKeyEntry::keyId)));
        assertEquals(3, keyring.size());
        assertEquals(1, warningsNaming("wrong.gpg"), () -> "warnings: " + warnings());
        assertEquals(1, warnings().size(), "a public keyring is not worth a warning: " + warnings());
        assertLogsLeakNothing(PASSWORD);
    }

    @Test
    void passwordFileAddedLaterIsPickedUp() throws Exception {
        write(dir.resolve("node.pem"), TestKeys.encryptedPkcs8Pem(EC_256, PASSWORD));
        KeyDirectory keys = new KeyDirectory(dir);
        assertEquals(0, keys.keyring().size());

        write(dir.resolve("node.pem.password"), PASSWORD);

        assertKeys(keys.keyring(), Map.of("node.pem", EC_256));
    }

    @Test
    void dotFilesAreSkipped() throws Exception {
        write(dir.resolve(".hidden.pem"), TestKeys.pkcs8Pem(RSA_2));
        write(dir.resolve(".git").resolve("key.pem"), TestKeys.pkcs8Pem(EC_384));
        write(dir.resolve("node.pem"), TestKeys.pkcs8Pem(RSA));

        assertKeys(new KeyDirectory(dir).keyring(), Map.of("node.pem", RSA));
    }

    @Test
    void kubernetesSecretVolumeYieldsEachKeyOnce() throws Exception {
        secretVolume(OLD_VERSION, Map.of(
                "rsa.pem", TestKeys.pkcs8Pem(RSA),
                "ec.pem", TestKeys.sec1Pem(EC_256),
                "enc.pem", TestKeys.encryptedPkcs8Pem(EC_384, PASSWORD),
                "enc.pem.password", PASSWORD + "\n"));

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("rsa.pem", RSA, "ec.pem", EC_256, "enc.pem", EC_384));
        for (PrivateKeyEntry key : keyring.privateKeys()) {
            assertEquals(dir, key.source().getParent(), "keys are named by their top-level link: " + key.source());
        }
        assertEquals(List.of(), warnings());
    }

    @Test
    void kubernetesSecretRotationIsPickedUp() throws Exception {
        secretVolume(OLD_VERSION, Map.of("rsa.pem", TestKeys.pkcs8Pem(RSA), "ec.pem", TestKeys.sec1Pem(EC_256)));
        KeyDirectory keys = new KeyDirectory(dir);
        assertKeys(keys.keyring(), Map.of("rsa.pem", RSA, "ec.pem", EC_256));

        // kubelet writes the new version beside the old, swaps ..data with a rename, then removes the old one.
        write(dir.resolve(NEW_VERSION).resolve("rsa.pem"), TestKeys.pkcs8Pem(RSA_2));
        write(dir.resolve(NEW_VERSION).resolve("ec.pem"), TestKeys.sec1Pem(EC_384));
        Files.createSymbolicLink(dir.resolve("..data_tmp"), Path.of(NEW_VERSION));
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        deleteTree(dir.resolve(OLD_VERSION));

        assertKeys(keys.keyring(), Map.of("rsa.pem", RSA_2, "ec.pem", EC_384));
        assertEquals(List.of(), warnings());
    }

    @Test
    void plainSymlinkToAKeyElsewhereIsFollowed() throws Exception {
        Path elsewhere = write(root.resolve("vault").resolve("node.pem"), TestKeys.pkcs8Pem(RSA));
        Files.createSymbolicLink(dir.resolve("node.pem"), elsewhere);

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertKeys(keyring, Map.of("node.pem", RSA));
        assertEquals(dir.resolve("node.pem"), keyring.privateKeys().get(0).source());
    }

    @Test
    void twoNamesForOneFileCountOnce() throws Exception {
        Path real = write(dir.resolve("a.pem"), TestKeys.pkcs8Pem(RSA));
        Files.createSymbolicLink(dir.resolve("b.pem"), real);
        Path outside = write(root.resolve("outside.pem"), TestKeys.sec1Pem(EC_256));
        Files.createSymbolicLink(dir.resolve("c.pem"), outside);
        Files.createSymbolicLink(dir.resolve("d.pem"), outside);

        Keyring keyring = new KeyDirectory(dir).keyring();

        assertEquals(2, keyring.size(), () -> "keys: " + keyring.privateKeys());
        assertEquals(1, keyring.privateKeys().stream().filter(k -> k.key().getAlgorithm().equals("RSA")).count());
        assertEquals(1, keyring.privateKeys().stream().filter(k -> k.key().getAlgorithm().equals("EC")).count());
    }

    @Test
    void addedReplacedAndDeletedFilesArePickedUpByTheNextCall() throws Exception {
        Path first = write(dir.resolve("first.pem"), TestKeys.pkcs8Pem(RSA));
        Path second = write(dir.resolve("second.pem"), TestKeys.pkcs8Pem(EC_256));
        KeyDirectory keys = new KeyDirectory(dir);
        Keyring before = keys.keyring();
        assertKeys(before, Map.of("first.pem", RSA, "second.pem", EC_256));

        write(dir.resolve("third.der"), TestKeys.pkcs8Der(EC_384));
        assertKeys(keys.keyring(), Map.of("first.pem", RSA, "second.pem", EC_256, "third.der", EC_384));

        // Rewritten in place with a key of another size: the change must be seen on size alone, whatever
        // the timestamp granularity of the file system.
        write(first, TestKeys.pkcs1Pem(RSA_2));
        assertKeys(keys.keyring(), Map.of("first.pem", RSA_2, "second.pem", EC_256, "third.der", EC_384));

        Files.delete(second);
        assertKeys(keys.keyring(), Map.of("first.pem", RSA_2, "third.der", EC_384));

        // A keyring already handed out is a snapshot and does not change under its holder.
        assertKeys(before, Map.of("first.pem", RSA, "second.pem", EC_256));
    }

    @Test
    void keyReplacedByRenameIsPickedUp() throws Exception {
        Path key = write(dir.resolve("node.pem"), TestKeys.pkcs8Pem(RSA));
        KeyDirectory keys = new KeyDirectory(dir);
        assertKeys(keys.keyring(), Map.of("node.pem", RSA));

        // Tools that write atomically create a new file (a new inode) and rename it over the old one.
        Path staged = write(root.resolve("node.pem.new"), TestKeys.pkcs8Pem(RSA_2));
        Files.move(staged, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertKeys(keys.keyring(), Map.of("node.pem", RSA_2));
    }

    @Test
    void missingDirectoryIsAnEmptyKeyring() {
        Path missing = root.resolve("no-such-dir");

        Keyring keyring = new KeyDirectory(missing).keyring();

        assertEquals(0, keyring.size());
        assertEquals(List.of(), keyring.certificates());
        assertEquals(missing.toString(), keyring.origin());
        assertEquals(missing, new KeyDirectory(missing).directory());
        assertTrue(warnings().stream().anyMatch(e -> e.getFormattedMessage().contains(missing.toString())));
    }

    @Test
    void directoryThatAppearsLaterIsRead() throws Exception {
        Path later = root.resolve("later");
        KeyDirectory keys = new KeyDirectory(later);
        assertEquals(0, keys.keyring().size());

        write(later.resolve("node.pem"), TestKeys.pkcs8Pem(RSA));

        assertKeys(keys.keyring(), Map.of("node.pem", RSA));
    }

    @Test
    void brokenSymlinkIsSkipped() throws Exception {
        Files.createSymbolicLink(dir.resolve("dangling.pem"), root.resolve("gone.pem"));
        write(dir.resolve("node.pem"), TestKeys.pkcs8Pem(RSA));

        assertKeys(new KeyDirectory(dir).keyring(), Map.of("node.pem", RSA));
    }

    /**
     * A symlink loop (here a link back to the directory itself) makes Files.walk throw, and the whole
     * listing is dropped: one bad entry must not cost every other key.
     */
    @Test
    void symlinkLoopDoesNotHideTheOtherKeys() throws Exception {
        write(dir.resolve("node.pem"), TestKeys.pkcs8Pem(RSA));
        Files.createSymbolicLink(dir.resolve("loop"), Path.of("."));

        assertKeys(new KeyDirectory(dir).keyring(), Map.of("node.pem", RSA));
    }

    /**
     * The warnings above only help if Cloak's logging configuration (dev.cloak.cli.LogConfigurator, which
     * logback finds as a service) sends them to stderr. A fresh context is configured the way logback does it
     * at start, so that whatever configuration this JVM picked does not matter.
     */
    @Test
    void shippedLoggingConfigurationSendsKeyWarningsToStderr() throws Exception {
        LoggerContext context = new LoggerContext();
        try {
            List<Configurator> found = new ArrayList<>();
            ServiceLoader.load(Configurator.class).forEach(found::add);
            assertEquals(List.of("dev.cloak.cli.LogConfigurator"), found.stream().map(c -> c.getClass().getName()).toList(),
                    "logback must find Cloak's configuration as a service");
            Configurator configurator = found.get(0);
            configurator.setContext(context);
            assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, configurator.configure(context));

            assertTrue(new StatusUtil(context).getHighestLevel(0) < Status.ERROR,
                    () -> "logback reported errors: " + context.getStatusManager().getCopyOfStatusList());
            assertNotNull(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR"),
                    "the STDERR appender is not installed");
            assertTrue(context.getLogger(KeyDirectory.class).isEnabledFor(Level.WARN));
        } finally {
            context.stop();
        }
    }

    @Test
    void readPasswordTakesTheFirstLineWithoutItsEnding() throws Exception {
        assertArrayEquals(PASSWORD.toCharArray(), KeyDirectory.readPassword(write(root.resolve("p1"), PASSWORD)));
        assertArrayEquals(PASSWORD.toCharArray(), KeyDirectory.readPassword(write(root.resolve("p2"), PASSWORD + "\n")));
        assertArrayEquals(PASSWORD.toCharArray(), KeyDirectory.readPassword(write(root.resolve("p3"), PASSWORD + "\r\nsecond line\n")));
        assertArrayEquals(" spaced pass ".toCharArray(), KeyDirectory.readPassword(write(root.resolve("p4"), " spaced pass \n")));
        assertArrayEquals("pässwörd".toCharArray(), KeyDirectory.readPassword(write(root.resolve("p5"), "pässwörd\n")));
    }

    private static void deleteTree(Path top) throws IOException {
        try (var walk = Files.walk(top)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
