package dev.cloak.testing;

import java.util.concurrent.TimeUnit;

/** Stopping what a fixture started: SIGTERM, a grace period, then SIGKILL. */
final class Processes {
    private Processes() {
    }

    /** Returns the exit code, or -1 when the process had to be killed or was never started. */
    static int stop(Process process, int graceSeconds) {
        if (process == null) {
            return -1;
        }
        if (!process.isAlive()) {
            return process.exitValue();
        }
        process.destroy();
        try {
            if (process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                return process.exitValue();
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }
}
