package dev.cloak.ocicrypt.keywrap;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The user's gpg public keyring, read the way ocicrypt reads it: {@code gpg --batch --export}, which
 * honours {@code $GNUPGHOME} and whichever keyring format (pubring.kbx, pubring.gpg) gpg uses.
 */
final class GpgKeyring {
    private static final long TIMEOUT_SECONDS = 60;
    /** Far more than a keyring of many certificates; a runaway gpg is cut off rather than read to the end. */
    private static final int MAX_EXPORT_BYTES = 16 * Limits.MAX_KEY_FILE_BYTES;

    private GpgKeyring() {
    }

    /** Every public key gpg has; {@code who} is only for messages. */
    static byte[] exportPublicKeys(String who) {
        Process gpg;
        try {
            gpg = new ProcessBuilder("gpg", "--batch", "--no-tty", "--export")
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw CloakException.invalid("recipient pgp:" + Printable.of(who) + " is looked up in gpg's public keyring,"
                    + " but gpg cannot be run; install gnupg, or name a public key file: pgp:FILE");
        }
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readBounded(gpg.getInputStream()));
        try {
            byte[] keys = output.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!gpg.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) || gpg.exitValue() != 0) {
                throw CloakException.invalid("gpg --export failed while looking up recipient pgp:" + Printable.of(who)
                        + "; check that gpg --export works for this user and $GNUPGHOME");
            }
            return keys;
        } catch (TimeoutException e) {
            throw CloakException.invalid("gpg --export did not finish within " + TIMEOUT_SECONDS
                    + " seconds while looking up recipient pgp:" + Printable.of(who));
        } catch (ExecutionException e) {
            throw CloakException.invalid("cannot read the output of gpg --export: "
                    + e.getCause().getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CloakException.invalid("interrupted while waiting for gpg --export");
        } finally {
            gpg.destroy();
        }
    }

    private static byte[] readBounded(InputStream in) {
        try (in) {
            byte[] all = in.readNBytes(MAX_EXPORT_BYTES + 1);
            if (all.length > MAX_EXPORT_BYTES) {
                throw new IllegalStateException("gpg's public keyring is larger than " + MAX_EXPORT_BYTES + " bytes");
            }
            return all;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
