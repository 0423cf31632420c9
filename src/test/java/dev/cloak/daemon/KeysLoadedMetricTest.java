package dev.cloak.daemon;

import dev.cloak.keys.KeyDirectory;
import dev.cloak.metrics.CloakMetrics;
import dev.cloak.testing.PemKeys;
import dev.cloak.testing.PgpKeys;
import dev.cloak.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code cloak_keys_loaded} counts every kind of key a node directory can hold, read the way the daemon reads
 * it: a gauge per type that the metrics registry knows, so a type counted but never registered would vanish.
 */
class KeysLoadedMetricTest {
    @TempDir
    Path dir;

    private static double gauge(String scrape, String type) {
        Matcher m = Pattern.compile("(?m)^cloak_keys_loaded\\{type=\"" + Pattern.quote(type) + "\"} ([0-9.eE+-]+)$")
                .matcher(scrape);
        assertTrue(m.find(), "no gauge for type " + type + " in:\n" + scrape);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void everyKeyTypeOfAKeyDirectoryIsExported() throws IOException {
        PemKeys.writePkcs8(PemKeys.rsa(), dir.resolve("jwe-rsa.pem"));
        PemKeys.writePkcs8(PemKeys.ec(), dir.resolve("jwe-ec.pem"));
        new TestPki("Node CA").writeRecipient(dir, "pkcs7", PemKeys.rsa());
        Files.writeString(dir.resolve("token.yaml"),
                "pkcs11:\n  uri: \"pkcs11:token=node;object=imgenc?module-name=softhsm2&pin-source=/etc/cloak/hsm.pin\"\n");
        Files.write(dir.resolve("node.gpg"), PgpKeys.secretBinary(PgpKeys.generate("Node <node@cloak.test>", null)));
        Files.writeString(dir.resolve("README"), "not a key");

        Map<String, Long> byType = NodeStatus.keysByType(new KeyDirectory(dir).keyring());
        assertEquals(Map.of("RSA", 2L, "EC", 1L, "certificate", 1L, "pkcs11", 1L, "pgp", 1L), byType);

        CloakMetrics metrics = new CloakMetrics();
        metrics.keysLoaded(byType);
        String scrape = metrics.scrape();
        assertEquals(2, gauge(scrape, "RSA"));
        assertEquals(1, gauge(scrape, "EC"));
        assertEquals(1, gauge(scrape, "certificate"));
        assertEquals(1, gauge(scrape, "pkcs11"));
        assertEquals(1, gauge(scrape, "pgp"));
    }

    @Test
    void typesThatAreGoneDropToZero() {
        CloakMetrics metrics = new CloakMetrics();
        metrics.keysLoaded(Map.of("pkcs11", 2L, "pgp", 3L));
        metrics.keysLoaded(Map.of("RSA", 1L));
        String scrape = metrics.scrape();
        for (String type : List.of("RSA", "EC", "certificate", "pkcs11", "pgp")) {
            assertEquals(type.equals("RSA") ? 1 : 0, gauge(scrape, type), type);
        }
    }
}
