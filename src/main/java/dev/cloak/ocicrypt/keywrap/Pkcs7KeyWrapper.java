package dev.cloak.ocicrypt.keywrap;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.keys.CertificateEntry;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PrivateKeyEntry;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PKCS7 key wrapping as containers/ocicrypt does it: CMS EnvelopedData over the private options, content
 * encrypted with AES-128-GCM, the content key wrapped for each recipient's RSA certificate with PKCS#1 v1.5
 * and the recipient named by issuer and serial number. Unwrapping needs the private key and its certificate.
 */
public final class Pkcs7KeyWrapper implements KeyWrapper {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BYTES = 16;

    @Override
    public String scheme() {
        return "pkcs7";
    }

    @Override
    public byte[] wrap(List<Recipient> recipients, byte[] privateOptions) {
        byte[] contentKey = new byte[CmsEnvelope.GCM_KEY_BYTES.get(CmsEnvelope.AES_128_GCM)];
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(contentKey);
        RANDOM.nextBytes(nonce);
        try {
            List<CmsEnvelope.KeyTransport> transports = new ArrayList<>();
            for (Recipient r : recipients) {
                transports.add(keyTransport((Recipient.Pkcs7) r, contentKey));
            }
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(contentKey, "AES"),
                    new GCMParameterSpec(TAG_BYTES * 8, nonce));
            byte[] ciphertext = gcm.doFinal(privateOptions);
            CmsEnvelope.Content content = new CmsEnvelope.Content(CmsEnvelope.AES_128_GCM, nonce, TAG_BYTES, ciphertext);
            return new CmsEnvelope(transports, content).encode();
        } catch (GeneralSecurityException e) {
            throw CloakException.invalid("cannot encrypt the layer key for PKCS7 recipient " + recipients.get(0).source()
                    + ": " + e.getClass().getSimpleName());
        } finally {
            Arrays.fill(contentKey, (byte) 0);
        }
    }

    private static CmsEnvelope.KeyTransport keyTransport(Recipient.Pkcs7 recipient, byte[] contentKey)
            throws GeneralSecurityException {
        X509Certificate cert = recipient.certificate();
        if (!(cert.getPublicKey() instanceof RSAPublicKey rsa)) {
            throw CloakException.invalid("PKCS7 recipient " + recipient.source() + " does not have an RSA key");
        }
        Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        cipher.init(Cipher.ENCRYPT_MODE, rsa, RANDOM);
        return new CmsEnvelope.KeyTransport(IssuerAndSerial.rawIssuer(cert), cert.getSerialNumber(),
                CmsEnvelope.RSA_ENCRYPTION, cipher.doFinal(contentKey));
    }

    @Override
    public byte[] unwrap(byte[] entry, Keyring keyring, String layer) {
        CmsEnvelope envelope = parse(entry, layer);
        CmsEnvelope.Content content = envelope.content();
        Integer keyBytes = CmsEnvelope.GCM_KEY_BYTES.get(content.algorithm());
        if (keyBytes == null || content.nonce().length == 0 || content.tagBytes() < 12 || content.tagBytes() > 16) {
            throw CloakException.invalid("layer " + layer + " has a PKCS7 wrapped key whose content encryption is not"
                    + " AES-GCM as ocicrypt writes it");
        }
        for (CmsEnvelope.KeyTransport recipient : envelope.recipients()) {
            if (!recipient.byIssuerAndSerial() || !CmsEnvelope.RSA_ENCRYPTION.equals(recipient.keyAlgorithm())) {
                continue;
            }
            for (CertificateEntry cert : keyring.certificates()) {
                if (!IssuerAndSerial.names(cert.certificate(), recipient.issuer(), recipient.serial())
                        || !(cert.certificate().getPublicKey() instanceof RSAPublicKey certKey)) {
                    continue;
                }
                for (PrivateKeyEntry key : keyring.privateKeys()) {
                    if (key.key() instanceof RSAPrivateKey rsa && rsa.getModulus().equals(certKey.getModulus())) {
                        byte[] options = open(content, contentKey(rsa, recipient.encryptedKey(), keyBytes));
                        if (options != null) {
                            return options;
                        }
                    }
                }
            }
        }
        return null;
    }

    /**
     * The content key, or random bytes when the RSA decryption fails. Failing the same way (at GCM) whether
     * the padding was wrong or the key was, leaves no padding oracle to whoever can feed images to a node.
     */
    private static byte[] contentKey(RSAPrivateKey key, byte[] encryptedKey, int size) {
        byte[] substitute = new byte[size];
        RANDOM.nextBytes(substitute);
        try {
            Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            cipher.init(Cipher.DECRYPT_MODE, key);
            byte[] decrypted = cipher.doFinal(encryptedKey);
            if (decrypted.length == size) {
                return decrypted;
            }
            Arrays.fill(decrypted, (byte) 0);
            return substitute;
        } catch (GeneralSecurityException | RuntimeException e) {
            return substitute;
        }
    }

    private static byte[] open(CmsEnvelope.Content content, byte[] key) {
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(content.tagBytes() * 8, content.nonce()));
            return gcm.doFinal(content.ciphertext());
        } catch (GeneralSecurityException wrongKey) {
            return null;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    @Override
    public List<String> describeRecipients(byte[] entry, String layer) {
        List<String> out = new ArrayList<>();
        for (CmsEnvelope.KeyTransport r : parse(entry, layer).recipients()) {
            out.add(r.byIssuerAndSerial()
                    ? "certificate issuer " + Printable.of(IssuerAndSerial.issuerName(r.issuer())) + " serial "
                            + r.serial().toString(16).toUpperCase(java.util.Locale.ROOT)
                    : "a recipient not named by issuer and serial number");
        }
        return out;
    }

    private static CmsEnvelope parse(byte[] entry, String layer) {
        try {
            return CmsEnvelope.parse(entry);
        } catch (Ber.Malformed e) {
            throw CloakException.invalid("layer " + layer + " has a PKCS7 wrapped key that is not CMS EnvelopedData");
        }
    }
}
