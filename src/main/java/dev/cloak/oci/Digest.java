package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.cloak.error.CloakException;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest such as {@code sha256:<64 hex>}. Only validated values can exist. */
public record Digest(String algorithm, String hex) {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        boolean ok = switch (algorithm) {
            case "sha256" -> SHA256.matcher(hex).matches();
            case "sha512" -> SHA512.matcher(hex).matches();
            default -> false;
        };
        if (!ok) {
            throw CloakException.invalid("invalid digest \"" + algorithm + ":" + abbreviate(hex)
                    + "\": expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>");
        }
    }

    @JsonCreator
    public static Digest parse(String text) {
        if (text == null) {
            throw CloakException.invalid("missing digest");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw CloakException.invalid("invalid digest \"" + abbreviate(text) + "\": expected algorithm:hex");
        }
        return new Digest(text.substring(0, colon), text.substring(colon + 1));
    }

    public static Digest sha256(byte[] rawDigest) {
        return new Digest("sha256", HexFormat.of().formatHex(rawDigest));
    }

    public static Digest sha256Of(byte[] content) {
        return sha256(newSha256().digest(content));
    }

    /** A fresh SHA-256 instance; the JDK always provides one, so failure here is a broken JDK. */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A fresh digester for this digest's algorithm. */
    public MessageDigest newDigester() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + algorithm, e);
        }
    }

    /** True when the raw output of {@link #newDigester()} equals this digest. */
    public boolean matches(byte[] rawDigest) {
        return MessageDigest.isEqual(HexFormat.of().parseHex(hex), rawDigest);
    }

    /** The short form used in tables and log lines: algorithm plus the first 12 hex digits. */
    public String shortForm() {
        return algorithm + ":" + hex.substring(0, 12);
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
