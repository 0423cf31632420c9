package dev.cloak.cli;

import picocli.CommandLine.Command;

/** The top-level {@code cloak} command. */
@Command(name = "cloak",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Encrypted container images for Kubernetes nodes: a CRI image service that decrypts for containerd,"
                + " and commands to encrypt, decrypt and inspect ocicrypt images.",
        subcommands = {EncryptCommand.class, DecryptCommand.class, InspectCommand.class, ServeCommand.class,
                ImagesCommand.class})
final class CloakCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
