package dev.cloak.ocicrypt.keyprovider;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configured providers, each with its transport. Owns the gRPC channels, so it lives as long as the
 * process that uses it (the CLI command or {@code cloak serve}) and is closed with it.
 */
public final class KeyProviders implements AutoCloseable {
    private final Map<String, KeyProviderTransport> transports = new LinkedHashMap<>();

    public KeyProviders(KeyProviderConfig config) {
        config.providers().forEach((name, endpoint) -> transports.put(name,
                endpoint instanceof KeyProviderConfig.Endpoint.Command c
                        ? new CommandTransport(name, c, config.timeout())
                        : new GrpcTransport(name, (KeyProviderConfig.Endpoint.Grpc) endpoint, config.timeout())));
    }

    KeyProviders(Map<String, KeyProviderTransport> transports) {
        this.transports.putAll(transports);
    }

    public Set<String> names() {
        return transports.keySet();
    }

    /** Asks {@code provider} to wrap {@code optsData} (the private options) with its {@code parameters}. */
    public byte[] wrap(String provider, List<byte[]> parameters, byte[] optsData) {
        byte[] response = transport(provider).exchange(KeyProviderMessages.Operation.WRAP,
                KeyProviderMessages.wrapRequest(provider, parameters, optsData));
        return KeyProviderMessages.wrapResult(response, provider);
    }

    /** Asks {@code provider} to unwrap one annotation entry; returns the private options. */
    public byte[] unwrap(String provider, byte[] annotation) {
        byte[] response = transport(provider).exchange(KeyProviderMessages.Operation.UNWRAP,
                KeyProviderMessages.unwrapRequest(provider, annotation));
        try {
            return KeyProviderMessages.unwrapResult(response, provider);
        } finally {
            java.util.Arrays.fill(response, (byte) 0);
        }
    }

    private KeyProviderTransport transport(String provider) {
        KeyProviderTransport t = transports.get(provider);
        if (t == null) {
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + provider + "\" is not configured");
        }
        return t;
    }

    @Override
    public void close() {
        transports.values().forEach(KeyProviderTransport::close);
    }
}
