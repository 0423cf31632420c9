package dev.cloak.ocicrypt.keyprovider;

/** Carries one protocol request to a provider and brings back its response, within the call timeout. */
interface KeyProviderTransport extends AutoCloseable {
    /**
     * Sends {@code request} (JSON) and returns the response (JSON bytes). Failures are
     * {@link dev.cloak.error.CloakException}s naming the provider; none contains the request or response.
     */
    byte[] exchange(KeyProviderMessages.Operation op, byte[] request);

    @Override
    default void close() {
    }
}
