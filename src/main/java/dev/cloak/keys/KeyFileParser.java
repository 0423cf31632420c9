package dev.cloak.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.cloak.pkcs11.Pkcs11KeyRef;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Classifies and parses one key file: PEM or DER; PKCS#1, PKCS#8, SEC1, encrypted PKCS#8 and legacy
 * encrypted PEM (with a password); JWK and JWK sets; x509 certificates; ocicrypt's PKCS#11 YAML key files
 * (references to keys that stay in a token); OpenPGP secret keyrings, binary or armoured. Public keys are
 * recognised and ignored. Nothing here logs, and no message contains key bytes or the password.
 */
public final class KeyFileParser {
    private static final JcaPEMKeyConverter CONVERTER = new JcaPEMKeyConverter();

    /** Why an encrypted key of kind {@code what} ("private key", "OpenPGP secret key") was skipped: no password. */
    static String missingPassword(String what) {
        return "it is an encrypted " + what + " and no password was given for it"
                + " (put the password in a file of the same name plus \".password\", or pass --key FILE:PASSWORD)";
    }

    /** Why an encrypted key of kind {@code what} was skipped: the password does not open it. */
    static String wrongPassword(String what) {
        return "it is an encrypted " + what + " and the password given for it is wrong";
    }

    private KeyFileParser() {
    }

    /** Only encrypted keys need Bouncy Castle's provider; making it loads some 200 classes, so only they pay for it. */
    private static final class Bc {
        static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();
    }

    /** Parses {@code content}, read from {@code source}; {@code password} may be null. */
    public static KeyFile parse(Path source, byte[] content, char[] password) {
        String text = new String(content, StandardCharsets.ISO_8859_1).strip();
        try {
            // RFC 7468 lets text precede the PEM block (openssl pkcs12 writes "Bag Attributes" there).
            if (text.startsWith("-----BEGIN PGP") || text.contains("\n-----BEGIN PGP")) {
                return PgpKeyParser.parse(source, content, password);
            }
            if (text.startsWith("-----BEGIN") || text.contains("\n-----BEGIN")) {
                return fromPem(source, text, password);
            }
            if (text.startsWith("{")) {
                return fromJwk(source, new String(content, StandardCharsets.UTF_8));
            }
            if (Pkcs11KeyRef.looksLikeKeyFile(text)) {
                return pkcs11(source, content);
            }
            if (PgpKeyParser.looksBinary(content)) {
                return PgpKeyParser.parse(source, content, password);
            }
            return fromDer(source, content, password);
        } catch (WrongPassword e) {
            return new KeyFile.Unusable(e.getMessage());
        } catch (IOException | RuntimeException | ParseException | JOSEException e) {
            return new KeyFile.Unusable("it is not a key, certificate, JWK or OpenPGP keyring that Cloak can read");
        }
    }

    /** ocicrypt's YAML key file; a bare URI is refused with the form to write instead. */
    private static KeyFile pkcs11(Path source, byte[] content) {
        if (new String(content, StandardCharsets.UTF_8).strip().matches("pkcs11:[^\\s]*")) {
            return new KeyFile.Unusable("it is a bare PKCS#11 URI; write it as ocicrypt's YAML key file:"
                    + " pkcs11: {uri: \"pkcs11:...\"}");
        }
        try {
            return KeyFile.Keys.inToken(Pkcs11KeyRef.parse(source, content));
        } catch (dev.cloak.error.CloakException e) {
            return new KeyFile.Unusable(e.getMessage());
        }
    }

    private static KeyFile fromPem(Path source, String text, char[] password) throws IOException {
        List<PrivateKeyEntry> keys = new ArrayList<>();
        List<CertificateEntry> certs = new ArrayList<>();
        boolean sawPublic = false;
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    certs.add(new CertificateEntry(source, certificate(holder)));
                } else if (item instanceof SubjectPublicKeyInfo) {
                    sawPublic = true;
                } else {
                    PrivateKey key = privateKey(item, password);
                    if (key != null) {
                        keys.add(new PrivateKeyEntry(source, key, null));
                    }
                }
            }
        }
        return result(keys, certs, sawPublic);
    }

    private static PrivateKey privateKey(Object item, char[] password) throws IOException {
        if (item instanceof PEMKeyPair pair) {
            return CONVERTER.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (item instanceof PrivateKeyInfo info) {
            return CONVERTER.getPrivateKey(info);
        }
        if (item instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
            return decryptPkcs8(encrypted, password);
        }
        if (item instanceof PEMEncryptedKeyPair encrypted) {
            requirePassword(password);
            try {
                return CONVERTER.getPrivateKey(encrypted.decryptKeyPair(
                        new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(password)).getPrivateKeyInfo());
            } catch (IOException e) {
                throw new WrongPassword();
            }
        }
        return null;
    }

    private static PrivateKey decryptPkcs8(PKCS8EncryptedPrivateKeyInfo encrypted, char[] password) throws IOException {
        requirePassword(password);
        try {
            return CONVERTER.getPrivateKey(encrypted.decryptPrivateKeyInfo(
                    new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(password)));
        } catch (org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.pkcs.PKCSException e) {
            throw new WrongPassword();
        }
    }

    private static void requirePassword(char[] password) {
        if (password == null) {
            throw new WrongPassword(missingPassword("private key"));
        }
    }

    private static KeyFile fromDer(Path source, byte[] content, char[] password) throws IOException {
        ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(content));
        ASN1Encodable first = seq.getObjectAt(0);
        ASN1Encodable second = seq.size() > 1 ? seq.getObjectAt(1) : null;
        if (first instanceof ASN1Integer version && second instanceof ASN1Integer && seq.size() >= 9) {
            // PKCS#1 RSAPrivateKey: version followed by eight integers.
            return single(source, CONVERTER.getPrivateKey(new PrivateKeyInfo(
                    new AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.rsaEncryption,
                            org.bouncycastle.asn1.DERNull.INSTANCE),
                    org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(seq))));
        }
        if (first instanceof ASN1Integer version && version.getValue().intValue() == 1 && second instanceof ASN1OctetString) {
            // SEC1 ECPrivateKey; PEMParser knows how to turn it into a key pair with its curve.
            return fromPem(source, pem("EC PRIVATE KEY", content), password);
        }
        if (first instanceof ASN1Integer && second instanceof ASN1Sequence) {
            return single(source, CONVERTER.getPrivateKey(PrivateKeyInfo.getInstance(seq)));
        }
        if (first instanceof ASN1Sequence && second instanceof ASN1OctetString) {
            return single(source, decryptPkcs8(new PKCS8EncryptedPrivateKeyInfo(content), password));
        }
        if (first instanceof ASN1Sequence && second instanceof DERBitString) {
            SubjectPublicKeyInfo.getInstance(seq);
            return new KeyFile.PublicOnly();
        }
        if (first instanceof ASN1Sequence && seq.size() == 3) {
            X509Certificate cert = certificate(new X509CertificateHolder(content));
            return new KeyFile.Keys(List.of(), List.of(new CertificateEntry(source, cert)));
        }
        return new KeyFile.Unusable("it is DER data but not a private key, certificate or public key");
    }

    private static KeyFile fromJwk(Path source, String json) throws ParseException, JOSEException {
        Map<String, Object> object = JSONObjectUtils.parse(json);
        List<JWK> jwks = object.containsKey("keys") ? JWKSet.parse(object).getKeys() : List.of(JWK.parse(object));
        List<PrivateKeyEntry> keys = new ArrayList<>();
        boolean sawPublic = false;
        for (JWK jwk : jwks) {
            if (!jwk.isPrivate()) {
                sawPublic = true;
            } else if (jwk instanceof RSAKey rsa) {
                keys.add(new PrivateKeyEntry(source, rsa.toPrivateKey(), jwk.getKeyID()));
            } else if (jwk instanceof ECKey ec) {
                keys.add(new PrivateKeyEntry(source, ec.toPrivateKey(), jwk.getKeyID()));
            }
        }
        return result(keys, List.of(), sawPublic);
    }

    /** Reads a public key for encryption from PEM, DER or JWK; null if the content holds none. */
    public static PublicKey publicKey(byte[] content) {
        String text = new String(content, StandardCharsets.ISO_8859_1).strip();
        try {
            if (text.startsWith("{")) {
                JWK jwk = JWK.parse(new String(content, StandardCharsets.UTF_8));
                return jwk instanceof RSAKey rsa ? rsa.toPublicKey() : jwk instanceof ECKey ec ? ec.toPublicKey() : null;
            }
            if (text.startsWith("-----BEGIN") || text.contains("\n-----BEGIN")) {
                try (PEMParser parser = new PEMParser(new StringReader(text))) {
                    Object item;
                    while ((item = parser.readObject()) != null) {
                        PublicKey key = publicKeyOf(item);
                        if (key != null) {
                            return key;
                        }
                    }
                }
                return null;
            }
            ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(content));
            return publicKeyOf(seq.size() == 3 ? new X509CertificateHolder(content) : SubjectPublicKeyInfo.getInstance(seq));
        } catch (IOException | RuntimeException | ParseException | JOSEException e) {
            return null;
        }
    }

    private static PublicKey publicKeyOf(Object item) throws IOException {
        if (item instanceof SubjectPublicKeyInfo info) {
            return CONVERTER.getPublicKey(info);
        }
        if (item instanceof X509CertificateHolder holder) {
            return certificate(holder).getPublicKey();
        }
        if (item instanceof PEMKeyPair pair) {
            return CONVERTER.getPublicKey(pair.getPublicKeyInfo());
        }
        return null;
    }

    private static X509Certificate certificate(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("unreadable certificate", e);
        }
    }

    private static KeyFile single(Path source, PrivateKey key) {
        return new KeyFile.Keys(List.of(new PrivateKeyEntry(source, key, null)), List.of());
    }

    private static KeyFile result(List<PrivateKeyEntry> keys, List<CertificateEntry> certs, boolean sawPublic) {
        if (!keys.isEmpty() || !certs.isEmpty()) {
            return new KeyFile.Keys(keys, certs);
        }
        return sawPublic ? new KeyFile.PublicOnly() : new KeyFile.Unusable("it holds no private key or certificate");
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /** Signals an encrypted key whose password is missing or wrong, with the sentence to show. */
    private static final class WrongPassword extends RuntimeException {
        WrongPassword() {
            this(wrongPassword("private key"));
        }

        WrongPassword(String message) {
            super(message, null, false, false);
        }
    }
}
