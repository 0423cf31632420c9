package dev.cloak.ocicrypt;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * Gets the JIT to compile the cipher path before the first layer needs it. HotSpot runs AES-CTR, SHA-256
 * and HMAC-SHA256 on their AES-NI and SHA-NI stubs only from code that C2 has compiled, which happens after
 * some thousands of calls; a layer makes one call per 16 KiB slice or per chunk, so in a fresh JVM the first
 * hundreds of megabytes go through the byte-code versions at a fraction of the speed. A few thousand calls
 * on tiny buffers with a throwaway key reach the same compilations in tens of milliseconds, on a thread of
 * their own while the caller reads keys and manifests.
 */
public final class CipherWarmup {
    private static final int CALLS = 20_000;
    private static final int BYTES = 64;
    private static boolean started;

    private CipherWarmup() {
    }

    /** Starts the warm-up once per JVM; returns at once. */
    public static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        Thread t = new Thread(CipherWarmup::run, "cloak-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** The warm-up itself; false if the JDK refused any of it (then only speed is lost). */
    static boolean run() {
        try {
            byte[] key = new byte[CipherOptions.KEY_BYTES];
            AesCtr ctr = new AesCtr(key, new byte[CipherOptions.NONCE_BYTES]);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] in = new byte[BYTES];
            byte[] out = new byte[BYTES];
            for (int i = 0; i < CALLS; i++) {
                ctr.apply(in, 0, out, 0, BYTES);
                mac.update(out, 0, BYTES);
                sha256.update(out, 0, BYTES);
            }
            return true;
        } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
            // Only speed is at stake: the real path reports its own errors.
            return false;
        }
    }
}
