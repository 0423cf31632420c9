package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An RFC 7512 PKCS#11 URI: {@code pkcs11:token=node;object=imgenc;id=%01?module-name=softhsm2&pin-source=/etc/pin}.
 * Path attributes select the token and the object, query attributes the module and the PIN. Values are
 * percent-decoded; {@code id} is kept as bytes. {@link #toString()} never shows {@code pin-value}.
 */
public final class Pkcs11Uri {
    private static final Set<String> PATH = Set.of("token", "manufacturer", "serial", "model", "library-manufacturer",
            "library-description", "library-version", "object", "type", "id", "slot-description", "slot-manufacturer",
            "slot-id");
    private static final Set<String> QUERY = Set.of("pin-source", "pin-value", "module-name", "module-path");

    private final Map<String, byte[]> path;
    private final Map<String, byte[]> query;

    private Pkcs11Uri(Map<String, byte[]> path, Map<String, byte[]> query) {
        this.path = Collections.unmodifiableMap(path);
        this.query = Collections.unmodifiableMap(query);
    }

    /** Parses {@code uri}; messages name the offending attribute, never its value. */
    public static Pkcs11Uri parse(String uri) {
        if (uri == null || !uri.startsWith("pkcs11:")) {
            throw CloakException.invalid("a PKCS#11 URI must start with \"pkcs11:\"");
        }
        String rest = uri.substring("pkcs11:".length());
        int q = rest.indexOf('?');
        Map<String, byte[]> path = attributes(q < 0 ? rest : rest.substring(0, q), ';', PATH);
        Map<String, byte[]> query = attributes(q < 0 ? "" : rest.substring(q + 1), '&', QUERY);
        return new Pkcs11Uri(path, query);
    }

    private static Map<String, byte[]> attributes(String part, char separator, Set<String> known) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (part.isEmpty()) {
            return out;
        }
        for (String attribute : part.split(java.util.regex.Pattern.quote(String.valueOf(separator)), -1)) {
            int eq = attribute.indexOf('=');
            String name = eq < 0 ? attribute : attribute.substring(0, eq);
            if (eq < 0 || name.isEmpty()) {
                throw CloakException.invalid("the PKCS#11 URI has an attribute without a value: \"" + Printable.of(name) + "\"");
            }
            if (!known.contains(name) && !name.startsWith("x-")) {
                throw CloakException.invalid("the PKCS#11 URI has the unknown attribute \"" + Printable.of(name) + "\"");
            }
            if (out.put(name, decode(attribute.substring(eq + 1), name)) != null) {
                throw CloakException.invalid("the PKCS#11 URI names \"" + name + "\" twice");
            }
        }
        return out;
    }

    private static byte[] decode(String value, String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length()) {
                    throw badEscape(name);
                }
                int hi = Character.digit(value.charAt(i + 1), 16);
                int lo = Character.digit(value.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw badEscape(name);
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toByteArray();
    }

    private static CloakException badEscape(String name) {
        return CloakException.invalid("the PKCS#11 URI attribute \"" + name + "\" has a broken %-escape");
    }

    /** A path attribute as text, or null. */
    public String path(String name) {
        byte[] v = path.get(name);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /** A query attribute as text, or null. */
    public String query(String name) {
        byte[] v = query.get(name);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /** The {@code id} attribute (CKA_ID) as raw bytes, or null. */
    public byte[] id() {
        byte[] v = path.get("id");
        return v == null ? null : v.clone();
    }

    /** Whether the URI carries a PIN, by value or by source. */
    public boolean hasPin() {
        return query.containsKey("pin-value") || query.containsKey("pin-source");
    }

    /** The URI with {@code pin-value} replaced by {@code ***}, for messages and logs. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("pkcs11:");
        appendAll(s, path, ';');
        if (!query.isEmpty()) {
            s.append('?');
            appendAll(s, query, '&');
        }
        return s.toString();
    }

    private static void appendAll(StringBuilder s, Map<String, byte[]> attributes, char separator) {
        boolean first = true;
        for (Map.Entry<String, byte[]> a : attributes.entrySet()) {
            if (!first) {
                s.append(separator);
            }
            first = false;
            s.append(a.getKey()).append('=');
            if (a.getKey().equals("pin-value")) {
                s.append("***");
                continue;
            }
            for (byte b : a.getValue()) {
                int c = b & 0xff;
                if (c > 0x20 && c < 0x7f && c != '%' && c != ';' && c != '?' && c != '&' && c != '=') {
                    s.append((char) c);
                } else {
                    s.append('%').append(String.format("%02X", c));
                }
            }
        }
    }
}
