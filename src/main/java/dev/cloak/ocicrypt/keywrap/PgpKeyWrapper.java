package dev.cloak.ocicrypt.keywrap;

import dev.cloak.error.CloakException;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PgpKeyEntry;
import dev.cloak.stream.Limits;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * OpenPGP key wrapping as containers/ocicrypt does it: a binary OpenPGP message over the private options,
 * one public-key encrypted session key packet per recipient key, the data in an integrity-protected
 * (MDC) packet with AES-256, uncompressed. Reading also takes compressed or signed messages and any cipher
 * Bouncy Castle knows, but never data without integrity protection.
 */
public final class PgpKeyWrapper implements KeyWrapper {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public String scheme() {
        return "pgp";
    }

    @Override
    public byte[] wrap(List<Recipient> recipients, byte[] privateOptions) {
        PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(
                new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(true)
                        .setSecureRandom(RANDOM));
        Set<Long> added = new HashSet<>();
        for (Recipient r : recipients) {
            for (PGPPublicKey key : ((Recipient.Pgp) r).encryptionKeys()) {
                if (added.add(key.getKeyID())) {
                    generator.addMethod(new BcPublicKeyKeyEncryptionMethodGenerator(key).setSecureRandom(RANDOM));
                }
            }
        }
        byte[] literal = literal(privateOptions);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (OutputStream encrypted = generator.open(out, literal.length)) {
                encrypted.write(literal);
            }
            return out.toByteArray();
        } catch (IOException | PGPException e) {
            throw CloakException.invalid("cannot encrypt the layer key for PGP recipient " + recipients.get(0).source()
                    + ": " + e.getClass().getSimpleName());
        } finally {
            Arrays.fill(literal, (byte) 0);
        }
    }

    /** A literal data packet without file name or date, as ocicrypt writes it (which leaks neither). */
    private static byte[] literal(byte[] data) {
        WipedBuffer out = new WipedBuffer(data.length + 16);
        try (out; OutputStream body = new PGPLiteralDataGenerator().open(out, PGPLiteralData.BINARY, "", data.length,
                new Date(0))) {
            body.write(data);
            body.close();
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write to memory", e);
        }
    }

    /** A byte buffer that zeroes its own array when closed: it holds the layer key's private options. */
    private static final class WipedBuffer extends ByteArrayOutputStream {
        WipedBuffer(int size) {
            super(size);
        }

        @Override
        public void close() {
            Arrays.fill(buf, (byte) 0);
        }
    }

    @Override
    public byte[] unwrap(byte[] entry, Keyring keyring, String layer) {
        List<PGPPublicKeyEncryptedData> targets = targets(entry, layer);
        for (int i = 0; i < targets.size(); i++) {
            long wanted = keyId(targets.get(i));
            for (PgpKeyEntry key : keyring.pgpKeys()) {
                // Key ID 0 hides the recipient (gpg --throw-keyids): every key is worth a try.
                if (wanted == 0 || wanted == key.keyId()) {
                    byte[] options = tryKey(entry, i, key, layer);
                    if (options != null) {
                        return options;
                    }
                }
            }
        }
        return null;
    }

    private byte[] tryKey(byte[] entry, int target, PgpKeyEntry key, String layer) {
        // Parsed again for every try: a failed read leaves the shared encrypted packet half consumed.
        PGPPublicKeyEncryptedData data = targets(entry, layer).get(target);
        InputStream clear;
        try {
            clear = data.getDataStream(new BcPublicKeyDataDecryptorFactory(key.privateKey()));
        } catch (PGPException | RuntimeException wrongKey) {
            return null;
        }
        try {
            byte[] options = literalBody(clear);
            if (!data.isIntegrityProtected() || !data.verify()) {
                Arrays.fill(options, (byte) 0);
                throw new PGPException("no integrity protection, or the check failed");
            }
            return options;
        } catch (IOException | PGPException | RuntimeException e) {
            if (keyId(data) == 0) {
                return null;
            }
            throw CloakException.invalid("layer " + layer + " has a PGP wrapped key for key " + key.hexId()
                    + " whose session key decrypts but whose content fails to decrypt or to pass its integrity check");
        }
    }

    private static byte[] literalBody(InputStream clear) throws IOException, PGPException {
        BcPGPObjectFactory objects = new BcPGPObjectFactory(clear);
        Object item = objects.nextObject();
        if (item instanceof PGPCompressedData compressed) {
            objects = new BcPGPObjectFactory(compressed.getDataStream());
            item = objects.nextObject();
        }
        while (item instanceof PGPOnePassSignatureList || item instanceof PGPSignatureList) {
            item = objects.nextObject();
        }
        if (!(item instanceof PGPLiteralData literal)) {
            throw new PGPException("no literal data in the message");
        }
        byte[] body = literal.getInputStream().readNBytes(Limits.MAX_WRAPPED_KEY_BYTES + 1);
        if (body.length > Limits.MAX_WRAPPED_KEY_BYTES) {
            Arrays.fill(body, (byte) 0);
            throw new PGPException("the message is too large");
        }
        return body;
    }

    @Override
    public List<String> describeRecipients(byte[] entry, String layer) {
        List<String> out = new ArrayList<>();
        for (PGPPublicKeyEncryptedData target : targets(entry, layer)) {
            long id = keyId(target);
            out.add(PgpKeyEntry.algorithmName(target.getAlgorithm()) + " key " + (id == 0 ? "hidden (key ID 0)" : PgpKeyEntry.hexId(id)));
        }
        return out;
    }

    /** The recipient's key ID; 0 when hidden. Version 6 messages name a fingerprint, whose key ID this is. */
    private static long keyId(PGPPublicKeyEncryptedData data) {
        return data.getKeyIdentifier().getKeyId();
    }

    /** The public-key encrypted session keys of the message in {@code entry}, in order. */
    private static List<PGPPublicKeyEncryptedData> targets(byte[] entry, String layer) {
        try {
            BcPGPObjectFactory objects = new BcPGPObjectFactory(new ByteArrayInputStream(entry));
            Object item = objects.nextObject();
            while (item instanceof PGPMarker) {
                item = objects.nextObject();
            }
            List<PGPPublicKeyEncryptedData> out = new ArrayList<>();
            if (item instanceof PGPEncryptedDataList list) {
                for (PGPEncryptedData data : list) {
                    if (data instanceof PGPPublicKeyEncryptedData pk) {
                        out.add(pk);
                    }
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
        } catch (IOException | RuntimeException unreadable) {
            // Reported below like any other entry that is not an OpenPGP message for public keys.
        }
        throw CloakException.invalid("layer " + layer + " has a PGP wrapped key that is not an OpenPGP message"
                + " encrypted to public keys");
    }
}
