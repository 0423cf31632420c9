package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Printable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Opens the keys that PKCS#11 key files reference, through the JDK's SunPKCS11 provider: one provider per
 * (module, slot), configured programmatically and kept for the life of the process, because a module can be
 * initialized only once per process. Keys are found through SunPKCS11's KeyStore, which lists a private key
 * only when the token also holds a certificate with the same CKA_ID; its alias is that certificate's label,
 * which the URI's {@code object} names.
 */
public final class Pkcs11Tokens {
    private static final Pkcs11Tokens SHARED = new Pkcs11Tokens(Pkcs11Modules.standard(), System.getenv());

    private final Pkcs11Modules modules;
    private final Map<String, String> environment;
    private final Map<String, Provider> providers = new HashMap<>();
    private final Map<Provider, KeyStore> loggedIn = new HashMap<>();

    public Pkcs11Tokens(Pkcs11Modules modules, Map<String, String> environment) {
        this.modules = modules;
        this.environment = Map.copyOf(environment);
    }

    /** The tokens of this process, with the standard module directories. */
    public static Pkcs11Tokens shared() {
        return SHARED;
    }

    /** The private key {@code ref} names, logged in with its PIN. */
    public synchronized TokenKey open(Pkcs11KeyRef ref) {
        if (!ref.uri().hasPin()) {
            throw CloakException.invalid(ref.source() + ": the PKCS#11 URI has no PIN; add pin-source=FILE (or pin-value=PIN)");
        }
        Provider provider = provider(ref);
        KeyStore store = keyStore(ref, provider);
        String alias = alias(ref);
        try {
            Key key = store.isKeyEntry(alias) ? store.getKey(alias, null) : null;
            if (!(key instanceof PrivateKey privateKey)) {
                throw CloakException.notFound(ref.source() + ": the token has no private key with a certificate labelled \""
                        + Printable.of(alias) + "\" (SunPKCS11 lists a private key only together with a certificate of the"
                        + " same CKA_ID); key entries there: " + keyAliases(store));
            }
            return new TokenKey(privateKey, rsaPublicKey(ref, store.getCertificate(alias)), provider, ref.toString());
        } catch (GeneralSecurityException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, ref.source() + ": the token did not hand out key \""
                    + Printable.of(alias) + "\" (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The RSA public key of {@code ref}, for encryption; needs a PIN only if the token hides certificates. */
    public synchronized RSAPublicKey publicKey(Pkcs11KeyRef ref) {
        Provider provider = provider(ref);
        KeyStore store = keyStore(ref, provider);
        try {
            return rsaPublicKey(ref, store.getCertificate(alias(ref)));
        } catch (GeneralSecurityException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, ref.source() + ": the token's certificate cannot be read");
        }
    }

    private static RSAPublicKey rsaPublicKey(Pkcs11KeyRef ref, Certificate cert) {
        if (cert == null) {
            throw CloakException.notFound(ref.source() + ": the token has no certificate labelled \""
                    + Printable.of(ref.uri().path("object")) + "\"");
        }
        if (!(cert.getPublicKey() instanceof RSAPublicKey rsa)) {
            throw CloakException.invalid(ref.source() + ": the key is not an RSA key; ocicrypt's PKCS#11 scheme is RSA-OAEP");
        }
        return rsa;
    }

    private static String alias(Pkcs11KeyRef ref) {
        String object = ref.uri().path("object");
        if (object == null) {
            throw CloakException.invalid(ref.source() + ": the PKCS#11 URI must name the key with object=LABEL (the label"
                    + " of the key's certificate); id= alone cannot be matched through SunPKCS11");
        }
        return object;
    }

    private Provider provider(Pkcs11KeyRef ref) {
        checkEnvironment(ref);
        Path library = modules.resolve(ref.uri());
        long slot = slot(ref, library);
        return providers.computeIfAbsent(library + "|" + slot, k -> configure(library, slot, ref));
    }

    private static long slot(Pkcs11KeyRef ref, Path library) {
        String slotId = ref.uri().path("slot-id");
        if (slotId != null) {
            try {
                long id = Long.parseLong(slotId);
                if (id >= 0 && id <= 0xffffffffL) {
                    return id;
                }
            } catch (NumberFormatException ignored) {
                // Reported below.
            }
            throw CloakException.invalid(ref.source() + ": the PKCS#11 URI's slot-id must be a number from 0 to 4294967295");
        }
        if (ref.uri().path("token") == null) {
            throw CloakException.invalid(ref.source() + ": the PKCS#11 URI must name its token with token=LABEL or slot-id=N");
        }
        return TokenSlots.find(library, ref.uri());
    }

    private Provider configure(Path library, long slot, Pkcs11KeyRef ref) {
        String config = "--name = cloak-" + providers.size() + "\n"
                + "library = \"" + library + "\"\n"
                + "slot = " + slot + "\n";
        try {
            Provider provider = Security.getProvider("SunPKCS11").configure(config);
            return provider;
        } catch (RuntimeException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, ref.source() + ": PKCS#11 module " + library + " slot " + slot
                    + " cannot be used (" + rootCause(e) + ")");
        }
    }

    private KeyStore keyStore(Pkcs11KeyRef ref, Provider provider) {
        KeyStore store = loggedIn.get(provider);
        if (store != null) {
            return store;
        }
        char[] pin = pin(ref);
        try {
            store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            loggedIn.put(provider, store);
            return store;
        } catch (IOException e) {
            boolean rejected = rootCause(e).contains("CKR_PIN") || e.getCause() instanceof javax.security.auth.login.LoginException;
            throw new CloakException(rejected ? ErrorKind.NO_KEY : ErrorKind.UNAVAILABLE, ref.source() + ": "
                    + (rejected ? "the token rejected the PIN" : "cannot log in to the token (" + rootCause(e) + ")"));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, ref.source() + ": cannot open the token (" + rootCause(e) + ")");
        } finally {
            if (pin != null) {
                Arrays.fill(pin, '\0');
            }
        }
    }

    /** pin-value, or the first line of the pin-source file ({@code /path} or {@code file:/path}). */
    static char[] pin(Pkcs11KeyRef ref) {
        String value = ref.uri().query("pin-value");
        if (value != null) {
            return value.toCharArray();
        }
        String source = ref.uri().query("pin-source");
        if (source == null) {
            return null;
        }
        Path file = Path.of(source.startsWith("file:") ? java.net.URI.create(source).getPath() : source);
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8);
            int nl = content.indexOf('\n');
            String line = nl < 0 ? content : content.substring(0, nl);
            return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
        } catch (IOException e) {
            throw CloakException.notFound(ref.source() + ": the PIN file " + file + " cannot be read");
        }
    }

    /**
     * A module reads its environment (SOFTHSM2_CONF and the like) when it is loaded, and a JVM cannot change
     * its own environment, so a key file's module.env must already be what Cloak runs with. Values are not
     * shown: they are the key file writer's.
     */
    private void checkEnvironment(Pkcs11KeyRef ref) {
        for (Map.Entry<String, String> e : ref.env().entrySet()) {
            if (!e.getValue().equals(environment.get(e.getKey()))) {
                throw CloakException.invalid(ref.source() + ": the key file sets " + Printable.of(e.getKey()) + " for its"
                        + " PKCS#11 module, but cloak runs with a different value; start cloak with " + Printable.of(e.getKey())
                        + " set as the key file says (Java cannot change its own environment)");
            }
        }
    }

    private static String keyAliases(KeyStore store) throws GeneralSecurityException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String a : Collections.list(store.aliases())) {
            if (store.isKeyEntry(a)) {
                out.add(Printable.of(a));
            }
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + Printable.of(t.getMessage()));
    }
}
