package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.ocicrypt.keywrap.Recipient;

import javax.crypto.Mac;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encrypts layers the way containers/ocicrypt does: a fresh random key and nonce per layer, AES-256-CTR,
 * HMAC-SHA256 over the ciphertext, the private options wrapped once per scheme for all its recipients.
 */
public final class LayerEncryptor {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyWrappers wrappers;

    public LayerEncryptor(KeyWrappers wrappers) {
        this.wrappers = wrappers;
    }

    /**
     * Streams {@code plaintext} (read to its end; not closed) encrypted into {@code ciphertext} (not closed),
     * checking it against {@code layer}'s digest and size. Returns the annotations of the encrypted layer.
     * The caller must discard what was written if this throws.
     */
    public Map<String, String> encrypt(Descriptor layer, InputStream plaintext, List<Recipient> recipients,
                                       OutputStream ciphertext) throws IOException {
        if (recipients.isEmpty()) {
            throw CloakException.invalid("no recipients given to encrypt layer " + layer.digest() + " for");
        }
        String name = layer.digest().toString();
        byte[] key = new byte[CipherOptions.KEY_BYTES];
        byte[] nonce = new byte[CipherOptions.NONCE_BYTES];
        RANDOM.nextBytes(key);
        RANDOM.nextBytes(nonce);
        try {
            AesCtr ctr = new AesCtr(key, nonce);
            Mac hmac = LayerCipher.hmac(key);
            MessageDigest plainDigest = layer.digest().newDigester();
            long total = LayerCipher.pump(plaintext, layer.size(), name, ctr, (in, out, n) -> {
                plainDigest.update(in, 0, n);
                hmac.update(out, 0, n);
                ciphertext.write(out, 0, n);
            });
            if (total != layer.size() || !layer.digest().matches(plainDigest.digest())) {
                throw CloakException.integrity("layer " + name + " does not match its digest or size in the source"
                        + " image; it was not encrypted");
            }
            CipherOptions.Public pub = new CipherOptions.Public(CipherOptions.AES_256_CTR_HMAC_SHA256,
                    hmac.doFinal(), Map.of());
            CipherOptions.Private priv = CipherOptions.newPrivate(key, nonce, layer.digest());
            EncryptionAnnotations annotations = new EncryptionAnnotations(
                    wrapAll(recipients, CipherOptions.toJson(priv)), CipherOptions.toJson(pub));
            return annotations.applyTo(layer.annotations());
        } finally {
            Arrays.fill(key, (byte) 0);
            Arrays.fill(nonce, (byte) 0);
        }
    }

    /**
     * Adds {@code recipients} to an already encrypted layer without touching its data: unwraps the layer
     * key with {@code keyring} and appends one new wrapped entry per scheme. Returns the new descriptor.
     */
    public Descriptor addRecipients(Descriptor encrypted, Keyring keyring, List<Recipient> recipients,
                                    LayerDecryptor decryptor) {
        try (LayerKey key = decryptor.unwrap(encrypted, keyring)) {
            byte[] options = CipherOptions.toJson(key.privateOptions());
            try {
                EncryptionAnnotations annotations = EncryptionAnnotations.of(encrypted);
                for (Map.Entry<String, List<byte[]>> e : wrapAll(recipients, options).entrySet()) {
                    annotations = annotations.plus(e.getKey(), e.getValue().get(0));
                }
                return encrypted.withAnnotations(annotations.applyTo(encrypted.annotations()));
            } finally {
                Arrays.fill(options, (byte) 0);
            }
        }
    }

    private Map<String, List<byte[]>> wrapAll(List<Recipient> recipients, byte[] privateOptions) {
        Map<String, List<Recipient>> byScheme = new LinkedHashMap<>();
        for (Recipient r : recipients) {
            byScheme.computeIfAbsent(r.scheme(), s -> new java.util.ArrayList<>()).add(r);
        }
        Map<String, List<byte[]>> wrapped = new LinkedHashMap<>();
        byScheme.forEach((scheme, rs) -> wrapped.put(scheme, List.of(wrappers.require(scheme).wrap(rs, privateOptions))));
        return wrapped;
    }
}
