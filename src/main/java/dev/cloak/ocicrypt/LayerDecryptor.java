package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Printable;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.keywrap.KeyProviderKeyWrapper;
import dev.cloak.ocicrypt.keywrap.KeyWrapper;
import dev.cloak.stream.Limits;

import javax.crypto.Mac;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decrypts ocicrypt layers. Two steps, so a pull can fail on a missing key before it downloads anything:
 * {@link #unwrap} finds the layer key with the node's keys, {@link #decrypt} streams the ciphertext through
 * AES-256-CTR into a {@link PlaintextSink} and publishes the plaintext only once everything is verified.
 */
public final class LayerDecryptor {
    /** The phrase CRI-O and containerd users already search for. */
    public static final String MISSING_KEY = "missing private key needed for decryption";

    private final KeyWrappers wrappers;

    public LayerDecryptor(KeyWrappers wrappers) {
        this.wrappers = wrappers;
    }

    /** Unwraps the layer key of {@code layer} with any usable key of {@code keyring}. */
    public LayerKey unwrap(Descriptor layer, Keyring keyring) {
        String name = layer.digest().toString();
        EncryptionAnnotations annotations = EncryptionAnnotations.of(layer);
        CipherOptions.Public pub = CipherOptions.parsePublic(annotations.publicOptions(), name);
        // Every entry of every scheme is tried: an entry that fails (malformed, or a key provider that
        // timed out or refused) is skipped when another one is usable, and reported only when it was the only
        // thing that could have worked; otherwise it is mentioned in the missing-key message.
        List<CloakException> failures = new ArrayList<>();
        boolean anyWellFormed = false;
        for (Map.Entry<String, List<byte[]>> scheme : annotations.wrappedKeys().entrySet()) {
            KeyWrapper wrapper = wrappers.find(scheme.getKey());
            if (wrapper == null) {
                continue;
            }
            for (byte[] entry : scheme.getValue()) {
                byte[] options;
                try {
                    options = wrapper.unwrap(entry, keyring, name);
                } catch (CloakException failed) {
                    failures.add(failed);
                    continue;
                }
                anyWellFormed = true;
                if (options != null) {
                    try {
                        return new LayerKey(layer, pub, CipherOptions.parsePrivate(options, name));
                    } finally {
                        java.util.Arrays.fill(options, (byte) 0);
                    }
                }
            }
        }
        if (!failures.isEmpty() && !anyWellFormed) {
            throw failures.get(0);
        }
        StringBuilder also = new StringBuilder();
        for (CloakException f : failures) {
            also.append("; also, ").append(f.getMessage());
        }
        throw new CloakException(ErrorKind.NO_KEY, MISSING_KEY + " of layer " + name + ": it is encrypted for "
                + describe(annotations, name) + ", and none of the " + keyring.size() + " private keys from "
                + keyring.origin() + " unwraps it; add the matching private key there"
                + (annotations.wrappedKeys().containsKey("pkcs7") ? " (for pkcs7, with its x509 certificate)" : "") + also);
    }

    /**
     * "jwe (RSA-OAEP RSA; ECDH-ES+A256KW EC P-256), pkcs7 (certificate issuer CN=node serial 1F), pgp (RSA key
     * F04FB2228F3BBC02), provider.kms (1 entry; no key provider "kms" is configured)"
     */
    String describe(EncryptionAnnotations annotations, String layer) {
        List<String> parts = new ArrayList<>();
        annotations.wrappedKeys().forEach((scheme, entries) -> {
            KeyWrapper w = wrappers.find(scheme);
            if (w == null) {
                String count = entries.size() + " entr" + (entries.size() == 1 ? "y" : "ies");
                parts.add(Printable.of(scheme) + " (" + count + (scheme.startsWith(KeyProviderKeyWrapper.SCHEME_PREFIX)
                        ? "; no key provider \"" + Printable.of(scheme.substring(KeyProviderKeyWrapper.SCHEME_PREFIX.length()))
                                + "\" is configured)"
                        : ", a scheme Cloak cannot unwrap yet)"));
                return;
            }
            List<String> recipients = new ArrayList<>();
            for (byte[] e : entries) {
                try {
                    recipients.addAll(w.describeRecipients(e, layer));
                } catch (CloakException malformed) {
                    recipients.add("a malformed entry");
                }
            }
            parts.add(scheme + " (" + String.join("; ", recipients) + ")");
        });
        return String.join(", ", parts);
    }

    /** Who the layer is encrypted for, scheme by scheme; for {@code cloak inspect}. */
    public String recipients(Descriptor layer) {
        return describe(EncryptionAnnotations.of(layer), layer.digest().toString());
    }

    /** {@link #decrypt(LayerKey, Digest, InputStream, PlaintextSink)} for a layer whose diff_id is not known. */
    public VerifiedLayer decrypt(LayerKey key, InputStream ciphertext, PlaintextSink sink) throws IOException {
        return decrypt(key, null, ciphertext, sink);
    }

    /**
     * Streams {@code ciphertext} (read to its end; not closed) through the cipher into {@code sink}. The
     * sink's staging is committed only after the size, the encrypted digest, the HMAC and the plaintext
     * digest all match; on any mismatch, or any exception, it is discarded and nothing is published.
     *
     * <p>{@code diffId} is the layer's uncompressed digest from the image config, or null. It matters because
     * ocicrypt writers record in the private options the digest of the layer as they received it: when the
     * writer compressed the layer on the way (skopeo does for uncompressed sources), that is the digest of the
     * uncompressed content, which is the layer's diff_id and is verified when the layer is unpacked.
     */
    public VerifiedLayer decrypt(LayerKey key, Digest diffId, InputStream ciphertext, PlaintextSink sink) throws IOException {
        Descriptor layer = key.layer();
        String name = layer.digest().toString();
        CipherOptions.Private priv = key.privateOptions();
        AesCtr ctr = new AesCtr(priv.symkey(), priv.nonce());
        Mac hmac = LayerCipher.hmac(priv.symkey());
        MessageDigest encryptedDigest = layer.digest().newDigester();
        Digest expectedPlain = priv.digest() == null || priv.digest().isEmpty() ? null : Digest.parse(priv.digest());
        MessageDigest plainDigest = expectedPlain == null ? Digest.newSha256() : expectedPlain.newDigester();
        byte[] out = new byte[Limits.COPY_BUFFER_BYTES];

        try (PlaintextSink.Staging staging = sink.begin();
             ParallelHasher hasher = new ParallelHasher(encryptedDigest, hmac, Limits.COPY_BUFFER_BYTES)) {
            long total = 0;
            while (true) {
                byte[] buf = hasher.borrow();
                int n = ciphertext.readNBytes(buf, 0, buf.length);
                if (n == 0) {
                    hasher.giveBack(buf);
                    break;
                }
                total = LayerCipher.checkLength(total + n, layer.size(), name);
                ctr.apply(buf, 0, out, 0, n);
                // The ciphertext is hashed on the other core while this one digests and writes the plaintext.
                hasher.submit(buf, n);
                plainDigest.update(out, 0, n);
                staging.out().write(out, 0, n);
            }
            hasher.finish();
            if (total != layer.size()) {
                throw CloakException.integrity("layer " + name + " is truncated: " + total + " of " + layer.size()
                        + " bytes arrived; nothing was kept");
            }
            if (!layer.digest().matches(encryptedDigest.digest())) {
                throw CloakException.integrity("layer " + name + " does not match its digest; it was altered"
                        + " in storage or in transit; nothing was kept");
            }
            if (!MessageDigest.isEqual(hmac.doFinal(), key.publicOptions().hmac())) {
                throw CloakException.integrity("layer " + name + " failed HMAC verification: its ciphertext or its"
                        + " pubopts annotation was altered, or the layer key does not belong to it; nothing was kept");
            }
            byte[] plain = plainDigest.digest();
            Digest actualPlain = expectedPlain == null ? Digest.sha256(plain) : new Digest(expectedPlain.algorithm(),
                    java.util.HexFormat.of().formatHex(plain));
            if (expectedPlain != null && !expectedPlain.equals(actualPlain) && !expectedPlain.equals(diffId)) {
                throw CloakException.integrity("layer " + name + " decrypted to " + actualPlain + " but its options"
                        + " promise " + expectedPlain + ", which is neither that nor the layer's diff_id; nothing was kept");
            }
            Descriptor decrypted = layer
                    .withoutAnnotations(k -> k.startsWith(EncryptionAnnotations.PREFIX))
                    .withContent(MediaTypes.decrypted(layer.mediaType()), actualPlain, total);
            VerifiedLayer proof = new VerifiedLayer(layer, decrypted);
            staging.commit(proof);
            return proof;
        }
    }
}
