package dev.cloak.ocicrypt.keywrap;

import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;
import dev.cloak.pkcs11.Pkcs11KeyRef;
import dev.cloak.pkcs11.Pkcs11Tokens;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;

/**
 * Parses recipient specifications as skopeo writes them: {@code jwe:PUBLIC-KEY-FILE},
 * {@code pkcs7:CERTIFICATE-FILE}, {@code pgp:NAME-OR-EMAIL} and, beyond skopeo, {@code pgp:PUBLIC-KEY-FILE};
 * {@code pkcs11:KEY-FILE}; {@code provider:NAME[:PARAMS]}.
 */
public final class Recipients {
    private static final java.util.regex.Pattern PROVIDER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** What ocicrypt passes to a provider named without parameters. */
    private static final byte[] ENABLED = "Enabled".getBytes(StandardCharsets.US_ASCII);
    private static final String FORMS = "jwe:PUBLIC-KEY-FILE, pkcs7:CERTIFICATE-FILE, pgp:NAME-OR-EMAIL,"
            + " pkcs11:KEY-FILE or provider:NAME";

    private Recipients() {
    }

    public static Recipient parse(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw CloakException.invalid("recipient \"" + Printable.of(spec) + "\" has no scheme; write it as " + FORMS);
        }
        String scheme = spec.substring(0, colon);
        String value = spec.substring(colon + 1);
        return switch (scheme) {
            case "jwe" -> jwe(Path.of(value));
            case "pkcs7" -> pkcs7(Path.of(value));
            case "pgp" -> PgpRecipients.parse(value);
            case "pkcs11" -> pkcs11(Path.of(value));
            case "provider" -> provider(spec, value);
            default -> throw CloakException.invalid("recipient \"" + Printable.of(spec) + "\" has the unknown scheme \""
                    + Printable.of(scheme) + "\"; use " + FORMS);
        };
    }

    private static Recipient provider(String spec, String value) {
        int colon = value.indexOf(':');
        String name = colon < 0 ? value : value.substring(0, colon);
        if (!PROVIDER_NAME.matcher(name).matches()) {
            throw CloakException.invalid("recipient \"" + Printable.of(spec) + "\": write it as provider:NAME or"
                    + " provider:NAME:PARAMETERS, NAME as in the key provider configuration");
        }
        byte[] parameters = colon < 0 ? ENABLED.clone() : value.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        return new Recipient.Provider("provider:" + name, name, parameters);
    }

    /** An RSA public key file, or a PKCS#11 key file whose token holds the key's certificate. */
    private static Recipient pkcs11(Path file) {
        byte[] content = read(file);
        String text = new String(content, StandardCharsets.UTF_8).strip();
        if (Pkcs11KeyRef.looksLikeKeyFile(text) && !text.startsWith("-----BEGIN")) {
            Pkcs11KeyRef ref;
            try {
                ref = Pkcs11KeyRef.parse(file, content);
            } catch (CloakException e) {
                throw new CloakException(e.kind(), "recipient key file " + file + ": " + e.getMessage());
            }
            return new Recipient.Pkcs11(file.toString(), Pkcs11Tokens.shared().publicKey(ref));
        }
        if (!(KeyFileParser.publicKey(content) instanceof RSAPublicKey rsa)) {
            throw CloakException.invalid("recipient key file " + file + " holds neither an RSA public key (PEM, DER or JWK)"
                    + " nor a PKCS#11 key file; the pkcs11 scheme is RSA-OAEP");
        }
        return new Recipient.Pkcs11(file.toString(), rsa);
    }

    /** The content of a recipient's key or certificate file, refused when it is too large to be one. */
    static byte[] read(Path file) {
        try {
            if (Files.size(file) > Limits.MAX_KEY_FILE_BYTES) {
                throw CloakException.invalid("recipient key file " + file + " is too large to be a public key");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw CloakException.notFound("recipient key file " + file + " does not exist");
        } catch (IOException e) {
            throw CloakException.invalid("recipient key file " + file + " cannot be read: "
                    + e.getClass().getSimpleName());
        }
    }

    /** ocicrypt takes the first certificate of the file; a chain after it is ignored. */
    private static Recipient pkcs7(Path file) {
        KeyFile parsed = KeyFileParser.parse(file, read(file), null);
        if (!(parsed instanceof KeyFile.Keys keys) || keys.certificates().isEmpty()) {
            throw CloakException.invalid("recipient certificate file " + file + " holds no x509 certificate (PEM or DER)");
        }
        X509Certificate cert = keys.certificates().get(0).certificate();
        if (!(cert.getPublicKey() instanceof RSAPublicKey)) {
            throw CloakException.invalid("recipient certificate file " + file + " holds a certificate for a "
                    + cert.getPublicKey().getAlgorithm() + " key; PKCS7 recipients need an RSA certificate");
        }
        return new Recipient.Pkcs7(file.toString(), cert);
    }

    private static Recipient jwe(Path file) {
        byte[] content = read(file);
        PublicKey key = KeyFileParser.publicKey(content);
        if (key == null) {
            throw CloakException.invalid("recipient key file " + file + " holds no RSA or EC public key"
                    + " (PEM, DER, JWK or an x509 certificate)");
        }
        return new Recipient.Jwe(file.toString(), key, algorithm(content, key));
    }

    /** A JWK may name its algorithm; a bare key gets skopeo's choice. */
    private static JWEAlgorithm algorithm(byte[] content, PublicKey key) {
        String text = new String(content, StandardCharsets.UTF_8).strip();
        if (text.startsWith("{")) {
            try {
                JWK jwk = JWK.parse(text);
                if (jwk.getAlgorithm() != null) {
                    return JWEAlgorithm.parse(jwk.getAlgorithm().getName());
                }
            } catch (java.text.ParseException ignored) {
                // Already parsed once as a public key; fall through to the default.
            }
        }
        return JweKeyWrapper.defaultAlgorithm(key);
    }
}
