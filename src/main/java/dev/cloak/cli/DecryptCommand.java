package dev.cloak.cli;

import dev.cloak.error.CloakException;
import dev.cloak.image.DecryptLayers;
import dev.cloak.image.ImageCopier;
import dev.cloak.image.ImageDestination;
import dev.cloak.image.ImageSource;
import dev.cloak.image.ManifestBlob;
import dev.cloak.keys.KeyDirectory;
import dev.cloak.keys.KeyFiles;
import dev.cloak.keys.Keyring;
import dev.cloak.ocicrypt.CipherWarmup;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "decrypt", mixinStandardHelpOptions = true,
        description = "Copy an image, decrypting its encrypted layers with the given private keys.")
final class DecryptCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    RegistryOptions registry;

    @Option(names = "--key", paramLabel = "FILE[:PASSWORD]",
            description = "Private key file (PEM, DER or JWK; an x509 certificate beside it for PKCS7; an OpenPGP"
                    + " secret keyring; encrypted keys take :PASSWORD or FILE.password). Repeatable.")
    List<String> keys = new ArrayList<>();

    @Option(names = "--keys-dir", paramLabel = "DIR",
            description = "Directory of private keys, read like the node's /etc/crio/keys.")
    Path keysDir;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "oci:DIR[:TAG] or docker://REFERENCE")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "oci:DIR[:TAG] or docker://REFERENCE")
    String destination;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (keys.isEmpty() && keysDir == null && System.getenv(KeyProviderConfig.ENV) == null) {
            throw CloakException.invalid("no keys given: pass --key FILE or --keys-dir DIR, or set "
                    + KeyProviderConfig.ENV + " to use key providers");
        }
        CipherWarmup.start(); // overlaps reading keys and manifests
        Keyring keyring = KeyFiles.load(keys);
        if (keysDir != null) {
            keyring = keys.isEmpty() ? new KeyDirectory(keysDir).keyring() : keyring.plus(new KeyDirectory(keysDir).keyring());
        }
        try (KeyProviders providers = CliKeyProviders.open();
             DecryptLayers transform = new DecryptLayers(new LayerDecryptor(KeyWrappers.standard(providers)), keyring);
             ImageSource src = ImageLocation.parse(source, registry::client).openSource();
             ImageDestination dst = ImageLocation.parse(destination, registry::client).openDestination()) {
            ManifestBlob written = ImageCopier.copy(src, dst, common.platform(), transform);
            spec.commandLine().getOut().println("Decrypted " + src.describe() + " to " + dst.describe()
                    + " (manifest " + written.digest() + ")");
        }
        return ExitCodes.OK;
    }
}
