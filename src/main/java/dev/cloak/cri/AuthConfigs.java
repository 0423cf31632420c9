package dev.cloak.cri;

import dev.cloak.error.CloakException;
import dev.cloak.proto.cri.AuthConfig;
import dev.cloak.registry.auth.Credentials;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The CRI AuthConfig (from the pod's pull secrets) as Cloak's credentials. */
final class AuthConfigs {
    private AuthConfigs() {
    }

    static Credentials toCredentials(AuthConfig auth) {
        String user = blank(auth.getUsername());
        String password = blank(auth.getPassword());
        if (user == null && blank(auth.getAuth()) != null) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.getAuth()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw CloakException.invalid("the pull credentials' \"auth\" field is not valid base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw CloakException.invalid("the pull credentials' \"auth\" field is not base64 of user:password");
            }
            user = decoded.substring(0, colon);
            password = decoded.substring(colon + 1);
        }
        return new Credentials(user, password, blank(auth.getIdentityToken()), blank(auth.getRegistryToken()));
    }

    private static String blank(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
