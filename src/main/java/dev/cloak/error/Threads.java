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
}
