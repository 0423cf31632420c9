package dev.cloak.oci;

import dev.cloak.error.CloakException;

import java.util.regex.Pattern;

/**
 * A reference in the distribution grammar: {@code [host[:port]/]name[:tag][@digest]}, normalised the way
 * Docker and containerd do it ({@code nginx} is {@code docker.io/library/nginx:latest}, served by
 * {@code registry-1.docker.io}). With both a tag and a digest, the digest decides what is pulled and the tag
 * only names it.
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    public static final String DOCKER_HUB_API = "registry-1.docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?");
    private static final int MAX_NAME = 255;

    public ImageReference {
        if (tag == null && digest == null) {
            tag = "latest";
        }
    }

    public static ImageReference parse(String text) {
        String original = text;
        if (text == null || text.isBlank()) {
            throw CloakException.invalid("empty image reference");
        }
        Digest digest = null;
        int at = text.indexOf('@');
        if (at >= 0) {
            try {
                digest = Digest.parse(text.substring(at + 1));
            } catch (CloakException e) {
                throw invalid(original, "the part after @ is not a digest like sha256:<64 hex digits>");
            }
            text = text.substring(0, at);
        }
        String tag = null;
        int colon = text.lastIndexOf(':');
        if (colon > text.lastIndexOf('/')) {
            tag = text.substring(colon + 1);
            text = text.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(original, "the tag \"" + tag + "\" is not valid (letters, digits, _ . -, at most 128)");
            }
        }
        String registry = DOCKER_HUB;
        String path = text;
        int slash = text.indexOf('/');
        if (slash > 0) {
            String first = text.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                if (!HOST.matcher(first).matches()) {
                    throw invalid(original, "\"" + first + "\" is not a valid registry host");
                }
                registry = first;
                path = text.substring(slash + 1);
            }
        }
        if (registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw invalid(original, "the repository name must be lowercase letters, digits and separators (. _ __ -)"
                        + " between slashes");
            }
        }
        if (path.length() > MAX_NAME) {
            throw invalid(original, "the repository name is longer than " + MAX_NAME + " characters");
        }
        return new ImageReference(registry, path, tag, digest);
    }

    private static CloakException invalid(String text, String why) {
        return CloakException.invalid("invalid image reference \"" + text + "\": " + why);
    }

    /** The host to talk to: Docker Hub's API host for docker.io, the registry itself otherwise. */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
    }

    /** What to ask the registry for: the digest when there is one, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code registry/repository}, the name containerd records images under. */
    public String name() {
        return registry + "/" + repository;
    }

    public ImageReference withDigest(Digest newDigest) {
        return new ImageReference(registry, repository, tag, newDigest);
    }

    public ImageReference withTag(String newTag) {
        return new ImageReference(registry, repository, newTag, digest);
    }

    @Override
    public String toString() {
        return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
