package dev.cloak.cli;

import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;

/** The CLI finds key providers where skopeo and the other ocicrypt tools do: {@code $OCICRYPT_KEYPROVIDER_CONFIG}. */
final class CliKeyProviders {
    private CliKeyProviders() {
    }

    static KeyProviders open() {
        return new KeyProviders(KeyProviderConfig.fromEnvironment(System.getenv()));
    }
}
