package dev.cloak.pull;

import dev.cloak.oci.Digest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * One fetch at a time per layer, across all pulls of the daemon. Pulls of the same image are already one pull
 * ({@link PullService}); different images often share layers (a base image, a re-tagged build), and without
 * this each of them would download and decrypt the shared layer, all at once.
 *
 * <p>A layer is keyed by the digest of its blob in the registry (for an encrypted layer: of the ciphertext).
 * The first pull to {@link #claim} it holds the flight until it has committed the layer to containerd, or
 * failed, or was cancelled. Any other pull gets the holder's flight back, waits for its end ({@link
 * Flight#awaitEnd}) and then looks again: it finds the committed layer and reuses it, or, when the holder
 * failed or was cancelled, it becomes the holder and does the work itself. A waiter never depends on the
 * holder's result, so one caller's cancellation or failure never fails another's pull; and the wait is
 * on a pull's own thread, never on one of the bounded download slots.
 */
final class LayerFlights {
    private final Map<Digest, Flight> running = new ConcurrentHashMap<>();

    /** The fetch of one layer by one pull. */
    static final class Flight {
        private final Digest layer;
        private final String holder;
        private final CountDownLatch ended = new CountDownLatch(1);

        private Flight(Digest layer, String holder) {
            this.layer = layer;
            this.holder = holder;
        }

        Digest layer() {
            return layer;
        }

        /** Names the pull holding the flight, for log lines. */
        String holder() {
            return holder;
        }

        /** Waits until the holder lets go, whatever its outcome. */
        void awaitEnd() throws InterruptedException {
            ended.await();
        }
    }

    /**
     * What {@link #claim} gave: the caller's own flight ({@code mine}: it fetches the layer, then closes the
     * claim) or the flight of another pull fetching the layer now (the caller awaits its end, then claims
     * again). Closing a claim that is not mine does nothing.
     */
    final class Claim implements AutoCloseable {
        private final Flight flight;
        private final boolean mine;
        private boolean closed;

        private Claim(Flight flight, boolean mine) {
            this.flight = flight;
            this.mine = mine;
        }

        boolean mine() {
            return mine;
        }

        Flight flight() {
            return flight;
        }

        /** The holder lets go: waiters wake up, and the next {@link #claim} of the layer starts a new flight. */
        @Override
        public synchronized void close() {
            if (mine && !closed) {
                closed = true;
                running.remove(flight.layer, flight);
                flight.ended.countDown();
            }
        }
    }

    /** Claims the fetch of {@code layer} for the pull named {@code holder}. */
    Claim claim(Digest layer, String holder) {
        Flight fresh = new Flight(layer, holder);
        Flight current = running.putIfAbsent(layer, fresh);
        return current == null ? new Claim(fresh, true) : new Claim(current, false);
    }

    /** How many layers are being fetched now. */
    int size() {
        return running.size();
    }
}
