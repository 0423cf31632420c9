package dev.cloak.containerd;

import com.google.protobuf.ByteString;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.oci.Digest;
import dev.cloak.proto.containerd.content.AbortRequest;
import dev.cloak.proto.containerd.content.WriteAction;
import dev.cloak.proto.containerd.content.WriteContentRequest;
import dev.cloak.proto.containerd.content.WriteContentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One blob written into containerd's content store over the Write stream: STAT, WRITEs of at most 1 MiB,
 * then COMMIT with the expected digest and size, which containerd checks again itself. Until COMMIT the
 * bytes sit in containerd's ingest area, invisible to everyone; {@link #close} without a commit aborts the
 * ingest, so an interrupted or unverified blob leaves nothing behind. Each request waits for its reply.
 */
final class ContentWriter implements AutoCloseable {
    private static final int CHUNK = 1 << 20;
    private static final Object END = new Object();

    private final Containerd containerd;
    private final String ref;
    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final ClientCallStreamObserver<WriteContentRequest> requests;
    private long offset;
    private boolean finished;

    private ContentWriter(Containerd containerd, String ref) {
        this.containerd = containerd;
        this.ref = ref;
        this.requests = (ClientCallStreamObserver<WriteContentRequest>) containerd.contentAsync().write(new StreamObserver<>() {
            @Override
            public void onNext(WriteContentResponse value) {
                replies.add(value);
            }

            @Override
            public void onError(Throwable t) {
                replies.add(t);
            }

            @Override
            public void onCompleted() {
                replies.add(END);
            }
        });
    }

    /**
     * Starts writing blob {@code ref}. With {@code expected} set, returns null when containerd already has
     * that blob (nothing to write).
     */
    static ContentWriter open(Containerd containerd, String ref, long total, Digest expected) throws IOException {
        ContentWriter w = new ContentWriter(containerd, ref);
        WriteContentRequest.Builder stat = WriteContentRequest.newBuilder().setAction(WriteAction.STAT).setRef(ref);
        if (total >= 0) {
            stat.setTotal(total);
        }
        if (expected != null) {
            stat.setExpected(expected.toString());
        }
        try {
            WriteContentResponse r = w.exchange(stat.build(), "start writing " + ref);
            if (r.getOffset() != 0) {
                // A stale ingest under this ref: start over from byte 0 (containerd truncates on a lower offset).
                w.offset = 0;
            }
            return w;
        } catch (AlreadyThere e) {
            w.finished = true;
            return null;
        }
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

    void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, CHUNK);
            exchange(WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref).setOffset(offset)
                    .setData(ByteString.copyFrom(b, off, n)).build(), "write " + ref);
            offset += n;
            off += n;
            len -= n;
        }
    }

    /**
     * Commits what was written as {@code digest}; containerd verifies digest and size again. Returns false
     * when the content was already there, in which case {@code labels} were not applied.
     */
    boolean commit(Digest digest, long size, Map<String, String> labels) throws IOException {
        boolean committed = true;
        try {
            exchange(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref).setOffset(offset)
                    .setTotal(size).setExpected(digest.toString()).putAllLabels(labels).build(), "commit " + digest);
        } catch (AlreadyThere e) {
            // Someone committed the same content first: it is there, which is all we wanted.
            committed = false;
        }
        finished = true;
        requests.onCompleted();
        return committed;
    }

    private WriteContentResponse exchange(WriteContentRequest request, String what) throws IOException {
        requests.onNext(request);
        Object reply;
        try {
            reply = replies.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new InterruptedIOException("interrupted while writing to containerd");
        }
        if (reply instanceof WriteContentResponse r) {
            return r;
        }
        if (reply instanceof StatusRuntimeException e) {
            if (ContainerdErrors.is(e, Status.Code.ALREADY_EXISTS)) {
                throw new AlreadyThere();
            }
            finished = true;
            throw ContainerdErrors.of(e, what, containerd);
        }
        if (reply instanceof Throwable t) {
            finished = true;
            throw new CloakException(ErrorKind.RUNTIME, "containerd failed to " + what + ": " + t.getMessage(), t);
        }
        finished = true;
        throw new CloakException(ErrorKind.RUNTIME, "containerd closed the write stream while Cloak was trying to " + what);
    }

    /** Aborts the ingest unless it was committed. Never throws. */
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
        try {
            containerd.content().abort(AbortRequest.newBuilder().setRef(ref).build());
        } catch (StatusRuntimeException ignored) {
            // NotFound: nothing was ingested. Other failures: containerd cleans stale ingests itself.
        }
    }

    private static final class AlreadyThere extends IOException {
        AlreadyThere() {
            super(null, null);
        }
    }
}
