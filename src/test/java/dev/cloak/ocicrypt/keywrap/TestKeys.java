package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import dev.cloak.keys.CertificateEntry;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PrivateKeyEntry;
import dev.cloak.testing.PgpKeys;
import org.bouncycastle.openpgp.PGPSecretKeyRing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;

/** Key pairs and JWE helpers shared by the ocicrypt tests. Keys are generated once per JVM: RSA is slow. */
public final class TestKeys {
    public static final KeyPair RSA_A = rsa();
    public static final KeyPair RSA_B = rsa();
    public static final KeyPair RSA_OTHER = rsa();
    public static final KeyPair EC_P256 = ec("secp256r1");
    public static final KeyPair EC_P384 = ec("secp384r1");
    public static final KeyPair EC_OTHER = ec("secp256r1");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TestKeys() {
    }

    public static KeyPair rsa() {
        return generate("RSA", null);
    }

    public static KeyPair ec(String curve) {
        return generate("EC", curve);
    }

    private static KeyPair generate(String algorithm, String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            if (curve == null) {
                g.initialize(2048);
            } else {
                g.initialize(new ECGenParameterSpec(curve));
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PrivateKeyEntry entry(KeyPair pair, String keyId) {
        return new PrivateKeyEntry(Path.of("test-key-" + pair.getPublic().getAlgorithm()), pair.getPrivate(), keyId);
    }

    public static Keyring keyring(KeyPair... pairs) {
        List<PrivateKeyEntry> entries = new ArrayList<>();
        for (KeyPair p : pairs) {
            entries.add(entry(p, null));
        }
        return new Keyring("the test keyring", entries, List.of());
    }

    /** A keyring holding {@code pairs} with their certificates, as a node keeps them for PKCS7. */
    public static Keyring pkcs7Keyring(Object... pairsAndCertificates) {
        List<PrivateKeyEntry> keys = new ArrayList<>();
        List<CertificateEntry> certs = new ArrayList<>();
        for (Object o : pairsAndCertificates) {
            if (o instanceof KeyPair pair) {
                keys.add(entry(pair, null));
            } else {
                certs.add(new CertificateEntry(Path.of("test-cert.pem"), (X509Certificate) o));
            }
        }
        return new Keyring("the test keyring", keys, certs);
    }

    public static Recipient.Pkcs7 pkcs7Recipient(X509Certificate certificate) {
        return new Recipient.Pkcs7("test certificate " + certificate.getSubjectX500Principal().getName(), certificate);
    }

    /** The secret keys of {@code rings} as a node loads them: exported by gpg, read by the key file parser. */
    public static Keyring pgpKeyring(PGPSecretKeyRing... rings) {
        List<KeyFile.Keys> files = new ArrayList<>();
        for (PGPSecretKeyRing ring : rings) {
            files.add((KeyFile.Keys) KeyFileParser.parse(Path.of("test.gpg"), PgpKeys.secretBinary(ring), null));
        }
        return Keyring.of("the test keyring", files);
    }

    public static Recipient.Pgp pgpRecipient(PGPSecretKeyRing ring) {
        return new Recipient.Pgp("test OpenPGP key", List.of(PgpKeys.encryptionKey(ring)));
    }

    /** The recipient skopeo would make from the bare public key. */
    public static Recipient.Jwe recipient(KeyPair pair) {
        return new Recipient.Jwe("test recipient", pair.getPublic(), JweKeyWrapper.defaultAlgorithm(pair.getPublic()));
    }

    public static JWEEncrypter encrypter(PublicKey key) throws JOSEException {
        return key instanceof RSAPublicKey rsa ? new RSAEncrypter(rsa) : new ECDHEncrypter((ECPublicKey) key);
    }

    /**
     * A JWE made by nimbus alone, in flattened JSON serialization assembled from the compact parts, so the
     * bytes Cloak reads come from an implementation that is not Cloak's.
     */
    public static byte[] nimbusFlattened(JWEHeader header, PublicKey key, byte[] payload) {
        try {
            JWEObject jwe = new JWEObject(header, new Payload(payload));
            jwe.encrypt(encrypter(key));
            ObjectNode out = MAPPER.createObjectNode();
            out.put("protected", jwe.getHeader().toBase64URL().toString());
            out.put("encrypted_key", jwe.getEncryptedKey().toString());
            out.put("iv", jwe.getIV().toString());
            out.put("ciphertext", jwe.getCipherText().toString());
            out.put("tag", jwe.getAuthTag().toString());
            return out.toString().getBytes(StandardCharsets.UTF_8);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** With the algorithm skopeo picks for {@code key} and A256GCM, as layers in the wild have. */
    public static byte[] nimbusFlattened(PublicKey key, byte[] payload) {
        JWEAlgorithm alg = JweKeyWrapper.defaultAlgorithm(key);
        return nimbusFlattened(new JWEHeader(alg, com.nimbusds.jose.EncryptionMethod.A256GCM), key, payload);
    }
}
