package dev.cloak.error;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work done on another thread, with its failure surfacing as it was thrown there. */
public final class Futures {
    private Futures() {
    }

    /** {@code future.get()}, rethrowing the task's own IOException or RuntimeException; {@code what} names the task. */
    public static <T> T await(Future<T> future, String what) throws IOException, InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new CloakException(ErrorKind.INTERNAL, what + " failed: " + cause, cause);
        }
    }
}
