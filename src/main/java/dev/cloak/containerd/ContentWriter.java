package dev.cloak.containerd;

import com.google.protobuf.UnsafeByteOperations;
import dev.cloak.error.CloakException;
import dev.cloak.error.Threads;
import dev.cloak.error.ErrorKind;
import dev.cloak.oci.Digest;
import dev.cloak.proto.containerd.content.AbortRequest;
import dev.cloak.proto.containerd.content.WriteAction;
import dev.cloak.proto.containerd.content.WriteContentRequest;
import dev.cloak.proto.containerd.content.WriteContentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * One blob written into containerd's content store over the Write stream: STAT, WRITEs of {@link #CHUNK}
 * bytes, then COMMIT with the expected digest and size, which containerd checks again itself. Until COMMIT
 * the bytes sit in containerd's ingest area, invisible to everyone; {@link #close} without a commit aborts
 * the ingest, so an interrupted or unverified blob leaves nothing behind.
 *
 * <p>WRITEs are pipelined: up to {@link #WINDOW} bytes may be sent and not yet answered, and a WRITE goes out
 * only while gRPC's flow control says the stream is ready, so containerd stores one chunk while the next one
 * is being made. containerd answers the requests of a stream in order, one reply each (the reply to COMMIT
 * comes twice: containerd repeats its last reply when it ends the stream); every reply is checked against the
 * offset its request must have reached, and the first failure is reported by the next call.
 * COMMIT waits for every reply. Chunks are built in a few buffers owned by this writer, handed to gRPC
 * without a copy and reused only once containerd has answered their WRITE (by then it has read all of it).
 */
final class ContentWriter implements AutoCloseable {
    /** The size of every WRITE but the last: large, because each message costs containerd as much as a small copy. */
    static final int CHUNK = 1 << 20;
    /** WRITE bytes sent and not yet answered: enough to keep containerd busy, small enough to keep memory flat. */
    static final int WINDOW = 4 * CHUNK;

    /** A request sent and not yet answered: the offset its reply must report, the buffer it holds, what it does. */
    private record Pending(long offset, int bytes, byte[] buffer, String what, boolean commit) {
    }

    private final Containerd containerd;
    private final String ref;
    private final long total;
    private final ClientCallStreamObserver<WriteContentRequest> requests;

    // Shared with gRPC's callbacks, guarded by this.
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private long unanswered;
    /** The offset containerd reported for the ref when the write started (-1 before its reply). */
    private long started = -1;
    /** containerd sends its reply to COMMIT twice (once more as it ends the stream): the second is no surprise. */
    private boolean commitAnswered;
    /** The first failure: a StatusRuntimeException or other Throwable from gRPC, or a CloakException of ours. */
    private Throwable failure;
    /** What the failed request was doing, for the message. */
    private String failedWhat;
    private boolean ended;

    // The writer's own thread only.
    private byte[] current;
    private int filled;
    /** Bytes sent so far: the offset of the next WRITE. */
    private long offset;
    private int buffers;
    private boolean finished;

    private ContentWriter(Containerd containerd, String ref, long total) {
        this.containerd = containerd;
        this.ref = ref;
        this.total = total;
        this.requests = (ClientCallStreamObserver<WriteContentRequest>) containerd.contentAsync()
                // Ready while less than a window is queued in the transport (the default is 32 KiB, less than a chunk).
                .withOnReadyThreshold(WINDOW)
                .write(new ClientResponseObserver<WriteContentRequest, WriteContentResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WriteContentRequest> stream) {
                        stream.setOnReadyHandler(ContentWriter.this::wake);
                    }

                    @Override
                    public void onNext(WriteContentResponse value) {
                        answered(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        failed(t);
                    }

                    @Override
                    public void onCompleted() {
                        synchronized (ContentWriter.this) {
                            ended = true;
                            ContentWriter.this.notifyAll();
                        }
                    }
                });
    }

    /**
     * Starts writing blob {@code ref}. With {@code expected} set, returns null when containerd already has
     * that blob (nothing to write).
     */
    static ContentWriter open(Containerd containerd, String ref, long total, Digest expected) throws IOException {
        ContentWriter w = new ContentWriter(containerd, ref, total);
        WriteContentRequest.Builder stat = WriteContentRequest.newBuilder().setAction(WriteAction.STAT).setRef(ref);
        if (total >= 0) {
            stat.setTotal(total);
        }
        if (expected != null) {
            stat.setExpected(expected.toString());
        }
        try {
            // A stale ingest under this ref reports a non-zero offset: the first WRITE, at offset 0, truncates it.
            w.send(stat.build(), -1, null, "start writing " + ref, false);
            w.drain();
            if (expected != null && total > 0 && w.started() == total) {
                // The blob is in containerd's store already, not yet in this namespace (shared content, or a
                // file linked in by ContentDirectory): COMMIT alone records it, no byte needs sending.
                w.offset = total;
            }
            return w;
        } catch (AlreadyThere e) {
            w.finished = true;
            return null;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    private synchronized long started() {
        return started;
    }

    /** Whether containerd holds every byte already, so only {@link #commit} is left to do. */
    boolean holdsAll() {
        return total > 0 && offset == total;
    }

    OutputStream stream() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ContentWriter.this.write(b, off, len);
            }
        };
    }

    /** Copies {@code b} into the current chunk; full chunks are sent as they fill up. */
    void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            byte[] chunk = chunk();
            int n = Math.min(len, chunk.length - filled);
            System.arraycopy(b, off, chunk, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == chunk.length) {
                sendChunk();
            }
        }
    }

    /** Reads {@code in} to its end straight into the chunks (no copy in between). */
    void writeFrom(InputStream in) throws IOException {
        while (true) {
            byte[] chunk = chunk();
            int n = in.read(chunk, filled, chunk.length - filled);
            if (n < 0) {
                return;
            }
            filled += n;
            if (filled == chunk.length) {
                sendChunk();
            }
        }
    }

    /**
     * Commits what was written as {@code digest}; containerd verifies digest and size again. Returns false
     * when the content was already there, in which case {@code labels} were not applied.
     */
    boolean commit(Digest digest, long size, Map<String, String> labels) throws IOException {
        if (filled > 0) {
            sendChunk();
        }
        boolean committed = true;
        try {
            send(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref).setOffset(offset)
                    .setTotal(size).setExpected(digest.toString()).putAllLabels(labels).build(), offset, null, "commit " + digest, true);
            drain();
        } catch (AlreadyThere e) {
            // Someone committed the same content first: it is there, which is all we wanted.
            committed = false;
        }
        finished = true;
        requests.onCompleted();
        return committed;
    }

    /** The buffer being filled: a free one, or a new one while fewer than a window's worth exist. */
    private byte[] chunk() throws IOException {
        if (current == null) {
            synchronized (this) {
                current = free.poll();
                if (current == null && buffers > WINDOW / CHUNK) {
                    // Every buffer is in a WRITE that containerd has not answered yet: wait for one.
                    awaitUntil(() -> !free.isEmpty(), "write " + ref);
                    current = free.poll();
                }
            }
            if (current == null) {
                // Small blobs (configs, manifests) need no more than their size.
                long left = total - offset;
                current = new byte[total >= 0 && left > 0 && left < CHUNK ? (int) left : CHUNK];
                buffers++;
            }
            filled = 0;
        }
        return current;
    }

    private void sendChunk() throws IOException {
        byte[] chunk = current;
        int n = filled;
        current = null;
        filled = 0;
        // No copy: the buffer is reused only after containerd's reply to this WRITE.
        send(WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref).setOffset(offset)
                .setData(UnsafeByteOperations.unsafeWrap(chunk, 0, n)).build(), offset + n, chunk, "write " + ref, false);
        offset += n;
    }

    /**
     * Sends {@code request} once the window has room and the transport is ready; {@code expectedOffset} is the
     * offset its reply must report (-1: not checked); {@code buffer} goes back to the free list with the reply.
     */
    private void send(WriteContentRequest request, long expectedOffset, byte[] buffer, String what, boolean commit) throws IOException {
        int bytes = request.getData().size();
        synchronized (this) {
            awaitUntil(() -> (unanswered == 0 || unanswered + bytes <= WINDOW) && requests.isReady(), what);
            pending.add(new Pending(expectedOffset, bytes, buffer, what, commit));
            unanswered += bytes;
        }
        // Outside the lock: onNext serialises the message, and gRPC's callbacks need the lock meanwhile.
        requests.onNext(request);
    }

    /** Waits for the replies to everything sent. */
    private void drain() throws IOException {
        synchronized (this) {
            awaitUntil(pending::isEmpty, "write " + ref);
        }
    }

    private interface Condition {
        boolean holds();
    }

    /** Waits, holding the lock, until {@code condition} holds; throws the stream's failure if there is one first. */
    private void awaitUntil(Condition condition, String what) throws IOException {
        while (true) {
            if (failure != null) {
                throw failure();
            }
            if (condition.holds()) {
                return;
            }
            if (ended) {
                throw new CloakException(ErrorKind.RUNTIME, "containerd closed the write stream while Cloak was trying to " + what);
            }
            try {
                wait();
            } catch (InterruptedException e) {
                // The caller's close() cancels the stream and aborts the ingest.
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to containerd");
            }
        }
    }

    /** The stream's failure as the exception the caller gets; called with the lock held. */
    private IOException failure() {
        if (failure instanceof StatusRuntimeException e && ContainerdErrors.is(e, Status.Code.ALREADY_EXISTS)) {
            // Only STAT and COMMIT can say so; their callers decide what it means.
            return new AlreadyThere();
        }
        if (failure instanceof StatusRuntimeException e) {
            throw ContainerdErrors.of(e, failedWhat, containerd);
        }
        if (failure instanceof CloakException e) {
            throw e;
        }
        throw new CloakException(ErrorKind.RUNTIME, "containerd failed to " + failedWhat + ": " + failure.getMessage(), failure);
    }

    private synchronized void answered(WriteContentResponse reply) {
        Pending p = pending.poll();
        if (p == null) {
            if (commitAnswered) {
                // The repeat of the reply to COMMIT, sent as containerd ends the stream.
                return;
            }
            fail(new CloakException(ErrorKind.RUNTIME, "containerd sent an unrequested reply while Cloak was writing " + ref), "write " + ref);
            notifyAll();
            return;
        }
        commitAnswered |= p.commit;
        if (p.offset < 0 && !p.commit && started < 0) {
            started = reply.getOffset();
        }
        unanswered -= p.bytes;
        if (p.buffer != null) {
            free.add(p.buffer);
        }
        if (p.offset >= 0 && reply.getOffset() != p.offset) {
            fail(new CloakException(ErrorKind.RUNTIME, "containerd acknowledged " + ref + " up to byte " + reply.getOffset()
                    + " where Cloak had written up to byte " + p.offset), p.what);
        }
        notifyAll();
    }

    private synchronized void failed(Throwable t) {
        Pending p = pending.peek();
        fail(t, p == null ? "write " + ref : p.what);
        ended = true;
        notifyAll();
    }

    private void fail(Throwable t, String what) {
        if (failure == null) {
            failure = t;
            failedWhat = what;
        }
    }

    private synchronized void wake() {
        notifyAll();
    }

    /**
     * Aborts the ingest unless it was committed, also after containerd failed the stream (a refused COMMIT
     * leaves its ingest behind). Never throws.
     */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            requests.cancel("aborted by cloak", null);
        } catch (RuntimeException ignored) {
            // The stream may already be gone.
        }
        Threads.uninterrupted(() -> {
            try {
                containerd.content().abort(AbortRequest.newBuilder().setRef(ref).build());
            } catch (StatusRuntimeException ignored) {
                // NotFound: nothing was ingested. Other failures: containerd cleans stale ingests itself.
            }
        });
    }

    private static final class AlreadyThere extends IOException {
        AlreadyThere() {
            super(null, null);
        }
    }
}
