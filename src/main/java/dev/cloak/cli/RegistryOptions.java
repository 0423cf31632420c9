package dev.cloak.cli;

import dev.cloak.registry.HostsDirectory;
import dev.cloak.registry.RegistryClient;
import dev.cloak.registry.RegistryTransport;
import dev.cloak.registry.auth.CredentialSource;
import dev.cloak.registry.auth.Credentials;
import dev.cloak.registry.auth.DockerConfigCredentials;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** How to reach registries for {@code docker://} images: credentials, TLS and host configuration. */
final class RegistryOptions {
    @Option(names = "--creds", paramLabel = "USER:PASSWORD",
            description = "Credentials for the registries involved (prefer --authfile: command lines are visible).")
    String creds;

    @Option(names = "--authfile", paramLabel = "FILE",
            description = "A docker config.json with the credentials (default: $DOCKER_CONFIG/config.json, "
                    + "~/.docker/config.json, /var/lib/kubelet/config.json).")
    Path authfile;

    @Option(names = "--tls-verify", arity = "1", defaultValue = "true", paramLabel = "true|false",
            description = "Verify registry certificates (default true). false also allows plain HTTP registries.")
    boolean tlsVerify;

    @Option(names = "--registry-config-dir", paramLabel = "DIR",
            description = "containerd-style hosts directory: DIR/<host>/hosts.toml (default /etc/containerd/certs.d).")
    Path registryConfigDir;

    RegistryClient client() {
        CredentialSource credentials = authfile != null
                ? DockerConfigCredentials.file(authfile)
                : DockerConfigCredentials.standard();
        if (creds != null) {
            credentials = CredentialSource.fixed(Credentials.parseUserPassword(creds));
        }
        HostsDirectory hosts = new HostsDirectory(registryConfigDir != null ? registryConfigDir : HostsDirectory.DEFAULT,
                !tlsVerify);
        return new RegistryClient(new RegistryTransport(credentials, RegistryTransport.Settings.DEFAULT), hosts);
    }
}
