package dev.cloak.error;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories for Cloak's pools. */
public final class Threads {
    private Threads() {
    }

    /**
     * Daemon threads named {@code prefix-1}, {@code prefix-2}, ...: the names show up in thread dumps and
     * profiles, and a daemon thread never keeps the JVM alive after the work it belongs to is abandoned.
     */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Runs clean-up that must reach another process (delete a lease, abort an ingest, cancel an upload) even
     * on a thread that was interrupted to stop its work: gRPC and the JDK HTTP client refuse to start a call
     * from an interrupted thread. The interrupt is restored afterwards.
     */
    public static void uninterrupted(Runnable cleanup) {
        boolean interrupted = Thread.interrupted();
        try {
            cleanup.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
