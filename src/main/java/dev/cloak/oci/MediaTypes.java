package dev.cloak.oci;

/** Media types Cloak reads and writes, and the rules for their encrypted variants. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /** ocicrypt marks an encrypted layer by appending this suffix to the plaintext layer's media type. */
    public static final String ENCRYPTED_SUFFIX = "+encrypted";

    private MediaTypes() {
    }

    public static boolean isEncrypted(String mediaType) {
        return mediaType != null && mediaType.endsWith(ENCRYPTED_SUFFIX);
    }

    public static String decrypted(String mediaType) {
        return isEncrypted(mediaType)
                ? mediaType.substring(0, mediaType.length() - ENCRYPTED_SUFFIX.length())
                : mediaType;
    }

    public static String encrypted(String mediaType) {
        return isEncrypted(mediaType) ? mediaType : mediaType + ENCRYPTED_SUFFIX;
    }

    public static boolean isIndex(String mediaType) {
        return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
    }
}
