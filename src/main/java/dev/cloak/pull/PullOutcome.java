package dev.cloak.pull;

/** How a pull ended. */
public sealed interface PullOutcome {
    /** No layer is encrypted: the runtime should pull the image itself, exactly as without Cloak. */
    record Forward() implements PullOutcome {
    }

    /** Decrypted and imported; {@code imageRef} is what the runtime knows the image by. */
    record Imported(String imageRef, long bytesDownloaded, long bytesDecrypted) implements PullOutcome {
    }
}
