package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.image.ManifestBlob;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.Digest;
import dev.cloak.oci.ImageReference;
import dev.cloak.oci.MediaTypes;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The distribution API operations Cloak needs, for one registry: resolve and fetch manifests, stream
 * blobs (resuming broken downloads), and push blobs and manifests. Hosts come from {@link HostsDirectory}:
 * mirrors are tried in order, then the server, each only for what its capabilities allow.
 */
public final class RegistryClient {
    static final String MANIFEST_ACCEPT = String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
            MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST, MediaTypes.DOCKER_SCHEMA1_SIGNED + ";q=0.1");

    private final RegistryTransport transport;
    private final HostsDirectory hosts;
    private final java.util.Map<String, RegistryHost> pushHosts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Hosts that just failed to answer, and until when to try them last. */
    private final java.util.Map<URI, java.time.Instant> downUntil = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.time.Duration DOWN_FOR = java.time.Duration.ofSeconds(30);

    public RegistryClient(RegistryTransport transport, HostsDirectory hosts) {
        this.transport = transport;
        this.hosts = hosts;
    }

    RegistryTransport transport() {
        return transport;
    }

    /** The hosts for {@code ref}'s registry that have {@code capability}, in order. */
    List<RegistryHost> hosts(ImageReference ref, RegistryHost.Capability capability) {
        List<RegistryHost> all = hosts.hostsFor(ref.registry());
        java.time.Instant now = java.time.Instant.now();
        // Configured order, except that hosts which just failed to answer go last for a while, so a dead
        // mirror costs its retries once per pull instead of once per blob.
        List<RegistryHost> able = all.stream().filter(h -> h.can(capability))
                .sorted(java.util.Comparator.comparing(h -> now.isBefore(downUntil.getOrDefault(h.base(), java.time.Instant.MIN))))
                .toList();
        if (able.isEmpty()) {
            throw CloakException.invalid("no host configured for registry " + ref.registry() + " may "
                    + capability.name().toLowerCase(java.util.Locale.ROOT) + " (check capabilities in hosts.toml)");
        }
        return able;
    }

    /**
     * The host pushes go to: the first push-capable host that answers at all (an upload session is bound to
     * the host that started it, so one host serves a whole push). Remembered per registry.
     */
    RegistryHost pushHost(ImageReference ref) throws IOException {
        RegistryHost known = pushHosts.get(ref.registry());
        if (known != null) {
            return known;
        }
        RegistryHost chosen = firstHost(ref, RegistryHost.Capability.PUSH, "push", host -> {
            HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "GET",
                    host.resolve(""), Map.of(), null, pushScope(ref), true));
            r.body().close();
            return host;
        });
        pushHosts.put(ref.registry(), chosen);
        return chosen;
    }

    static List<String> pullScope(ImageReference ref) {
        return List.of("repository:" + ref.repository() + ":pull");
    }

    static List<String> pushScope(ImageReference ref) {
        return List.of("repository:" + ref.repository() + ":pull,push");
    }

    /**
     * Fetches the manifest or index {@code ref} names, verified: against the reference's digest when it has
     * one, against the registry's {@code Docker-Content-Digest} otherwise; never more than 4 MiB.
     */
    public ManifestBlob manifest(ImageReference ref) throws IOException {
        RegistryHost.Capability cap = ref.digest() != null ? RegistryHost.Capability.PULL : RegistryHost.Capability.RESOLVE;
        return manifest(ref, ref.manifestReference(), ref.digest(), cap);
    }

    /** Fetches a manifest an index points to, verified against its descriptor. */
    public ManifestBlob manifest(ImageReference ref, Descriptor descriptor) throws IOException {
        if (descriptor.size() > Limits.MAX_MANIFEST_BYTES) {
            throw CloakException.invalid("manifest " + descriptor.digest() + " of " + ref + " is larger than "
                    + Limits.MAX_MANIFEST_BYTES + " bytes");
        }
        return manifest(ref, descriptor.digest().toString(), descriptor.digest(), RegistryHost.Capability.PULL);
    }

    private ManifestBlob manifest(ImageReference ref, String reference, Digest expected, RegistryHost.Capability cap)
            throws IOException {
        String what = "manifest " + reference;
        return firstHost(ref, cap, what, host -> {
            HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "GET",
                    host.resolve(ref.repository() + "/manifests/" + reference), Map.of("Accept", MANIFEST_ACCEPT),
                    null, pullScope(ref), true));
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(Limits.MAX_MANIFEST_BYTES + 1);
            }
            if (r.statusCode() != 200) {
                throw RegistryErrors.of(ref.registry(), ref.repository(), what, r.statusCode(), body);
            }
            if (body.length > Limits.MAX_MANIFEST_BYTES) {
                throw CloakException.invalid(what + " of " + ref + " is larger than " + Limits.MAX_MANIFEST_BYTES
                        + " bytes; refusing it");
            }
            Digest actual = expected == null ? Digest.sha256Of(body) : new Digest(expected.algorithm(),
                    java.util.HexFormat.of().formatHex(expected.newDigester().digest(body)));
            Digest claimed = expected != null ? expected
                    : r.headers().firstValue("Docker-Content-Digest").map(Digest::parse).orElse(actual);
            if (!actual.equals(claimed)) {
                throw CloakException.integrity(what + " of " + ref + " from " + host + " does not match its digest "
                        + claimed + "; nothing was used");
            }
            String type = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
            return new ManifestBlob(body, type, actual);
        });
    }

    /**
     * Opens blob {@code descriptor} for reading; a broken download is resumed with {@code Range} (or
     * restarted and skipped forward when the server ignores ranges). NOT verified: the caller verifies
     * digest and size as it reads. The caller closes the stream.
     */
    public InputStream openBlob(ImageReference ref, Descriptor descriptor) throws IOException {
        List<RegistryHost> candidates = hosts(ref, RegistryHost.Capability.PULL);
        return new ResumableBlobStream(this, ref, candidates, descriptor);
    }

    /** One attempt at GET of a blob from {@code host}, from byte {@code offset}. */
    HttpResponse<InputStream> getBlob(ImageReference ref, RegistryHost host, Descriptor descriptor, long offset)
            throws IOException {
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        return transport.send(new RegistryTransport.Request(ref.registry(), host, "GET",
                host.resolve(ref.repository() + "/blobs/" + descriptor.digest()), headers, null, pullScope(ref), true));
    }

    /** Whether the registry already has blob {@code digest} in {@code ref}'s repository. */
    public boolean blobExists(ImageReference ref, Digest digest) throws IOException {
        RegistryHost host = pushHost(ref);
        HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "HEAD",
                host.resolve(ref.repository() + "/blobs/" + digest), Map.of(), null, pushScope(ref), true));
        r.body().close();
        if (r.statusCode() == 200) {
            return true;
        }
        if (r.statusCode() == 404) {
            return false;
        }
        throw RegistryErrors.of(ref.registry(), ref.repository(), "check blob " + digest, r.statusCode(), null);
    }

    /**
     * Asks the registry to mount blob {@code digest} from repository {@code from} of the same registry.
     * Returns false when the registry started an ordinary upload instead (that session is cancelled).
     */
    public boolean mountBlob(ImageReference ref, Digest digest, String from) throws IOException {
        RegistryHost host = pushHost(ref);
        List<String> scopes = new ArrayList<>(pushScope(ref));
        scopes.add("repository:" + from + ":pull");
        HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "POST",
                host.resolve(ref.repository() + "/blobs/uploads/?mount=" + digest + "&from=" + from), Map.of(),
                HttpRequest.BodyPublishers::noBody, scopes, true));
        r.body().close();
        if (r.statusCode() == 201) {
            return true;
        }
        if (r.statusCode() == 202) {
            r.headers().firstValue("Location").ifPresent(loc -> cancelUpload(ref, host, host.base().resolve(loc)));
            return false;
        }
        throw RegistryErrors.of(ref.registry(), ref.repository(), "mount blob " + digest, r.statusCode(), null);
    }

    /** Starts an upload session: returns its URL. */
    public BlobUpload startUpload(ImageReference ref) throws IOException {
        RegistryHost host = pushHost(ref);
        HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "POST",
                host.resolve(ref.repository() + "/blobs/uploads/"), Map.of(), HttpRequest.BodyPublishers::noBody,
                pushScope(ref), true));
        byte[] body = readAndClose(r);
        if (r.statusCode() != 202) {
            throw RegistryErrors.of(ref.registry(), ref.repository(), "start a blob upload", r.statusCode(), body);
        }
        return new BlobUpload(this, ref, host, location(r, host));
    }

    static URI location(HttpResponse<?> r, RegistryHost host) {
        String loc = r.headers().firstValue("Location").orElseThrow(() -> new CloakException(ErrorKind.REGISTRY,
                "registry " + host + " answered an upload without a Location header"));
        return r.uri().resolve(loc);
    }

    void cancelUpload(ImageReference ref, RegistryHost host, URI session) {
        try {
            transport.send(new RegistryTransport.Request(ref.registry(), host, "DELETE", session, Map.of(), null,
                    pushScope(ref), false)).body().close();
        } catch (IOException | RuntimeException ignored) {
            // Abandoned sessions expire on the registry; the cancel is a courtesy.
        }
    }

    /** Uploads a small blob whole (monolithic upload: POST, then PUT with the content and its digest). */
    public void pushSmallBlob(ImageReference ref, byte[] content) throws IOException {
        Digest digest = Digest.sha256Of(content);
        if (blobExists(ref, digest)) {
            return;
        }
        BlobUpload upload = startUpload(ref);
        upload.finish(digest, content);
    }

    /** PUTs a manifest under {@code tagOrDigest}. */
    public void putManifest(ImageReference ref, String tagOrDigest, ManifestBlob manifest) throws IOException {
        RegistryHost host = pushHost(ref);
        HttpResponse<InputStream> r = transport.send(new RegistryTransport.Request(ref.registry(), host, "PUT",
                host.resolve(ref.repository() + "/manifests/" + tagOrDigest), Map.of("Content-Type", manifest.mediaType()),
                () -> HttpRequest.BodyPublishers.ofByteArray(manifest.bytes()), pushScope(ref), true));
        byte[] body = readAndClose(r);
        if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw RegistryErrors.of(ref.registry(), ref.repository(), "push manifest " + tagOrDigest, r.statusCode(), body);
        }
    }

    static byte[] readAndClose(HttpResponse<InputStream> r) throws IOException {
        try (InputStream in = r.body()) {
            return in.readNBytes(64 * 1024);
        }
    }

    void markDown(RegistryHost host) {
        downUntil.put(host.base(), java.time.Instant.now().plus(DOWN_FOR));
    }

    interface HostCall<T> {
        T call(RegistryHost host) throws IOException;
    }

    /**
     * Tries {@code call} on each host with {@code capability} in order; a host that is unreachable, fails
     * or does not have the content hands over to the next. The last host's error is the one reported.
     */
    <T> T firstHost(ImageReference ref, RegistryHost.Capability capability, String what, HostCall<T> call) throws IOException {
        List<RegistryHost> candidates = hosts(ref, capability);
        CloakException last = null;
        for (RegistryHost host : candidates) {
            try {
                return call.call(host);
            } catch (CloakException e) {
                boolean nextMayHelp = e.kind() == ErrorKind.UNAVAILABLE || e.kind() == ErrorKind.NOT_FOUND
                        || e.kind() == ErrorKind.INTEGRITY;
                if (e.kind() == ErrorKind.UNAVAILABLE) {
                    markDown(host);
                }
                if (!nextMayHelp) {
                    throw e;
                }
                // An unreachable host tried later must not hide a more telling answer (not found, tampered).
                if (last == null || e.kind() != ErrorKind.UNAVAILABLE || last.kind() == ErrorKind.UNAVAILABLE) {
                    last = e;
                }
            }
        }
        throw last;
    }
}
