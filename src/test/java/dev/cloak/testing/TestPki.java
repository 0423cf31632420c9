package dev.cloak.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

/**
 * A throw-away certificate authority for tests: a CA, a server certificate for loopback, client certificates,
 * certificates for PKCS7 recipients.
 */
public final class TestPki {
    public final KeyPair caKey = PemKeys.rsa();
    public final X509CertificateHolder ca;
    private long serial = 2;

    public TestPki(String name) {
        ca = issue(new X500Name("CN=" + name), caKey, new X500Name("CN=" + name), caKey, true, null, null, null);
    }

    /** A server certificate valid for 127.0.0.1 and localhost; writes cert and key PEM files. */
    public Path[] server(Path dir, String name) throws IOException {
        KeyPair key = PemKeys.rsa();
        GeneralNames sans = new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")});
        X509CertificateHolder cert = issue(new X500Name("CN=" + name), key, ca.getSubject(), caKey, false, sans,
                KeyPurposeId.id_kp_serverAuth, null);
        return write(dir, name, cert, key);
    }

    /**
     * A certificate for a PKCS7 recipient's RSA key. ocicrypt checks no key usage; keyEncipherment is what a
     * CA sets for a key that receives wrapped keys.
     */
    public java.security.cert.X509Certificate recipient(String name, KeyPair key) {
        X509CertificateHolder holder = issue(new X500Name("CN=" + name), key, ca.getSubject(), caKey, false, null, null,
                new KeyUsage(KeyUsage.keyEncipherment));
        try {
            return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(holder);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #recipient} written as NAME.pem, with the key as NAME-key.pem (PKCS#8). */
    public Path[] writeRecipient(Path dir, String name, KeyPair key) throws IOException {
        Path certFile = dir.resolve(name + ".pem");
        Path keyFile = dir.resolve(name + "-key.pem");
        try {
            Files.writeString(certFile, pem("CERTIFICATE", recipient(name, key).getEncoded()));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        PemKeys.writePkcs8(key, keyFile);
        return new Path[] {certFile, keyFile};
    }

    /** A client certificate; writes cert and key PEM files. */
    public Path[] client(Path dir, String name) throws IOException {
        KeyPair key = PemKeys.rsa();
        X509CertificateHolder cert = issue(new X500Name("CN=" + name), key, ca.getSubject(), caKey, false, null,
                KeyPurposeId.id_kp_clientAuth, null);
        return write(dir, name, cert, key);
    }

    public Path writeCa(Path file) throws IOException {
        Files.writeString(file, pem("CERTIFICATE", ca.getEncoded()));
        return file;
    }

    private Path[] write(Path dir, String name, X509CertificateHolder cert, KeyPair key) throws IOException {
        Path certFile = dir.resolve(name + ".pem");
        Path keyFile = dir.resolve(name + "-key.pem");
        Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
        PemKeys.writePkcs8(key, keyFile);
        return new Path[] {certFile, keyFile};
    }

    private X509CertificateHolder issue(X500Name subject, KeyPair subjectKey, X500Name issuer, KeyPair issuerKey,
                                        boolean isCa, GeneralNames sans, KeyPurposeId purpose, KeyUsage usage) {
        try {
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(isCa ? 1 : serial++),
                    Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(1, ChronoUnit.DAYS)), subject,
                    subjectKey.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (sans != null) {
                b.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            if (purpose != null) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            }
            if (usage != null) {
                b.addExtension(Extension.keyUsage, true, usage);
            }
            return b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue a test certificate", e);
        }
    }

    public static String pem(String type, byte[] der) throws IOException {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject(type, der));
        }
        return out.toString();
    }
}
