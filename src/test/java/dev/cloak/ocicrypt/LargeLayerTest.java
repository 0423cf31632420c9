package dev.cloak.ocicrypt;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Constant memory: a 4 GiB layer is encrypted and decrypted in a JVM limited to a 128 MiB heap. Any code
 * path that buffers the layer (or a large part of it) dies with OutOfMemoryError and the child exits non-zero.
 */
class LargeLayerTest {
    private static final long SIZE = 4L << 30;
    /** About 40 s on two idle cores (three passes over 4 GiB); the rest is slack for a busy host. */
    private static final long TIMEOUT_SECONDS = 150;

    @Test
    void fourGibLayerStreamsThroughEncryptAndDecryptIn128MibHeap() throws Exception {
        List<String> command = List.of(System.getProperty("java.home") + "/bin/java", "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), LargeLayerMain.class.getName(), Long.toString(SIZE));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(child.getInputStream()));
        if (!child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("a 4 GiB layer took more than " + TIMEOUT_SECONDS + "s to encrypt and decrypt");
        }
        String out = output.get(10, TimeUnit.SECONDS);
        assertEquals(0, child.exitValue(), out);
        Matcher m = Pattern.compile("^OK decrypted (\\d+) bytes committed .*heapMax=(\\d+)MiB", Pattern.MULTILINE).matcher(out);
        assertTrue(m.find(), out);
        assertEquals(SIZE, Long.parseLong(m.group(1)), out);
        assertTrue(Long.parseLong(m.group(2)) <= 128, "the child must run with the small heap: " + out);
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "cannot read child output: " + e;
        }
    }
}
