package dev.cloak.ocicrypt;

import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import javax.crypto.Mac;

/**
 * Feeds chunks to a digest and a MAC on a second thread, so that hashing the ciphertext overlaps with
 * decrypting it. Memory stays constant: a fixed ring of buffers circulates between the caller, who
 * {@link #borrow borrows} one, fills it and {@link #submit submits} it, and the hashing thread, which gives
 * it back once hashed. The caller must not write to a submitted buffer; reading it is fine.
 */
final class ParallelHasher implements AutoCloseable {
    private static final int BUFFERS = 4;

    private record Chunk(byte[] buffer, int length) {
    }

    private static final Chunk END = new Chunk(new byte[0], -1);

    private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
    private final BlockingQueue<Chunk> work = new ArrayBlockingQueue<>(BUFFERS + 1);
    private final MessageDigest digest;
    private final Mac mac;
    private final Thread thread;
    private volatile Throwable failure;
    private boolean finished;

    ParallelHasher(MessageDigest digest, Mac mac, int bufferBytes) {
        this.digest = digest;
        this.mac = mac;
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[bufferBytes]);
        }
        thread = new Thread(this::run, "cloak-hash");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (true) {
                Chunk c = work.take();
                if (c == END) {
                    return;
                }
                digest.update(c.buffer, 0, c.length);
                mac.update(c.buffer, 0, c.length);
                free.put(c.buffer);
            }
        } catch (InterruptedException e) {
            // close() stops us when the caller gave up; nothing is owed to anyone.
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    byte[] borrow() throws InterruptedIOException {
        try {
            byte[] b;
            while ((b = free.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS)) == null) {
                checkAlive();
            }
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decrypting");
        }
    }

    /** Returns an unused buffer without hashing anything. */
    void giveBack(byte[] buffer) {
        free.add(buffer);
    }

    void submit(byte[] buffer, int length) throws InterruptedIOException {
        try {
            work.put(new Chunk(buffer, length));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decrypting");
        }
    }

    /** Waits until everything submitted is hashed; afterwards the digest and MAC can be finished. */
    void finish() throws InterruptedIOException {
        try {
            work.put(END);
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while decrypting");
        }
        finished = true;
        checkAlive();
    }

    private void checkAlive() {
        if (failure != null) {
            throw new IllegalStateException("hashing failed", failure);
        }
        if (!thread.isAlive() && !finished && work.isEmpty()) {
            throw new IllegalStateException("the hashing thread stopped");
        }
    }

    @Override
    public void close() {
        if (!finished) {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
