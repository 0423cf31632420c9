package dev.cloak.cli;

import dev.cloak.oci.Platform;
import picocli.CommandLine.Option;

/** Options every image command shares. */
final class CommonOptions {
    @Option(names = {"-v", "--verbose"}, description = "Log details (never key material) and show causes of errors.")
    boolean verbose;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pick from a multi-platform image (default: this machine's).")
    String platform;

    Platform platform() {
        return platform == null ? Platform.host() : Platform.parse(platform);
    }
}
