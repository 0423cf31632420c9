package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageReference;
import dev.cloak.registry.RegistryClient;

import java.io.IOException;
import java.io.InputStream;

/** Reads an image from a registry. */
public final class RegistrySource implements ImageSource {
    private final RegistryClient client;
    private final ImageReference ref;

    public RegistrySource(RegistryClient client, ImageReference ref) {
        this.client = client;
        this.ref = ref;
    }

    public ImageReference reference() {
        return ref;
    }

    @Override
    public String describe() {
        return "docker://" + ref;
    }

    @Override
    public ManifestBlob topManifest() throws IOException {
        return client.manifest(ref);
    }

    @Override
    public ManifestBlob manifest(Descriptor descriptor) throws IOException {
        return client.manifest(ref, descriptor);
    }

    @Override
    public InputStream openBlob(Descriptor descriptor) throws IOException {
        return client.openBlob(ref, descriptor);
    }

    @Override
    public byte[] readBlob(Descriptor descriptor, int limit) throws IOException {
        if (descriptor.size() > limit) {
            throw CloakException.invalid("blob " + descriptor.digest() + " of " + ref + " is " + descriptor.size()
                    + " bytes, more than the limit of " + limit);
        }
        byte[] bytes;
        try (InputStream in = openBlob(descriptor)) {
            bytes = in.readNBytes(limit + 1);
        }
        if (bytes.length != descriptor.size() || !descriptor.digest().matches(descriptor.digest().newDigester().digest(bytes))) {
            throw CloakException.integrity("blob " + descriptor.digest() + " from registry " + ref.registry()
                    + " does not match its digest or size; nothing was used");
        }
        return bytes;
    }
}
