package dev.cloak.ocicrypt.keywrap;

import javax.security.auth.x500.X500Principal;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/** How CMS names a recipient: the issuer of its certificate and the certificate's serial number. */
final class IssuerAndSerial {
    private IssuerAndSerial() {
    }

    /** The issuer Name exactly as encoded in the certificate, which Go compares byte for byte. */
    static byte[] rawIssuer(X509Certificate cert) {
        try {
            Ber.Node tbs = Ber.parse(cert.getTBSCertificate()).expect(Ber.SEQUENCE);
            int version = tbs.child(0).tag() == 0xa0 ? 1 : 0;
            return tbs.child(version + 2).expect(Ber.SEQUENCE).encoded();
        } catch (CertificateEncodingException | Ber.Malformed e) {
            return cert.getIssuerX500Principal().getEncoded();
        }
    }

    static boolean names(X509Certificate cert, byte[] issuer, BigInteger serial) {
        if (!cert.getSerialNumber().equals(serial)) {
            return false;
        }
        if (Arrays.equals(rawIssuer(cert), issuer)) {
            return true;
        }
        try {
            return cert.getIssuerX500Principal().equals(new X500Principal(issuer));
        } catch (IllegalArgumentException unreadable) {
            return false;
        }
    }

    static String issuerName(byte[] issuer) {
        try {
            return new X500Principal(issuer).getName(X500Principal.RFC2253);
        } catch (IllegalArgumentException unreadable) {
            return "(unreadable)";
        }
    }
}
