package dev.cloak.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Printable;

/** Turns a registry's error reply into one sentence naming the registry, the repository and the status. */
public final class RegistryErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistryErrors() {
    }

    /** {@code what} says what was being done, e.g. "pull manifest latest". */
    public static CloakException of(String registry, String repository, String what, int status, byte[] body) {
        String code = code(body);
        String where = "registry " + registry + " (repository " + repository + ")";
        String tail = " [HTTP " + status + (code.isEmpty() ? "" : " " + code) + "]";
        return switch (code) {
            case "MANIFEST_UNKNOWN" -> new CloakException(ErrorKind.NOT_FOUND,
                    where + " has no " + what + "; check the tag or digest" + tail);
            case "NAME_UNKNOWN" -> new CloakException(ErrorKind.NOT_FOUND,
                    "repository " + repository + " does not exist on registry " + registry + " (" + what + ")" + tail);
            case "BLOB_UNKNOWN" -> new CloakException(ErrorKind.NOT_FOUND,
                    where + " does not have the blob for " + what + tail);
            case "UNAUTHORIZED" -> new CloakException(ErrorKind.REGISTRY, where + " requires authentication for "
                    + what + ", or refused the credentials given; give them with --creds or --authfile, or in the pull secret" + tail);
            case "DENIED" -> new CloakException(ErrorKind.REGISTRY, where + " denied access for " + what
                    + "; the credentials are valid but lack permission" + tail);
            case "TOOMANYREQUESTS" -> new CloakException(ErrorKind.UNAVAILABLE, where + " is rate-limiting requests ("
                    + what + "); try again later or use a mirror" + tail);
            default -> byStatus(where, what, status, tail);
        };
    }

    private static CloakException byStatus(String where, String what, int status, String tail) {
        if (status == 401) {
            return new CloakException(ErrorKind.REGISTRY, where + " requires authentication for " + what
                    + ", or refused the credentials given; give them with --creds or --authfile, or in the pull secret" + tail);
        }
        if (status == 403) {
            return new CloakException(ErrorKind.REGISTRY, where + " denied access for " + what + tail);
        }
        if (status == 404) {
            return new CloakException(ErrorKind.NOT_FOUND, where + " has nothing for " + what + tail);
        }
        if (status == 429 || status >= 500) {
            return new CloakException(ErrorKind.UNAVAILABLE, where + " failed " + what + "; try again later" + tail);
        }
        return new CloakException(ErrorKind.REGISTRY, where + " refused " + what + tail);
    }

    /** The first distribution error code in the body ({@code {"errors":[{"code":"..."}]}}), or "". */
    static String code(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            return errors.isArray() && !errors.isEmpty() ? Printable.of(errors.get(0).path("code").asText("")) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
