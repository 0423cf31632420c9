package dev.cloak.ocicrypt.keywrap;

import dev.cloak.error.CloakException;
import dev.cloak.keys.Keyring;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;

import java.util.ArrayList;
import java.util.List;

/**
 * The ocicrypt key provider protocol for one configured provider: the annotation entry is the provider's
 * opaque answer, and only the provider can turn it back into the layer key. The node's keyring plays no
 * part, and none of its keys is ever sent to the provider.
 */
public final class KeyProviderKeyWrapper implements KeyWrapper {
    public static final String SCHEME_PREFIX = "provider.";

    private final String provider;
    private final KeyProviders providers;

    public KeyProviderKeyWrapper(String provider, KeyProviders providers) {
        this.provider = provider;
        this.providers = providers;
    }

    @Override
    public String scheme() {
        return SCHEME_PREFIX + provider;
    }

    @Override
    public byte[] wrap(List<Recipient> recipients, byte[] privateOptions) {
        List<byte[]> parameters = new ArrayList<>();
        for (Recipient r : recipients) {
            parameters.add(((Recipient.Provider) r).parameters());
        }
        return providers.wrap(provider, parameters, privateOptions);
    }

    @Override
    public byte[] unwrap(byte[] entry, Keyring keyring, String layer) {
        try {
            return providers.unwrap(provider, entry);
        } catch (CloakException e) {
            throw new CloakException(e.kind(), "layer " + layer + ": " + e.getMessage());
        }
    }

    @Override
    public List<String> describeRecipients(byte[] entry, String layer) {
        return List.of("key provider " + provider);
    }
}
