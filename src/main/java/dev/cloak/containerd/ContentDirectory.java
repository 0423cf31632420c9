package dev.cloak.containerd;

import dev.cloak.oci.Digest;
import dev.cloak.proto.containerd.introspection.Plugin;
import dev.cloak.proto.containerd.introspection.PluginsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * containerd's content directory, when this process sees the very directory containerd writes (same node,
 * same mount). A decrypted layer is then written to a staging file inside it and, once verified, hard-linked
 * in as {@code blobs/sha256/HEX}: containerd's metadata store takes a blob that is already in its directory
 * with a single COMMIT (its shared-content path), so containerd neither receives nor hashes the layer again.
 * Streaming a layer over Content.Write instead costs containerd about 7 CPU seconds per GiB (gRPC framing and
 * its own SHA-256), which on a small node is the largest single cost of a pull.
 *
 * <p>Only verified plaintext is linked in. Unverified bytes stay in the staging file, which is removed when its
 * layer fails. Each daemon stages in a directory of its own, locked while it lives (during a DaemonSet update
 * two run on one node); a directory whose lock is free belonged to a daemon that died, and its files are
 * removed when the next daemon locates the content directory.
 */
public final class ContentDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(ContentDirectory.class);
    /** Inside containerd's content root, beside its own blobs/ and ingest/, which containerd alone walks. */
    static final String STAGING = "cloak-staging";
    /** The setting that asks containerd where its content directory is. */
    public static final String AUTO = "auto";
    /** The setting that always streams layers over Content.Write. */
    public static final String OFF = "off";

    /** Limit for the introspection call, made while the first decrypted layers wait. */
    private static final int PROBE_SECONDS = 10;
    /** Held by a live daemon in its own staging directory. */
    static final String LOCK = ".lock";

    private final Path root;
    private final Path staging;
    /** This daemon's staging directory and the channel that holds its lock; set by {@link #open}. */
    private Path mine;
    private FileChannel lock;

    ContentDirectory(Path root) {
        this.root = root;
        this.staging = root.resolve(STAGING);
    }

    /** Creates and locks this daemon's staging directory, and removes those of daemons that are gone. */
    synchronized void open() throws IOException {
        if (mine != null) {
            return;
        }
        Files.createDirectories(staging);
        Path dir = Files.createDirectory(staging.resolve(UUID.randomUUID().toString()),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        // Free since the directory is new; kept for the life of the process (the kernel drops it at exit).
        channel.lock();
        mine = dir;
        lock = channel;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(staging)) {
            for (Path other : dirs) {
                if (!other.equals(mine)) {
                    removeIfAbandoned(other);
                }
            }
        }
    }

    /**
     * Removes this daemon's staging directory again (when the directory turned out unusable), and the staging
     * root with it if no other daemon stages there: a probe that failed leaves nothing in containerd's directory.
     */
    private synchronized void release() {
        if (mine == null) {
            return;
        }
        try {
            lock.close();
        } catch (IOException ignored) {
            // Closing drops the lock; the files go below either way.
        }
        deleteQuietly(mine.resolve(LOCK));
        deleteQuietly(mine);
        try {
            Files.deleteIfExists(staging);
        } catch (IOException ignored) {
            // Not empty: another daemon stages there.
        }
        mine = null;
        lock = null;
    }

    /** Removes another daemon's staging directory if its lock is free: unverified plaintext nobody will finish. */
    private static void removeIfAbandoned(Path dir) {
        if (!Files.isDirectory(dir)) {
            deleteQuietly(dir);
            return;
        }
        try (FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                return; // a live daemon's
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    deleteQuietly(f);
                }
            }
            deleteQuietly(dir);
        } catch (OverlappingFileLockException e) {
            // Held in this very process (another store on the same directory): live.
        } catch (IOException e) {
            LOG.warn("could not remove the abandoned staging directory {}: {}", dir, e.getMessage());
        }
    }

    public Path root() {
        return root;
    }

    /**
     * The content directory {@code setting} names ({@link #AUTO}: the one containerd reports, {@link #OFF}: none,
     * otherwise a path), if containerd sees the files Cloak puts there; says in the log which way layers go.
     * Throws only when containerd cannot be asked at all or the caller is interrupted, so that the next pull
     * asks again; every other answer holds until Cloak restarts.
     */
    public static Optional<ContentDirectory> locate(Containerd containerd, String setting) throws InterruptedIOException {
        if (setting.equals(OFF)) {
            LOG.info("decrypted layers go to containerd over its Content.Write API (containerd_content_dir = off)");
            return Optional.empty();
        }
        Path root = setting.equals(AUTO) ? reported(containerd) : Path.of(setting);
        if (root == null) {
            LOG.info("decrypted layers go to containerd over its Content.Write API: containerd did not say where it keeps"
                    + " content (set containerd_content_dir to its content directory to hand layers over as files)");
            return Optional.empty();
        }
        ContentDirectory dir = new ContentDirectory(root);
        String problem = dir.probe(containerd);
        if (problem != null) {
            LOG.warn("decrypted layers go to containerd over its Content.Write API because {} (containerd_content_dir = {});"
                    + " handing them over as files there would save containerd CPU", problem, setting);
            return Optional.empty();
        }
        LOG.info("decrypted layers are handed to containerd as files in its content directory {}", root);
        return Optional.of(dir);
    }

    /** The content plugin's directory as containerd reports it, or null. */
    private static Path reported(Containerd containerd) {
        try {
            // Bounded: the first decrypted layers of every pull wait for this answer.
            for (Plugin p : containerd.introspection().withDeadlineAfter(PROBE_SECONDS, TimeUnit.SECONDS).plugins(PluginsRequest.newBuilder()
                    .addFilters("type==io.containerd.content.v1").build()).getPluginsList()) {
                String root = p.getExportsMap().get("root");
                if (p.getId().equals("content") && root != null && root.startsWith("/")) {
                    return Path.of(root);
                }
            }
            return null;
        } catch (StatusRuntimeException e) {
            if (ContainerdErrors.is(e, Status.Code.UNIMPLEMENTED)) {
                return null;
            }
            throw ContainerdErrors.of(e, "ask containerd where it keeps content", containerd);
        }
    }

    /**
     * Links a small random blob in and asks containerd whether it sees it: the one test that this is the
     * directory containerd uses (not a same-named one in another mount) and that its metadata store shares
     * content. Returns what is wrong, or null. Leaves nothing behind either way.
     */
    String probe(Containerd containerd) throws InterruptedIOException {
        if (!Files.isDirectory(root.resolve("ingest"))) {
            return root + " is not a containerd content directory seen from here (it has no ingest/ directory)";
        }
        Path staged = null;
        Path blob = null;
        boolean usable = false;
        try {
            open();
            byte[] random = new byte[64];
            new SecureRandom().nextBytes(random);
            Digest digest = Digest.sha256Of(random);
            staged = newStagingFile();
            Files.write(staged, random);
            blob = blobPath(digest);
            publish(staged, digest);
            try (ContentWriter w = ContentWriter.open(containerd, "cloak-probe-" + UUID.randomUUID(), random.length, digest)) {
                // Closed without a commit: containerd forgets the probe, and the file goes below.
                if (w == null || !w.holdsAll()) {
                    return "containerd does not see the files Cloak links into " + root.resolve("blobs")
                            + " (another mount, or content_sharing_policy = \"isolated\")";
                }
            }
            usable = true;
            return null;
        } catch (InterruptedIOException | ClosedByInterruptException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while checking containerd's content directory " + root);
        } catch (IOException e) {
            return "Cloak cannot write in " + root + " (" + reason(e) + ")";
        } finally {
            deleteQuietly(staged);
            deleteQuietly(blob);
            if (!usable) {
                release();
            }
        }
    }

    /** A new empty file for one layer's plaintext, readable by its owner only until it is published. */
    Path newStagingFile() throws IOException {
        open();
        return Files.createFile(mine.resolve(UUID.randomUUID().toString()),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    /**
     * Makes verified plaintext a blob of containerd's store: read-only, as containerd leaves the blobs it
     * commits, and hard-linked under its digest. A blob that is there already (from another namespace or pull)
     * is the same bytes and stays as it is. The staged name stays too; the caller removes it.
     */
    void publish(Path staged, Digest digest) throws IOException {
        Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString("r--r--r--"));
        Path blob = blobPath(digest);
        Files.createDirectories(blob.getParent());
        try {
            Files.createLink(blob, staged);
        } catch (FileAlreadyExistsException e) {
            // Same digest, same bytes.
        }
    }

    private Path blobPath(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    /** What went wrong with a file, in words: the JDK's messages are often just the path. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", file, e.getMessage());
        }
    }
}
