package dev.cloak.pkcs11;

import dev.cloak.error.CloakException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Pkcs11UriTest {
    @Test
    void readsPathAndQueryAttributesPercentDecoded() {
        Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=my%20token;object=imgenc;id=%01%ff;slot-id=3;x-vendor=v"
                + "?module-name=softhsm2&module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/pin");
        assertEquals("my token", u.path("token"));
        assertEquals("imgenc", u.path("object"));
        assertArrayEquals(new byte[] {1, (byte) 0xff}, u.id());
        assertEquals("3", u.path("slot-id"));
        assertEquals("softhsm2", u.query("module-name"));
        assertEquals("/usr/lib/softhsm/libsofthsm2.so", u.query("module-path"));
        assertEquals("file:/etc/pin", u.query("pin-source"));
        assertNull(u.query("pin-value"));
        assertTrue(u.hasPin());
        assertFalse(Pkcs11Uri.parse("pkcs11:token=t").hasPin());
    }

    @Test
    void toStringNeverShowsThePinValue() {
        Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=t;object=k?pin-value=s3cret-PIN&module-name=softhsm2");
        assertEquals("s3cret-PIN", u.query("pin-value"));
        assertEquals("pkcs11:token=t;object=k?pin-value=***&module-name=softhsm2", u.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"token=t", "pkcs11:token", "pkcs11:token=t;token=u", "pkcs11:colour=red",
            "pkcs11:token=t?pin-value=s3cret-PIN&pin-color=x", "pkcs11:id=%0", "pkcs11:id=%zz?pin-value=s3cret-PIN"})
    void malformedUrisAreRefusedWithoutQuotingValues(String uri) {
        CloakException e = assertThrows(CloakException.class, () -> Pkcs11Uri.parse(uri));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
