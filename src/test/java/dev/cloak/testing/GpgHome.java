package dev.cloak.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A throw-away gpg home directory, used through the real gpg as a user (and skopeo) would: keys generated
 * there, exported from there. {@link #close} stops the gpg-agent that gpg started for it.
 */
public final class GpgHome implements AutoCloseable {
    private final Path home;

    public GpgHome(Path home) throws IOException {
        this.home = Files.createDirectories(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
    }

    /** The environment that makes gpg, skopeo and cloak use this home. */
    public Map<String, String> env() {
        return Map.of("GNUPGHOME", home.toString());
    }

    /**
     * An RSA key that certifies and an RSA subkey that encrypts, as gpg 2.2 makes by default; named
     * explicitly so that a newer gpg does not make a Curve25519 key, which skopeo's OpenPGP library cannot use.
     * {@code passphrase} null leaves the key unprotected. Returns the fingerprint.
     */
    public String generate(String userId, String passphrase) {
        return generate(userId, passphrase, "rsa2048", "rsa2048");
    }

    /** A key of the given gpg algorithms ({@code ed25519} and {@code cv25519}, say) for certifying and encrypting. */
    public String generate(String userId, String passphrase, String primary, String encryptionSubkey) {
        gpg(passphrase, "--quick-gen-key", userId, primary, "cert", "never");
        String fingerprint = fingerprint(userId);
        gpg(passphrase, "--quick-add-key", fingerprint, encryptionSubkey, "encr", "never");
        return fingerprint;
    }

    private String fingerprint(String userId) {
        String listing = gpg(null, "--with-colons", "--list-keys", userId).out();
        return listing.lines().filter(l -> l.startsWith("fpr:")).findFirst()
                .map(l -> l.split(":")[9]).orElseThrow(() -> new AssertionError("gpg lists no key for " + userId));
    }

    /** {@code gpg --export-secret-keys}, armoured or not; a protected key stays protected by its passphrase. */
    public byte[] exportSecret(String who, String passphrase, boolean armour) {
        return exportBytes(passphrase, armour, "--export-secret-keys", who);
    }

    /** {@code gpg --export}, armoured or not. */
    public byte[] exportPublic(String who, boolean armour) {
        return exportBytes(null, armour, "--export", who);
    }

    private byte[] exportBytes(String passphrase, boolean armour, String... what) {
        try {
            Path out = Files.createTempFile("gpg-export", armour ? ".asc" : ".gpg");
            try {
                List<String> args = new ArrayList<>(List.of("--output", out.toString(), "--yes"));
                if (armour) {
                    args.add("--armor");
                }
                args.addAll(List.of(what));
                gpg(passphrase, args.toArray(String[]::new));
                return Files.readAllBytes(out);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The passphrase goes through a file, so that no command line (nor a failure message quoting one) shows it. */
    private Cmd.Result gpg(String passphrase, String... args) {
        try {
            Path file = Files.writeString(home.resolve("passphrase.tmp"), passphrase == null ? "" : passphrase);
            try {
                List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback",
                        "--passphrase-file", file.toString()));
                command.addAll(List.of(args));
                return Cmd.run(home, env(), command).ok();
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        Cmd.run(home, env(), List.of("gpgconf", "--kill", "gpg-agent"));
    }
}
