package dev.cloak.cli;

import dev.cloak.image.EncryptLayers;
import dev.cloak.image.ImageCopier;
import dev.cloak.image.ImageDestination;
import dev.cloak.image.ImageSource;
import dev.cloak.image.ManifestBlob;
import dev.cloak.keys.KeyFiles;
import dev.cloak.keys.KeyDirectory;
import dev.cloak.keys.Keyring;
import dev.cloak.ocicrypt.CipherWarmup;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerEncryptor;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import dev.cloak.ocicrypt.keywrap.Recipient;
import dev.cloak.ocicrypt.keywrap.Recipients;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "encrypt", mixinStandardHelpOptions = true,
        description = "Copy an image, encrypting its layers for the given recipients (like skopeo copy --encryption-key).")
final class EncryptCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    RegistryOptions registry;

    @Option(names = {"-r", "--recipient"}, required = true, paramLabel = "SCHEME:VALUE",
            description = "Who can decrypt: jwe:FILE (an RSA or EC public key: PEM, DER or JWK), pkcs7:FILE (an RSA"
                    + " x509 certificate), pgp:NAME-OR-EMAIL (from gpg's public keyring) or pgp:FILE (an OpenPGP"
                    + " public key), pkcs11:FILE (an RSA public key or a PKCS#11 key file, YAML),"
                    + " provider:NAME[:PARAMS] (a key provider of $OCICRYPT_KEYPROVIDER_CONFIG). Repeatable.")
    List<String> recipients = new ArrayList<>();

    @Option(names = "--layer", paramLabel = "N", split = ",",
            description = "Encrypt only these layers (0-based; negative counts from the end). Default: all.")
    List<Integer> layers = new ArrayList<>();

    @Option(names = "--key", paramLabel = "FILE[:PASSWORD]",
            description = "Private key that unwraps already encrypted layers, to add recipients to them.")
    List<String> keys = new ArrayList<>();

    @Option(names = "--keys-dir", paramLabel = "DIR", description = "Directory of such private keys.")
    Path keysDir;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci:DIR[:TAG] or docker://REFERENCE")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "oci:DIR[:TAG] or docker://REFERENCE")
    String destination;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Recipient> parsed = recipients.stream().map(Recipients::parse).toList();
        CipherWarmup.start(); // overlaps reading keys and manifests
        Keyring rewrap = KeyFiles.load(keys);
        if (keysDir != null) {
            rewrap = rewrap.plus(new KeyDirectory(keysDir).keyring());
        }
        try (KeyProviders providers = CliKeyProviders.open();
             ImageSource src = ImageLocation.parse(source, registry::client).openSource();
             ImageDestination dst = ImageLocation.parse(destination, registry::client).openDestination()) {
            KeyWrappers wrappers = KeyWrappers.standard(providers);
            EncryptLayers transform = new EncryptLayers(new LayerEncryptor(wrappers), new LayerDecryptor(wrappers),
                    parsed, layers, rewrap);
            ManifestBlob written = ImageCopier.copy(src, dst, common.platform(), transform);
            spec.commandLine().getOut().println("Encrypted " + src.describe() + " to " + dst.describe()
                    + " (manifest " + written.digest() + ")");
        }
        return ExitCodes.OK;
    }
}
