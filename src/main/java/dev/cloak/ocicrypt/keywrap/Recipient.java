package dev.cloak.ocicrypt.keywrap;

import com.nimbusds.jose.JWEAlgorithm;
import org.bouncycastle.openpgp.PGPPublicKey;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

/**
 * Someone a layer is encrypted for, as named on the command line ({@code jwe:FILE}, {@code pkcs7:CERT},
 * {@code pgp:NAME}, {@code pkcs11:FILE}, {@code provider:NAME}).
 */
public sealed interface Recipient {
    /** The scheme's annotation suffix: {@code jwe}, {@code pkcs7}, ... */
    String scheme();

    /** Where the recipient came from, for messages. */
    String source();

    /** A JWE recipient: a public key and the key-management algorithm to use for it. */
    record Jwe(String source, PublicKey key, JWEAlgorithm algorithm) implements Recipient {
        @Override
        public String scheme() {
            return "jwe";
        }
    }

    /** A PKCS7 recipient: an x509 certificate with an RSA key; messages name it by issuer and serial. */
    record Pkcs7(String source, X509Certificate certificate) implements Recipient {
        @Override
        public String scheme() {
            return "pkcs7";
        }
    }

    /** An OpenPGP recipient: the encryption keys of the certificates a name, e-mail or file stood for. */
    record Pgp(String source, List<PGPPublicKey> encryptionKeys) implements Recipient {
        public Pgp {
            encryptionKeys = List.copyOf(encryptionKeys);
        }

        @Override
        public String scheme() {
            return "pgp";
        }
    }

    /**
     * A key provider and the parameters for it ({@code provider:NAME[:PARAMS]}); without parameters
     * ocicrypt sends {@code Enabled}, and so does Cloak.
     */
    record Provider(String source, String provider, byte[] parameters) implements Recipient {
        @Override
        public String scheme() {
            return KeyProviderKeyWrapper.SCHEME_PREFIX + provider;
        }
    }

    /** A PKCS#11 recipient: the RSA public key of a token's key (from a PEM file or from the token itself). */
    record Pkcs11(String source, RSAPublicKey key) implements Recipient {
        @Override
        public String scheme() {
            return "pkcs11";
        }
    }
}
