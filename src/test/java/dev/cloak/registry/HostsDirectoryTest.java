package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.error.ErrorKind;
import dev.cloak.registry.RegistryHost.Capability;
import dev.cloak.registry.RegistryHost.ClientCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostsDirectoryTest {
    @TempDir
    Path dir;

    private Path hostsToml(String registry, String toml) throws IOException {
        Path hostDir = Files.createDirectories(dir.resolve(registry));
        return Files.writeString(hostDir.resolve("hosts.toml"), toml);
    }

    private static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    @Test
    void withoutConfigurationOneHttpsHostWithEveryCapability() {
        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("registry.example.com:5000");

        assertEquals(1, hosts.size());
        RegistryHost h = hosts.get(0);
        assertEquals(URI.create("https://registry.example.com:5000"), h.base());
        assertEquals(ALL, h.capabilities());
        assertEquals(RegistryHost.TlsSettings.SYSTEM, h.tls());
        assertTrue(h.headers().isEmpty());
        assertFalse(h.overridePath());
    }

    @Test
    void dockerHubIsServedByRegistry1() {
        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("docker.io");

        assertEquals(1, hosts.size());
        assertEquals(URI.create("https://registry-1.docker.io"), hosts.get(0).base());
    }

    @Test
    void missingDirectoryIsTheSameAsNoConfiguration() {
        List<RegistryHost> hosts = new HostsDirectory(dir.resolve("does-not-exist")).hostsFor("r.example");

        assertEquals(List.of(URI.create("https://r.example")), hosts.stream().map(RegistryHost::base).toList());
    }

    @Test
    void plainHttpAllowedTriesUnverifiedHttpsThenHttp() {
        List<RegistryHost> hosts = new HostsDirectory(dir, true).hostsFor("127.0.0.1:5000");

        assertEquals(2, hosts.size());
        assertEquals(URI.create("https://127.0.0.1:5000"), hosts.get(0).base());
        assertTrue(hosts.get(0).tls().skipVerify());
        assertEquals(URI.create("http://127.0.0.1:5000"), hosts.get(1).base());
        assertEquals(ALL, hosts.get(0).capabilities());
        assertEquals(ALL, hosts.get(1).capabilities());
    }

    @Test
    void mirrorsInFileOrderThenTheServer() throws IOException {
        Path toml = hostsToml("docker.io", """
                server = "https://registry-1.docker.io"
                capabilities = ["pull", "resolve"]

                [host."https://zz-mirror.example.com:5000"]
                  capabilities = ["pull"]

                [host."http://aa-mirror.example.com"]
                  capabilities = ["pull", "resolve", "push"]
                  skip_verify = true
                """);

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("docker.io");

        assertEquals(List.of(URI.create("https://zz-mirror.example.com:5000"), URI.create("http://aa-mirror.example.com"),
                URI.create("https://registry-1.docker.io")), hosts.stream().map(RegistryHost::base).toList(), toml.toString());
        assertEquals(Set.of(Capability.PULL), hosts.get(0).capabilities());
        assertEquals(ALL, hosts.get(1).capabilities());
        assertEquals(Set.of(Capability.PULL, Capability.RESOLVE), hosts.get(2).capabilities());
        assertFalse(hosts.get(0).tls().skipVerify());
        assertTrue(hosts.get(1).tls().skipVerify());
        assertFalse(hosts.get(2).tls().skipVerify());
    }

    @Test
    void serverWithoutSchemeIsHttps() throws IOException {
        hostsToml("r.example", "server = \"mirror.example:8443\"\n");

        assertEquals(URI.create("https://mirror.example:8443"), new HostsDirectory(dir).hostsFor("r.example").get(0).base());
    }

    @Test
    void mirrorsWithoutServerKeyStillEndWithTheRegistryItself() throws IOException {
        hostsToml("docker.io", "[host.\"https://mirror.example\"]\n  capabilities = [\"pull\"]\n");

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("docker.io");

        assertEquals(List.of(URI.create("https://mirror.example"), URI.create("https://registry-1.docker.io")),
                hosts.stream().map(RegistryHost::base).toList());
    }

    @Test
    void caAsStringAndArrayRelativeToTheTomlDirectory() throws IOException {
        Path toml = hostsToml("r.example", """
                server = "https://r.example"
                ca = "certs/root.pem"

                [host."https://m.example"]
                  ca = ["a.pem", "/etc/ssl/abs.pem"]
                """);
        Path base = toml.getParent();

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("r.example");

        assertEquals(List.of(base.resolve("a.pem"), Path.of("/etc/ssl/abs.pem")), hosts.get(0).tls().caFiles());
        assertEquals(List.of(base.resolve("certs/root.pem")), hosts.get(1).tls().caFiles());
    }

    @Test
    void clientAsStringMeansOneFileWithCertificateAndKey() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://r.example\"\nclient = \"client.pem\"\n");
        Path pem = toml.getParent().resolve("client.pem");

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(List.of(new ClientCertificate(pem, pem)), h.tls().clientCertificates());
    }

    @Test
    void clientAsOnePair() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://r.example\"\nclient = [[\"c.cert\", \"/keys/c.key\"]]\n");

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(List.of(new ClientCertificate(toml.getParent().resolve("c.cert"), Path.of("/keys/c.key"))),
                h.tls().clientCertificates());
    }

    @Test
    void clientAsListOfPairs() throws IOException {
        Path toml = hostsToml("r.example", """
                server = "https://r.example"
                client = [["one.cert", "one.key"], ["two.cert", "two.key"]]
                """);
        Path base = toml.getParent();

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(List.of(new ClientCertificate(base.resolve("one.cert"), base.resolve("one.key")),
                new ClientCertificate(base.resolve("two.cert"), base.resolve("two.key"))), h.tls().clientCertificates());
    }

    @Test
    void clientAsArrayOfPathsIsSeveralCombinedFiles() throws IOException {
        // containerd's docs: an array of strings is several files that each hold certificate and key, not a pair.
        Path toml = hostsToml("r.example", "server = \"https://r.example\"\nclient = [\"a.pem\", \"b.pem\"]\n");
        Path base = toml.getParent();

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(List.of(new ClientCertificate(base.resolve("a.pem"), base.resolve("a.pem")),
                new ClientCertificate(base.resolve("b.pem"), base.resolve("b.pem"))), h.tls().clientCertificates());
    }

    @Test
    void clientWithThreeElementsIsInvalid() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://r.example\"\nclient = [[\"a\", \"b\", \"c\"]]\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
    }

    @Test
    void headersWithStringAndArrayValues() throws IOException {
        hostsToml("r.example", """
                server = "https://r.example"

                [header]
                  x-server = "s"

                [host."https://m.example"]
                  [host."https://m.example".header]
                    x-custom = "one"
                    x-multi = ["a", "b"]
                """);

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("r.example");

        assertEquals(Map.of("x-custom", List.of("one"), "x-multi", List.of("a", "b")), hosts.get(0).headers());
        assertEquals(Map.of("x-server", List.of("s")), hosts.get(1).headers());
    }

    @Test
    void resolveAddsV2UnlessOverridePath() throws IOException {
        hostsToml("r.example", """
                server = "https://r.example"

                [host."https://harbor.example/v2/proxy-project"]
                  override_path = true

                [host."https://plain.example/sub/"]

                [host."https://bare.example"]
                  override_path = true
                """);

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("r.example");

        assertTrue(hosts.get(0).overridePath());
        assertEquals(URI.create("https://harbor.example/v2/proxy-project/repo/manifests/x"),
                hosts.get(0).resolve("repo/manifests/x"));
        assertFalse(hosts.get(1).overridePath());
        assertEquals(URI.create("https://plain.example/sub/v2/repo/manifests/x"), hosts.get(1).resolve("repo/manifests/x"));
        assertEquals(URI.create("https://bare.example/repo/manifests/x"), hosts.get(2).resolve("repo/manifests/x"));
        assertEquals(URI.create("https://r.example/v2/repo/manifests/x"), hosts.get(3).resolve("repo/manifests/x"));
        assertEquals(URI.create("https://r.example/v2/"), hosts.get(3).resolve(""));
    }

    @Test
    void resolveKeepsDigestsAndQueries() {
        RegistryHost h = RegistryHost.https("r.example");
        String digest = "sha256:" + "ab".repeat(32);

        assertEquals(URI.create("https://r.example/v2/a/b/manifests/" + digest), h.resolve("a/b/manifests/" + digest));
        assertEquals(URI.create("https://r.example/v2/a/blobs/uploads/?mount=" + digest + "&from=c"),
                h.resolve("a/blobs/uploads/?mount=" + digest + "&from=c"));
    }

    @Test
    void serverUrlEndingInV2IsNotGivenASecondV2() throws IOException {
        // containerd appends /v2 only when the path does not already end with it (remotes/docker/config/hosts.go).
        hostsToml("r.example", "server = \"https://r.example/v2\"\n");

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(URI.create("https://r.example/v2/repo/manifests/x"), h.resolve("repo/manifests/x"));
    }

    @Test
    void defaultHostsTomlIsTheFallback() throws IOException {
        Path toml = hostsToml("_default", """
                [host."https://mirror.example"]
                  capabilities = ["pull"]
                  ca = "mirror-ca.pem"
                """);

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("r.example:5000");

        assertEquals(List.of(URI.create("https://mirror.example"), URI.create("https://r.example:5000")),
                hosts.stream().map(RegistryHost::base).toList());
        assertEquals(List.of(toml.getParent().resolve("mirror-ca.pem")), hosts.get(0).tls().caFiles());
    }

    @Test
    void ownHostsTomlWinsOverDefault() throws IOException {
        hostsToml("_default", "server = \"https://default.example\"\n");
        hostsToml("r.example", "server = \"https://own.example\"\n");

        assertEquals(URI.create("https://own.example"), new HostsDirectory(dir).hostsFor("r.example").get(0).base());
        assertEquals(URI.create("https://default.example"), new HostsDirectory(dir).hostsFor("other.example").get(0).base());
    }

    @Test
    void dockerStyleCertificateFilesArePickedUpWithoutHostsToml() throws IOException {
        Path hostDir = Files.createDirectories(dir.resolve("r.example:5000"));
        Path ca = Files.writeString(hostDir.resolve("ca.crt"), "x");
        Path cert = Files.writeString(hostDir.resolve("client.cert"), "x");
        Path key = Files.writeString(hostDir.resolve("client.key"), "x");
        Files.writeString(hostDir.resolve("lonely.cert"), "x");    // no lonely.key: not a usable pair

        List<RegistryHost> hosts = new HostsDirectory(dir).hostsFor("r.example:5000");

        assertEquals(1, hosts.size());
        assertEquals(List.of(ca), hosts.get(0).tls().caFiles());
        assertEquals(List.of(new ClientCertificate(cert, key)), hosts.get(0).tls().clientCertificates());
    }

    @Test
    void dockerStyleFilesApplyToPlainHttpFallbackHostsToo() throws IOException {
        Path hostDir = Files.createDirectories(dir.resolve("r.example"));
        Path ca = Files.writeString(hostDir.resolve("ca.crt"), "x");

        List<RegistryHost> hosts = new HostsDirectory(dir, true).hostsFor("r.example");

        assertEquals(List.of(ca), hosts.get(0).tls().caFiles());
        assertTrue(hosts.get(0).tls().skipVerify());
    }

    @Test
    void dockerStyleFilesAreAddedToHostsTomlSettings() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://r.example\"\nca = \"from-toml.pem\"\n");
        Path ca = Files.writeString(toml.getParent().resolve("ca.crt"), "x");

        RegistryHost h = new HostsDirectory(dir).hostsFor("r.example").get(0);

        assertEquals(List.of(toml.getParent().resolve("from-toml.pem"), ca), h.tls().caFiles());
    }

    @Test
    void invalidTomlIsInvalidInputNamingTheFile() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://r.example\n[host.\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void unknownCapabilityIsInvalidInputNamingTheFileAndTheValue() throws IOException {
        Path toml = hostsToml("r.example", "[host.\"https://m.example\"]\n  capabilities = [\"pull\", \"fetch\"]\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("\"fetch\""), e.getMessage());
    }

    @Test
    void nonHttpServerUrlIsInvalidInputNamingTheFile() throws IOException {
        Path toml = hostsToml("r.example", "server = \"ftp://r.example\"\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("ftp://r.example"), e.getMessage());
    }

    @Test
    void nonHttpMirrorUrlIsInvalidInput() throws IOException {
        Path toml = hostsToml("r.example", "[host.\"unix:///run/registry.sock\"]\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
    }

    @Test
    void unparsableUrlIsInvalidInput() throws IOException {
        Path toml = hostsToml("r.example", "server = \"https://bad host^name\"\n");

        CloakException e = assertThrows(CloakException.class, () -> new HostsDirectory(dir).hostsFor("r.example"));

        assertEquals(ErrorKind.INVALID_INPUT, e.kind());
        assertTrue(e.getMessage().contains(toml.toString()), e.getMessage());
    }
}
