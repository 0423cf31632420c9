package dev.cloak.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers registry challenges: Basic with a username and password, or the Bearer token flow (a token from
 * the challenge's realm for the service and scopes, anonymous when there are no credentials; an identity
 * token is exchanged with an OAuth2 refresh-token grant; a registry token is used as is). Tokens are cached
 * per registry and scope until shortly before they expire. Nothing secret is ever logged or put in an
 * error message.
 */
public final class Authenticator {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The distribution token spec's default lifetime when a token server names none. */
    private static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

    private final CredentialSource credentials;
    private final Clock clock;
    private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    private record Token(String header, Instant expires) {
    }

    public Authenticator(CredentialSource credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    /** The Authorization header to send up front, if this registry challenged before; else null. */
    public String cachedHeader(String registry, List<String> scopes) {
        Challenge c = challenges.get(registry);
        if (c == null) {
            return null;
        }
        if (c.scheme().equals("basic")) {
            return basicHeader(credentials.lookup(registry));
        }
        Token t = tokens.get(key(registry, scopes));
        return t != null && clock.instant().isBefore(t.expires) ? t.header : null;
    }

    /** Answers a 401's challenges; returns the header to retry with, or null when there is nothing to try. */
    public String respond(String registry, String wwwAuthenticate, List<String> scopes, HttpClient client,
                          Duration timeout) throws IOException, InterruptedException {
        Credentials creds = credentials.lookup(registry);
        for (Challenge c : Challenge.parse(wwwAuthenticate)) {
            if (c.scheme().equals("bearer") && c.parameter("realm") != null) {
                challenges.put(registry, c);
                Token t = fetchToken(registry, c, scopes, creds, client, timeout);
                tokens.put(key(registry, scopes), t);
                return t.header;
            }
            if (c.scheme().equals("basic") && creds.hasPassword()) {
                challenges.put(registry, c);
                return basicHeader(creds);
            }
        }
        return null;
    }

    /** Forgets the tokens of a registry, e.g. when one was refused although fresh. */
    public void forget(String registry) {
        tokens.keySet().removeIf(k -> k.startsWith(registry + "|"));
    }

    private Token fetchToken(String registry, Challenge c, List<String> scopes, Credentials creds,
                             HttpClient client, Duration timeout) throws IOException, InterruptedException {
        if (creds.registryToken() != null) {
            return new Token("Bearer " + creds.registryToken(), Instant.MAX);
        }
        String service = c.parameter("service");
        List<String> wanted = scopes.isEmpty() && c.parameter("scope") != null ? List.of(c.parameter("scope")) : scopes;
        HttpRequest.Builder request;
        if (creds.identityToken() != null) {
            StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=cloak&refresh_token=")
                    .append(enc(creds.identityToken()));
            if (service != null) {
                form.append("&service=").append(enc(service));
            }
            if (!wanted.isEmpty()) {
                form.append("&scope=").append(enc(String.join(" ", wanted)));
            }
            request = HttpRequest.newBuilder(URI.create(c.parameter("realm")))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
        } else {
            StringBuilder query = new StringBuilder();
            if (service != null) {
                query.append("service=").append(enc(service));
            }
            for (String scope : wanted) {
                query.append(query.length() == 0 ? "" : "&").append("scope=").append(enc(scope));
            }
            if (creds.hasPassword()) {
                query.append(query.length() == 0 ? "" : "&").append("account=").append(enc(creds.username()));
            }
            String realm = c.parameter("realm");
            request = HttpRequest.newBuilder(URI.create(realm + (query.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + query)))
                    .GET();
            if (creds.hasPassword()) {
                request.header("Authorization", basicHeader(creds));
            }
        }
        HttpResponse<byte[]> response = client.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new CloakException(ErrorKind.REGISTRY, "the token service of registry " + registry
                    + " refused " + (creds.isAnonymous() ? "anonymous access" : "the credentials given") + " [HTTP "
                    + response.statusCode() + "]; give valid credentials with --creds or --authfile, or in the pull secret");
        }
        if (response.statusCode() != 200) {
            throw new CloakException(ErrorKind.REGISTRY, "the token service of registry " + registry
                    + " failed [HTTP " + response.statusCode() + "]");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CloakException(ErrorKind.REGISTRY, "the token service of registry " + registry
                    + " answered something that is not JSON");
        }
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new CloakException(ErrorKind.REGISTRY, "the token service of registry " + registry + " returned no token");
        }
        long lifetime = body.path("expires_in").asLong(DEFAULT_LIFETIME.toSeconds());
        Instant issued = clock.instant();
        if (body.hasNonNull("issued_at")) {
            try {
                issued = Instant.parse(body.get("issued_at").asText());
            } catch (java.time.format.DateTimeParseException ignored) {
                // A token server with an odd clock format: count from now.
            }
        }
        Instant expires = issued.plusSeconds(Math.max(lifetime, 1)).minus(EXPIRY_MARGIN);
        return new Token("Bearer " + token, expires);
    }

    private static String basicHeader(Credentials creds) {
        if (!creds.hasPassword()) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString(
                (creds.username() + ":" + creds.password()).getBytes(StandardCharsets.UTF_8));
    }

    private static String key(String registry, List<String> scopes) {
        return registry + "|" + String.join(" ", scopes);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
