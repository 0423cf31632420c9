package dev.cloak.image;

import dev.cloak.oci.Digest;

/** A manifest or index exactly as stored, with its media type and the digest of these bytes. */
public record ManifestBlob(byte[] bytes, String mediaType, Digest digest) {
    public static ManifestBlob of(byte[] bytes, String mediaType) {
        return new ManifestBlob(bytes, mediaType, Digest.sha256Of(bytes));
    }
}
