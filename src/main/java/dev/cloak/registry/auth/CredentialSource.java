package dev.cloak.registry.auth;

/** Finds the credentials for a registry host; anonymous when it knows none. */
@FunctionalInterface
public interface CredentialSource {
    Credentials lookup(String registry);

    CredentialSource ANONYMOUS = registry -> Credentials.ANONYMOUS;

    static CredentialSource fixed(Credentials credentials) {
        return registry -> credentials;
    }

    /** This source, then {@code fallback} where this one has nothing. */
    default CredentialSource orElse(CredentialSource fallback) {
        return registry -> {
            Credentials c = lookup(registry);
            return c.isAnonymous() ? fallback.lookup(registry) : c;
        };
    }
}
