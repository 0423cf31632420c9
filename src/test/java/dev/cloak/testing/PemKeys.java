package dev.cloak.testing;

import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;

/** Key pairs for tests, written as the PEM files users keep on nodes. */
public final class PemKeys {
    private PemKeys() {
    }

    public static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair ec() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#8 "PRIVATE KEY": the form every tool reads (Debian's skopeo needs it for EC keys). */
    public static Path writePkcs8(KeyPair pair, Path file) throws IOException {
        // Bouncy Castle's generic PEM generator would turn an EC key into SEC1, so PKCS#8 is written by hand.
        return write(file, new PemObject("PRIVATE KEY", pair.getPrivate().getEncoded()));
    }

    /** Traditional OpenSSL form: "RSA PRIVATE KEY" (PKCS#1) or "EC PRIVATE KEY" (SEC1). */
    public static Path writeTraditional(KeyPair pair, Path file) throws IOException {
        if (pair.getPrivate() instanceof ECPrivateKey ec) {
            // The JDK's PKCS#8 leaves the curve out of the inner SEC1 structure; openssl writes it in.
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(ec.getEncoded());
            ASN1Primitive curve = info.getPrivateKeyAlgorithm().getParameters().toASN1Primitive();
            SubjectPublicKeyInfo pub = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
            org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                    ec.getParams().getOrder().bitLength(), ec.getS(), pub.getPublicKeyData(), curve);
            return write(file, new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        }
        return write(file, new JcaMiscPEMGenerator(pair));
    }

    /** "PUBLIC KEY" (SubjectPublicKeyInfo), what --encryption-key jwe:FILE takes. */
    public static Path writePublic(KeyPair pair, Path file) throws IOException {
        return write(file, new JcaMiscPEMGenerator(pair.getPublic()));
    }

    private static Path write(Path file, PemObjectGenerator item) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            w.writeObject(item);
        }
        Files.writeString(file, text.toString());
        return file;
    }
}
