package dev.cloak.registry.auth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One challenge of a {@code WWW-Authenticate} header: a scheme and its parameters (RFC 7235). */
public record Challenge(String scheme, Map<String, String> parameters) {
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9a-z-]+");

    public String parameter(String name) {
        return parameters.get(name);
    }

    /** Parses all challenges of a header value such as {@code Bearer realm="...",service="...",scope="..."}. */
    public static List<Challenge> parse(String header) {
        List<Challenge> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        int i = 0;
        int n = header.length();
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && header.charAt(i) != ' ' && header.charAt(i) != ',') {
                i++;
            }
            if (start == i) {
                break;
            }
            String scheme = header.substring(start, i).toLowerCase(Locale.ROOT);
            if (!TOKEN.matcher(scheme).matches()) {
                // RFC 7235: a scheme is a token. Whatever this is, it is not a challenge; skip to the next comma.
                while (i < n && header.charAt(i) != ',') {
                    i++;
                }
                continue;
            }
            Map<String, String> params = new LinkedHashMap<>();
            while (true) {
                int save = i;
                while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',')) {
                    i++;
                }
                int keyStart = i;
                while (i < n && header.charAt(i) != '=' && header.charAt(i) != ' ' && header.charAt(i) != ',') {
                    i++;
                }
                if (i >= n || header.charAt(i) != '=' || keyStart == i) {
                    i = save;
                    break;
                }
                String key = header.substring(keyStart, i).toLowerCase(Locale.ROOT);
                i++;
                StringBuilder value = new StringBuilder();
                if (i < n && header.charAt(i) == '"') {
                    i++;
                    while (i < n && header.charAt(i) != '"') {
                        if (header.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        value.append(header.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ') {
                        value.append(header.charAt(i++));
                    }
                }
                params.put(key, value.toString());
            }
            out.add(new Challenge(scheme, params));
        }
        return out;
    }
}
