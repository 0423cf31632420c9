package dev.cloak.pull;

import dev.cloak.oci.ImageReference;
import dev.cloak.registry.auth.Credentials;

/** What to pull, with the credentials the caller sent (anonymous when none). */
public record PullRequest(ImageReference reference, Credentials credentials) {
    /** Pulls of the same image with the same credentials share one pull; different credentials do not. */
    String sharingKey() {
        int secret = java.util.Objects.hash(credentials.username(), credentials.password(),
                credentials.identityToken(), credentials.registryToken());
        return reference + "|" + Integer.toHexString(secret);
    }
}
