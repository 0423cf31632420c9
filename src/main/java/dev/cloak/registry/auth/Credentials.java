package dev.cloak.registry.auth;

/**
 * What a user gives to authenticate to one registry: a username and password, an identity token (an
 * OAuth2 refresh token, exchanged for access tokens), or a registry token (a bearer token used as is).
 * {@code toString} never shows secrets.
 */
public record Credentials(String username, String password, String identityToken, String registryToken) {
    public static final Credentials ANONYMOUS = new Credentials(null, null, null, null);

    public static Credentials basic(String username, String password) {
        return new Credentials(username, password, null, null);
    }

    /** Parses {@code user:password} as given to {@code --creds}; the password may contain colons. */
    public static Credentials parseUserPassword(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw dev.cloak.error.CloakException.invalid("--creds takes USER:PASSWORD");
        }
        return basic(text.substring(0, colon), text.substring(colon + 1));
    }

    public boolean isAnonymous() {
        return username == null && identityToken == null && registryToken == null;
    }

    public boolean hasPassword() {
        return username != null && password != null && identityToken == null;
    }

    @Override
    public String toString() {
        if (registryToken != null) {
            return "Credentials[registry token]";
        }
        if (identityToken != null) {
            return "Credentials[identity token]";
        }
        return username == null ? "Credentials[anonymous]" : "Credentials[user " + username + "]";
    }
}
