package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.registry.auth.Authenticator;
import dev.cloak.registry.auth.CredentialSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * HTTP for registries, in one place: one JDK {@link HttpClient} per TLS configuration, authentication
 * (challenges answered once, tokens cached), redirects followed by hand (so credentials never follow a
 * redirect to another host, such as blob storage), bounded retries with backoff on connection errors, 429
 * and 5xx, and an idle-read timeout on response bodies.
 *
 * <p>Why the JDK client and not Netty: registry traffic is a handful of long streaming GETs and PUTs per
 * pull; the JDK client does HTTP/1.1 and TLS with the JDK's own trust store, needs no event loop of its own
 * and hands bodies over as plain InputStreams, which the streaming decryptor consumes directly.
 */
public final class RegistryTransport {
    private static final int MAX_REDIRECTS = 5;
    private static final String USER_AGENT = "cloak";
    /**
     * The size of the buffers the JDK client reads sockets into (its default is 16 KiB). Each buffer is handed
     * from the client's selector thread to the reader on its own, so a 1 GiB blob was 65536 handovers; with
     * 1 MiB buffers the client takes about a third of the CPU to download a blob. The JDK reads the property
     * once, when its HTTP client is first used: this class makes every client, so it sets it first, unless the
     * operator did.
     */
    static final int SOCKET_READ_BUFFER_BYTES = 1 << 20;

    static {
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(SOCKET_READ_BUFFER_BYTES));
        }
    }

    public record Settings(Duration connectTimeout, Duration readTimeout, RetryPolicy retry) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), Duration.ofSeconds(30), RetryPolicy.DEFAULT);
    }

    /** One request: to which registry and host, what for (for messages), with which auth scopes. */
    public record Request(String registry, RegistryHost host, String method, URI uri, Map<String, String> headers,
                          Supplier<HttpRequest.BodyPublisher> body, List<String> scopes, boolean retryable) {
        public Request {
            headers = Map.copyOf(headers);
            scopes = List.copyOf(scopes);
        }
    }

    private final Settings settings;
    private final Authenticator authenticator;
    private final Map<RegistryHost.TlsSettings, HttpClient> clients = new ConcurrentHashMap<>();

    public RegistryTransport(CredentialSource credentials, Settings settings) {
        this.settings = settings;
        this.authenticator = new Authenticator(credentials, Clock.systemUTC());
    }

    public Settings settings() {
        return settings;
    }

    private HttpClient client(RegistryHost host) {
        return clients.computeIfAbsent(host.tls(), tls -> HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(TlsContexts.build(tls))
                .build());
    }

    /**
     * Sends {@code r} and returns the response, whatever its status, once retries are exhausted or not
     * needed. The caller closes the body. Network failures become {@link ErrorKind#UNAVAILABLE}.
     */
    public HttpResponse<InputStream> send(Request r) throws IOException {
        Instant start = Instant.now();
        RetryPolicy retry = settings.retry();
        for (int attempt = 1; ; attempt++) {
            boolean mayRetry = r.retryable() && attempt < retry.maxAttempts()
                    && Duration.between(start, Instant.now()).compareTo(retry.maxTotal()) < 0;
            HttpResponse<InputStream> response;
            try {
                response = sendOnce(r);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                // A failed TLS handshake will fail the same way again: hand over to the next host at once.
                if (!mayRetry || isTlsFailure(e)) {
                    throw new CloakException(ErrorKind.UNAVAILABLE, "cannot reach registry " + r.registry() + " at "
                            + r.host().base() + ": " + describe(e), e);
                }
                sleep(retry.delay(attempt, null));
                continue;
            }
            int status = response.statusCode();
            if ((status == 429 || status >= 500) && mayRetry) {
                Duration after = RetryPolicy.parseRetryAfter(response.headers().firstValue("Retry-After").orElse(null));
                response.body().close();
                sleep(retry.delay(attempt, after));
                continue;
            }
            return response;
        }
    }

    private HttpResponse<InputStream> sendOnce(Request r) throws IOException {
        HttpClient client = client(r.host());
        String authorization = authenticator.cachedHeader(r.registry(), r.scopes());
        boolean answeredChallenge = false;
        URI uri = r.uri();
        String method = r.method();
        for (int redirects = 0; ; ) {
            boolean sameHost = sameOrigin(uri, r.host().base());
            HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                    .timeout(settings.readTimeout())
                    .header("User-Agent", USER_AGENT)
                    .method(method, method.equals(r.method()) && r.body() != null
                            ? r.body().get() : HttpRequest.BodyPublishers.noBody());
            if (sameHost) {
                r.host().headers().forEach((k, values) -> values.forEach(v -> b.header(k, v)));
                r.headers().forEach(b::header);
                if (authorization != null) {
                    b.header("Authorization", authorization);
                }
            } else if (r.headers().containsKey("Accept")) {
                b.header("Accept", r.headers().get("Accept"));
            }
            HttpResponse<InputStream> response = send(client, b.build());
            int status = response.statusCode();
            if (status == 401 && sameHost && !answeredChallenge) {
                String challenge = response.headers().firstValue("WWW-Authenticate").orElse(null);
                byte[] refusal;
                try (InputStream body = response.body()) {
                    refusal = body.readNBytes(64 * 1024);
                }
                String answer = respond(r, challenge, client);
                if (answer == null) {
                    return new HttpResponseWithBody(response, new java.io.ByteArrayInputStream(refusal));
                }
                authorization = answer;
                answeredChallenge = true;
                continue;
            }
            if (isRedirect(status) && redirects < MAX_REDIRECTS) {
                String location = response.headers().firstValue("Location").orElse(null);
                if (location != null) {
                    response.body().close();
                    uri = uri.resolve(location);
                    if (status == 303) {
                        method = "GET";
                    }
                    redirects++;
                    continue;
                }
            }
            return new HttpResponseWithBody(response,
                    new IdleTimeoutInputStream(response.body(), settings.readTimeout(), "registry " + r.registry()));
        }
    }

    private String respond(Request r, String challenge, HttpClient client) throws IOException {
        try {
            return authenticator.respond(r.registry(), challenge, r.scopes(), client, settings.readTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while authenticating to " + r.registry());
        }
    }

    private static HttpResponse<InputStream> send(HttpClient client, HttpRequest request) throws IOException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while talking to " + request.uri().getHost());
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    }

    private static void sleep(Duration d) throws InterruptedIOException {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    private static boolean isTlsFailure(IOException e) {
        return e instanceof javax.net.ssl.SSLException || e.getCause() instanceof javax.net.ssl.SSLException;
    }

    static String describe(IOException e) {
        String name = e.getClass().getSimpleName();
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException || name.equals("ConnectException")) {
            return "connection refused";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "timed out";
        }
        if (e instanceof javax.net.ssl.SSLException || (e.getCause() instanceof javax.net.ssl.SSLException)) {
            String text = String.valueOf(m);
            if (text.contains("bad_certificate") || text.contains("certificate_required")) {
                return "TLS failed (" + dev.cloak.error.Printable.of(m) + "): the registry refused the client"
                        + " certificate, or wants one; configure \"client\" in hosts.toml";
            }
            return "TLS failed (" + dev.cloak.error.Printable.of(m) + "); configure its CA in hosts.toml";
        }
        return m == null ? name : dev.cloak.error.Printable.of(m);
    }
}
