package dev.cloak.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryPolicyTest {
    private static final RetryPolicy POLICY = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(2),
            Duration.ofSeconds(60));
    /** Jitter is random: enough samples that a wrong bound is practically certain to show. */
    private static final int SAMPLES = 2000;

    @Test
    void delaysDoubleWithFullJitterWithinHalfCapToCap() {
        for (int attempt = 1; attempt <= 5; attempt++) {
            long cap = 100L << (attempt - 1);
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int i = 0; i < SAMPLES; i++) {
                long d = POLICY.delay(attempt, null).toMillis();
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
            assertTrue(min >= cap / 2, "attempt " + attempt + ": " + min + " < " + cap / 2);
            assertTrue(max <= cap, "attempt " + attempt + ": " + max + " > " + cap);
            // The jitter really spreads: a constant delay would make clients retry in lockstep.
            assertTrue(max - min > cap / 4, "attempt " + attempt + " spread only " + min + ".." + max);
        }
    }

    @Test
    void averageDelayGrowsWithTheAttempt() {
        double previous = 0;
        for (int attempt = 1; attempt <= 5; attempt++) {
            double sum = 0;
            for (int i = 0; i < SAMPLES; i++) {
                sum += POLICY.delay(attempt, null).toMillis();
            }
            double mean = sum / SAMPLES;
            assertTrue(mean > previous * 1.5, "attempt " + attempt + " mean " + mean + " after " + previous);
            previous = mean;
        }
    }

    @Test
    void delaysAreCappedAtMaxDelay() {
        for (int attempt : new int[]{6, 10, 21, 40, 64, 1000, Integer.MAX_VALUE}) {
            for (int i = 0; i < 200; i++) {
                Duration d = POLICY.delay(attempt, null);
                assertTrue(d.compareTo(Duration.ofSeconds(2)) <= 0, "attempt " + attempt + ": " + d);
                assertTrue(d.compareTo(Duration.ofSeconds(1)) >= 0, "attempt " + attempt + ": " + d);
            }
        }
    }

    @Test
    void retryAfterReplacesTheBackoff() {
        assertEquals(Duration.ofSeconds(1), POLICY.delay(1, Duration.ofSeconds(1)));
        assertEquals(Duration.ZERO, POLICY.delay(5, Duration.ZERO));
    }

    @Test
    void retryAfterIsCappedAtMaxDelay() {
        assertEquals(Duration.ofSeconds(2), POLICY.delay(1, Duration.ofSeconds(3600)));
    }

    @Test
    void retryAfterSeconds() {
        assertEquals(Duration.ofSeconds(1), RetryPolicy.parseRetryAfter("1"));
        assertEquals(Duration.ofSeconds(120), RetryPolicy.parseRetryAfter(" 120 "));
        assertEquals(Duration.ZERO, RetryPolicy.parseRetryAfter("0"));
    }

    @Test
    void retryAfterHttpDateInTheFuture() {
        ZonedDateTime when = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30);
        // IMF-fixdate as servers send it: two-digit day, "GMT".
        String header = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).format(when);

        Duration d = RetryPolicy.parseRetryAfter(header);

        assertNotNull(d, header);
        assertTrue(d.compareTo(Duration.ofSeconds(27)) >= 0 && d.compareTo(Duration.ofSeconds(31)) <= 0, header + " -> " + d);
    }

    @Test
    void retryAfterHttpDateInThePastMeansNow() {
        assertEquals(Duration.ZERO, RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "soon", "-5", "1.5", "Wed, 32 Oct 2015 07:28:00 GMT", "99999999999999999999999"})
    void garbageRetryAfterMeansUseTheBackoff(String value) {
        assertNull(RetryPolicy.parseRetryAfter(value));
    }
}
