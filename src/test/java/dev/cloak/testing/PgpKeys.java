package dev.cloak.testing;

import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyPacket;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.PGPDigestCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * OpenPGP keys made with Bouncy Castle the way gpg makes them by default: an RSA primary key that signs
 * and certifies, an RSA subkey that encrypts, the secret parts protected with a passphrase when given.
 */
public final class PgpKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private PgpKeys() {
    }

    /** A key with an encryption subkey; {@code passphrase} null leaves the secret keys unprotected. */
    public static PGPSecretKeyRing generate(String userId, String passphrase) {
        return generate(userId, passphrase, true);
    }

    /** A key that can only sign: nothing in it can decrypt. */
    public static PGPSecretKeyRing signOnly(String userId) {
        return generate(userId, null, false);
    }

    private static PGPSecretKeyRing generate(String userId, String passphrase, boolean withEncryptionSubkey) {
        try {
            Date now = new Date(System.currentTimeMillis() - 60_000);
            PGPKeyPair primary = new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, rsa(), now);
            PGPSignatureSubpacketGenerator primaryFlags = new PGPSignatureSubpacketGenerator();
            primaryFlags.setKeyFlags(false, KeyFlags.SIGN_DATA | KeyFlags.CERTIFY_OTHER);
            primaryFlags.setPreferredSymmetricAlgorithms(false, new int[] {SymmetricKeyAlgorithmTags.AES_256});
            primaryFlags.setPreferredHashAlgorithms(false, new int[] {HashAlgorithmTags.SHA256});
            PGPDigestCalculator sha1 = new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1);
            PGPKeyRingGenerator generator = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, primary, userId,
                    sha1, primaryFlags.generate(), null,
                    new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256),
                    passphrase == null ? null : new BcPBESecretKeyEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256,
                            new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA256), 0x60)
                            .build(passphrase.toCharArray()));
            if (withEncryptionSubkey) {
                PGPSignatureSubpacketGenerator subkeyFlags = new PGPSignatureSubpacketGenerator();
                subkeyFlags.setKeyFlags(false, KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE);
                generator.addSubKey(new BcPGPKeyPair(PublicKeyPacket.VERSION_4, PublicKeyAlgorithmTags.RSA_GENERAL, rsa(), now),
                        subkeyFlags.generate(), null);
            }
            return generator.generateSecretKeyRing();
        } catch (PGPException e) {
            throw new IllegalStateException("cannot make a test OpenPGP key", e);
        }
    }

    private static org.bouncycastle.crypto.AsymmetricCipherKeyPair rsa() {
        RSAKeyPairGenerator g = new RSAKeyPairGenerator();
        g.init(new RSAKeyGenerationParameters(BigInteger.valueOf(0x10001), RANDOM, 2048, 80));
        return g.generateKeyPair();
    }

    /** The subkey messages for this key are encrypted to (gpg's choice, and Cloak's). */
    public static PGPPublicKey encryptionKey(PGPSecretKeyRing ring) {
        List<PGPPublicKey> keys = new ArrayList<>();
        ring.getPublicKeys().forEachRemaining(k -> {
            if (!k.isMasterKey() && k.isEncryptionKey()) {
                keys.add(k);
            }
        });
        if (keys.size() != 1) {
            throw new IllegalStateException("expected one encryption subkey, found " + keys.size());
        }
        return keys.get(0);
    }

    /** {@code gpg --export-secret-keys}. */
    public static byte[] secretBinary(PGPSecretKeyRing ring) {
        try {
            return ring.getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code gpg --armor --export-secret-keys}. */
    public static String secretArmoured(PGPSecretKeyRing ring) {
        return armour(secretBinary(ring));
    }

    /** {@code gpg --export}. */
    public static byte[] publicBinary(PGPSecretKeyRing ring) {
        List<PGPPublicKey> keys = new ArrayList<>();
        ring.getPublicKeys().forEachRemaining(keys::add);
        try {
            return new PGPPublicKeyRing(keys).getEncoded();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code gpg --armor --export}. */
    public static String publicArmoured(PGPSecretKeyRing ring) {
        return armour(publicBinary(ring));
    }

    private static String armour(byte[] binary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream armoured = new ArmoredOutputStream(out)) {
            armoured.write(binary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
