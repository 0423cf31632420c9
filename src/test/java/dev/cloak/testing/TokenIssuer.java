package dev.cloak.testing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small token service for the registry's {@code auth: token} mode, written for the tests: anonymous
 * callers may pull, the one user with the right password may also push; tokens are JWTs signed with a
 * self-signed certificate the registry trusts (sent in the x5c header). Counts the tokens it issued, so
 * tests can check caching.
 */
public final class TokenIssuer implements AutoCloseable {
    public static final String SERVICE = "cloak-test-registry";
    public static final String ISSUER = "cloak-test-issuer";

    private final TestPki pki = new TestPki("cloak test token issuer");
    private final String user;
    private final String password;
    private final HttpServer server;
    public final AtomicInteger issued = new AtomicInteger();

    public TokenIssuer(String user, String password) throws IOException {
        this.user = user;
        this.password = password;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", this::handle);
        server.start();
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    Path writeCertificate(Path file) throws IOException {
        return pki.writeCa(file);
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String query = ex.getRequestURI().getRawQuery();
            List<String> scopes = new ArrayList<>();
            if (query != null) {
                for (String p : query.split("&")) {
                    if (p.startsWith("scope=")) {
                        scopes.add(URLDecoder.decode(p.substring(6), StandardCharsets.UTF_8));
                    }
                }
            }
            String authz = ex.getRequestHeaders().getFirst("Authorization");
            boolean authenticated = false;
            if (authz != null) {
                String decoded = new String(java.util.Base64.getDecoder().decode(authz.substring("Basic ".length())), StandardCharsets.UTF_8);
                if (!decoded.equals(user + ":" + password)) {
                    reply(ex, 401, "{\"details\":\"wrong credentials\"}");
                    return;
                }
                authenticated = true;
            }
            List<Map<String, Object>> access = new ArrayList<>();
            for (String scope : scopes) {
                String[] parts = scope.split(":");
                List<String> actions = new ArrayList<>();
                for (String a : parts[2].split(",")) {
                    if (a.equals("pull") || authenticated) {
                        actions.add(a);
                    }
                }
                access.add(Map.of("type", parts[0], "name", parts[1], "actions", actions));
            }
            Date now = new Date();
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(authenticated ? user : "")
                    .audience(SERVICE).issueTime(now).notBeforeTime(new Date(now.getTime() - 60_000))
                    .expirationTime(new Date(now.getTime() + 300_000)).jwtID(UUID.randomUUID().toString())
                    .claim("access", access).build();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                    .x509CertChain(List.of(Base64.encode(pki.ca.getEncoded()))).build(), claims);
            jwt.sign(new RSASSASigner(pki.caKey.getPrivate()));
            issued.incrementAndGet();
            reply(ex, 200, "{\"token\":\"" + jwt.serialize() + "\",\"expires_in\":300}");
        } catch (Exception e) {
            reply(ex, 500, "{}");
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
