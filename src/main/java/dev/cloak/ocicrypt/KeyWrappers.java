package dev.cloak.ocicrypt;

import dev.cloak.error.CloakException;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import dev.cloak.ocicrypt.keywrap.JweKeyWrapper;
import dev.cloak.ocicrypt.keywrap.KeyProviderKeyWrapper;
import dev.cloak.ocicrypt.keywrap.KeyWrapper;
import dev.cloak.ocicrypt.keywrap.PgpKeyWrapper;
import dev.cloak.ocicrypt.keywrap.Pkcs11KeyWrapper;
import dev.cloak.ocicrypt.keywrap.Pkcs7KeyWrapper;
import dev.cloak.pkcs11.Pkcs11Tokens;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The key-wrap schemes Cloak speaks, by annotation suffix. */
public final class KeyWrappers {
    private final Map<String, KeyWrapper> byScheme = new LinkedHashMap<>();

    public KeyWrappers(List<KeyWrapper> wrappers) {
        wrappers.forEach(w -> byScheme.put(w.scheme(), w));
    }

    /** The built-in schemes, without key providers. */
    public static KeyWrappers standard() {
        return standard(null);
    }

    /** The built-in schemes plus one {@code provider.NAME} scheme per provider of {@code providers} (may be null). */
    public static KeyWrappers standard(KeyProviders providers) {
        List<KeyWrapper> all = new ArrayList<>();
        all.add(new JweKeyWrapper());
        all.add(new Pkcs7KeyWrapper());
        all.add(new PgpKeyWrapper());
        all.add(new Pkcs11KeyWrapper(Pkcs11Tokens.shared()));
        if (providers != null) {
            providers.names().forEach(name -> all.add(new KeyProviderKeyWrapper(name, providers)));
        }
        return new KeyWrappers(all);
    }

    /** The wrapper for {@code scheme}, or null when Cloak does not speak it. */
    public KeyWrapper find(String scheme) {
        return byScheme.get(scheme);
    }

    public KeyWrapper require(String scheme) {
        KeyWrapper w = byScheme.get(scheme);
        if (w == null && scheme.startsWith(KeyProviderKeyWrapper.SCHEME_PREFIX)) {
            throw CloakException.invalid("key provider \"" + scheme.substring(KeyProviderKeyWrapper.SCHEME_PREFIX.length())
                    + "\" is not configured; name it in the JSON file that $OCICRYPT_KEYPROVIDER_CONFIG points to");
        }
        if (w == null) {
            throw CloakException.invalid("the key-wrap scheme \"" + scheme + "\" is not supported; supported: "
                    + String.join(", ", byScheme.keySet()));
        }
        return w;
    }
}
