package dev.cloak.ocicrypt.keyprovider;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a provider program once per call: the request on its stdin, the response read from its stdout.
 * Its stderr is discarded, not logged, because a provider that echoes its input there would put the layer
 * key in Cloak's logs. A program that outlives the timeout is killed with everything it started.
 */
final class CommandTransport implements KeyProviderTransport {
    /** Blocking pipe I/O, one thread per running call; daemon threads so a stuck call never holds up exit. */
    private static final java.util.concurrent.ExecutorService PIPES = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cloak-keyprovider-io");
        t.setDaemon(true);
        return t;
    });

    private final String name;
    private final KeyProviderConfig.Endpoint.Command command;
    private final Duration timeout;

    CommandTransport(String name, KeyProviderConfig.Endpoint.Command command, Duration timeout) {
        this.name = name;
        this.command = command;
        this.timeout = timeout;
    }

    @Override
    public byte[] exchange(KeyProviderMessages.Operation op, byte[] request) {
        List<String> argv = new ArrayList<>();
        argv.add(command.path().toString());
        argv.addAll(command.args());
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + name + "\": cannot run "
                    + command.path() + " (" + e.getClass().getSimpleName() + ")");
        }
        // stdin and stdout are served on another thread so that a provider that never reads or never
        // answers cannot hold this one beyond the timeout.
        CompletableFuture<byte[]> io = CompletableFuture.supplyAsync(() -> talk(process, request), PIPES);
        try {
            byte[] out = io.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!process.waitFor(Math.max(1, timeout.toMillis() / 10), TimeUnit.MILLISECONDS)) {
                throw timedOut();
            }
            if (process.exitValue() != 0) {
                throw new CloakException(op == KeyProviderMessages.Operation.UNWRAP ? ErrorKind.NO_KEY : ErrorKind.INVALID_INPUT,
                        "key provider \"" + name + "\" (" + command.path() + ") failed to " + verb(op)
                                + " the layer key: it exited with status " + process.exitValue());
            }
            return out;
        } catch (TimeoutException e) {
            throw timedOut();
        } catch (ExecutionException e) {
            String why = e.getCause() instanceof IllegalStateException
                    ? "it answered with more than " + Limits.MAX_WRAPPED_KEY_BYTES + " bytes"
                    : "its pipes failed (" + e.getCause().getClass().getSimpleName() + ")";
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + name + "\" (" + command.path()
                    + ") could not be used: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloakException(ErrorKind.CANCELLED, "interrupted while waiting for key provider \"" + name + "\"");
        } finally {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            io.cancel(true);
        }
    }

    private static byte[] talk(Process process, byte[] request) {
        try (OutputStream in = process.getOutputStream(); InputStream out = process.getInputStream()) {
            try {
                in.write(request);
            } catch (IOException closedEarly) {
                // A provider may answer without reading all of its input; its answer still counts.
            }
            in.close();
            byte[] response = out.readNBytes(Limits.MAX_WRAPPED_KEY_BYTES + 1);
            if (response.length > Limits.MAX_WRAPPED_KEY_BYTES) {
                throw new IllegalStateException("response too large");
            }
            return response;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private CloakException timedOut() {
        return new CloakException(ErrorKind.UNAVAILABLE, "key provider \"" + name + "\" (" + command.path()
                + ") did not answer within " + timeout.toSeconds() + " s; it was stopped");
    }

    static String verb(KeyProviderMessages.Operation op) {
        return op == KeyProviderMessages.Operation.WRAP ? "wrap" : "unwrap";
    }
}
