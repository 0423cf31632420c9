package dev.cloak.keys;

import org.bouncycastle.bcpg.SignatureSubpacketTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads OpenPGP keyrings, binary ({@code gpg --export-secret-keys}) or ASCII-armoured. Secret keys that can
 * decrypt are unlocked now, with the file's password when they are protected, so the password need not be
 * kept. Public keyrings are recognised and ignored, like other public keys.
 */
final class PgpKeyParser {
    private PgpKeyParser() {
    }

    /**
     * Whether binary {@code content} starts with an OpenPGP secret or public key packet header, old or new
     * format. DER starts with 0x30, whose top bit is clear, so the two never collide.
     */
    static boolean looksBinary(byte[] content) {
        if (content.length == 0 || (content[0] & 0x80) == 0) {
            return false;
        }
        int tag = (content[0] & 0x40) != 0 ? content[0] & 0x3f : (content[0] >> 2) & 0x0f;
        return tag == 5 || tag == 6;
    }

    static KeyFile parse(Path source, byte[] content, char[] password) throws IOException {
        List<PGPSecretKeyRing> secretRings = new ArrayList<>();
        boolean sawPublic = false;
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(content))) {
            BcPGPObjectFactory objects = new BcPGPObjectFactory(in);
            Object item;
            while ((item = objects.nextObject()) != null) {
                if (item instanceof PGPSecretKeyRing ring) {
                    secretRings.add(ring);
                } else if (item instanceof PGPPublicKeyRing) {
                    sawPublic = true;
                } else {
                    return new KeyFile.Unusable("it is OpenPGP data but not a keyring");
                }
            }
        }
        if (secretRings.isEmpty()) {
            return sawPublic ? new KeyFile.PublicOnly() : new KeyFile.Unusable("it is OpenPGP data but holds no key");
        }
        return unlock(source, secretRings, password);
    }

    private static KeyFile unlock(Path source, List<PGPSecretKeyRing> rings, char[] password) {
        List<PgpKeyEntry> keys = new ArrayList<>();
        boolean locked = false;
        boolean wrongPassword = false;
        for (PGPSecretKeyRing ring : rings) {
            for (PGPSecretKey secret : ring) {
                // Stubs (gpg --export-secret-subkeys, smartcard keys) have no secret part to use.
                if (!mayEncrypt(secret.getPublicKey()) || secret.isPrivateKeyEmpty()) {
                    continue;
                }
                boolean isProtected = secret.getKeyEncryptionAlgorithm() != SymmetricKeyAlgorithmTags.NULL;
                if (isProtected && password == null) {
                    locked = true;
                    continue;
                }
                try {
                    PGPPrivateKey key = secret.extractPrivateKey(decryptor(isProtected ? password : new char[0]));
                    keys.add(PgpKeyEntry.of(source, secret.getPublicKey(), key));
                } catch (PGPException e) {
                    wrongPassword = true;
                }
            }
        }
        if (!keys.isEmpty()) {
            return KeyFile.Keys.pgp(keys);
        }
        if (wrongPassword) {
            return new KeyFile.Unusable(KeyFileParser.wrongPassword("OpenPGP secret key"));
        }
        if (locked) {
            return new KeyFile.Unusable(KeyFileParser.missingPassword("OpenPGP secret key"));
        }
        return new KeyFile.Unusable("it is an OpenPGP secret keyring without a secret key that can decrypt");
    }

    /**
     * An RSA key may do anything, so its algorithm alone does not say it decrypts: the key flags of its
     * newest self-signature do (gpg's RSA primary keys only sign and certify). Without flags, the algorithm.
     */
    private static boolean mayEncrypt(PGPPublicKey key) {
        if (!key.isEncryptionKey()) {
            return false;
        }
        PGPSignature newest = null;
        for (Iterator<PGPSignature> it = key.getSignatures(); it.hasNext(); ) {
            PGPSignature sig = it.next();
            boolean self = sig.getKeyID() == key.getKeyID() || sig.getSignatureType() == PGPSignature.SUBKEY_BINDING;
            boolean hasFlags = sig.getHashedSubPackets() != null
                    && sig.getHashedSubPackets().hasSubpacket(SignatureSubpacketTags.KEY_FLAGS);
            if (self && hasFlags && (newest == null || sig.getCreationTime().after(newest.getCreationTime()))) {
                newest = sig;
            }
        }
        int encrypt = KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE;
        return newest == null || (newest.getHashedSubPackets().getKeyFlags() & encrypt) != 0;
    }

    private static PBESecretKeyDecryptor decryptor(char[] password) {
        return new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(password);
    }
}
