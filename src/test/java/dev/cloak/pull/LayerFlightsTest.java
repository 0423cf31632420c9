package dev.cloak.pull;

import dev.cloak.oci.Digest;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerFlightsTest {
    private static final Digest LAYER = Digest.parse("sha256:" + "a".repeat(64));
    private static final Digest OTHER = Digest.parse("sha256:" + "b".repeat(64));

    @Test
    void theSecondClaimOfALayerGetsTheFirstsFlightUntilItEnds() throws Exception {
        LayerFlights flights = new LayerFlights();
        LayerFlights.Claim first = flights.claim(LAYER, "pull=1");
        LayerFlights.Claim second = flights.claim(LAYER, "pull=2");
        assertTrue(first.mine());
        assertFalse(second.mine());
        assertSame(first.flight(), second.flight());
        assertEquals("pull=1", second.flight().holder());
        // Another layer is another flight.
        try (LayerFlights.Claim other = flights.claim(OTHER, "pull=2")) {
            assertTrue(other.mine());
        }

        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            try {
                second.flight().awaitEnd();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        second.close();
        assertEquals(1, flights.size(), "closing a claim that is not mine lets nothing go");
        assertFalse(waiter.isDone(), "the holder has not let go");
        first.close();
        waiter.get(60, TimeUnit.SECONDS);
        assertEquals(0, flights.size());

        try (LayerFlights.Claim again = flights.claim(LAYER, "pull=2")) {
            assertTrue(again.mine(), "after the holder let go, the next claim holds a new flight");
            assertFalse(again.flight() == first.flight());
            first.close();
            assertFalse(flights.claim(LAYER, "pull=3").mine(), "closing an old claim twice must not end a newer flight");
        }
    }
}
