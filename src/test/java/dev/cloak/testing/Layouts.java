package dev.cloak.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads OCI layouts with plain JSON, independently of Cloak's own model, so tests check Cloak's output
 * with code that does not share its bugs.
 */
public final class Layouts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Layouts() {
    }

    public static JsonNode manifest(Path layout, String tag) throws IOException {
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        for (JsonNode entry : index.get("manifests")) {
            if (tag.equals(entry.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                return JSON.readTree(blob(layout, entry.get("digest").asText()).toFile());
            }
        }
        throw new AssertionError("no tag " + tag + " in " + layout);
    }

    public static Path blob(Path layout, String digest) {
        return layout.resolve("blobs").resolve(digest.replace(':', '/'));
    }

    /**
     * Asserts that image {@code tag} of {@code layout} is the decryption of an image whose layers were
     * {@code originalLayers}: the same layer digests, every layer of {@code plainMediaType}, no enc annotation.
     */
    public static void assertDecrypted(Path layout, String tag, List<String> originalLayers, String plainMediaType)
            throws IOException {
        org.junit.jupiter.api.Assertions.assertEquals(originalLayers, layerDigests(layout, tag),
                "decrypted layers differ from the originals");
        org.junit.jupiter.api.Assertions.assertEquals(java.util.Collections.nCopies(originalLayers.size(), plainMediaType),
                layerMediaTypes(layout, tag));
        org.junit.jupiter.api.Assertions.assertTrue(layerAnnotationKeys(layout, tag).stream()
                .noneMatch(k -> k.startsWith("org.opencontainers.image.enc.")), "enc annotations must be removed on decryption");
    }

    public static List<String> layerDigests(Path layout, String tag) throws IOException {
        List<String> out = new ArrayList<>();
        manifest(layout, tag).get("layers").forEach(l -> out.add(l.get("digest").asText()));
        return out;
    }

    public static List<String> layerMediaTypes(Path layout, String tag) throws IOException {
        List<String> out = new ArrayList<>();
        manifest(layout, tag).get("layers").forEach(l -> out.add(l.get("mediaType").asText()));
        return out;
    }

    /** Every annotation key on every layer of the image. */
    public static List<String> layerAnnotationKeys(Path layout, String tag) throws IOException {
        List<String> out = new ArrayList<>();
        manifest(layout, tag).get("layers").forEach(l -> l.path("annotations").fieldNames().forEachRemaining(out::add));
        return out;
    }

    /** Builds the busybox test image (two layers: busybox, /hello.txt) with the project's own script. */
    public static Path busybox(Path dir, String tag, String hello) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        Path layout = dir.resolve("plain");
        Cmd.run(dir, Project.script("build-busybox-image").toString(), layout.toString(), tag, hello).ok();
        return layout;
    }
}
