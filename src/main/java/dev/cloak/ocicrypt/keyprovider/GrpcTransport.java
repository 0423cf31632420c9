package dev.cloak.ocicrypt.keyprovider;

import com.google.protobuf.ByteString;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.proto.keyprovider.KeyProviderServiceGrpc;
import dev.cloak.proto.keyprovider.keyProviderKeyWrapProtocolInput;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Calls a gRPC provider. One channel per provider, opened on first use and kept for the life of the process
 * (upstream dials and closes a connection per layer). Every call carries a deadline.
 */
final class GrpcTransport implements KeyProviderTransport {
    private static final int MAX_MESSAGE_BYTES = 4 << 20;

    private final String name;
    private final KeyProviderConfig.Endpoint.Grpc endpoint;
    private final Duration timeout;
    private ManagedChannel channel;

    GrpcTransport(String name, KeyProviderConfig.Endpoint.Grpc endpoint, Duration timeout) {
        this.name = name;
        this.endpoint = endpoint;
        this.timeout = timeout;
    }

    @Override
    public byte[] exchange(KeyProviderMessages.Operation op, byte[] request) {
        var stub = KeyProviderServiceGrpc.newBlockingStub(channel())
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
        var input = keyProviderKeyWrapProtocolInput.newBuilder()
                .setKeyProviderKeyWrapProtocolInput(ByteString.copyFrom(request)).build();
        try {
            var output = op == KeyProviderMessages.Operation.WRAP ? stub.wrapKey(input) : stub.unWrapKey(input);
            return output.getKeyProviderKeyWrapProtocolOutput().toByteArray();
        } catch (StatusRuntimeException e) {
            throw failure(op, e.getStatus());
        }
    }

    private CloakException failure(KeyProviderMessages.Operation op, Status status) {
        String who = "key provider \"" + name + "\" (grpc " + endpoint.target() + ")";
        return switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> new CloakException(ErrorKind.UNAVAILABLE,
                    who + " did not answer within " + timeout.toSeconds() + " s");
            case UNAVAILABLE -> new CloakException(ErrorKind.UNAVAILABLE, who + " cannot be reached");
            case UNIMPLEMENTED -> new CloakException(ErrorKind.INVALID_INPUT,
                    who + " does not serve keyprovider.KeyProviderService");
            // The provider's own description is left out: it is the provider's text, and may quote its input.
            default -> new CloakException(op == KeyProviderMessages.Operation.UNWRAP ? ErrorKind.NO_KEY : ErrorKind.INVALID_INPUT,
                    who + " failed to " + CommandTransport.verb(op) + " the layer key (" + status.getCode() + ")");
        };
    }

    private synchronized ManagedChannel channel() {
        if (channel == null) {
            ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(endpoint.target(), credentials());
            if (endpoint.tls() != null && endpoint.tls().serverName() != null) {
                builder.overrideAuthority(endpoint.tls().serverName());
            }
            channel = builder.maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
        }
        return channel;
    }

    private ChannelCredentials credentials() {
        KeyProviderConfig.Tls tls = endpoint.tls();
        if (tls == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
            if (tls.rootCaFile() != null) {
                b.trustManager(tls.rootCaFile().toFile());
            }
            if (tls.certFile() != null) {
                b.keyManager(tls.certFile().toFile(), tls.keyFile().toFile());
            }
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new CloakException(ErrorKind.INVALID_INPUT, "key provider \"" + name
                    + "\": its TLS files cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            channel.shutdownNow();
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
