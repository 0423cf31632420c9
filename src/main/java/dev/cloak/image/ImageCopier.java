package dev.cloak.image;

import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageConfig;
import dev.cloak.stream.Limits;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.Json;
import dev.cloak.oci.Platform;

import dev.cloak.config.ServeConfig;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Futures;
import dev.cloak.error.Threads;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Copies one platform's image from a source to a destination, transforming its layers. Order: resolve,
 * let the transform check every layer, copy the config, copy the layers (several at once), write the manifest last. On any
 * failure the destination is rolled back, so it never holds a half-copied image.
 */
public final class ImageCopier {
    /** Layers copied at once: as many as the daemon fetches by default (max_concurrent_downloads). */
    static final int PARALLEL_LAYERS = ServeConfig.DEFAULTS.maxConcurrentDownloads();

    private ImageCopier() {
    }

    /** Returns the manifest that was written. */
    public static ManifestBlob copy(ImageSource source, ImageDestination destination, Platform platform,
                                    LayerTransform transform) throws IOException {
        ResolvedImage image = ManifestResolver.resolve(source, platform);
        ImageManifest manifest = image.manifest();
        try {
            ImageConfig config = Json.read(source.readBlob(manifest.config(), Limits.MAX_CONFIG_BYTES),
                    ImageConfig.class, "the config of " + source.describe());
            transform.prepare(manifest, config);
            BlobCopier.copy(manifest.config(), source, destination);
            List<Descriptor> layers = copyLayers(manifest.layers(), source, destination, transform);
            ImageManifest rewritten = manifest.withLayers(layers);
            ManifestBlob out = layers.equals(manifest.layers())
                    ? image.raw()
                    : ManifestBlob.of(Json.write(rewritten), image.raw().mediaType());
            destination.putManifest(out);
            return out;
        } catch (IOException | RuntimeException | Error e) {
            destination.rollback();
            throw e;
        }
    }

    /**
     * Copies up to {@link #PARALLEL_LAYERS} layers at once: one layer's cipher and hashes keep about two
     * cores busy only while its reads and writes do not stall them, and a registry serves several blobs at
     * once faster than one after another. The first failure stops the rest, and every task has ended before
     * this returns or throws, so a rollback never races a layer still being written.
     */
    private static List<Descriptor> copyLayers(List<Descriptor> in, ImageSource source, ImageDestination destination,
                                               LayerTransform transform) throws IOException {
        if (in.size() <= 1) {
            return in.isEmpty() ? List.of() : List.of(transform.apply(0, in.get(0), source, destination));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(in.size(), PARALLEL_LAYERS), Threads.named("cloak-copy"));
        try {
            CompletionService<Void> done = new ExecutorCompletionService<>(pool);
            Descriptor[] out = new Descriptor[in.size()];
            for (int i = 0; i < in.size(); i++) {
                int index = i;
                done.submit(() -> {
                    out[index] = transform.apply(index, in.get(index), source, destination);
                    return null;
                });
            }
            for (int i = 0; i < in.size(); i++) {
                Futures.await(done.take(), "a layer of " + source.describe());
            }
            return List.of(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloakException(ErrorKind.CANCELLED, "copying " + source.describe() + " was interrupted", e);
        } finally {
            pool.shutdownNow();
            awaitEnd(pool);
        }
    }

    private static void awaitEnd(ExecutorService pool) {
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
