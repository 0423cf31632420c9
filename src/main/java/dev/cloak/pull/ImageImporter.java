package dev.cloak.pull;

import dev.cloak.containerd.ContentStore;
import dev.cloak.containerd.ImageRecords;
import dev.cloak.containerd.Leases;
import dev.cloak.containerd.Unpacker;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.image.ManifestBlob;
import dev.cloak.image.ManifestResolver;
import dev.cloak.image.RegistrySource;
import dev.cloak.image.ResolvedImage;
import dev.cloak.keys.KeyDirectory;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageConfig;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.Json;
import dev.cloak.oci.MediaTypes;
import dev.cloak.oci.Platform;
import dev.cloak.ocicrypt.EncryptionAnnotations;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerKey;
import dev.cloak.stream.Limits;
import io.grpc.Context;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pull of one encrypted image into containerd, in order: resolve; unwrap every layer key (a missing
 * key fails before anything is downloaded); under a lease, fetch and decrypt layers concurrently straight
 * into containerd's content store (committed only once verified), write the config and the rewritten
 * manifest with their GC labels, unpack into snapshots checking each diff_id, record the image names; then
 * drop the lease. A failure before the image records exist leaves nothing that the lease's end does not
 * release.
 */
public final class ImageImporter {
    private final ContentStore content;
    private final Leases leases;
    private final Unpacker unpacker;
    private final ImageRecords records;
    private final KeyDirectory keys;
    private final LayerDecryptor decryptor;
    private final ExecutorService layerPool;
    private final String snapshotter;

    public ImageImporter(ContentStore content, Leases leases, Unpacker unpacker, ImageRecords records, KeyDirectory keys,
                         LayerDecryptor decryptor, ExecutorService layerPool, String snapshotter) {
        this.content = content;
        this.leases = leases;
        this.unpacker = unpacker;
        this.records = records;
        this.keys = keys;
        this.decryptor = decryptor;
        this.layerPool = layerPool;
        this.snapshotter = snapshotter;
    }

    /** Resolves {@code source}; returns null when no layer is encrypted (the runtime pulls those itself). */
    public ResolvedImage resolve(RegistrySource source) throws IOException {
        ResolvedImage image = ManifestResolver.resolve(source, Platform.host());
        return image.manifest().hasEncryptedLayers() ? image : null;
    }

    public PullOutcome.Imported importImage(RegistrySource source, ResolvedImage image) throws IOException {
        ImageManifest manifest = image.manifest();
        byte[] configBytes = source.readBlob(manifest.config(), Limits.MAX_CONFIG_BYTES);
        ImageConfig config = Json.read(configBytes, ImageConfig.class, "the config of " + source.describe());
        if (config.diffIds().size() != manifest.layers().size()) {
            throw CloakException.invalid(source.describe() + " has " + manifest.layers().size()
                    + " layers but its config lists " + config.diffIds().size() + " diff_ids");
        }
        Keyring keyring = keys.keyring();
        Map<Integer, LayerKey> layerKeys = new HashMap<>();
        String lease = null;
        try {
            for (int i = 0; i < manifest.layers().size(); i++) {
                if (manifest.layers().get(i).isEncrypted()) {
                    layerKeys.put(i, decryptor.unwrap(manifest.layers().get(i), keyring));
                }
            }
            lease = leases.create();
            return Leases.within(lease, () -> importUnderLease(source, image, configBytes, config, layerKeys));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            throw new CloakException(ErrorKind.CANCELLED, "pull of " + source.describe() + " was cancelled", e);
        } catch (Exception e) {
            throw new CloakException(ErrorKind.INTERNAL, "import of " + source.describe() + " failed: " + e, e);
        } finally {
            layerKeys.values().forEach(LayerKey::close);
            if (lease != null) {
                // A cancelled pull arrives here interrupted, and gRPC refuses calls from an interrupted thread:
                // the lease (and all it holds) would stay for its whole expiry.
                boolean interrupted = Thread.interrupted();
                try {
                    leases.delete(lease);
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
    }

    private PullOutcome.Imported importUnderLease(RegistrySource source, ResolvedImage image, byte[] configBytes,
                                                  ImageConfig config, Map<Integer, LayerKey> layerKeys) throws Exception {
        ImageManifest manifest = image.manifest();
        AtomicLong downloaded = new AtomicLong();
        AtomicLong decrypted = new AtomicLong();
        List<Future<Descriptor>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < manifest.layers().size(); i++) {
                int index = i;
                futures.add(layerPool.submit(Context.current().wrap(() -> fetchLayer(source, manifest.layers().get(index),
                        layerKeys.get(index), config.diffIds().get(index), downloaded, decrypted))));
            }
            List<Descriptor> plain = new ArrayList<>();
            for (Future<Descriptor> f : futures) {
                plain.add(dev.cloak.error.Futures.await(f, "a layer of " + source.describe()));
            }
            Digest configDigest = manifest.config().digest();
            content.write(configDigest, configBytes, Map.of());
            Digest top = unpacker.unpack(plain, config.diffIds());
            content.label(configDigest, Map.of("containerd.io/gc.ref.snapshot." + snapshotter, top.toString()));

            ImageManifest rewritten = manifest.withLayers(plain);
            ManifestBlob blob = ManifestBlob.of(Json.write(rewritten), image.raw().mediaType() == null || image.raw().mediaType().isEmpty()
                    ? MediaTypes.OCI_MANIFEST : image.raw().mediaType());
            Map<String, String> gc = new LinkedHashMap<>();
            gc.put("containerd.io/gc.ref.content.config", configDigest.toString());
            for (int i = 0; i < plain.size(); i++) {
                gc.put("containerd.io/gc.ref.content.l." + i, plain.get(i).digest().toString());
            }
            content.write(blob.digest(), blob.bytes(), gc);
            Descriptor target = Descriptor.of(blob.mediaType(), blob.digest(), blob.bytes().length);
            records.record(names(source, image, configDigest), target);
            return new PullOutcome.Imported(configDigest.toString(), downloaded.get(), decrypted.get());
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
    }

    private Descriptor fetchLayer(RegistrySource source, Descriptor layer, LayerKey key, Digest diffId,
                                  AtomicLong downloaded, AtomicLong decrypted) throws IOException {
        if (!layer.isEncrypted()) {
            if (content.size(layer.digest()).isEmpty()) {
                try (InputStream in = source.openBlob(layer)) {
                    content.write(layer.digest(), layer.size(), in, Map.of());
                }
                downloaded.addAndGet(layer.size());
            }
            return layer;
        }
        var earlier = content.decryptedFrom(layer.digest());
        if (earlier.isPresent()) {
            return layer.withoutAnnotations(k -> k.startsWith(EncryptionAnnotations.PREFIX))
                    .withContent(MediaTypes.decrypted(layer.mediaType()), Digest.parse(earlier.get().getDigest()),
                            earlier.get().getSize());
        }
        try (InputStream in = source.openBlob(layer)) {
            Descriptor out = decryptor.decrypt(key, diffId, in, content.decryptedLayerSink(layer.digest(), layer.size())).decrypted();
            downloaded.addAndGet(layer.size());
            decrypted.addAndGet(out.size());
            return out;
        }
    }

    /** The names containerd's CRI plugin gives a pulled image: its ID, repo:tag and repo@digest-as-pulled. */
    private static List<String> names(RegistrySource source, ResolvedImage image, Digest config) {
        List<String> names = new ArrayList<>();
        names.add(config.toString());
        var ref = source.reference();
        if (ref.digest() == null && ref.tag() != null) {
            names.add(ref.name() + ":" + ref.tag());
        }
        names.add(ref.name() + "@" + image.top().digest());
        return names;
    }
}
