package dev.cloak.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * A key provider for tests, speaking the ocicrypt protocol: it wraps the options with AES-256-GCM under a
 * fixed key and puts the result in its own small JSON annotation, as real KMS-backed providers do. Used in
 * process by the gRPC test server, and as a program ({@link #main}) by the command tests:
 * {@code java -cp CLASSPATH dev.cloak.testing.TestKeyProvider MODE [RECORD-FILE]} with MODE one of
 * {@code aes} (answer), {@code hang} (never answer), {@code garbage} (answer nonsense), {@code fail} (exit 7).
 */
public final class TestKeyProvider {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private TestKeyProvider() {
    }

    public static void main(String[] args) throws Exception {
        byte[] request = System.in.readAllBytes();
        if (args.length > 1) {
            Files.write(Path.of(args[1]), request, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Files.write(Path.of(args[1]), new byte[] {'\n'}, java.nio.file.StandardOpenOption.APPEND);
        }
        switch (args[0]) {
            case "hang" -> Thread.sleep(Long.MAX_VALUE);
            case "garbage" -> System.out.print("this is not JSON {");
            case "fail" -> System.exit(7);
            default -> System.out.write(answer(request));
        }
        System.out.flush();
    }

    /** The response to one protocol request. */
    public static byte[] answer(byte[] request) throws IOException, GeneralSecurityException {
        JsonNode in = JSON.readTree(request);
        ObjectNode out = JSON.createObjectNode();
        if (in.path("op").asText().equals("keywrap")) {
            byte[] opts = Base64.getDecoder().decode(in.path("keywrapparams").path("optsdata").asText());
            ObjectNode annotation = JSON.createObjectNode();
            annotation.put("wrap_type", "AES");
            annotation.put("wrapped_key", Base64.getEncoder().encodeToString(seal(opts)));
            out.putObject("keywrapresults").put("annotation", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(annotation)));
        } else {
            JsonNode annotation = JSON.readTree(Base64.getDecoder().decode(in.path("keyunwrapparams").path("annotation").asText()));
            byte[] opts = open(Base64.getDecoder().decode(annotation.path("wrapped_key").asText()));
            out.putObject("keyunwrapresults").put("optsdata", Base64.getEncoder().encodeToString(opts));
        }
        return JSON.writeValueAsBytes(out);
    }

    private static byte[] seal(byte[] plain) throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        new SecureRandom().nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, nonce));
        byte[] sealed = c.doFinal(plain);
        byte[] out = new byte[nonce.length + sealed.length];
        System.arraycopy(nonce, 0, out, 0, nonce.length);
        System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
        return out;
    }

    private static byte[] open(byte[] sealed) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
        return c.doFinal(sealed, 12, sealed.length - 12);
    }

    /** The "cmd" block of a provider configuration that runs this class in {@code mode}. */
    public static ObjectNode command(String mode, Path record) {
        ObjectNode cmd = JSON.createObjectNode();
        cmd.put("path", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        var args = cmd.putArray("args");
        List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                TestKeyProvider.class.getName(), mode).forEach(args::add);
        if (record != null) {
            args.add(record.toString());
        }
        return cmd;
    }

    /** Writes a key provider configuration file naming each of {@code providers} (name, "cmd" or "grpc" block). */
    public static Path writeConfig(Path file, java.util.Map<String, ObjectNode> providers) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode all = root.putObject("key-providers");
        providers.forEach(all::set);
        Files.write(file, JSON.writeValueAsBytes(root));
        return file;
    }

    /** A provider entry: {"cmd": ...} for {@code mode}. */
    public static ObjectNode commandProvider(String mode, Path record) {
        ObjectNode p = JSON.createObjectNode();
        p.set("cmd", command(mode, record));
        return p;
    }

    /** A provider entry: {"grpc": "host:port"}. */
    public static ObjectNode grpcProvider(String target) {
        ObjectNode p = JSON.createObjectNode();
        p.put("grpc", target);
        return p;
    }
}
