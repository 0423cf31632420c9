package dev.cloak.cli;

import dev.cloak.error.ErrorKind;

/** Exit codes of the command line, one per failure kind, so scripts can tell them apart. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int NO_KEY = 3;
    public static final int INTEGRITY = 4;
    public static final int NOT_FOUND = 5;
    public static final int UNAVAILABLE = 6;

    private ExitCodes() {
    }

    static int of(ErrorKind kind) {
        return switch (kind) {
            case INVALID_INPUT -> USAGE;
            case NO_KEY -> NO_KEY;
            case INTEGRITY -> INTEGRITY;
            case NOT_FOUND -> NOT_FOUND;
            case UNAVAILABLE -> UNAVAILABLE;
            default -> FAILURE;
        };
    }
}
