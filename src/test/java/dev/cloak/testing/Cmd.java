package dev.cloak.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a real program to completion with a time limit and captures what it printed. */
public final class Cmd {
    private static final Duration LIMIT = Duration.ofMinutes(5);

    private Cmd() {
    }

    public record Result(List<String> command, int exit, String out, String err) {
        /** Throws with everything the program printed unless it exited 0. */
        public Result ok() {
            if (exit != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exit + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    public static Result run(Path dir, String... command) {
        return run(dir, List.of(command));
    }

    public static Result run(Path dir, List<String> command) {
        return run(dir, java.util.Map.of(), command);
    }

    /** Runs {@code command} with {@code env} added to this process's environment. */
    public static Result run(Path dir, java.util.Map<String, String> env, List<String> command) {
        try {
            Path out = Files.createTempFile("cmd-out", ".txt");
            Path err = Files.createTempFile("cmd-err", ".txt");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                builder.environment().putAll(env);
                Process p = builder.start();
                if (!p.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within " + LIMIT);
                }
                return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command.get(0), e);
        }
    }

    /** Runs target/cloak.jar (built before the tests run) through bin/cloak, as a user would. */
    public static Result cloak(Path dir, String... args) {
        return cloak(dir, java.util.Map.of(), args);
    }

    /** {@link #cloak(Path, String...)} with {@code env} added to the environment of the cloak process. */
    public static Result cloak(Path dir, java.util.Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Project.root().resolve("bin/cloak").toString());
        command.addAll(List.of(args));
        return run(dir, env, command);
    }
}
