package dev.cloak.stream;

import dev.cloak.error.CloakException;

import java.io.IOException;
import java.io.InputStream;

/** Reads small documents whole, refusing ones above a named limit instead of exhausting memory. */
public final class BoundedReader {
    private BoundedReader() {
    }

    /** Reads all of {@code in} (and closes it) if it holds at most {@code limit} bytes. */
    public static byte[] readAll(InputStream in, int limit, String what) throws IOException {
        try (in) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw CloakException.invalid(what + " is larger than the limit of " + limit + " bytes");
            }
            return bytes;
        }
    }
}
