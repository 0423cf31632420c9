package dev.cloak.daemon;

import dev.cloak.containerd.Containerd;
import dev.cloak.keys.KeyDirectory;
import dev.cloak.keys.Keyring;
import dev.cloak.keys.PrivateKeyEntry;
import dev.cloak.metrics.CloakMetrics;
import dev.cloak.proto.cri.ImageFsInfoRequest;
import io.grpc.StatusRuntimeException;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Readiness: the socket is served, containerd answers, the key directory is readable. Updates the gauges. */
final class NodeStatus {
    private final Containerd containerd;
    private final KeyDirectory keys;
    private final CloakMetrics metrics;
    private volatile boolean serving;

    NodeStatus(Containerd containerd, KeyDirectory keys, CloakMetrics metrics) {
        this.containerd = containerd;
        this.keys = keys;
        this.metrics = metrics;
    }

    void serving(boolean now) {
        serving = now;
    }

    /** The reasons Cloak is not ready; empty when it is. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!serving) {
            problems.add("the CRI socket is not being served");
        }
        boolean reachable;
        try {
            containerd.criImages().withDeadlineAfter(2, TimeUnit.SECONDS).imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            reachable = true;
        } catch (StatusRuntimeException e) {
            reachable = false;
            problems.add("containerd does not answer at " + containerd.socket());
        }
        metrics.runtimeReachable(reachable);
        if (!Files.isDirectory(keys.directory()) || !Files.isReadable(keys.directory())) {
            problems.add("the key directory " + keys.directory() + " is not a readable directory");
        } else {
            metrics.keysLoaded(keysByType(keys.keyring()));
        }
        return problems;
    }

    /** The {@code cloak_keys_loaded} gauges: every kind of key that can decrypt, and the certificates. */
    static Map<String, Long> keysByType(Keyring ring) {
        Map<String, Long> byType = new HashMap<>();
        for (PrivateKeyEntry k : ring.privateKeys()) {
            byType.merge(k.type().startsWith("RSA") ? "RSA" : k.type().startsWith("EC") ? "EC" : k.type(), 1L, Long::sum);
        }
        byType.put("certificate", (long) ring.certificates().size());
        byType.put("pkcs11", (long) ring.pkcs11Keys().size());
        byType.put("pgp", (long) ring.pgpKeys().size());
        return byType;
    }
}
