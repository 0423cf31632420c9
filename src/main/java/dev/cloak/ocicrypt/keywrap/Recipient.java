package dev.cloak.ocicrypt.keywrap;

import com.nimbusds.jose.JWEAlgorithm;

import java.security.PublicKey;

/** Someone a layer is encrypted for, as named on the command line ({@code jwe:FILE}, {@code provider:NAME}). */
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
    record Pkcs11(String source, java.security.interfaces.RSAPublicKey key) implements Recipient {
        @Override
        public String scheme() {
            return "pkcs11";
        }
    }
}
