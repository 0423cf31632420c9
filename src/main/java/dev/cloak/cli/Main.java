package dev.cloak.cli;

import dev.cloak.error.CloakException;
import picocli.CommandLine;

import java.io.PrintWriter;

/** Entry point of {@code bin/cloak}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given output streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose") || java.util.Arrays.asList(args).contains("-v");
        if (System.getProperty("cloak.log.level") == null) {
            boolean serving = args.length > 0 && args[0].equals("serve");
            System.setProperty("cloak.log.level", verbose ? "DEBUG" : serving ? "INFO" : "WARN");
        }
        CommandLine cmd = CloakCommand.commandLine(args);
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CloakException ce) {
                err.println("cloak: " + ce.getMessage());
                if (verbose && ce.getCause() != null) {
                    ce.getCause().printStackTrace(err);
                }
                return ExitCodes.of(ce.kind());
            }
            err.println("cloak: unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (verbose ? "" : " (run with --verbose for details)"));
            if (verbose) {
                e.printStackTrace(err);
            }
            return ExitCodes.FAILURE;
        });
        cmd.setParameterExceptionHandler((e, a) -> {
            err.println("cloak: " + e.getMessage());
            err.println("Run 'cloak " + (e.getCommandLine().getCommandName().equals("cloak") ? "" : e.getCommandLine().getCommandName() + " ") + "--help' for usage.");
            return ExitCodes.USAGE;
        });
        int code = cmd.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
