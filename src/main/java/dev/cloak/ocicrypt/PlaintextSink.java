package dev.cloak.ocicrypt;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where decrypted layer bytes go. Bytes written to a {@link Staging} are not published: only
 * {@link Staging#commit} publishes them, and it needs a {@link VerifiedLayer}, which only
 * {@link LayerDecryptor} can make, after the HMAC, the encrypted digest and the plaintext digest have all
 * been checked. Closing a staging that was not committed discards everything written to it.
 */
public interface PlaintextSink {
    /** Starts receiving one layer. The caller closes the returned staging. */
    Staging begin() throws IOException;

    interface Staging extends AutoCloseable {
        /** The stream to write plaintext to. Owned by the staging: do not close it. */
        OutputStream out();

        /** Publishes what was written, as the layer that {@code proof} describes. */
        void commit(VerifiedLayer proof) throws IOException;

        /** Discards what was written unless it was committed. Never throws. */
        @Override
        void close();
    }
}
