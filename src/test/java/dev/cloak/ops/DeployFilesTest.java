package dev.cloak.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.cloak.config.ServeConfig;
import dev.cloak.testing.Project;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cloak.ops.DeployFiles.named;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deploy/ files parse, and carry the settings that must agree with Cloak's defaults
 * (ServeConfig.DEFAULTS) and with each other: a socket path or snapshotter that drifted would break a
 * node without a word.
 */
class DeployFilesTest {
    private static final String CLOAK = "unix://" + ServeConfig.DEFAULTS.listen();
    private static final String CONTAINERD = "unix://" + ServeConfig.DEFAULTS.runtimeEndpoint();

    @Test
    void everyYamlFileParses() throws IOException {
        int files = 0;
        try (DirectoryStream<Path> yaml = Files.newDirectoryStream(DeployFiles.DIR, "*.yaml")) {
            for (Path f : yaml) {
                assertTrue(DeployFiles.yaml(f.getFileName().toString()).isObject(), f + " should be a mapping");
                files++;
            }
        }
        assertEquals(3, files, "kubelet-config.yaml, crictl.yaml, daemonset.yaml");
    }

    @Test
    void kubeletUsesCloakForImagesAndContainerdForTheRest() throws IOException {
        JsonNode kubelet = DeployFiles.yaml("kubelet-config.yaml");
        Map<String, String> fields = new TreeMap<>();
        kubelet.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().asText()));

        assertEquals(Map.of("apiVersion", "kubelet.config.k8s.io/v1beta1", "kind", "KubeletConfiguration",
                "containerRuntimeEndpoint", CONTAINERD, "imageServiceEndpoint", CLOAK), fields);
        assertTrue(DeployFiles.read("kubelet-config.yaml").contains("--image-service-endpoint=" + CLOAK),
                "the legacy flag should be shown");
    }

    @Test
    void crictlUsesCloakForImagesAndContainerdForTheRest() throws IOException {
        JsonNode crictl = DeployFiles.yaml("crictl.yaml");

        assertEquals(CONTAINERD, crictl.path("runtime-endpoint").asText());
        assertEquals(CLOAK, crictl.path("image-endpoint").asText());
    }

    @Test
    void containerdsCriPluginMatchesCloaksSnapshotterAndRegistryHosts() throws IOException {
        String text = DeployFiles.read("containerd-cri.toml");
        JsonNode toml = new TomlMapper().readTree(text);
        JsonNode cri = toml.path("plugins").path("io.containerd.grpc.v1.cri");

        assertEquals(2, toml.path("version").asInt());
        assertEquals(ServeConfig.DEFAULTS.snapshotter(), cri.path("containerd").path("snapshotter").asText());
        assertEquals(ServeConfig.DEFAULTS.registryConfigDir().toString(), cri.path("registry").path("config_path").asText());
        // containerd's own decryption is not configured: Cloak hands it plaintext.
        assertTrue(cri.path("image_decryption").isMissingNode());
        assertTrue(toml.path("stream_processors").isMissingNode());
        assertTrue(text.contains("imgcrypt"), "the file should say why imgcrypt is not configured");
        // The CRI plugin's namespace is fixed; Cloak's default must be it.
        assertEquals("k8s.io", ServeConfig.DEFAULTS.containerdNamespace());
        assertTrue(text.contains("\"k8s.io\""));
    }

    @Test
    void daemonSetMountsTheHostPathsCloakNeedsWithKeysReadOnly() throws IOException {
        JsonNode volumes = DeployFiles.podSpec().path("volumes");
        JsonNode mounts = DeployFiles.container().path("volumeMounts");

        hostPath(volumes, "cloak-run", ServeConfig.DEFAULTS.listen().getParent().toString(), "DirectoryOrCreate");
        hostPath(volumes, "containerd-run", ServeConfig.DEFAULTS.runtimeEndpoint().getParent().toString(), "Directory");
        hostPath(volumes, "keys", ServeConfig.DEFAULTS.decryptionKeysPath().toString(), "Directory");
        hostPath(volumes, "registry-hosts", ServeConfig.DEFAULTS.registryConfigDir().toString(), "DirectoryOrCreate");
        hostPath(volumes, "config", "/etc/cloak", "DirectoryOrCreate");
        assertTrue(named(volumes, "tmp").has("emptyDir"), "a read-only root needs a writable /tmp for the JVM");

        mount(mounts, "cloak-run", "/run/cloak", false);
        mount(mounts, "containerd-run", "/run/containerd", false);
        mount(mounts, "keys", "/etc/crio/keys", true);
        mount(mounts, "registry-hosts", "/etc/containerd/certs.d", true);
        mount(mounts, "config", "/etc/cloak", true);
        mount(mounts, "tmp", "/tmp", false);
        assertEquals(volumes.size(), mounts.size(), "every volume mounted, every mount backed by a volume");
        // The Secret alternative is shown beside the hostPath.
        assertTrue(DeployFiles.read("daemonset.yaml").contains("secretName:"));
    }

    @Test
    void daemonSetRunsAsRootWithoutPrivilegeOrCapabilities() throws IOException {
        JsonNode sc = DeployFiles.container().path("securityContext");

        assertEquals(0, sc.path("runAsUser").asInt(-1));
        assertFalse(sc.path("privileged").asBoolean(true));
        assertFalse(sc.path("allowPrivilegeEscalation").asBoolean(true));
        assertTrue(sc.path("readOnlyRootFilesystem").asBoolean(false));
        assertEquals("[\"ALL\"]", sc.path("capabilities").path("drop").toString());
        assertTrue(sc.path("capabilities").path("add").isMissingNode());
        assertTrue(DeployFiles.podSpec().path("securityContext").path("privileged").isMissingNode());
    }

    @Test
    void daemonSetRunsOnEveryNodeAsNodeCriticalWithBoundedMemory() throws IOException {
        JsonNode ds = DeployFiles.yaml("daemonset.yaml");
        JsonNode pod = DeployFiles.podSpec();

        assertEquals("DaemonSet", ds.path("kind").asText());
        assertEquals("system-node-critical", pod.path("priorityClassName").asText());
        // One toleration without a key tolerates every taint.
        assertEquals("[{\"operator\":\"Exists\"}]", pod.path("tolerations").toString());
        assertEquals("384Mi", DeployFiles.container().path("resources").path("limits").path("memory").asText());
        long grace = pod.path("terminationGracePeriodSeconds").asLong();
        assertTrue(grace > ServeConfig.DEFAULTS.shutdownGrace().toSeconds() + 5, "grace " + grace);
        // The old pod must keep serving until the new one does: kubelet checks the new image through Cloak.
        JsonNode rolling = ds.path("spec").path("updateStrategy").path("rollingUpdate");
        assertEquals(0, rolling.path("maxUnavailable").asInt(-1));
        assertEquals(1, rolling.path("maxSurge").asInt(-1));
    }

    @Test
    void daemonSetIsReadyOnlyWhenCloakIsAndNeverRestartedByKubelet() throws IOException {
        JsonNode c = DeployFiles.container();
        JsonNode probe = c.path("readinessProbe").path("httpGet");

        assertEquals("/readyz", probe.path("path").asText());
        assertEquals("metrics", probe.path("port").asText());
        assertEquals(9810, named(c.path("ports"), "metrics").path("containerPort").asInt());
        assertTrue(DeployFiles.containerScript().contains("--metrics-listen 0.0.0.0:9810"));
        // kubelet restarting the container would first ask the image service: Cloak, being restarted.
        assertTrue(c.path("livenessProbe").isMissingNode());
        // On the host network two Cloak pods of one node would compete for the metrics port during an update.
        assertFalse(DeployFiles.podSpec().path("hostNetwork").asBoolean(false));
    }

    @Test
    void daemonSetBoundsTheJvmNoLooserThanTheSystemdUnit() throws IOException {
        String unit = UnitFile.parse(UnitFile.SOURCE).one("Service", "Environment");
        String pod = named(DeployFiles.container().path("env"), "JAVA_OPTS").path("value").asText();

        // The pod's limit (384Mi) is below the unit's MemoryMax, so its heap and direct memory may not be larger.
        assertTrue(pod.contains("-XX:+ExitOnOutOfMemoryError"), pod);
        assertTrue(mib(pod, "-Xmx") <= mib(unit, "-Xmx"), pod + " vs " + unit);
        assertTrue(mib(pod, "-XX:MaxDirectMemorySize=") <= mib(unit, "-XX:MaxDirectMemorySize="), pod + " vs " + unit);
    }

    @Test
    void readmeDocumentsTheImageBuildTheDaemonSetExpects() throws IOException {
        String readme = DeployFiles.read("README.md");
        String image = DeployFiles.container().path("image").asText();

        assertTrue(readme.contains("com.google.cloud.tools:jib-maven-plugin:3.4.4:buildTar"), "jib buildTar command");
        assertTrue(readme.contains("-Djib.from.image=eclipse-temurin:17-jre"));
        assertTrue(readme.contains("-Djib.to.image=" + image), "the README should build the image " + image);
        assertTrue(readme.contains("ctr -n k8s.io images import"), "the image must reach containerd's CRI namespace");
        // The command runs Jib's class path; the manifest's Add-Exports does not apply there.
        assertTrue(DeployFiles.containerScript().contains("-cp @/app/jib-classpath-file dev.cloak.cli.Main"));
        assertTrue(DeployFiles.containerScript().contains("--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"));
        // Jib must not become part of the build: the image is an optional, documented step.
        assertFalse(Files.readString(Project.root().resolve("pom.xml")).contains("jib"));
    }

    @Test
    void relativeLinksInTheOperationsDocsLeadToFiles() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path doc : List.of(Project.root().resolve("docs/operations.md"), DeployFiles.DIR.resolve("README.md"))) {
            Matcher m = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)").matcher(Files.readString(doc));
            int links = 0;
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("[a-z]+:.*")) {
                    continue;
                }
                links++;
                if (!Files.exists(doc.getParent().resolve(target).normalize())) {
                    broken.add(doc.getFileName() + " -> " + target);
                }
            }
            assertTrue(links > 0, doc + " should link to the files it describes");
        }
        assertEquals(List.of(), broken);
    }

    private static void hostPath(JsonNode volumes, String name, String path, String type) {
        JsonNode hp = named(volumes, name).path("hostPath");
        assertEquals(path, hp.path("path").asText(), name);
        assertEquals(type, hp.path("type").asText(), name);
    }

    private static void mount(JsonNode mounts, String name, String path, boolean readOnly) {
        JsonNode m = named(mounts, name);
        assertEquals(path, m.path("mountPath").asText(), name);
        assertEquals(readOnly, m.path("readOnly").asBoolean(false), name + " readOnly");
    }

    /** The size in MiB given by a JVM flag such as -Xmx256m, which must be present. */
    private static long mib(String opts, String flag) {
        Matcher m = Pattern.compile(Pattern.quote(flag) + "([0-9]+)([mMgG])").matcher(opts);
        assertTrue(m.find(), flag + " missing in " + opts);
        long n = Long.parseLong(m.group(1));
        return m.group(2).equalsIgnoreCase("g") ? n * 1024 : n;
    }
}
