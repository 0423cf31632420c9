package dev.cloak.stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SyncingFileOutputTest {
    @TempDir
    Path tmp;

    /** A real file channel that records when it is asked to sync, and how much had been written by then. */
    private static final class Recording extends FileChannel {
        final FileChannel real;
        final List<String> syncs = new ArrayList<>();

        Recording(FileChannel real) {
            this.real = real;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            syncs.add((metaData ? "all@" : "data@") + real.size());
            real.force(metaData);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return real.write(src);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return real.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }

    @Test
    void writesEverythingAndSyncsOncePerBoundaryCrossedThenAllAtTheEnd() throws IOException {
        Path file = tmp.resolve("blob");
        Recording channel = new Recording(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
        long step = SyncingFileOutput.SYNC_EVERY_BYTES;
        byte[] data = new byte[(int) (3 * step + 12345)];
        new Random(7).nextBytes(data);
        long mib = 1 << 20;

        try (SyncingFileOutput out = new SyncingFileOutput(channel)) {
            // Chunks that do not divide the interval, one that crosses a boundary by itself, and a last one
            // that ends past the third boundary.
            int at = 0;
            for (int len : new int[] {(int) mib, (int) (3 * mib), (int) step, 5, (int) step - 7}) {
                out.write(data, at, len);
                at += len;
            }
            out.write(data, at, data.length - at);
            assertEquals(data.length, out.written());
            assertEquals(List.of("data@" + (4 * mib + step), "data@" + (4 * mib + 2 * step - 2), "data@" + data.length),
                    channel.syncs);
            out.sync();
        }
        assertEquals("all@" + data.length, channel.syncs.get(3));
        assertEquals(4, channel.syncs.size(), channel.syncs.toString());
        assertArrayEquals(data, Files.readAllBytes(file));
    }
}
