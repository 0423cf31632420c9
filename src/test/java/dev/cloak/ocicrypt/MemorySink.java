package dev.cloak.ocicrypt;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sink that keeps staged bytes apart from published ones, so a test can prove that a failed decryption
 * published nothing and that the staging was discarded rather than merely abandoned.
 */
final class MemorySink implements PlaintextSink {
    private int begins;
    private ByteArrayOutputStream staged;
    private VerifiedLayer committed;
    private byte[] published;
    private boolean closed;
    private boolean discarded;

    @Override
    public Staging begin() {
        begins++;
        staged = new ByteArrayOutputStream();
        return new Staging() {
            @Override
            public OutputStream out() {
                return staged;
            }

            @Override
            public void commit(VerifiedLayer proof) {
                if (proof == null) {
                    throw new IllegalArgumentException("commit without proof");
                }
                committed = proof;
                published = staged.toByteArray();
            }

            @Override
            public void close() {
                closed = true;
                if (committed == null) {
                    discarded = true;
                    staged = null;
                }
            }
        };
    }

    byte[] published() {
        return published;
    }

    VerifiedLayer committed() {
        return committed;
    }

    /** A successful decryption: exactly one staging, committed with proof, then closed without discarding. */
    void assertPublished() {
        assertEquals(1, begins, "stagings begun");
        assertNotNull(committed, "commit");
        assertNotNull(published, "published bytes");
        assertTrue(closed, "staging closed");
        assertFalse(discarded, "a committed staging must not be discarded");
    }

    /** A failure after decryption started: the staging existed, was never committed, and was discarded. */
    void assertDiscarded() {
        assertEquals(1, begins, "stagings begun");
        assertNull(committed, "nothing may be committed");
        assertNull(published, "nothing may be published");
        assertTrue(discarded, "the staging must be discarded");
    }

    /** A failure before decryption started: the sink was never even asked for a staging. */
    void assertUntouched() {
        assertEquals(0, begins, "stagings begun");
        assertNull(published, "nothing may be published");
    }
}
