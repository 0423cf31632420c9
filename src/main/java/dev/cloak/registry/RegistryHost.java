package dev.cloak.registry;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One place to send registry requests to, as containerd's {@code hosts.toml} describes it: a base URL (its
 * scheme decides TLS), what it may be used for, how to do TLS with it, extra headers, and whether its path
 * replaces {@code /v2} ({@code override_path}).
 */
public record RegistryHost(URI base, Set<Capability> capabilities, TlsSettings tls,
                           Map<String, List<String>> headers, boolean overridePath) {

    public enum Capability { PULL, RESOLVE, PUSH }

    public RegistryHost {
        capabilities = Set.copyOf(capabilities);
        headers = Map.copyOf(headers);
    }

    public static RegistryHost https(String hostAndPort) {
        return new RegistryHost(URI.create("https://" + hostAndPort), Set.of(Capability.values()),
                TlsSettings.SYSTEM, Map.of(), false);
    }

    public boolean can(Capability c) {
        return capabilities.contains(c);
    }

    /** The URL of {@code path} below the API root ({@code /v2} unless overridden). */
    public URI resolve(String path) {
        String basePath = base.getPath() == null ? "" : base.getPath();
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        String root = overridePath || basePath.endsWith("/v2") ? basePath : basePath + "/v2";
        return base.resolve(root + "/" + path);
    }

    /** TLS settings of a host: extra CA files, client certificate pairs, or no verification at all. */
    public record TlsSettings(List<java.nio.file.Path> caFiles, List<ClientCertificate> clientCertificates,
                              boolean skipVerify) {
        public static final TlsSettings SYSTEM = new TlsSettings(List.of(), List.of(), false);

        public TlsSettings {
            caFiles = List.copyOf(caFiles);
            clientCertificates = List.copyOf(clientCertificates);
        }
    }

    public record ClientCertificate(java.nio.file.Path certificate, java.nio.file.Path key) {
    }

    @Override
    public String toString() {
        return base.toString();
    }
}
