package dev.cloak.keys;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Keys generated once per test run (RSA generation is slow) and written in every format the parser reads. */
final class TestKeys {
    static final KeyPair RSA = rsa();
    static final KeyPair RSA_2 = rsa();
    static final KeyPair EC_256 = ec("secp256r1");
    static final KeyPair EC_384 = ec("secp384r1");

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    /** Distinctive so that a test can search logs and messages for it. */
    static final String PASSWORD = "s3cret-Passw0rd-7f1e";

    private TestKeys() {
    }

    static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- DER encodings

    static byte[] pkcs8Der(KeyPair pair) {
        return pair.getPrivate().getEncoded();
    }

    static byte[] pkcs1Der(KeyPair rsa) {
        try {
            return PrivateKeyInfo.getInstance(rsa.getPrivate().getEncoded()).parsePrivateKey().toASN1Primitive().getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * SEC1 ECPrivateKey with the curve and public key inside, as {@code openssl ec} writes it. The JDK's own
     * PKCS#8 encoding leaves both out of its inner SEC1 structure, so it cannot serve as a stand-alone SEC1 file.
     */
    static byte[] sec1Der(KeyPair ec) {
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(ec.getPublic().getEncoded());
            ECPrivateKey key = (ECPrivateKey) ec.getPrivate();
            return new org.bouncycastle.asn1.sec.ECPrivateKey(key.getParams().getOrder().bitLength(), key.getS(),
                    spki.getPublicKeyData(), spki.getAlgorithm().getParameters()).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] curveOidDer(KeyPair ec) {
        try {
            ASN1Encodable oid = SubjectPublicKeyInfo.getInstance(ec.getPublic().getEncoded()).getAlgorithm().getParameters();
            return oid.toASN1Primitive().getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] encryptedPkcs8Der(KeyPair pair, String password) {
        return encryptedPkcs8(pair, password).getContent();
    }

    private static PemObject encryptedPkcs8(KeyPair pair, String password) {
        try {
            return new JcaPKCS8Generator(pair.getPrivate(), new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(BC).setPassword(password.toCharArray()).build()).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- PEM encodings

    static String pem(String label, byte[] der) {
        return write(new PemObject(label, der));
    }

    static String pkcs1Pem(KeyPair rsa) {
        return pem("RSA PRIVATE KEY", pkcs1Der(rsa));
    }

    static String pkcs8Pem(KeyPair pair) {
        try {
            return write(new JcaPKCS8Generator(pair.getPrivate(), null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sec1Pem(KeyPair ec) {
        return pem("EC PRIVATE KEY", sec1Der(ec));
    }

    /** What {@code openssl ecparam -genkey} writes: the curve in its own block, then the key. */
    static String sec1PemWithParameters(KeyPair ec) {
        return pem("EC PARAMETERS", curveOidDer(ec)) + sec1Pem(ec);
    }

    static String encryptedPkcs8Pem(KeyPair pair, String password) {
        return write(encryptedPkcs8(pair, password));
    }

    /** Legacy OpenSSL encryption: {@code Proc-Type: 4,ENCRYPTED} and {@code DEK-Info} headers. */
    static String legacyEncryptedPem(KeyPair rsa, String password) {
        try {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(rsa.getPrivate(), new JcePEMEncryptorBuilder("AES-128-CBC").setProvider(BC).build(password.toCharArray()));
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String publicPem(KeyPair pair) {
        return write(pair.getPublic());
    }

    static String certificatePem(X509Certificate certificate) {
        return write(certificate);
    }

    private static String write(Object object) {
        try {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(object);
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static X509Certificate selfSigned(KeyPair rsa, String commonName) {
        try {
            X500Name name = new X500Name("CN=" + commonName);
            Date now = new Date();
            Date later = new Date(now.getTime() + 365L * 24 * 3600 * 1000);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name, BigInteger.valueOf(now.getTime()), now, later, name, rsa.getPublic());
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- JWK

    static RSAKey rsaJwk(KeyPair rsa, String kid) {
        return new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).privateKey((RSAPrivateKey) rsa.getPrivate()).keyID(kid).build();
    }

    static ECKey ecJwk(KeyPair ec, Curve curve, String kid) {
        return new ECKey.Builder(curve, (ECPublicKey) ec.getPublic()).privateKey((ECPrivateKey) ec.getPrivate()).keyID(kid).build();
    }

    /** A JWK set as JSON, private members included. */
    static String jwkSet(JWK... keys) {
        return new JWKSet(List.of(keys)).toString(false);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ---- assertions

    /**
     * Same key, compared by encoding. EC keys are compared by scalar and curve instead: a SEC1 file may carry
     * the optional curve and public key inside the key structure, which the JDK keeps in its re-encoding.
     */
    static void assertSameKey(PrivateKey expected, PrivateKey actual) {
        assertEquals(expected.getAlgorithm(), actual.getAlgorithm());
        if (expected instanceof ECPrivateKey e) {
            ECPrivateKey a = assertInstanceOf(ECPrivateKey.class, actual);
            assertEquals(e.getS(), a.getS());
            assertEquals(e.getParams().getOrder(), a.getParams().getOrder());
            assertEquals(e.getParams().getGenerator(), a.getParams().getGenerator());
        } else {
            assertArrayEquals(expected.getEncoded(), actual.getEncoded());
        }
    }

    static void assertSingleKey(KeyPair expected, KeyFile parsed) {
        KeyFile.Keys keys = assertInstanceOf(KeyFile.Keys.class, parsed);
        assertEquals(1, keys.privateKeys().size(), "private keys");
        assertSameKey(expected.getPrivate(), keys.privateKeys().get(0).key());
    }
}
