package dev.cloak.stream;

import dev.cloak.error.Threads;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An output stream over a file channel that syncs the file as data arrives, for files that must be on disk
 * before they are named (a blob in an OCI layout, a layer linked into containerd's content store).
 *
 * <p>Each time another {@link #SYNC_EVERY_BYTES} has been written, a sync of the file's data is started on
 * a background thread and the writer goes on. Synced only at the end, a large file made its writer wait
 * for the whole of it (0.3-0.8 s per GiB on the benchmark machine); synced on the writer's own thread every
 * 32 MiB, the cipher stood still while the disk caught up (0.2-0.5 s in a 1 GiB decrypt). A file whose
 * previous sync is still running skips that turn, so a slow disk never queues more than one sync per
 * file. {@link #sync} waits for a background sync that has started (one still queued behind other files'
 * is dropped, as the final sync covers it) and then syncs what is left, data and metadata; a background
 * sync that failed is reported there, or by the next write.
 */
public final class SyncingFileOutput extends OutputStream {
    public static final long SYNC_EVERY_BYTES = 32L << 20;

    /**
     * One thread syncs for every file in the JVM: syncs of different files mostly wait for the same disk,
     * and a file that cannot get its turn is synced by its writer at the end anyway.
     */
    private static final ExecutorService SYNCER = Executors.newSingleThreadExecutor(Threads.named("cloak-sync"));

    private final FileChannel channel;
    private final Executor syncer;
    private long written;
    private BackgroundSync pending = BackgroundSync.NONE;

    /**
     * One background sync. Its claim is taken by the sync thread when the sync starts, or by the writer to
     * drop it while it is still queued, so exactly one of them decides whether it runs.
     */
    private record BackgroundSync(AtomicBoolean claim, CompletableFuture<Void> done) {
        static final BackgroundSync NONE = new BackgroundSync(new AtomicBoolean(true), CompletableFuture.completedFuture(null));

        /** Drops the sync if it has not started; true if it had, and {@link #done} is then worth waiting for. */
        boolean dropUnlessStarted() {
            return !claim.compareAndSet(false, true);
        }
    }

    public SyncingFileOutput(FileChannel channel) {
        this(channel, SYNCER);
    }

    /** With the executor that runs the background syncs (tests). */
    SyncingFileOutput(FileChannel channel, Executor syncer) {
        this.channel = channel;
        this.syncer = syncer;
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
        if (before / SYNC_EVERY_BYTES != written / SYNC_EVERY_BYTES && pending.done().isDone()) {
            awaitPending(); // reports a failed one
            AtomicBoolean claim = new AtomicBoolean();
            pending = new BackgroundSync(claim, CompletableFuture.runAsync(() -> syncData(claim), syncer));
        }
    }

    private void syncData(AtomicBoolean claim) {
        if (!claim.compareAndSet(false, true)) {
            return; // dropped by sync() or close() before it could start
        }
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }

    /** Syncs the file's data and metadata: afterwards everything written is on disk. */
    public void sync() throws IOException {
        if (pending.dropUnlessStarted()) {
            awaitPending();
        }
        pending = BackgroundSync.NONE; // ended or dropped: the full sync below covers it
        channel.force(true);
    }

    private void awaitPending() throws IOException {
        try {
            pending.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the file was being synced");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) cause;
        }
    }

    /**
     * Closes the file once a background sync that has started has ended, so no sync is cut off by the close
     * (one still queued is dropped); its outcome no longer matters to anyone who did not call {@link #sync}.
     */
    @Override
    public void close() throws IOException {
        boolean interrupted = false;
        try {
            boolean started = pending.dropUnlessStarted();
            while (started) {
                try {
                    pending.done().get();
                    started = false;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    started = false;
                }
            }
        } finally {
            channel.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
