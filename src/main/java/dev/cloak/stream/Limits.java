package dev.cloak.stream;

/** Named size limits, each with the reason it exists. */
public final class Limits {
    /** Manifests and indexes are small; a larger one is a mistake or an attack on memory. Same cap as containerd. */
    public static final int MAX_MANIFEST_BYTES = 4 << 20;
    /** Image configs are read whole to check diff_ids; real ones are a few KiB, huge histories stay far below this. */
    public static final int MAX_CONFIG_BYTES = 8 << 20;
    /** A wrapped-key annotation holds one small JSON document per recipient. */
    public static final int MAX_WRAPPED_KEY_BYTES = 1 << 20;
    /** Key files are at most a few KiB; GPG keyrings can be larger. Anything bigger is not a key. */
    public static final int MAX_KEY_FILE_BYTES = 4 << 20;
    /**
     * Copy buffer: large enough for the ciphers' intrinsics to run at full speed, small enough to keep memory
     * flat and a layer's buffers in the core's own cache. With 1 MiB buffers, a decrypt spent five times as
     * long in the kernel copying the file into them (0.68 against 0.09 CPU-s per GiB, docs/performance.md).
     */
    public static final int COPY_BUFFER_BYTES = 256 << 10;

    private Limits() {
    }
}
