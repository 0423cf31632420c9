package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.util.List;

/**
 * A blob download that survives broken connections: when the connection fails or ends early, it asks
 * again from the current offset with {@code Range}; a server that ignores ranges sends the whole blob
 * again and the part already delivered is skipped. Attempts without progress are bounded by the retry
 * policy; the next configured host is tried when one gives up. The bytes are not verified here.
 */
final class ResumableBlobStream extends InputStream {
    private final RegistryClient client;
    private final ImageReference ref;
    private final List<RegistryHost> hosts;
    private final Descriptor blob;
    private int hostIndex;
    private InputStream current;
    private long position;
    private int failuresWithoutProgress;
    private boolean closed;

    ResumableBlobStream(RegistryClient client, ImageReference ref, List<RegistryHost> hosts, Descriptor blob) {
        this.client = client;
        this.ref = ref;
        this.hosts = hosts;
        this.blob = blob;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (position >= blob.size()) {
                // Everything the descriptor promised has arrived; extra bytes would be the verifier's business.
                return current == null ? -1 : current.read(b, off, len);
            }
            if (current == null) {
                try {
                    current = open();
                } catch (InterruptedIOException e) {
                    throw e;
                } catch (IOException e) {
                    // The transport has already retried this host; an unreachable one hands over to the next.
                    client.markDown(hosts.get(hostIndex));
                    if (hostIndex + 1 < hosts.size()) {
                        hostIndex++;
                        failuresWithoutProgress = 0;
                    } else {
                        failed(e);
                    }
                    continue;
                }
            }
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    position += n;
                    failuresWithoutProgress = 0;
                    return n;
                }
                throw new IOException("connection ended after " + position + " of " + blob.size() + " bytes");
            } catch (java.net.SocketTimeoutException e) {
                // An idle timeout is an InterruptedIOException, but it means a stalled connection, not a cancel.
                dropCurrent();
                failed(e);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                dropCurrent();
                failed(e);
            }
        }
    }

    private void failed(IOException e) throws IOException {
        failuresWithoutProgress++;
        RetryPolicy retry = client.transport().settings().retry();
        if (failuresWithoutProgress >= retry.maxAttempts()) {
            if (hostIndex + 1 < hosts.size()) {
                hostIndex++;
                failuresWithoutProgress = 0;
                return;
            }
            throw new CloakException(ErrorKind.UNAVAILABLE, "download of blob " + blob.digest() + " from registry "
                    + ref.registry() + " broke off at byte " + position + " of " + blob.size() + " and could not be resumed: "
                    + RegistryTransport.describe(e), e);
        }
        try {
            Thread.sleep(retry.delay(failuresWithoutProgress, null).toMillis());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while resuming a download");
        }
    }

    private InputStream open() throws IOException {
        RegistryHost host = hosts.get(hostIndex);
        HttpResponse<InputStream> r;
        try {
            r = client.getBlob(ref, host, blob, position);
        } catch (CloakException e) {
            if (e.kind() == ErrorKind.UNAVAILABLE) {
                throw new IOException(e.getMessage(), e);
            }
            throw e;
        }
        int status = r.statusCode();
        if (status == 206 && position > 0) {
            String range = r.headers().firstValue("Content-Range").orElse("");
            if (range.startsWith("bytes " + position + "-")) {
                return r.body();
            }
            r.body().close();
            throw new IOException("the registry answered a range request with the wrong range: " + range);
        }
        if (status == 200) {
            InputStream in = r.body();
            // Ranges ignored: the blob comes from the start again; skip what was already delivered.
            in.skipNBytes(position);
            return in;
        }
        byte[] body = RegistryClient.readAndClose(r);
        CloakException error = RegistryErrors.of(ref.registry(), ref.repository(), "pull blob " + blob.digest(), status, body);
        if (error.kind() == ErrorKind.UNAVAILABLE) {
            throw new IOException(error.getMessage(), error);
        }
        if (error.kind() == ErrorKind.NOT_FOUND && hostIndex + 1 < hosts.size()) {
            hostIndex++;
            return open();
        }
        throw error;
    }

    private void dropCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // The connection is broken already.
            }
            current = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        dropCurrent();
    }
}
