package dev.cloak.error;

/**
 * A failure with a message written for the operator: one sentence that names the thing (image, layer digest,
 * key file, configuration key) and, where possible, what to do. Messages never contain key material or
 * credentials.
 */
public class CloakException extends RuntimeException {
    private final ErrorKind kind;

    public CloakException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public CloakException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ErrorKind kind() {
        return kind;
    }

    public static CloakException invalid(String message) {
        return new CloakException(ErrorKind.INVALID_INPUT, message);
    }

    public static CloakException notFound(String message) {
        return new CloakException(ErrorKind.NOT_FOUND, message);
    }

    public static CloakException integrity(String message) {
        return new CloakException(ErrorKind.INTEGRITY, message);
    }
}
