package dev.cloak.keys;

import dev.cloak.error.CloakException;
import dev.cloak.stream.Limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Key files named one by one ({@code --key FILE[:PASSWORD]}). Unlike a key directory, a file the operator
 * named explicitly must be usable: an unusable one is an error, not a warning.
 */
public final class KeyFiles {
    private KeyFiles() {
    }

    public static Keyring load(List<String> specs) {
        List<KeyFile.Keys> usable = new ArrayList<>();
        for (String spec : specs) {
            KeyFile parsed = loadOne(spec);
            if (parsed instanceof KeyFile.Keys k) {
                usable.add(k);
            }
        }
        return Keyring.of(specs.size() == 1 ? "--key " + fileOf(specs.get(0)) : "the --key files", usable);
    }

    private static KeyFile loadOne(String spec) {
        Path file = fileOf(spec);
        char[] password = passwordOf(spec, file);
        try {
            if (Files.isDirectory(file)) {
                throw CloakException.invalid("key file " + file + " is a directory; use --keys-dir for a directory of keys");
            }
            if (!Files.isRegularFile(file)) {
                throw CloakException.notFound("key file " + file + " does not exist");
            }
            if (Files.size(file) > Limits.MAX_KEY_FILE_BYTES) {
                throw CloakException.invalid("key file " + file + " is too large to be a key");
            }
            Path passwordFile = file.resolveSibling(file.getFileName() + ".password");
            if (password == null && Files.isRegularFile(passwordFile)) {
                password = KeyDirectory.readPassword(passwordFile);
            }
            KeyFile parsed = KeyFileParser.parse(file, Files.readAllBytes(file), password);
            if (parsed instanceof KeyFile.Unusable u) {
                throw CloakException.invalid("key file " + file + " cannot be used: " + u.reason());
            }
            if (parsed instanceof KeyFile.PublicOnly) {
                throw CloakException.invalid("key file " + file + " holds only a public key; decryption needs the private key");
            }
            return parsed;
        } catch (IOException e) {
            throw CloakException.invalid("key file " + file + " cannot be read: " + e.getClass().getSimpleName());
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    /**
     * {@code FILE} or {@code FILE:PASSWORD}. The split is at the first colon whose prefix is an existing file,
     * so file names and passwords may both contain colons.
     */
    static Path fileOf(String spec) {
        int split = splitAt(spec);
        return Path.of(split < 0 ? spec : spec.substring(0, split));
    }

    private static char[] passwordOf(String spec, Path file) {
        int split = splitAt(spec);
        return split < 0 ? null : spec.substring(split + 1).toCharArray();
    }

    /** Index of the colon between file and password, or -1 when the whole spec is the file. */
    private static int splitAt(String spec) {
        if (Files.exists(Path.of(spec))) {
            return -1;
        }
        for (int i = spec.indexOf(':'); i >= 0; i = spec.indexOf(':', i + 1)) {
            if (Files.exists(Path.of(spec.substring(0, i)))) {
                return i;
            }
        }
        return spec.indexOf(':');
    }
}
