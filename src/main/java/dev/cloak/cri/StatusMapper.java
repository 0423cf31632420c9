package dev.cloak.cri;

import dev.cloak.error.CloakException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.IOException;

/** The one place where failures become gRPC statuses for CRI clients. The description is one sentence. */
final class StatusMapper {
    private StatusMapper() {
    }

    static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (t instanceof CloakException e) {
            Status status = switch (e.kind()) {
                case INVALID_INPUT -> Status.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.NOT_FOUND;
                case NO_KEY -> Status.FAILED_PRECONDITION;
                case INTEGRITY -> Status.DATA_LOSS;
                case REGISTRY -> Status.UNKNOWN;
                case RUNTIME -> Status.INTERNAL;
                case UNAVAILABLE -> Status.UNAVAILABLE;
                case CANCELLED -> Status.CANCELLED;
                case INTERNAL -> Status.INTERNAL;
            };
            return status.withDescription(e.getMessage()).asRuntimeException();
        }
        if (t instanceof IOException) {
            return Status.UNAVAILABLE.withDescription("I/O failed: " + t.getClass().getSimpleName() + ": " + t.getMessage())
                    .asRuntimeException();
        }
        return Status.INTERNAL.withDescription("unexpected " + t.getClass().getSimpleName() + ": " + t.getMessage())
                .asRuntimeException();
    }
}
