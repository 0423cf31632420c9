package dev.cloak.registry.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChallengeTest {

    @Test
    void bearerWithRealmServiceAndScopeContainingCommas() {
        List<Challenge> cs = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/nginx:pull,push\"");

        assertEquals(1, cs.size());
        Challenge c = cs.get(0);
        assertEquals("bearer", c.scheme(), "schemes are case-insensitive and compared in lowercase");
        assertEquals("https://auth.docker.io/token", c.parameter("realm"));
        assertEquals("registry.docker.io", c.parameter("service"));
        assertEquals("repository:library/nginx:pull,push", c.parameter("scope"));
        assertEquals(3, c.parameters().size());
    }

    @Test
    void basicRealm() {
        List<Challenge> cs = Challenge.parse("Basic realm=\"Registry Realm\"");

        assertEquals(List.of(new Challenge("basic", Map.of("realm", "Registry Realm"))), cs);
    }

    @Test
    void parameterNamesAreCaseInsensitive() {
        Challenge c = Challenge.parse("BEARER Realm=\"https://a/token\", SERVICE=\"s\"").get(0);

        assertEquals("bearer", c.scheme());
        assertEquals("https://a/token", c.parameter("realm"));
        assertEquals("s", c.parameter("service"));
    }

    @Test
    void severalChallengesInOneHeader() {
        List<Challenge> cs = Challenge.parse("Basic realm=\"a, b\", Bearer realm=\"https://t/token\",service=\"svc\","
                + "scope=\"repository:x:pull,push\", Negotiate");

        assertEquals(3, cs.size(), cs.toString());
        assertEquals("basic", cs.get(0).scheme());
        assertEquals(Map.of("realm", "a, b"), cs.get(0).parameters());
        assertEquals("bearer", cs.get(1).scheme());
        assertEquals("https://t/token", cs.get(1).parameter("realm"));
        assertEquals("svc", cs.get(1).parameter("service"));
        assertEquals("repository:x:pull,push", cs.get(1).parameter("scope"));
        assertEquals("negotiate", cs.get(2).scheme());
        assertTrue(cs.get(2).parameters().isEmpty());
    }

    @Test
    void unquotedValues() {
        Challenge c = Challenge.parse("Bearer realm=https://t.example/token,service=registry.example,scope=repository:a:pull")
                .get(0);

        assertEquals("https://t.example/token", c.parameter("realm"));
        assertEquals("registry.example", c.parameter("service"));
        assertEquals("repository:a:pull", c.parameter("scope"));
    }

    @Test
    void escapedQuotesAndBackslashesInQuotedValues() {
        Challenge c = Challenge.parse("Basic realm=\"say \\\"hi\\\" \\\\ there\", charset=\"UTF-8\"").get(0);

        assertEquals("say \"hi\" \\ there", c.parameter("realm"));
        assertEquals("UTF-8", c.parameter("charset"));
    }

    @Test
    void emptyQuotedValue() {
        Challenge c = Challenge.parse("Bearer realm=\"https://t/token\",service=\"\"").get(0);

        assertEquals("", c.parameter("service"));
        assertNull(c.parameter("scope"));
    }

    @Test
    void unterminatedQuoteDoesNotThrow() {
        Challenge c = Challenge.parse("Bearer realm=\"https://t/tok").get(0);

        assertEquals("https://t/tok", c.parameter("realm"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", ",", " , ,, "})
    void nothingToParseGivesNoChallenges(String header) {
        assertEquals(List.of(), Challenge.parse(header));
    }

    @ParameterizedTest
    @ValueSource(strings = {"=", "==,==", "\"realm\"", "realm=\"x\"", "=\"x\" ,= ="})
    void garbageGivesNoChallenges(String header) {
        // RFC 7235: a scheme is a token; '=' and '"' cannot appear in one, so none of these is a challenge.
        assertEquals(List.of(), Challenge.parse(header), "parsed from: " + header);
    }
}
