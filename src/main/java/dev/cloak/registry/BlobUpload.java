package dev.cloak.registry;

import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageReference;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One blob upload session. Content goes up in chunks ({@code PATCH} with {@code Content-Range}); the blob
 * exists in the repository only after {@link #finish}, which names its digest, and the registry checks
 * that digest against what it received. {@link #cancel} abandons the session.
 */
public final class BlobUpload {
    private final RegistryClient client;
    private final ImageReference ref;
    private final RegistryHost host;
    private URI session;
    private long offset;
    private boolean done;

    BlobUpload(RegistryClient client, ImageReference ref, RegistryHost host, URI session) {
        this.client = client;
        this.ref = ref;
        this.host = host;
        this.session = session;
    }

    public long offset() {
        return offset;
    }

    /** Sends one chunk. */
    public void append(byte[] chunk, int length) throws IOException {
        if (length == 0) {
            return;
        }
        byte[] copy = java.util.Arrays.copyOf(chunk, length);
        HttpResponse<InputStream> r = client.transport().send(new RegistryTransport.Request(ref.registry(), host, "PATCH",
                session, Map.of("Content-Type", "application/octet-stream",
                        "Content-Range", offset + "-" + (offset + length - 1)),
                () -> HttpRequest.BodyPublishers.ofByteArray(copy), RegistryClient.pushScope(ref), false));
        byte[] body = RegistryClient.readAndClose(r);
        if (r.statusCode() != 202) {
            throw RegistryErrors.of(ref.registry(), ref.repository(), "upload a blob chunk", r.statusCode(), body);
        }
        session = RegistryClient.location(r, host);
        offset += length;
    }

    /** Completes the upload under {@code digest}, sending {@code lastChunk} (may be empty) with it. */
    public void finish(Digest digest, byte[] lastChunk) throws IOException {
        String sep = session.getQuery() == null ? "?" : "&";
        URI put = URI.create(session + sep + "digest=" + URLEncoder.encode(digest.toString(), StandardCharsets.UTF_8));
        HttpResponse<InputStream> r = client.transport().send(new RegistryTransport.Request(ref.registry(), host, "PUT",
                put, Map.of("Content-Type", "application/octet-stream"),
                () -> HttpRequest.BodyPublishers.ofByteArray(lastChunk), RegistryClient.pushScope(ref), false));
        byte[] body = RegistryClient.readAndClose(r);
        if (r.statusCode() != 201) {
            throw RegistryErrors.of(ref.registry(), ref.repository(), "complete the upload of blob " + digest,
                    r.statusCode(), body);
        }
        done = true;
    }

    /** Abandons the session unless it finished. Never throws. */
    public void cancel() {
        if (!done) {
            done = true;
            client.cancelUpload(ref, host, session);
        }
    }
}
