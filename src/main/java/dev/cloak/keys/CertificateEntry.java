package dev.cloak.keys;

import java.nio.file.Path;
import java.security.cert.X509Certificate;

/** An x509 certificate from the key directory; PKCS7 decryption matches it to its private key. */
public record CertificateEntry(Path source, X509Certificate certificate) {
    @Override
    public String toString() {
        return "certificate " + certificate.getSubjectX500Principal().getName() + " from " + source;
    }
}
