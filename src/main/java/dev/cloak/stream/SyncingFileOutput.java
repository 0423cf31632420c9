package dev.cloak.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * An output stream over a file channel that syncs the file every {@link #SYNC_EVERY_BYTES} as data arrives,
 * for files that must be on disk before they are named (a blob in an OCI layout, a layer linked into
 * containerd's content store). Synced only at the end, a large file made its writer wait for the whole of it
 * (0.3-0.8 s per GiB on the benchmark machine); synced as it goes, the disk writes while the producer (the
 * cipher) still works, and {@link #sync} finds little left to do.
 */
public final class SyncingFileOutput extends OutputStream {
    public static final long SYNC_EVERY_BYTES = 32L << 20;

    private final FileChannel channel;
    private long written;

    public SyncingFileOutput(FileChannel channel) {
        this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        long before = written;
        written += len;
        if (before / SYNC_EVERY_BYTES != written / SYNC_EVERY_BYTES) {
            channel.force(false);
        }
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }

    /** Syncs the file's data and metadata: afterwards everything written is on disk. */
    public void sync() throws IOException {
        channel.force(true);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
