package dev.cloak.image;

import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageConfig;
import dev.cloak.oci.ImageManifest;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerKey;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decrypts every encrypted layer. All layer keys are unwrapped in {@link #prepare}, before anything is
 * written, so a missing key leaves the destination untouched.
 */
public final class DecryptLayers implements LayerTransform, AutoCloseable {
    private final LayerDecryptor decryptor;
    private final Keyring keyring;
    private final Map<Integer, LayerKey> keys = new ConcurrentHashMap<>(); // layers are applied concurrently
    private List<Digest> diffIds = List.of();

    public DecryptLayers(LayerDecryptor decryptor, Keyring keyring) {
        this.decryptor = decryptor;
        this.keyring = keyring;
    }

    @Override
    public void prepare(ImageManifest manifest, ImageConfig config) {
        List<Descriptor> layers = manifest.layers();
        diffIds = config.diffIds();
        close();
        try {
            for (int i = 0; i < layers.size(); i++) {
                if (layers.get(i).isEncrypted()) {
                    keys.put(i, decryptor.unwrap(layers.get(i), keyring));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public Descriptor apply(int index, Descriptor layer, ImageSource source, ImageDestination destination)
            throws IOException {
        LayerKey key = keys.remove(index);
        if (key == null) {
            return BlobCopier.copy(layer, source, destination);
        }
        try (key; InputStream in = source.openBlob(layer)) {
            Digest diffId = index < diffIds.size() ? diffIds.get(index) : null;
            return decryptor.decrypt(key, diffId, in, destination).decrypted();
        }
    }

    /** Wipes any layer keys not used yet. */
    @Override
    public void close() {
        keys.values().forEach(LayerKey::close);
        keys.clear();
    }
}
