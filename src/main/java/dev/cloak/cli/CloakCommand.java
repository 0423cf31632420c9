package dev.cloak.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The top-level {@code cloak} command. Its subcommands are added by {@link #commandLine}, not by the
 * annotation: picocli builds the model of every subcommand it is given, by reflection, at every start.
 */
@Command(name = "cloak",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Encrypted container images for Kubernetes nodes: a CRI image service that decrypts for containerd,"
                + " and commands to encrypt, decrypt and inspect ocicrypt images.")
final class CloakCommand implements Runnable {
    /** The subcommands, in the order the usage lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        SUBCOMMANDS.put("encrypt", EncryptCommand::new);
        SUBCOMMANDS.put("decrypt", DecryptCommand::new);
        SUBCOMMANDS.put("inspect", InspectCommand::new);
        SUBCOMMANDS.put("serve", ServeCommand::new);
        SUBCOMMANDS.put("images", ImagesCommand::new);
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * The command line for {@code args}: when the first argument names a subcommand, only that one is
     * built (the daemon's start does not pay for the other commands' options); otherwise (no arguments,
     * --help, --version, a mistyped name that picocli suggests corrections for) all of them.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cmd = new CommandLine(new CloakCommand());
        Supplier<Object> only = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (only != null) {
            cmd.addSubcommand(args[0], only.get());
        } else {
            SUBCOMMANDS.forEach((name, command) -> cmd.addSubcommand(name, command.get()));
        }
        return cmd;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
