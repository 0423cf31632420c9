package dev.cloak.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A SoftHSM2 token in a directory of its own (its own SOFTHSM2_CONF), with RSA keys generated inside the token
 * by pkcs11-tool. Only public keys ever leave it. SunPKCS11 lists a private key only with a certificate of the
 * same CKA_ID, so each key gets one, made by openssl for the token's public key (any issuer will do).
 */
public final class SoftHsm {
    public static final String MODULE = "/usr/lib/softhsm/libsofthsm2.so";
    public final Path dir;
    public final Path conf;
    public final String token;
    public final String pin;

    public SoftHsm(Path dir, String token, String pin) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.token = token;
        this.pin = pin;
        Files.createDirectories(dir.resolve("tokens"));
        conf = Files.writeString(dir.resolve("softhsm2.conf"),
                "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        run("softhsm2-util", "--init-token", "--free", "--label", token, "--pin", pin, "--so-pin", "5678");
    }

    /** The environment a process needs to see this token. */
    public Map<String, String> env() {
        return Map.of("SOFTHSM2_CONF", conf.toString());
    }

    /** Generates an RSA key pair in the token; returns its public key as a PEM file. */
    public Path generateRsa(String label, String id, int bits) throws IOException {
        run("pkcs11-tool", "--module", MODULE, "--token-label", token, "--login", "--pin", pin, "--keypairgen",
                "--key-type", "rsa:" + bits, "--label", label, "--id", id, "--usage-decrypt");
        Path der = dir.resolve(label + ".pub.der");
        run("pkcs11-tool", "--module", MODULE, "--token-label", token, "--read-object", "--type", "pubkey", "--id", id,
                "-o", der.toString());
        Path pem = dir.resolve(label + ".pub.pem");
        run("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der.toString(), "-out", pem.toString());
        Path issuer = dir.resolve(label + ".issuer.pem");
        Path cert = dir.resolve(label + ".cert.der");
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", issuer.toString());
        run("openssl", "x509", "-new", "-subj", "/CN=" + label, "-key", issuer.toString(), "-force_pubkey", pem.toString(),
                "-days", "30", "-outform", "DER", "-out", cert.toString());
        run("pkcs11-tool", "--module", MODULE, "--token-label", token, "--login", "--pin", pin, "--write-object",
                cert.toString(), "--type", "cert", "--id", id, "--label", label);
        return pem;
    }

    /** ocicrypt's YAML key file for the key labelled {@code label}; {@code query} adds URI query attributes. */
    public Path keyFile(Path file, String label, String query, Map<String, String> env) throws IOException {
        StringBuilder yaml = new StringBuilder("pkcs11:\n  uri: \"pkcs11:token=" + token + ";object=" + label
                + "?module-name=softhsm2" + (query.isEmpty() ? "" : "&" + query) + "\"\n");
        if (!env.isEmpty()) {
            yaml.append("module:\n  env:\n");
            env.forEach((k, v) -> yaml.append("    ").append(k).append(": \"").append(v).append("\"\n"));
        }
        return Files.writeString(file, yaml.toString());
    }

    private void run(String... command) {
        Cmd.run(dir, env(), List.of(command)).ok();
    }
}
