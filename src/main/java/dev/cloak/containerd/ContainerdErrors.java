package dev.cloak.containerd;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.error.Printable;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Turns containerd's gRPC failures into sentences that say what Cloak was doing. */
final class ContainerdErrors {
    private ContainerdErrors() {
    }

    static CloakException of(StatusRuntimeException e, String what, Containerd containerd) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.UNAVAILABLE) {
            return new CloakException(ErrorKind.UNAVAILABLE, "containerd is not reachable at " + containerd.socket()
                    + " (" + what + "); check that containerd is running and that --runtime-endpoint points at its socket", e);
        }
        if (code == Status.Code.CANCELLED) {
            return new CloakException(ErrorKind.CANCELLED, what + " was cancelled", e);
        }
        return new CloakException(ErrorKind.RUNTIME, "containerd refused to " + what + ": " + code + " "
                + Printable.of(e.getStatus().getDescription()), e);
    }

    static boolean is(StatusRuntimeException e, Status.Code code) {
        return e.getStatus().getCode() == code;
    }
}
