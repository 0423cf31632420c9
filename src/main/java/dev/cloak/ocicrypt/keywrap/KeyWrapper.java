package dev.cloak.ocicrypt.keywrap;

import dev.cloak.keys.Keyring;

import java.util.List;

/**
 * One key-wrap scheme. Each encryption produces one annotation entry per scheme, wrapping the layer's
 * private cipher options for all of that scheme's recipients at once.
 */
public interface KeyWrapper {
    /** The annotation suffix after {@code org.opencontainers.image.enc.keys.}. */
    String scheme();

    /** Wraps {@code privateOptions} for {@code recipients} (all of this scheme) into one entry. */
    byte[] wrap(List<Recipient> recipients, byte[] privateOptions);

    /**
     * Tries every key of {@code keyring} on {@code entry}. Returns the private options, or null when no key
     * fits. A malformed entry is a {@link dev.cloak.error.CloakException} naming {@code layer}.
     */
    byte[] unwrap(byte[] entry, Keyring keyring, String layer);

    /** Who {@code entry} is wrapped for, one short description per recipient, for error messages and inspect. */
    List<String> describeRecipients(byte[] entry, String layer);
}
