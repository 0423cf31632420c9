package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.ocicrypt.keywrap.JweKeyWrapper;
import dev.cloak.ocicrypt.keywrap.KeyWrapper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The key-wrap schemes Cloak speaks, by annotation suffix. */
public final class KeyWrappers {
    private final Map<String, KeyWrapper> byScheme = new LinkedHashMap<>();

    public KeyWrappers(List<KeyWrapper> wrappers) {
        wrappers.forEach(w -> byScheme.put(w.scheme(), w));
    }

    public static KeyWrappers standard() {
        return new KeyWrappers(List.of(new JweKeyWrapper()));
    }

    /** The wrapper for {@code scheme}, or null when Cloak does not speak it. */
    public KeyWrapper find(String scheme) {
        return byScheme.get(scheme);
    }

    public KeyWrapper require(String scheme) {
        KeyWrapper w = byScheme.get(scheme);
        if (w == null) {
            throw CloakException.invalid("the key-wrap scheme \"" + scheme + "\" is not supported; supported: "
                    + String.join(", ", byScheme.keySet()));
        }
        return w;
    }
}
