package dev.cloak.registry.auth;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthenticatorTest {
    private static final String REGISTRY = "registry.test:5000";
    private static final String SERVICE = "registry.test";
    private static final List<String> PULL = List.of("repository:team/app:pull");
    private static final String PASSWORD = "pa55:w0rd&=?";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What the token server saw of one request. */
    record Seen(String method, String path, Map<String, String> query, String authorization, String contentType, String body) {
    }

    /** A clock tests move by hand, so token expiry needs no sleeping. */
    static final class MutableClock extends Clock {
        private volatile Instant now = Instant.parse("2030-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile int status = 200;
    private volatile String extraJson = "";
    private final MutableClock clock = new MutableClock();
    private HttpClient client;

    @BeforeEach
    void startTokenServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", this::token);
        server.start();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stopTokenServer() {
        server.stop(0);
    }

    private void token(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String rawQuery = ex.getRequestURI().getRawQuery();
        seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), form(rawQuery),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"), body));
        byte[] reply = status == 200
                ? ("{\"token\":\"tok-" + issued.incrementAndGet() + "\"" + extraJson + "}").getBytes(StandardCharsets.UTF_8)
                : "{\"details\":\"no\"}".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, reply.length);
        ex.getResponseBody().write(reply);
        ex.close();
    }

    /** Decodes {@code a=b&c=d}; a repeated name keeps its values joined with a space, as scopes are. */
    static Map<String, String> form(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.merge(k, v, (a, b) -> a + " " + b);
        }
        return out;
    }

    private String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    private String bearerChallenge() {
        return "Bearer realm=\"" + realm() + "\",service=\"" + SERVICE + "\",scope=\"repository:team/app:pull\"";
    }

    private Authenticator authenticator(Credentials creds) {
        return new Authenticator(CredentialSource.fixed(creds), clock);
    }

    @Test
    void anonymousGetWithServiceAndScope() throws Exception {
        Authenticator auth = authenticator(Credentials.ANONYMOUS);

        String header = auth.respond(REGISTRY, bearerChallenge(), List.of("repository:team/app:pull", "repository:base:pull"),
                client, TIMEOUT);

        assertEquals("Bearer tok-1", header);
        assertEquals(1, seen.size());
        Seen s = seen.get(0);
        assertEquals("GET", s.method());
        assertEquals(SERVICE, s.query().get("service"));
        assertEquals("repository:team/app:pull repository:base:pull", s.query().get("scope"), "one scope parameter each");
        assertFalse(s.query().containsKey("account"));
        assertNull(s.authorization(), "anonymous: no credentials at all");
    }

    @Test
    void challengeScopeIsUsedWhenTheCallerHasNone() throws Exception {
        authenticator(Credentials.ANONYMOUS).respond(REGISTRY, bearerChallenge(), List.of(), client, TIMEOUT);

        assertEquals("repository:team/app:pull", seen.get(0).query().get("scope"));
    }

    @Test
    void basicAuthToTheTokenServerWithAccount() throws Exception {
        Authenticator auth = authenticator(Credentials.basic("alice", PASSWORD));

        String header = auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        assertEquals("Bearer tok-1", header);
        Seen s = seen.get(0);
        assertEquals("GET", s.method());
        assertEquals("alice", s.query().get("account"));
        assertEquals("Basic " + Base64.getEncoder().encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8)),
                s.authorization());
        assertFalse(s.query().toString().contains(PASSWORD), "the password never goes into the URL");
    }

    @Test
    void realmWithItsOwnQueryKeepsIt() throws Exception {
        String challenge = "Bearer realm=\"" + realm() + "?tenant=t1\",service=\"" + SERVICE + "\"";

        authenticator(Credentials.ANONYMOUS).respond(REGISTRY, challenge, PULL, client, TIMEOUT);

        assertEquals("t1", seen.get(0).query().get("tenant"));
        assertEquals(SERVICE, seen.get(0).query().get("service"));
    }

    @Test
    void identityTokenIsExchangedWithARefreshTokenGrant() throws Exception {
        Authenticator auth = authenticator(new Credentials("<token>", null, "refresh-me", null));

        String header = auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        assertEquals("Bearer tok-1", header);
        Seen s = seen.get(0);
        assertEquals("POST", s.method());
        assertTrue(s.contentType().startsWith("application/x-www-form-urlencoded"), s.contentType());
        Map<String, String> f = form(s.body());
        assertEquals("refresh_token", f.get("grant_type"));
        assertEquals("refresh-me", f.get("refresh_token"));
        assertEquals(SERVICE, f.get("service"));
        assertEquals("repository:team/app:pull", f.get("scope"));
        assertTrue(f.containsKey("client_id"), f.toString());
        assertNull(s.authorization(), "the identity token goes in the form only");
    }

    @Test
    void oauthAccessTokenFieldIsAccepted() throws Exception {
        extraJson = ",\"access_token\":\"ignored-when-token-is-set\"";

        assertEquals("Bearer tok-1", authenticator(Credentials.ANONYMOUS).respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));
    }

    @Test
    void registryTokenIsUsedDirectlyWithoutAskingTheTokenServer() throws Exception {
        Authenticator auth = authenticator(new Credentials(null, null, null, "reg-token"));

        String header = auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        assertEquals("Bearer reg-token", header);
        assertEquals(0, seen.size());
        clock.advance(Duration.ofDays(365));
        assertEquals("Bearer reg-token", auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void basicChallengeIsAnsweredWithTheCredentialsAndRemembered() throws Exception {
        Authenticator auth = authenticator(Credentials.basic("alice", PASSWORD));
        String expected = "Basic " + Base64.getEncoder().encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8));

        assertNull(auth.cachedHeader(REGISTRY, PULL), "nothing up front before the first challenge");
        assertEquals(expected, auth.respond(REGISTRY, "Basic realm=\"r\"", PULL, client, TIMEOUT));
        assertEquals(expected, auth.cachedHeader(REGISTRY, List.of("repository:other:pull")));
        assertEquals(0, seen.size());
    }

    @Test
    void basicChallengeWithoutCredentialsGivesNothingToTry() throws Exception {
        assertNull(authenticator(Credentials.ANONYMOUS).respond(REGISTRY, "Basic realm=\"r\"", PULL, client, TIMEOUT));
        assertNull(authenticator(Credentials.ANONYMOUS).respond(REGISTRY, null, PULL, client, TIMEOUT));
    }

    @Test
    void unusableChallengesGiveNothingToTryAndAskNobody() throws Exception {
        Authenticator auth = authenticator(Credentials.basic("alice", PASSWORD));

        for (String header : new String[]{"", "garbage", "realm=\"x\"", "Bearer service=\"no-realm\"", "Negotiate abc"}) {
            assertNull(auth.respond(REGISTRY, header, PULL, client, TIMEOUT), header);
        }
        assertEquals(0, seen.size());
        assertNull(auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void expiresInIsHonouredByTheCache() throws Exception {
        extraJson = ",\"expires_in\":300";
        Authenticator auth = authenticator(Credentials.ANONYMOUS);

        assertEquals("Bearer tok-1", auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));
        assertEquals("Bearer tok-1", auth.cachedHeader(REGISTRY, PULL));
        assertNull(auth.cachedHeader(REGISTRY, List.of("repository:other:pull")), "tokens are per scope");

        clock.advance(Duration.ofSeconds(250));
        assertEquals("Bearer tok-1", auth.cachedHeader(REGISTRY, PULL), "still valid well before expiry");
        assertEquals(1, seen.size());

        clock.advance(Duration.ofSeconds(55));
        assertNull(auth.cachedHeader(REGISTRY, PULL), "expired (300 s, minus the safety margin)");
        assertEquals("Bearer tok-2", auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));
        assertEquals(2, seen.size(), "a second token request after expiry");
        assertEquals("Bearer tok-2", auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void withoutExpiresInTheTokenLivesSixtySeconds() throws Exception {
        Authenticator auth = authenticator(Credentials.ANONYMOUS);
        auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        clock.advance(Duration.ofSeconds(40));
        assertEquals("Bearer tok-1", auth.cachedHeader(REGISTRY, PULL));
        clock.advance(Duration.ofSeconds(21));
        assertNull(auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void issuedAtCountsFromTheServersTime() throws Exception {
        // Issued 200 s before our clock's now, valid 300 s: about 100 s remain.
        extraJson = ",\"expires_in\":300,\"issued_at\":\"" + clock.instant().minusSeconds(200) + "\"";
        Authenticator auth = authenticator(Credentials.ANONYMOUS);
        auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        clock.advance(Duration.ofSeconds(80));
        assertEquals("Bearer tok-1", auth.cachedHeader(REGISTRY, PULL));
        clock.advance(Duration.ofSeconds(15));
        assertNull(auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void forgetDropsTheRegistrysTokens() throws Exception {
        extraJson = ",\"expires_in\":300";
        Authenticator auth = authenticator(Credentials.ANONYMOUS);
        auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT);

        auth.forget(REGISTRY);

        assertNull(auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void refusalByTheTokenServerNeverShowsThePassword() {
        status = 401;
        Authenticator auth = authenticator(Credentials.basic("alice", PASSWORD));

        CloakException e = assertThrows(CloakException.class,
                () -> auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));

        assertEquals(ErrorKind.REGISTRY, e.kind());
        assertTrue(e.getMessage().contains(REGISTRY), e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertFalse(e.getMessage().contains(PASSWORD), e.getMessage());
        assertFalse(e.getMessage().contains("pa55"), e.getMessage());
        assertFalse(e.getMessage().contains(Base64.getEncoder().encodeToString(("alice:" + PASSWORD)
                .getBytes(StandardCharsets.UTF_8))), e.getMessage());
        assertNull(auth.cachedHeader(REGISTRY, PULL));
    }

    @Test
    void refusalOfAnIdentityTokenNeverShowsIt() {
        status = 403;
        Authenticator auth = authenticator(new Credentials("<token>", null, "refresh-secret-xyz", null));

        CloakException e = assertThrows(CloakException.class,
                () -> auth.respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));

        assertEquals(ErrorKind.REGISTRY, e.kind());
        assertFalse(e.getMessage().contains("refresh-secret-xyz"), e.getMessage());
    }

    @Test
    void tokenServerFailureIsARegistryError() {
        status = 500;

        CloakException e = assertThrows(CloakException.class,
                () -> authenticator(Credentials.ANONYMOUS).respond(REGISTRY, bearerChallenge(), PULL, client, TIMEOUT));

        assertEquals(ErrorKind.REGISTRY, e.kind());
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    }
}
