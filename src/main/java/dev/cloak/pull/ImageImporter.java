package dev.cloak.pull;

import dev.cloak.containerd.ContentStore;
import dev.cloak.containerd.ImageRecords;
import dev.cloak.containerd.Leases;
import dev.cloak.containerd.Unpacker;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Threads;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pull of one encrypted image into containerd, in order: resolve; unwrap every layer key (a missing
 * key fails before anything is downloaded); under a lease, fetch and decrypt layers concurrently straight
 * into containerd's content store (committed only once verified), unpacking each into a snapshot (checking
 * its diff_id) as soon as the layers below it are unpacked, write the config and the rewritten manifest
 * with their GC labels, record the image names; then drop the lease. A failure before the image records
 * exist leaves nothing that the lease's end does not release. A layer already in containerd (decrypted by
 * an earlier pull) is reused, and a layer another running pull is fetching is waited for and then reused
 * ({@link LayerFlights}): each layer is downloaded once, however many images being pulled share it.
 */
public final class ImageImporter {
    private static final Logger LOG = LoggerFactory.getLogger(ImageImporter.class);
    private final ContentStore content;
    private final Leases leases;
    private final Unpacker unpacker;
    private final ImageRecords records;
    private final KeyDirectory keys;
    private final LayerDecryptor decryptor;
    private final ExecutorService layerPool;
    private final String snapshotter;
    private final LayerFlights flights = new LayerFlights();

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
                // A cancelled pull arrives here interrupted; the lease (and all it holds) must still go now,
                // not at its expiry.
                String id = lease;
                Threads.uninterrupted(() -> leases.delete(id));
            }
        }
    }

    private PullOutcome.Imported importUnderLease(RegistrySource source, ResolvedImage image, byte[] configBytes,
                                                  ImageConfig config, Map<Integer, LayerKey> layerKeys) throws Exception {
        ImageManifest manifest = image.manifest();
        AtomicLong downloaded = new AtomicLong();
        AtomicLong decrypted = new AtomicLong();
        String pull = pullName();
        List<Future<Fetched>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < manifest.layers().size(); i++) {
                futures.add(submitLayer(source, manifest, config, layerKeys, i, pull, downloaded, decrypted));
            }
            Digest configDigest = manifest.config().digest();
            content.write(configDigest, configBytes, Map.of());
            // Layers download concurrently; each is unpacked as soon as it and the layers below it are in the
            // store, on this thread, while the ones above are still downloading.
            List<Descriptor> plain = new ArrayList<>();
            Digest top = null;
            for (int i = 0; i < futures.size(); i++) {
                Fetched fetched = dev.cloak.error.Futures.await(futures.get(i), "a layer of " + source.describe());
                while (fetched.busy() != null) {
                    // Another pull is fetching this very layer: wait for it here, on the pull's own thread (not on
                    // a download slot), then look again: its committed layer is reused, or, had it failed or been
                    // cancelled, this pull fetches the layer itself.
                    LayerFlights.Flight other = fetched.busy();
                    LOG.info("layer {} of {} is being fetched by {}; waiting for it", other.layer(), source.describe(), other.holder());
                    other.awaitEnd();
                    futures.set(i, submitLayer(source, manifest, config, layerKeys, i, pull, downloaded, decrypted));
                    fetched = dev.cloak.error.Futures.await(futures.get(i), "a layer of " + source.describe());
                }
                plain.add(fetched.layer());
                top = unpacker.unpackLayer(top, fetched.layer(), config.diffIds().get(i));
            }
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

    /** A layer task's answer: the layer as containerd now holds it, or the flight of another pull fetching it. */
    private record Fetched(Descriptor layer, LayerFlights.Flight busy) {
    }

    private Future<Fetched> submitLayer(RegistrySource source, ImageManifest manifest, ImageConfig config,
                                        Map<Integer, LayerKey> layerKeys, int index, String pull,
                                        AtomicLong downloaded, AtomicLong decrypted) {
        // The pull's id travels with its layers, so a retry or resume logged on a layer thread still names it.
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        return layerPool.submit(Context.current().wrap(() -> {
            if (logContext != null) {
                MDC.setContextMap(logContext);
            }
            try {
                return fetchLayer(source, manifest.layers().get(index), layerKeys.get(index),
                        config.diffIds().get(index), pull, downloaded, decrypted);
            } finally {
                MDC.clear(); // pool threads belong to no pull between tasks
            }
        }));
    }

    /**
     * Puts one layer into containerd unless it is there already, holding the layer's flight meanwhile; returns
     * the other pull's flight, without waiting, when another pull is fetching the same layer now.
     */
    private Fetched fetchLayer(RegistrySource source, Descriptor layer, LayerKey key, Digest diffId, String pull,
                               AtomicLong downloaded, AtomicLong decrypted) throws IOException {
        try (LayerFlights.Claim claim = flights.claim(layer.digest(), pull)) {
            if (!claim.mine()) {
                return new Fetched(null, claim.flight());
            }
            if (!layer.isEncrypted()) {
                if (!held(layer.digest())) {
                    try (InputStream in = source.openBlob(layer)) {
                        content.write(layer.digest(), layer.size(), in, Map.of());
                    }
                    downloaded.addAndGet(layer.size());
                }
                return new Fetched(layer, null);
            }
            Optional<Descriptor> earlier = decryptedEarlier(layer);
            if (earlier.isPresent()) {
                return new Fetched(earlier.get(), null);
            }
            try (InputStream in = source.openBlob(layer)) {
                Descriptor out = decryptor.decrypt(key, diffId, in, content.decryptedLayerSink(layer.digest(), layer.size())).decrypted();
                downloaded.addAndGet(layer.size());
                decrypted.addAndGet(out.size());
                LOG.debug("layer {} of {} decrypted and verified into {} ({} bytes)", layer.digest(), source.describe(),
                        out.digest(), out.size());
                return new Fetched(out, null);
            }
        }
    }

    /**
     * The plaintext an earlier (or concurrent, now finished) pull decrypted from encrypted {@code layer}, now
     * held by this pull's lease; empty when there is none, or it went away before the lease held it.
     */
    private Optional<Descriptor> decryptedEarlier(Descriptor layer) {
        var earlier = content.decryptedFrom(layer.digest());
        if (earlier.isEmpty()) {
            return Optional.empty();
        }
        Digest plain = Digest.parse(earlier.get().getDigest());
        if (!held(plain)) {
            return Optional.empty();
        }
        return Optional.of(layer.withoutAnnotations(k -> k.startsWith(EncryptionAnnotations.PREFIX))
                .withContent(MediaTypes.decrypted(layer.mediaType()), plain, earlier.get().getSize()));
    }

    /**
     * Whether containerd has blob {@code digest}, making sure it stays until this pull's image refers to it:
     * the content found may be held only by another pull's lease, or by an image being removed, and
     * containerd's garbage collector would take it from under this pull once they let go. The lease takes it
     * first, and only then is its presence checked.
     */
    private boolean held(Digest digest) {
        leases.holdContent(digest);
        return content.size(digest).isPresent();
    }

    /** Names the running pull in log lines of other pulls: the id PullService gives each pull, if any. */
    private static String pullName() {
        String mdc = MDC.get("pull");
        return mdc == null || mdc.isBlank() ? "another pull" : "pull=" + mdc;
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
