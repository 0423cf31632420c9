package dev.cloak.ocicrypt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.keys.Keyring;
import dev.cloak.ocicrypt.keyprovider.KeyProviderConfig;
import dev.cloak.ocicrypt.keyprovider.KeyProviders;
import dev.cloak.ocicrypt.keywrap.Recipients;
import dev.cloak.proto.keyprovider.KeyProviderServiceGrpc;
import dev.cloak.proto.keyprovider.keyProviderKeyWrapProtocolInput;
import dev.cloak.proto.keyprovider.keyProviderKeyWrapProtocolOutput;
import dev.cloak.testing.TestKeyProvider;
import dev.cloak.testing.TestPki;
import io.grpc.Attributes;
import io.grpc.Server;
import io.grpc.ServerTransportFilter;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layers wrapped by a gRPC key provider: grpc-java serves the test provider on loopback TCP. */
class GrpcKeyProviderTest {
    @TempDir
    Path dir;
    private Server server;
    private final AtomicInteger connections = new AtomicInteger();
    private volatile String mode = "aes";

    /** The test provider behind keyprovider.KeyProviderService; {@link #mode} decides how it answers. */
    private final class Service extends KeyProviderServiceGrpc.KeyProviderServiceImplBase {
        @Override
        public void wrapKey(keyProviderKeyWrapProtocolInput request, StreamObserver<keyProviderKeyWrapProtocolOutput> response) {
            answer(request, response);
        }

        @Override
        public void unWrapKey(keyProviderKeyWrapProtocolInput request, StreamObserver<keyProviderKeyWrapProtocolOutput> response) {
            answer(request, response);
        }

        private void answer(keyProviderKeyWrapProtocolInput request, StreamObserver<keyProviderKeyWrapProtocolOutput> response) {
            byte[] out;
            switch (mode) {
                case "hang" -> {
                    return;
                }
                case "garbage" -> out = "<html>".getBytes(StandardCharsets.UTF_8);
                case "refuse" -> {
                    response.onError(io.grpc.Status.PERMISSION_DENIED.withDescription("secret detail").asRuntimeException());
                    return;
                }
                default -> {
                    try {
                        out = TestKeyProvider.answer(request.getKeyProviderKeyWrapProtocolInput().toByteArray());
                    } catch (Exception e) {
                        response.onError(e);
                        return;
                    }
                }
            }
            response.onNext(keyProviderKeyWrapProtocolOutput.newBuilder()
                    .setKeyProviderKeyWrapProtocolOutput(ByteString.copyFrom(out)).build());
            response.onCompleted();
        }
    }

    private String start(io.grpc.ServerCredentials credentials) throws IOException {
        NettyServerBuilder b = credentials == null
                ? NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                : NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), credentials);
        server = b.addService(new Service()).addTransportFilter(new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attributes) {
                connections.incrementAndGet();
                return attributes;
            }
        }).build().start();
        return "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    private KeyProviders providers(ObjectNode entry, Duration timeout) throws IOException {
        Path file = TestKeyProvider.writeConfig(dir.resolve("kp.json"), Map.of("vault", entry));
        return new KeyProviders(KeyProviderConfig.load(file, "test", timeout));
    }

    @Test
    void roundTripsOverOneReusedChannel() throws IOException {
        String target = start(null);
        try (KeyProviders p = providers(TestKeyProvider.grpcProvider(target), Duration.ofSeconds(10))) {
            Layers.Encrypted layer = KeyProviderLayerTest.encrypt(p, List.of(Recipients.parse("provider:vault")));
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")),
                        KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")));
            }
            assertTrue(layer.descriptor().annotations().containsKey(EncryptionAnnotations.KEYS_PREFIX + "provider.vault"));
        }
        assertEquals(1, connections.get(), "seven calls, one connection");
    }

    @Test
    void hangingGarbageAndRefusalAreClearErrors() throws IOException {
        String target = start(null);
        try (KeyProviders p = providers(TestKeyProvider.grpcProvider(target), Duration.ofSeconds(1))) {
            Layers.Encrypted layer = KeyProviderLayerTest.encrypt(p, List.of(Recipients.parse("provider:vault")));
            mode = "hang";
            long start = System.nanoTime();
            CloakException timeout = assertThrows(CloakException.class, () -> KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")));
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 5);
            assertEquals(ErrorKind.UNAVAILABLE, timeout.kind());
            assertTrue(timeout.getMessage().contains("key provider \"vault\" (grpc " + target + ") did not answer within 1 s"),
                    timeout.getMessage());
            mode = "garbage";
            CloakException garbage = assertThrows(CloakException.class, () -> KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")));
            assertEquals(ErrorKind.INVALID_INPUT, garbage.kind(), garbage.getMessage());
            mode = "refuse";
            CloakException refused = assertThrows(CloakException.class, () -> KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")));
            assertEquals(ErrorKind.NO_KEY, refused.kind());
            assertTrue(refused.getMessage().contains("PERMISSION_DENIED") && !refused.getMessage().contains("secret detail"),
                    refused.getMessage());
        }
    }

    @Test
    void anUnreachableProviderIsUnavailable() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (KeyProviders p = providers(TestKeyProvider.grpcProvider("127.0.0.1:" + port), Duration.ofSeconds(2))) {
            CloakException e = assertThrows(CloakException.class,
                    () -> KeyProviderLayerTest.encrypt(p, List.of(Recipients.parse("provider:vault"))));
            assertEquals(ErrorKind.UNAVAILABLE, e.kind(), e.getMessage());
        }
    }

    @Test
    void speaksTlsWithMutualAuthenticationWhenConfigured() throws IOException {
        TestPki pki = new TestPki("kp-ca");
        Path[] serverPair = pki.server(dir, "kp-server");
        Path[] clientPair = pki.client(dir, "kp-client");
        Path ca = pki.writeCa(dir.resolve("ca.pem"));
        String target = start(TlsServerCredentials.newBuilder().keyManager(serverPair[0].toFile(), serverPair[1].toFile())
                .trustManager(ca.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build());
        ObjectNode entry = TestKeyProvider.grpcProvider(target);
        ObjectNode tls = entry.putObject("grpc-tls");
        tls.put("root-ca-file", ca.toString());
        tls.put("cert-file", clientPair[0].toString());
        tls.put("key-file", clientPair[1].toString());
        try (KeyProviders p = providers(entry, Duration.ofSeconds(10))) {
            Layers.Encrypted layer = KeyProviderLayerTest.encrypt(p, List.of(Recipients.parse("provider:vault")));
            assertEquals(70_000, KeyProviderLayerTest.decrypt(p, layer, Keyring.empty("none")).length);
        }
        entry.remove("grpc-tls");
        Files.delete(dir.resolve("kp.json"));
        try (KeyProviders plaintext = providers(entry, Duration.ofSeconds(3))) {
            CloakException e = assertThrows(CloakException.class,
                    () -> KeyProviderLayerTest.encrypt(plaintext, List.of(Recipients.parse("provider:vault"))));
            assertEquals(ErrorKind.UNAVAILABLE, e.kind(), "a plaintext client cannot talk to a TLS provider: " + e.getMessage());
        }
    }
}
