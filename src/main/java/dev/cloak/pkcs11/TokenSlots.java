package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Printable;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Finds the slot that holds the token a URI names ({@code token}, and {@code serial}, {@code manufacturer},
 * {@code model} when given). SunPKCS11's configuration selects a slot only by number, and no public JDK API
 * reads token labels, so this calls the JDK's own PKCS#11 wrapper, the one SunPKCS11 uses. The module is
 * initialized the way SunPKCS11 initializes it (same library path and flags), so both share one instance.
 * cloak.jar's manifest exports the wrapper package to Cloak; the tests' JVM gets the same flag.
 */
final class TokenSlots {
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
    private static final long CKF_OS_LOCKING_OK = 0x2L;

    private TokenSlots() {
    }

    /** The slot ID of the token {@code uri} names, in the module at {@code library} (a real path). */
    static long find(Path library, Pkcs11Uri uri) {
        String label = uri.path("token");
        try {
            Class<?> pkcs11 = Class.forName(WRAPPER + "PKCS11");
            Class<?> initArgsType = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
            Object initArgs = initArgsType.getConstructor().newInstance();
            initArgsType.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsType, boolean.class);
            Object module = getInstance.invoke(null, library.toString(), "C_GetFunctionList", initArgs, false);
            long[] slots = (long[]) pkcs11.getMethod("C_GetSlotList", boolean.class).invoke(module, true);
            Method tokenInfo = pkcs11.getMethod("C_GetTokenInfo", long.class);
            for (long slot : slots) {
                Object info;
                try {
                    info = tokenInfo.invoke(module, slot);
                } catch (InvocationTargetException unreadable) {
                    continue;
                }
                if (matches(info, "label", label) && matches(info, "serialNumber", uri.path("serial"))
                        && matches(info, "manufacturerID", uri.path("manufacturer")) && matches(info, "model", uri.path("model"))) {
                    return slot;
                }
            }
        } catch (IllegalAccessException | IllegalAccessError e) {
            throw new CloakException(ErrorKind.INTERNAL, "finding PKCS#11 token \"" + Printable.of(label) + "\" by its label needs"
                    + " the JVM option --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED (cloak.jar"
                    + " carries it when started with java -jar), or put slot-id=N in the URI instead");
        } catch (InvocationTargetException e) {
            throw new CloakException(ErrorKind.UNAVAILABLE, "PKCS#11 module " + library + " cannot list its tokens ("
                    + e.getCause().getClass().getSimpleName() + ": " + Printable.of(e.getCause().getMessage()) + ")");
        } catch (ReflectiveOperationException e) {
            throw new CloakException(ErrorKind.INTERNAL, "this JDK's PKCS#11 wrapper is not the one Cloak knows ("
                    + e.getClass().getSimpleName() + "); put slot-id=N in the URI instead");
        }
        throw CloakException.notFound("PKCS#11 module " + library + " has no token labelled \"" + Printable.of(label) + "\"");
    }

    /** Token info fields are blank-padded fixed-size character arrays. */
    private static boolean matches(Object info, String field, String wanted) throws ReflectiveOperationException {
        if (wanted == null) {
            return true;
        }
        char[] value = (char[]) info.getClass().getField(field).get(info);
        return new String(value).strip().equals(wanted);
    }
}
