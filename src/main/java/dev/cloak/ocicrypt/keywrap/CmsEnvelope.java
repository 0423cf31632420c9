package dev.cloak.ocicrypt.keywrap;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CMS EnvelopedData (RFC 5652) with key transport recipients and AES-GCM content, in the shape Go's pkcs7
 * packages (go.mozilla.org/pkcs7, github.com/smallstep/pkcs7) give it for containers/ocicrypt. Their quirks
 * decide the encoding: the GCM parameters are a SEQUENCE nested in a primitive SEQUENCE tag with the nonce
 * as [4] IMPLICIT, and the key transport algorithm has no NULL parameters. Go reads the GCM parameters in
 * no other form; reading also takes the RFC 5084 form and the BER that older Go versions wrote.
 */
record CmsEnvelope(List<KeyTransport> recipients, Content content) {
    static final String RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
    static final String AES_128_GCM = "2.16.840.1.101.3.4.1.6";
    static final Map<String, Integer> GCM_KEY_BYTES = Map.of(AES_128_GCM, 16, "2.16.840.1.101.3.4.1.26", 24,
            "2.16.840.1.101.3.4.1.46", 32);
    private static final String ENVELOPED_DATA = "1.2.840.113549.1.7.3";
    private static final String DATA = "1.2.840.113549.1.7.1";
    private static final int GO_PRIMITIVE_SEQUENCE = 0x10;
    private static final int GO_NONCE = 0x84;
    private static final int CONTEXT_0 = 0x80;
    private static final int CONTEXT_0_CONSTRUCTED = 0xa0;

    /**
     * One recipient. {@code issuer} is the DER of the issuer Name as in the recipient's certificate; it and
     * {@code serial} are null for a recipient named otherwise (a subject key identifier, key agreement, ...).
     */
    record KeyTransport(byte[] issuer, BigInteger serial, String keyAlgorithm, byte[] encryptedKey) {
        boolean byIssuerAndSerial() {
            return issuer != null;
        }
    }

    /** The content encryption: algorithm OID, GCM nonce and tag length, ciphertext with the tag appended. */
    record Content(String algorithm, byte[] nonce, int tagBytes, byte[] ciphertext) {
    }

    /** Parses {@code der}; throws {@link Ber.Malformed} for anything that is not EnvelopedData. */
    static CmsEnvelope parse(byte[] der) {
        Ber.Node contentInfo = Ber.parse(der).expect(Ber.SEQUENCE);
        if (!ENVELOPED_DATA.equals(contentInfo.child(0).oid())) {
            throw new Ber.Malformed();
        }
        Ber.Node envelope = contentInfo.child(1).expect(CONTEXT_0_CONSTRUCTED).child(0).expect(Ber.SEQUENCE);
        int next = 1;
        if (envelope.child(next).tag() == CONTEXT_0_CONSTRUCTED) {
            next++;
        }
        Ber.Node recipientInfos = envelope.child(next++).expect(Ber.SET);
        List<KeyTransport> recipients = new ArrayList<>();
        for (Ber.Node info : recipientInfos.children()) {
            recipients.add(keyTransport(info));
        }
        if (recipients.isEmpty()) {
            throw new Ber.Malformed();
        }
        return new CmsEnvelope(recipients, content(envelope.child(next).expect(Ber.SEQUENCE)));
    }

    private static KeyTransport keyTransport(Ber.Node info) {
        if (info.tag() != Ber.SEQUENCE) {
            return new KeyTransport(null, null, null, null);
        }
        Ber.Node id = info.child(1);
        String algorithm = info.child(2).expect(Ber.SEQUENCE).child(0).oid();
        byte[] encryptedKey = info.child(3).octets();
        if (id.tag() != Ber.SEQUENCE) {
            return new KeyTransport(null, null, algorithm, encryptedKey);
        }
        byte[] issuer = id.child(0).expect(Ber.SEQUENCE).encoded();
        return new KeyTransport(issuer, id.child(1).integer(), algorithm, encryptedKey);
    }

    private static Content content(Ber.Node info) {
        Ber.Node algorithmId = info.child(1).expect(Ber.SEQUENCE);
        String algorithm = algorithmId.child(0).oid();
        Ber.Node encrypted = info.child(2);
        if (encrypted.tag() != CONTEXT_0 && encrypted.tag() != CONTEXT_0_CONSTRUCTED) {
            throw new Ber.Malformed();
        }
        byte[] ciphertext = encrypted.octets();
        if (!GCM_KEY_BYTES.containsKey(algorithm)) {
            return new Content(algorithm, null, 0, ciphertext);
        }
        Ber.Node parameters = algorithmId.child(1);
        Ber.Node gcm = parameters.tag() == GO_PRIMITIVE_SEQUENCE ? Ber.parse(parameters.content()) : parameters;
        gcm.expect(Ber.SEQUENCE);
        Ber.Node nonce = gcm.child(0);
        if (nonce.tag() != Ber.OCTET_STRING && nonce.tag() != GO_NONCE) {
            throw new Ber.Malformed();
        }
        // RFC 5084: the ICV length defaults to 12 when left out.
        int tagBytes = gcm.count() > 1 ? gcm.child(1).integer().intValue() : 12;
        return new Content(algorithm, nonce.content(), tagBytes, ciphertext);
    }

    /** DER as ocicrypt's Go code writes it, so that every ocicrypt version reads it back. */
    byte[] encode() {
        List<byte[]> infos = new ArrayList<>();
        for (KeyTransport r : recipients) {
            infos.add(Ber.der(Ber.SEQUENCE,
                    Ber.integer(BigInteger.ZERO),
                    Ber.der(Ber.SEQUENCE, r.issuer(), Ber.integer(r.serial())),
                    Ber.der(Ber.SEQUENCE, Ber.oid(r.keyAlgorithm())),
                    Ber.der(Ber.OCTET_STRING, r.encryptedKey())));
        }
        byte[] gcmParameters = Ber.der(GO_PRIMITIVE_SEQUENCE, Ber.der(Ber.SEQUENCE,
                Ber.der(GO_NONCE, content.nonce()), Ber.integer(BigInteger.valueOf(content.tagBytes()))));
        byte[] encryptedContentInfo = Ber.der(Ber.SEQUENCE,
                Ber.oid(DATA),
                Ber.der(Ber.SEQUENCE, Ber.oid(content.algorithm()), gcmParameters),
                Ber.der(CONTEXT_0, content.ciphertext()));
        byte[] envelope = Ber.der(Ber.SEQUENCE,
                Ber.integer(BigInteger.ZERO),
                Ber.der(Ber.SET, infos.toArray(byte[][]::new)),
                encryptedContentInfo);
        return Ber.der(Ber.SEQUENCE, Ber.oid(ENVELOPED_DATA), Ber.der(CONTEXT_0_CONSTRUCTED, envelope));
    }
}
