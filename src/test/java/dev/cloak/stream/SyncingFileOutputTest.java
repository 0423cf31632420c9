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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyncingFileOutputTest {
    /** Runs each background sync on the writer's thread, so the syncs happen at fixed points. */
    private static final Executor INLINE = Runnable::run;

    @TempDir
    Path tmp;

    interface DataSyncHook {
        void run() throws IOException;
    }

    private Recording open(String name) throws IOException {
        return new Recording(FileChannel.open(tmp.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    /** A real file channel that records when it is asked to sync, and how much had been written by then. */
    private static final class Recording extends FileChannel {
        final FileChannel real;
        final List<String> syncs = new CopyOnWriteArrayList<>();
        /** Runs inside every data sync, before it reaches the file: a test can stall it there or fail it. */
        volatile DataSyncHook onDataSync = () -> { };

        Recording(FileChannel real) {
            this.real = real;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            syncs.add((metaData ? "all@" : "data@") + real.size());
            if (!metaData) {
                onDataSync.run();
            }
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
        Recording channel = open("blob");
        long step = SyncingFileOutput.SYNC_EVERY_BYTES;
        byte[] data = new byte[(int) (3 * step + 12345)];
        new Random(7).nextBytes(data);
        long mib = 1 << 20;

        try (SyncingFileOutput out = new SyncingFileOutput(channel, INLINE)) {
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

    @Test
    void theWriterGoesOnWhileADataSyncRunsAndSyncWaitsForIt() throws Exception {
        Path file = tmp.resolve("blob");
        Recording channel = open("blob");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean releasedInTime = new AtomicBoolean();
        channel.onDataSync = () -> {
            entered.countDown();
            try {
                // Released by the test once the writes below have returned. A writer that waited for this
                // sync would only get past it when the wait gives up, and the test then fails.
                releasedInTime.set(release.await(60, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        int step = (int) SyncingFileOutput.SYNC_EVERY_BYTES;
        byte[] data = new byte[3 * step + 99];
        new Random(11).nextBytes(data);
        ExecutorService syncer = Executors.newSingleThreadExecutor();
        try (SyncingFileOutput out = new SyncingFileOutput(channel, syncer)) {
            out.write(data, 0, step + 1);
            entered.await();
            // Two more boundaries while the first sync still runs: no second sync is queued behind it.
            out.write(data, step + 1, data.length - step - 1);
            assertEquals(List.of("data@" + (step + 1)), channel.syncs);
            release.countDown();
            out.sync();
        } finally {
            syncer.shutdownNow();
        }
        assertTrue(releasedInTime.get(), "the writes waited for the background sync");
        assertEquals(List.of("data@" + (step + 1), "all@" + data.length), channel.syncs);
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void aBackgroundSyncStillQueuedIsDroppedBySyncAndNeverRuns() throws IOException {
        Path file = tmp.resolve("blob");
        Recording channel = open("blob");
        List<Runnable> queued = new ArrayList<>(); // a sync thread busy with other files' syncs
        byte[] data = new byte[(int) SyncingFileOutput.SYNC_EVERY_BYTES + 5];
        new Random(3).nextBytes(data);
        try (SyncingFileOutput out = new SyncingFileOutput(channel, queued::add)) {
            out.write(data, 0, data.length);
            assertEquals(1, queued.size());
            // Does not wait for the queued one (the full sync covers it); waiting would never end here.
            assertTimeoutPreemptively(Duration.ofSeconds(60), out::sync);
            assertEquals(List.of("all@" + data.length), channel.syncs);
        }
        queued.forEach(Runnable::run); // its turn comes after all
        assertEquals(List.of("all@" + data.length), channel.syncs, "the dropped sync ran");
        assertArrayEquals(data, Files.readAllBytes(file));
    }

    @Test
    void closeDropsABackgroundSyncStillQueued() throws IOException {
        Recording channel = open("blob");
        List<Runnable> queued = new ArrayList<>();
        SyncingFileOutput out = new SyncingFileOutput(channel, queued::add);
        out.write(new byte[(int) SyncingFileOutput.SYNC_EVERY_BYTES], 0, (int) SyncingFileOutput.SYNC_EVERY_BYTES);
        // An abandoned file: nobody waits for its data to reach the disk, and waiting would never end here.
        assertTimeoutPreemptively(Duration.ofSeconds(60), out::close);
        assertFalse(channel.isOpen());
        queued.forEach(Runnable::run);
        assertEquals(List.of(), channel.syncs);
    }

    @Test
    void aFailedBackgroundSyncIsReportedBySync() throws IOException {
        Recording channel = open("blob");
        channel.onDataSync = () -> {
            throw new IOException("No space left on device");
        };
        byte[] data = new byte[(int) SyncingFileOutput.SYNC_EVERY_BYTES + 1];
        try (SyncingFileOutput out = new SyncingFileOutput(channel, INLINE)) {
            out.write(data, 0, data.length);
            IOException e = assertThrows(IOException.class, out::sync);
            assertEquals("No space left on device", e.getMessage());
        }
        assertEquals(List.of("data@" + data.length), channel.syncs, "no full sync after the failure");
    }

    @Test
    void aFailedBackgroundSyncIsReportedByTheNextWriteThatWouldStartAnother() throws IOException {
        Recording channel = open("blob");
        channel.onDataSync = () -> {
            throw new IOException("Input/output error");
        };
        int step = (int) SyncingFileOutput.SYNC_EVERY_BYTES;
        byte[] data = new byte[2 * step + 1];
        try (SyncingFileOutput out = new SyncingFileOutput(channel, INLINE)) {
            out.write(data, 0, step + 1);
            IOException e = assertThrows(IOException.class, () -> out.write(data, step + 1, step));
            assertEquals("Input/output error", e.getMessage());
        }
    }

    @Test
    void closeWaitsForARunningSyncBeforeClosingTheFile() throws Exception {
        Recording channel = open("blob");
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> events = new CopyOnWriteArrayList<>();
        channel.onDataSync = () -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            events.add("sync ended, file open: " + channel.isOpen());
        };
        byte[] data = new byte[(int) SyncingFileOutput.SYNC_EVERY_BYTES + 1];
        ExecutorService syncer = Executors.newSingleThreadExecutor();
        try {
            SyncingFileOutput out = new SyncingFileOutput(channel, syncer);
            out.write(data, 0, data.length);
            entered.await();
            Thread closer = new Thread(() -> {
                try {
                    out.close();
                    events.add("closed");
                } catch (IOException e) {
                    events.add("close failed: " + e);
                }
            });
            closer.start();
            while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
                Thread.onSpinWait();
            }
            assertTrue(channel.isOpen(), "closed under a running sync");
            release.countDown();
            closer.join();
        } finally {
            syncer.shutdownNow();
        }
        assertEquals(List.of("sync ended, file open: true", "closed"), events);
        assertFalse(channel.isOpen());
    }
}
