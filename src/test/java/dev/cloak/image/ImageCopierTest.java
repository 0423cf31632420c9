package dev.cloak.image;

import dev.cloak.error.CloakException;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.MediaTypes;
import dev.cloak.oci.OciLayout;
import dev.cloak.oci.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layers are copied several at once; these check what that must not change: the manifest keeps the layer
 * order, and a failing layer stops the others before the destination is rolled back, so nothing is left.
 */
class ImageCopierTest {
    @TempDir
    Path dir;

    @Test
    void layersAreCopiedAtOnceAndKeepTheirOrder() throws Exception {
        List<Descriptor> layers = new ArrayList<>();
        OciLayout source = image(dir.resolve("src"), 3, layers);
        // Each layer waits until all three are being copied: copied one after another, this would time out.
        CyclicBarrier together = new CyclicBarrier(3);
        LayerTransform transform = (index, layer, src, dst) -> {
            try {
                together.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("layer " + index + " was not copied alongside the others", e);
            }
            return BlobCopier.copy(layer, src, dst);
        };
        ManifestBlob written = ImageCopier.copy(new OciLayoutSource(source, "v1"),
                new OciLayoutDestination(dir.resolve("dst"), "v1"), Platform.host(), transform);
        assertEquals(sourceManifest(source).digest(), written.digest(), "unchanged layers, in order: the same manifest");
        for (Descriptor layer : layers) {
            assertTrue(Files.isRegularFile(OciLayout.open(dir.resolve("dst")).blobPath(layer.digest())), layer.digest().toString());
        }
    }

    @Test
    void aFailingLayerStopsTheOthersBeforeTheRollback() throws Exception {
        OciLayout source = image(dir.resolve("src"), 3, new ArrayList<>());
        CountDownLatch slowStarted = new CountDownLatch(1);
        AtomicBoolean slowEnded = new AtomicBoolean();
        AtomicBoolean rolledBackWhileRunning = new AtomicBoolean();
        LayerTransform transform = (index, layer, src, dst) -> {
            switch (index) {
                case 0 -> {
                    slowStarted.countDown();
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        slowEnded.set(true);
                        throw new InterruptedIOException("stopped");
                    }
                    throw new AssertionError("layer 0 was never stopped");
                }
                case 1 -> {
                    try {
                        slowStarted.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new InterruptedIOException();
                    }
                    throw CloakException.integrity("layer 1 is corrupt");
                }
                default -> {
                    return BlobCopier.copy(layer, src, dst);
                }
            }
        };
        Path out = dir.resolve("dst");
        OciLayoutDestination real = new OciLayoutDestination(out, "v1");
        ImageDestination watched = new ForwardingDestination(real) {
            @Override
            public void rollback() {
                rolledBackWhileRunning.set(!slowEnded.get());
                super.rollback();
            }
        };
        CloakException e = assertThrows(CloakException.class, () -> ImageCopier.copy(new OciLayoutSource(source, "v1"),
                watched, Platform.host(), transform));
        assertEquals("layer 1 is corrupt", e.getMessage());
        assertTrue(slowEnded.get(), "the slow layer was interrupted");
        assertFalse(rolledBackWhileRunning.get(), "the rollback waited for every layer task to end");
        assertFalse(Files.exists(out.resolve("index.json")), "nothing left of the destination it created");
        assertFalse(Files.exists(out.resolve("blobs")), "no blob left behind");
    }

    /** An image of {@code n} small random layers tagged v1; the layers' descriptors go to {@code layers}. */
    private static OciLayout image(Path root, int n, List<Descriptor> layers) throws IOException {
        OciLayout layout = OciLayout.openOrCreate(root);
        Random random = new Random(n);
        StringBuilder diffIds = new StringBuilder();
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[4096 + i];
            random.nextBytes(data);
            Digest d = layout.putBlob(data);
            layers.add(Descriptor.of(MediaTypes.OCI_LAYER_TAR, d, data.length));
            diffIds.append(i == 0 ? "" : ",").append('"').append(d).append('"');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = layout.putBlob(config);
        StringBuilder manifest = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            Descriptor l = layers.get(i);
            manifest.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(l.mediaType()).append("\",\"digest\":\"")
                    .append(l.digest()).append("\",\"size\":").append(l.size()).append('}');
        }
        byte[] bytes = manifest.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        Digest m = layout.putBlob(bytes);
        layout.tag(Descriptor.of(MediaTypes.OCI_MANIFEST, m, bytes.length), "v1");
        return layout;
    }

    private static ManifestBlob sourceManifest(OciLayout layout) throws IOException {
        return new OciLayoutSource(layout, "v1").topManifest();
    }

    /** Passes every call to another destination; tests override what they watch. */
    private static class ForwardingDestination implements ImageDestination {
        private final ImageDestination next;

        ForwardingDestination(ImageDestination next) {
            this.next = next;
        }

        @Override
        public String describe() {
            return next.describe();
        }

        @Override
        public boolean hasBlob(Digest digest) throws IOException {
            return next.hasBlob(digest);
        }

        @Override
        public BlobWriter stageBlob() throws IOException {
            return next.stageBlob();
        }

        @Override
        public void putManifest(ManifestBlob manifest) throws IOException {
            next.putManifest(manifest);
        }

        @Override
        public void rollback() {
            next.rollback();
        }

        @Override
        public Staging begin() throws IOException {
            return next.begin();
        }
    }
}
