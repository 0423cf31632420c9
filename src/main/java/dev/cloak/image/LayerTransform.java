package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageConfig;
import dev.cloak.oci.ImageManifest;

import java.io.IOException;

/** What a copy does to each layer: pass it through, encrypt it or decrypt it. */
public interface LayerTransform {
    /**
     * Called once with every layer before anything is written, so a transform can fail early (a missing
     * key, an out-of-range layer index) and leave the destination untouched.
     */
    default void prepare(ImageManifest manifest, ImageConfig config) {
    }

    /** Copies layer {@code index} from {@code source} to {@code destination}; returns its new descriptor. */
    Descriptor apply(int index, Descriptor layer, ImageSource source, ImageDestination destination) throws IOException;
}
