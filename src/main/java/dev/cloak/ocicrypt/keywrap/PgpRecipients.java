package dev.cloak.ocicrypt.keywrap;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.keys.PgpKeyEntry;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.api.OpenPGPCertificate;
import org.bouncycastle.openpgp.api.OpenPGPKeyReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * OpenPGP recipients: {@code pgp:FILE} (a public key or keyring, binary or armoured) or
 * {@code pgp:NAME-OR-EMAIL}, looked up in gpg's public keyring as ocicrypt does: every certificate with a
 * valid user ID whose name or e-mail address is exactly that. A certificate is encrypted to through its
 * newest valid encryption key, as gpg does.
 */
final class PgpRecipients {
    private PgpRecipients() {
    }

    static Recipient.Pgp parse(String value) {
        Path file;
        try {
            file = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw CloakException.invalid("recipient pgp:" + Printable.of(value) + " is neither a file nor a name");
        }
        if (Files.isRegularFile(file)) {
            return fromFile(file);
        }
        if (value.contains("/")) {
            throw CloakException.notFound("recipient key file " + file + " does not exist");
        }
        if (value.isBlank()) {
            throw CloakException.invalid("recipient \"pgp:\" names nobody; write pgp:NAME-OR-EMAIL or"
                    + " pgp:PUBLIC-KEY-FILE");
        }
        return fromGpg(value);
    }

    private static Recipient.Pgp fromFile(Path file) {
        List<PGPPublicKey> keys = new ArrayList<>();
        for (OpenPGPCertificate cert : certificates(Recipients.read(file), "recipient key file " + file)) {
            PGPPublicKey key = encryptionKey(cert);
            if (key == null) {
                throw CloakException.invalid("recipient key file " + file + " holds the OpenPGP key "
                        + Printable.of(userId(cert)) + ", which has no valid encryption key");
            }
            keys.add(key);
        }
        if (keys.isEmpty()) {
            throw CloakException.invalid("recipient key file " + file + " holds no OpenPGP public key");
        }
        return new Recipient.Pgp(file.toString(), keys);
    }

    private static Recipient.Pgp fromGpg(String who) {
        List<PGPPublicKey> keys = new ArrayList<>();
        for (OpenPGPCertificate cert : certificates(GpgKeyring.exportPublicKeys(who), "gpg's public keyring")) {
            boolean named = cert.getValidUserIds().stream().anyMatch(u -> identifies(u.getUserId(), who));
            PGPPublicKey key = named ? encryptionKey(cert) : null;
            if (key != null) {
                keys.add(key);
            }
        }
        if (keys.isEmpty()) {
            throw CloakException.notFound("recipient pgp:" + Printable.of(who) + ": no key in gpg's public keyring"
                    + " ($GNUPGHOME or ~/.gnupg) has a valid user ID with that name or e-mail address and a valid"
                    + " encryption key; import one (gpg --import) or name a public key file: pgp:FILE");
        }
        return new Recipient.Pgp("gpg key " + Printable.of(who), keys);
    }

    private static List<OpenPGPCertificate> certificates(byte[] content, String where) {
        try {
            return content.length == 0 ? List.of() : new OpenPGPKeyReader().parseKeysOrCertificates(content);
        } catch (IOException | RuntimeException e) {
            throw CloakException.invalid(where + " holds no OpenPGP key that Cloak can read");
        }
    }

    private static PGPPublicKey encryptionKey(OpenPGPCertificate cert) {
        return cert.getEncryptionKeys().stream()
                .max(Comparator.comparing(OpenPGPCertificate.OpenPGPComponentKey::getCreationTime))
                .map(OpenPGPCertificate.OpenPGPComponentKey::getPGPPublicKey)
                .orElse(null);
    }

    private static String userId(OpenPGPCertificate cert) {
        var primary = cert.getPrimaryUserId();
        return primary != null
                ? primary.getUserId()
                : PgpKeyEntry.hexId(cert.getPrimaryKey().getPGPPublicKey().getKeyID());
    }

    /**
     * ocicrypt's match: the recipient equals the user ID's name, or its address ({@code Name <address>}, or
     * a bare address). Addresses compare without regard to case, as mail systems treat them.
     */
    static boolean identifies(String userId, String wanted) {
        String id = userId.strip();
        int open = id.lastIndexOf('<');
        if (open >= 0 && id.endsWith(">")) {
            String address = id.substring(open + 1, id.length() - 1).strip();
            String name = id.substring(0, open).strip();
            if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
                name = name.substring(1, name.length() - 1);
            }
            return name.equals(wanted) || address.toLowerCase(Locale.ROOT).equals(wanted.toLowerCase(Locale.ROOT));
        }
        return id.contains("@") ? id.equalsIgnoreCase(wanted) : id.equals(wanted);
    }
}
