package dev.cloak.keys;

import dev.cloak.stream.Limits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node's key directory (default {@code /etc/crio/keys}). Every call to {@link #keyring()} looks at the
 * directory again and re-reads only files that changed, so keys can be rotated without a restart.
 *
 * <p>Unlike the runtimes' own readers, one unusable file never breaks decryption: it is skipped with one
 * warning naming it (once per version of the file). Symlinks are followed and files are counted once by
 * their real path, which makes Kubernetes Secret volumes (whose entries link through {@code ..data}) work.
 * Names starting with a dot are skipped (that is where Secret volumes keep their versioned copies), and
 * {@code NAME.password} files hold the password of the encrypted key {@code NAME}.
 */
public final class KeyDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(KeyDirectory.class);
    private static final String PASSWORD_SUFFIX = ".password";
    private static final int MAX_DEPTH = 4;

    private final Path directory;
    private final Runnable onSkippedFile;
    private final Map<Path, Cached> cache = new HashMap<>();
    private final Set<Path> brokenWarned = new java.util.HashSet<>();

    public KeyDirectory(Path directory) {
        this(directory, () -> { });
    }

    /** {@code onSkippedFile} runs once per warning about an unusable file (for a metric). */
    public KeyDirectory(Path directory, Runnable onSkippedFile) {
        this.directory = directory;
        this.onSkippedFile = onSkippedFile;
    }

    public Path directory() {
        return directory;
    }

    /** The keys in the directory now. A missing directory is an empty keyring, with a warning. */
    public synchronized Keyring keyring() {
        if (!Files.isDirectory(directory)) {
            LOG.warn("key directory {} does not exist or is not a directory; no keys loaded", directory);
            cache.clear();
            return Keyring.empty(directory.toString());
        }
        List<KeyFile.Keys> usable = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path file : candidates()) {
            Path real;
            try {
                real = file.toRealPath();
            } catch (IOException e) {
                if (brokenWarned.add(file)) {
                    LOG.warn("skipping key file {}: it is a broken link or cannot be read", file);
                    onSkippedFile.run();
                }
                continue;
            }
            brokenWarned.remove(file);
            if (!seen.add(real)) {
                continue;
            }
            KeyFile parsed = load(file, real);
            if (parsed instanceof KeyFile.Keys k) {
                usable.add(k);
            }
        }
        cache.keySet().retainAll(seen);
        return Keyring.of(directory.toString(), usable);
    }

    /**
     * Regular files (after following links) below the directory, skipping hidden names and password files.
     * A walk error on one entry (a link loop, a Secret version directory removed mid-walk) skips that entry
     * only. Broken links are returned too, so that {@link #keyring()} can warn about them.
     */
    private List<Path> candidates() {
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(directory, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), MAX_DEPTH,
                    new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                            return dir.equals(directory) || !hidden(dir)
                                    ? java.nio.file.FileVisitResult.CONTINUE
                                    : java.nio.file.FileVisitResult.SKIP_SUBTREE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (!hidden(file) && !file.getFileName().toString().endsWith(PASSWORD_SUFFIX)
                                    && (attrs.isRegularFile() || attrs.isSymbolicLink())) {
                                found.add(file);
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) {
                            if (!hidden(file)) {
                                LOG.warn("skipping key file {}: it cannot be read ({})", file, e.getClass().getSimpleName());
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            LOG.warn("cannot list key directory {}: {}", directory, e.getClass().getSimpleName());
        }
        found.sort(null);
        return found;
    }

    private boolean hidden(Path path) {
        return hiddenPart(directory.relativize(path));
    }

    private static boolean hiddenPart(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private KeyFile load(Path file, Path real) {
        Path passwordFile = file.resolveSibling(file.getFileName() + PASSWORD_SUFFIX);
        try {
            Stamp stamp = new Stamp(Files.readAttributes(real, BasicFileAttributes.class), passwordStamp(passwordFile));
            Cached cached = cache.get(real);
            if (cached != null && cached.stamp.equals(stamp)) {
                return cached.parsed;
            }
            KeyFile parsed;
            if (stamp.size > Limits.MAX_KEY_FILE_BYTES) {
                parsed = new KeyFile.Unusable("it is larger than " + Limits.MAX_KEY_FILE_BYTES + " bytes");
            } else {
                char[] password = stamp.passwordModified == null ? null : readPassword(passwordFile);
                parsed = KeyFileParser.parse(file, Files.readAllBytes(real), password);
                if (password != null) {
                    java.util.Arrays.fill(password, '\0');
                }
            }
            if (parsed instanceof KeyFile.Unusable u) {
                LOG.warn("skipping key file {}: {}", file, u.reason());
                onSkippedFile.run();
            }
            cache.put(real, new Cached(stamp, parsed));
            return parsed;
        } catch (NoSuchFileException e) {
            return new KeyFile.Unusable("it disappeared while being read");
        } catch (IOException e) {
            LOG.warn("skipping key file {}: it cannot be read ({})", file, e.getClass().getSimpleName());
            return new KeyFile.Unusable("it cannot be read");
        }
    }

    private static FileTime passwordStamp(Path passwordFile) throws IOException {
        return Files.isRegularFile(passwordFile) ? Files.getLastModifiedTime(passwordFile) : null;
    }

    /** Reads a password file: its first line, without the line ending. */
    public static char[] readPassword(Path passwordFile) throws IOException {
        String content = Files.readString(passwordFile, StandardCharsets.UTF_8);
        int nl = content.indexOf('\n');
        String line = nl < 0 ? content : content.substring(0, nl);
        return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
    }

    private record Stamp(FileTime modified, long size, Object fileKey, FileTime passwordModified) {
        Stamp(BasicFileAttributes attrs, FileTime passwordModified) {
            this(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey(), passwordModified);
        }
    }

    private record Cached(Stamp stamp, KeyFile parsed) {
    }
}
