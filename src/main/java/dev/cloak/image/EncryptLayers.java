package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageConfig;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerEncryptor;
import dev.cloak.ocicrypt.keywrap.Recipient;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Encrypts the selected layers (all when {@code layerIndexes} is empty; negative indexes count from the
 * end, as skopeo's {@code --encrypt-layer}). A selected layer that is already encrypted gets the new
 * recipients added to its wrapped keys without its data being encrypted again; that needs a key in
 * {@code rewrapKeys} that can unwrap it.
 */
public final class EncryptLayers implements LayerTransform {
    private final LayerEncryptor encryptor;
    private final LayerDecryptor decryptor;
    private final List<Recipient> recipients;
    private final List<Integer> layerIndexes;
    private final Keyring rewrapKeys;
    private final Set<Integer> selected = new HashSet<>();

    public EncryptLayers(LayerEncryptor encryptor, LayerDecryptor decryptor, List<Recipient> recipients,
                         List<Integer> layerIndexes, Keyring rewrapKeys) {
        if (recipients.isEmpty()) {
            throw CloakException.invalid("no recipients given: add --recipient jwe:PUBLIC-KEY-FILE");
        }
        this.encryptor = encryptor;
        this.decryptor = decryptor;
        this.recipients = List.copyOf(recipients);
        this.layerIndexes = List.copyOf(layerIndexes);
        this.rewrapKeys = rewrapKeys;
    }

    @Override
    public void prepare(ImageManifest manifest, ImageConfig config) {
        List<Descriptor> layers = manifest.layers();
        selected.clear();
        for (int requested : layerIndexes) {
            int i = requested < 0 ? layers.size() + requested : requested;
            if (i < 0 || i >= layers.size()) {
                throw CloakException.invalid("--layer " + requested + " is out of range: the image has "
                        + layers.size() + " layers (0.." + (layers.size() - 1) + ", or -1..-" + layers.size() + ")");
            }
            selected.add(i);
        }
        if (layerIndexes.isEmpty()) {
            for (int i = 0; i < layers.size(); i++) {
                selected.add(i);
            }
        }
        for (int i : selected) {
            if (layers.get(i).isEncrypted()) {
                // Fails now, before anything is written, if no key can unwrap the existing layer key.
                decryptor.unwrap(layers.get(i), rewrapKeys).close();
            }
        }
    }

    @Override
    public Descriptor apply(int index, Descriptor layer, ImageSource source, ImageDestination destination)
            throws IOException {
        if (!selected.contains(index)) {
            return BlobCopier.copy(layer, source, destination);
        }
        if (layer.isEncrypted()) {
            BlobCopier.copy(layer, source, destination);
            return encryptor.addRecipients(layer, rewrapKeys, recipients, decryptor);
        }
        try (InputStream in = source.openBlob(layer);
             ImageDestination.BlobWriter writer = destination.stageBlob()) {
            Map<String, String> annotations = encryptor.encrypt(layer, in, recipients, writer.out());
            long size = writer.size();
            return layer.withAnnotations(annotations)
                    .withContent(MediaTypes.encrypted(layer.mediaType()), writer.commit(), size);
        }
    }
}
