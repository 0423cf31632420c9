package dev.cloak.ocicrypt.keywrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWECryptoParts;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.cloak.error.CloakException;
import dev.cloak.error.Printable;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PrivateKeyEntry;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JWE key wrapping as containers/ocicrypt does it (go-jose): the payload is the private cipher options;
 * one JWE holds all recipients, in flattened JSON serialization for one recipient and general JSON
 * serialization for several, content encrypted with A256GCM. Decryption accepts RSA-OAEP, RSA-OAEP-256 and
 * ECDH-ES(+A128KW/A192KW/A256KW) with any AES-GCM or AES-CBC-HMAC content encryption.
 */
public final class JweKeyWrapper implements KeyWrapper {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final EncryptionMethod CONTENT_ENCRYPTION = EncryptionMethod.A256GCM;
    /** What containers/ocicrypt accepts; nimbus would also take RSA1_5, whose padding invites oracle attacks. */
    private static final java.util.Set<JWEAlgorithm> ALGORITHMS = java.util.Set.of(JWEAlgorithm.RSA_OAEP,
            JWEAlgorithm.RSA_OAEP_256, JWEAlgorithm.ECDH_ES, JWEAlgorithm.ECDH_ES_A128KW, JWEAlgorithm.ECDH_ES_A192KW,
            JWEAlgorithm.ECDH_ES_A256KW);
    private static final java.util.Set<EncryptionMethod> CONTENT_METHODS = java.util.Set.of(EncryptionMethod.A128GCM,
            EncryptionMethod.A192GCM, EncryptionMethod.A256GCM, EncryptionMethod.A128CBC_HS256,
            EncryptionMethod.A192CBC_HS384, EncryptionMethod.A256CBC_HS512);

    @Override
    public String scheme() {
        return "jwe";
    }

    @Override
    public byte[] wrap(List<Recipient> recipients, byte[] privateOptions) {
        try {
            return recipients.size() == 1
                    ? flattened((Recipient.Jwe) recipients.get(0), privateOptions)
                    : general(recipients, privateOptions);
        } catch (JOSEException e) {
            throw CloakException.invalid("cannot encrypt the layer key for JWE recipient "
                    + recipients.get(0).source() + ": " + e.getMessage());
        }
    }

    private static byte[] flattened(Recipient.Jwe recipient, byte[] payload) throws JOSEException {
        JWEObject jwe = new JWEObject(new JWEHeader(recipient.algorithm(), CONTENT_ENCRYPTION), new Payload(payload));
        jwe.encrypt(encrypter(recipient, null));
        ObjectNode out = MAPPER.createObjectNode();
        out.put("protected", jwe.getHeader().toBase64URL().toString());
        out.put("encrypted_key", jwe.getEncryptedKey().toString());
        out.put("iv", jwe.getIV().toString());
        out.put("ciphertext", jwe.getCipherText().toString());
        out.put("tag", jwe.getAuthTag().toString());
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] general(List<Recipient> recipients, byte[] payload) throws JOSEException {
        byte[] cekBytes = new byte[CONTENT_ENCRYPTION.cekBitLength() / 8];
        RANDOM.nextBytes(cekBytes);
        SecretKey cek = new SecretKeySpec(cekBytes, "AES");
        String protectedB64 = Base64URL.encode("{\"enc\":\"" + CONTENT_ENCRYPTION.getName() + "\"}").toString();
        byte[] aad = protectedB64.getBytes(StandardCharsets.US_ASCII);
        ObjectNode out = MAPPER.createObjectNode();
        out.put("protected", protectedB64);
        var array = out.putArray("recipients");
        JWECryptoParts content = null;
        for (Recipient r : recipients) {
            Recipient.Jwe jwe = (Recipient.Jwe) r;
            JWECryptoParts parts = encrypter(jwe, cek).encrypt(new JWEHeader(jwe.algorithm(), CONTENT_ENCRYPTION), payload, aad);
            // Every recipient's parts carry the same content encrypted under the shared key; keep the first.
            content = content == null ? parts : content;
            ObjectNode header = MAPPER.valueToTree(parts.getHeader().toJSONObject());
            header.remove("enc");
            ObjectNode entry = array.addObject();
            entry.set("header", header);
            entry.put("encrypted_key", parts.getEncryptedKey().toString());
        }
        out.put("iv", content.getInitializationVector().toString());
        out.put("ciphertext", content.getCipherText().toString());
        out.put("tag", content.getAuthenticationTag().toString());
        java.util.Arrays.fill(cekBytes, (byte) 0);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static JWEEncrypter encrypter(Recipient.Jwe recipient, SecretKey cek) throws JOSEException {
        if (recipient.key() instanceof RSAPublicKey rsa) {
            return cek == null ? new RSAEncrypter(rsa) : new RSAEncrypter(rsa, cek);
        }
        if (recipient.key() instanceof ECPublicKey ec) {
            return cek == null ? new ECDHEncrypter(ec) : new ECDHEncrypter(ec, cek);
        }
        throw CloakException.invalid("JWE recipient " + recipient.source() + " is neither an RSA nor an EC public key");
    }

    @Override
    public byte[] unwrap(byte[] entry, Keyring keyring, String layer) {
        Parsed jwe = Parsed.of(entry, layer);
        for (Parsed.Target target : jwe.targets) {
            if (!ALGORITHMS.contains(target.header.getAlgorithm())
                    || !CONTENT_METHODS.contains(target.header.getEncryptionMethod())) {
                continue;
            }
            for (PrivateKeyEntry key : candidates(keyring, target.header)) {
                byte[] payload = tryDecrypt(key, target, jwe);
                if (payload != null) {
                    return payload;
                }
            }
        }
        return null;
    }

    private static byte[] tryDecrypt(PrivateKeyEntry key, Parsed.Target target, Parsed jwe) {
        try {
            JWEDecrypter decrypter = key.key() instanceof RSAPrivateKey
                    ? new RSADecrypter(key.key())
                    : new ECDHDecrypter((ECPrivateKey) key.key());
            return decrypter.decrypt(target.header, target.encryptedKey, jwe.iv, jwe.ciphertext, jwe.tag, jwe.aad);
        } catch (JOSEException | RuntimeException wrongKey) {
            return null;
        }
    }

    /** Keys that can serve the recipient's algorithm, those whose kid matches the recipient's first. */
    private static List<PrivateKeyEntry> candidates(Keyring keyring, JWEHeader header) {
        String family = header.getAlgorithm().getName().startsWith("RSA") ? "RSA" : "EC";
        String kid = header.getKeyID();
        return keyring.privateKeys().stream()
                .filter(k -> family.equals("RSA") ? k.key() instanceof RSAPrivateKey : k.key() instanceof ECPrivateKey)
                .sorted(Comparator.comparing(k -> kid == null || !kid.equals(k.keyId())))
                .toList();
    }

    @Override
    public List<String> describeRecipients(byte[] entry, String layer) {
        List<String> out = new ArrayList<>();
        for (Parsed.Target t : Parsed.of(entry, layer).targets) {
            StringBuilder s = new StringBuilder(Printable.of(t.header.getAlgorithm().getName()));
            var epk = t.header.getEphemeralPublicKey();
            if (epk != null) {
                s.append(' ').append(epk.getKeyType().getValue());
                if (epk instanceof com.nimbusds.jose.jwk.ECKey ec) {
                    s.append(' ').append(ec.getCurve());
                } else if (epk instanceof com.nimbusds.jose.jwk.OctetKeyPair okp) {
                    s.append(' ').append(okp.getCurve());
                }
            } else if (t.header.getAlgorithm().getName().startsWith("RSA")) {
                s.append(" RSA");
            }
            if (t.header.getKeyID() != null) {
                s.append(" kid=").append(Printable.of(t.header.getKeyID()));
            }
            out.add(s.toString());
        }
        return out;
    }

    /** A JWE in flattened or general JSON serialization, split into its parts. */
    private static final class Parsed {
        record Target(JWEHeader header, Base64URL encryptedKey) {
        }

        final List<Target> targets = new ArrayList<>();
        Base64URL iv;
        Base64URL ciphertext;
        Base64URL tag;
        byte[] aad;

        static Parsed of(byte[] entry, String layer) {
            try {
                return parse(MAPPER.readTree(entry));
            } catch (IOException | ParseException | RuntimeException e) {
                throw CloakException.invalid("layer " + layer + " has a JWE wrapped key that is not valid JWE JSON");
            }
        }

        private static Parsed parse(JsonNode root) throws ParseException {
            if (!root.isObject() || !root.hasNonNull("ciphertext")) {
                throw new ParseException("not a JWE JSON object", 0);
            }
            Parsed p = new Parsed();
            String protectedB64 = root.path("protected").asText("");
            Map<String, Object> shared = new LinkedHashMap<>();
            if (!protectedB64.isEmpty()) {
                shared.putAll(JSONObjectUtils.parse(new Base64URL(protectedB64).decodeToString()));
            }
            if (root.has("unprotected")) {
                shared.putAll(JSONObjectUtils.parse(root.get("unprotected").toString()));
            }
            List<JsonNode> recipients = new ArrayList<>();
            if (root.has("recipients")) {
                root.get("recipients").forEach(recipients::add);
            } else {
                recipients.add(root);
            }
            for (JsonNode r : recipients) {
                Map<String, Object> merged = new LinkedHashMap<>(shared);
                if (r.has("header")) {
                    merged.putAll(JSONObjectUtils.parse(r.get("header").toString()));
                }
                String key = r.path("encrypted_key").asText("");
                JWEHeader header = JWEHeader.parse(merged);
                if (header.getAlgorithm() == null || header.getEncryptionMethod() == null) {
                    throw new ParseException("a recipient has no alg or enc", 0);
                }
                p.targets.add(new Target(header, key.isEmpty() ? null : new Base64URL(key)));
            }
            p.iv = new Base64URL(root.path("iv").asText(""));
            p.ciphertext = new Base64URL(root.get("ciphertext").asText());
            p.tag = new Base64URL(root.path("tag").asText(""));
            // RFC 7516 5.1 step 14: the AAD is the encoded protected header, then "." and the encoded aad if any.
            String aad = protectedB64 + (root.hasNonNull("aad") ? "." + root.get("aad").asText() : "");
            p.aad = aad.getBytes(StandardCharsets.US_ASCII);
            return p;
        }
    }

    /** The JWE algorithm skopeo picks for a bare public key: RSA-OAEP for RSA, ECDH-ES+A256KW for EC. */
    public static JWEAlgorithm defaultAlgorithm(java.security.PublicKey key) {
        return key instanceof RSAPublicKey ? JWEAlgorithm.RSA_OAEP : JWEAlgorithm.ECDH_ES_A256KW;
    }
}
