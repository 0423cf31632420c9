package dev.cloak.error;

/**
 * The fixed set of failure kinds. Every layer of Cloak reports failures as one of these, so the CLI's exit
 * codes, the CRI status codes and the failure metrics can each be decided in exactly one place.
 */
public enum ErrorKind {
    /** The caller asked for something malformed: a bad reference, flag, annotation or file. */
    INVALID_INPUT,
    /** The image, tag, blob or file does not exist. */
    NOT_FOUND,
    /** None of the node's keys can unwrap a layer key. */
    NO_KEY,
    /** Content does not match its digest, HMAC or size: tampered or truncated. */
    INTEGRITY,
    /** The registry refused or failed a request. */
    REGISTRY,
    /** The container runtime (containerd) refused or failed a request. */
    RUNTIME,
    /** A dependency is not reachable right now; retrying later may help. */
    UNAVAILABLE,
    /** The operation was cancelled by its caller. */
    CANCELLED,
    /** A bug or an unexpected local failure (disk full, I/O error). */
    INTERNAL
}
