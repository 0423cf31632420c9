package dev.cloak.daemon;

import dev.cloak.error.CloakException;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Preparing and finishing the listening socket's path. */
final class UnixSocket {
    private UnixSocket() {
    }

    /** Creates the directory; removes a stale socket, but refuses to steal one a live server answers on. */
    static void prepare(Path socket) throws IOException {
        Files.createDirectories(socket.getParent());
        if (!Files.exists(socket)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new CloakException(dev.cloak.error.ErrorKind.UNAVAILABLE, "another server is already listening on "
                    + socket + "; stop it first or choose another --listen path");
        } catch (IOException stale) {
            Files.delete(socket);
        }
    }

    /** kubelet runs as root; the group lets an operator's crictl in, and nobody else. */
    static void restrict(Path socket) throws IOException {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    }
}
