package dev.cloak.cli;

import dev.cloak.image.ImageInspector;
import dev.cloak.image.ImageSource;
import dev.cloak.image.LayerReport;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show an image's layers: digest, size, media type and who each encrypted layer is encrypted for.")
final class InspectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    RegistryOptions registry;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "oci:DIR[:TAG] or docker://REFERENCE")
    String image;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (KeyProviders providers = CliKeyProviders.open();
             ImageSource src = ImageLocation.parse(image, registry::client).openSource()) {
            ImageInspector.Report report = new ImageInspector(new LayerDecryptor(KeyWrappers.standard(providers)))
                    .inspect(src, common.platform());
            PrintWriter out = spec.commandLine().getOut();
            out.println("Image:    " + src.describe());
            out.println("Manifest: " + report.image().raw().digest() + " (" + report.image().raw().mediaType() + ")");
            out.println("Config:   " + report.image().config().digest());
            out.printf("%-5s  %-19s  %12s  %-55s  %s%n", "LAYER", "DIGEST", "SIZE", "MEDIA TYPE", "ENCRYPTED FOR");
            for (LayerReport row : report.layers()) {
                out.printf("%-5d  %-19s  %12d  %-55s  %s%n", row.index(), row.digest().shortForm(), row.size(),
                        row.mediaType(), row.encryption());
            }
        }
        return ExitCodes.OK;
    }
}
