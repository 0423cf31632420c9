package dev.cloak.ocicrypt;

import dev.cloak.oci.Descriptor;

/**
 * An unwrapped layer key with its cipher options. Close it as soon as the layer is done: closing wipes the
 * key bytes. {@code toString} never shows them.
 */
public final class LayerKey implements AutoCloseable {
    private final Descriptor layer;
    private final CipherOptions.Public publicOptions;
    private final CipherOptions.Private privateOptions;

    LayerKey(Descriptor layer, CipherOptions.Public publicOptions, CipherOptions.Private privateOptions) {
        this.layer = layer;
        this.publicOptions = publicOptions;
        this.privateOptions = privateOptions;
    }

    public Descriptor layer() {
        return layer;
    }

    CipherOptions.Public publicOptions() {
        return publicOptions;
    }

    CipherOptions.Private privateOptions() {
        return privateOptions;
    }

    @Override
    public void close() {
        privateOptions.wipe();
    }

    @Override
    public String toString() {
        return "LayerKey[" + layer.digest() + "]";
    }
}
