package dev.cloak.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fails a read that waits longer than the idle timeout for data: a server that stops sending without
 * closing the connection would otherwise hang a pull forever. The JDK client's timeout covers only the
 * wait for response headers.
 */
final class IdleTimeoutInputStream extends FilterInputStream {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cloak-idle-timeout");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;
    private final String peer;
    private volatile boolean timedOut;

    IdleTimeoutInputStream(InputStream in, Duration timeout, String peer) {
        super(in);
        this.timeout = timeout;
        this.peer = peer;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        ScheduledFuture<?> alarm = TIMER.schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            int n = super.read(b, off, len);
            if (timedOut) {
                throw new SocketTimeoutException(peer + " sent nothing for " + timeout.toSeconds() + " s");
            }
            return n;
        } catch (IOException e) {
            if (timedOut) {
                throw new SocketTimeoutException(peer + " sent nothing for " + timeout.toSeconds() + " s");
            }
            throw e;
        } finally {
            alarm.cancel(false);
        }
    }

    private void expire() {
        timedOut = true;
        try {
            in.close();
        } catch (IOException ignored) {
            // Closing is how a blocked read is woken; its own failure changes nothing.
        }
    }
}
