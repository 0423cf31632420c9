package dev.cloak.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.cloak.error.CloakException;
import dev.cloak.oci.ImageReference;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Registry host configuration in containerd's format, from a directory such as
 * {@code /etc/containerd/certs.d}: {@code <host[:port]>/hosts.toml} (or {@code _default/hosts.toml}) lists
 * mirrors in order ({@code [host."URL"]}) and then the upstream {@code server}, each with capabilities, CA
 * files, client certificates, {@code skip_verify}, headers and {@code override_path}. Operators already keep
 * this directory for containerd, so Cloak reads the same files with the same meaning, including the older
 * docker-style {@code *.crt} / {@code *.cert} + {@code *.key} files beside them.
 */
public final class HostsDirectory {
    public static final Path DEFAULT = Path.of("/etc/containerd/certs.d");
    private static final TomlMapper TOML = new TomlMapper();

    private final Path directory;
    private final boolean plainHttpAllowed;

    /** {@code plainHttpAllowed} makes hosts without configuration use http (for {@code --tls-verify=false}). */
    public HostsDirectory(Path directory, boolean plainHttpAllowed) {
        this.directory = directory;
        this.plainHttpAllowed = plainHttpAllowed;
    }

    public HostsDirectory(Path directory) {
        this(directory, false);
    }

    /** The hosts to try for {@code registry}, in order: mirrors first, then the server. */
    public List<RegistryHost> hostsFor(String registry) {
        String apiHost = registry.equals(ImageReference.DOCKER_HUB) ? ImageReference.DOCKER_HUB_API : registry;
        Path hostDir = directory == null ? null : directory.resolve(registry);
        Path toml = hostDir == null ? null : hostDir.resolve("hosts.toml");
        if (toml != null && !Files.isRegularFile(toml) && directory != null) {
            Path fallback = directory.resolve("_default").resolve("hosts.toml");
            if (Files.isRegularFile(fallback)) {
                toml = fallback;
            }
        }
        if (toml != null && Files.isRegularFile(toml)) {
            return parse(toml, apiHost, hostDir);
        }
        RegistryHost.TlsSettings tls = dockerStyleTls(hostDir, RegistryHost.TlsSettings.SYSTEM);
        RegistryHost https = new RegistryHost(URI.create("https://" + apiHost), EnumSet.allOf(RegistryHost.Capability.class),
                tls, Map.of(), false);
        if (!plainHttpAllowed) {
            return List.of(https);
        }
        // As skopeo's --tls-verify=false: HTTPS without verification first, then plain HTTP.
        RegistryHost unverified = new RegistryHost(https.base(), https.capabilities(),
                new RegistryHost.TlsSettings(tls.caFiles(), tls.clientCertificates(), true), Map.of(), false);
        RegistryHost plain = new RegistryHost(URI.create("http://" + apiHost), https.capabilities(), tls, Map.of(), false);
        return List.of(unverified, plain);
    }

    private List<RegistryHost> parse(Path toml, String apiHost, Path hostDir) {
        JsonNode root;
        try {
            root = TOML.readTree(toml.toFile());
        } catch (IOException e) {
            throw CloakException.invalid("registry configuration " + toml + " is not valid TOML: " + firstLine(e));
        }
        List<RegistryHost> hosts = new ArrayList<>();
        JsonNode mirrors = root.path("host");
        for (Iterator<Map.Entry<String, JsonNode>> it = mirrors.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            hosts.add(host(toml, e.getKey(), e.getValue(), hostDir));
        }
        String server = root.path("server").asText("");
        if (!server.isEmpty()) {
            hosts.add(host(toml, server, root, hostDir));
        } else if (hosts.isEmpty() || !root.has("server")) {
            hosts.add(host(toml, "https://" + apiHost, root, hostDir));
        }
        return hosts;
    }

    private RegistryHost host(Path toml, String url, JsonNode node, Path hostDir) {
        URI base;
        try {
            base = URI.create(url.contains("://") ? url : "https://" + url);
        } catch (IllegalArgumentException e) {
            throw CloakException.invalid("registry configuration " + toml + ": \"" + url + "\" is not a URL");
        }
        if (!"https".equals(base.getScheme()) && !"http".equals(base.getScheme())) {
            throw CloakException.invalid("registry configuration " + toml + ": \"" + url + "\" must be http:// or https://");
        }
        Set<RegistryHost.Capability> caps = EnumSet.noneOf(RegistryHost.Capability.class);
        if (node.has("capabilities")) {
            for (JsonNode c : node.get("capabilities")) {
                try {
                    caps.add(RegistryHost.Capability.valueOf(c.asText().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw CloakException.invalid("registry configuration " + toml + ": unknown capability \""
                            + c.asText() + "\" for " + url + " (pull, resolve, push)");
                }
            }
        } else {
            caps.addAll(EnumSet.allOf(RegistryHost.Capability.class));
        }
        List<Path> cas = new ArrayList<>();
        for (String ca : strings(node.get("ca"))) {
            cas.add(relative(toml, ca));
        }
        List<RegistryHost.ClientCertificate> clients = new ArrayList<>();
        JsonNode client = node.get("client");
        if (client != null) {
            if (client.isTextual()) {
                Path pem = relative(toml, client.asText());
                clients.add(new RegistryHost.ClientCertificate(pem, pem));
            } else {
                for (JsonNode pair : client) {
                    if (pair.isTextual()) {
                        Path pem = relative(toml, pair.asText());
                        clients.add(new RegistryHost.ClientCertificate(pem, pem));
                    } else if (pair.size() == 2) {
                        clients.add(new RegistryHost.ClientCertificate(relative(toml, pair.get(0).asText()),
                                relative(toml, pair.get(1).asText())));
                    } else {
                        throw CloakException.invalid("registry configuration " + toml + ": \"client\" for " + url
                                + " must be a file or pairs of [certificate, key] files");
                    }
                }
            }
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        JsonNode header = node.get("header");
        if (header != null) {
            header.fields().forEachRemaining(h -> headers.put(h.getKey(), strings(h.getValue())));
        }
        boolean skipVerify = node.path("skip_verify").asBoolean(false);
        RegistryHost.TlsSettings tls = dockerStyleTls(hostDir, new RegistryHost.TlsSettings(cas, clients, skipVerify));
        return new RegistryHost(base, caps, tls, headers, node.path("override_path").asBoolean(false));
    }

    /** Adds {@code *.crt} CA files and {@code *.cert}/{@code *.key} pairs found in the host directory. */
    private static RegistryHost.TlsSettings dockerStyleTls(Path hostDir, RegistryHost.TlsSettings base) {
        if (hostDir == null || !Files.isDirectory(hostDir)) {
            return base;
        }
        List<Path> cas = new ArrayList<>(base.caFiles());
        List<RegistryHost.ClientCertificate> clients = new ArrayList<>(base.clientCertificates());
        try (Stream<Path> files = Files.list(hostDir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".crt") && !cas.contains(f)) {
                    cas.add(f);
                } else if (name.endsWith(".cert")) {
                    Path key = f.resolveSibling(name.substring(0, name.length() - ".cert".length()) + ".key");
                    if (Files.isRegularFile(key)) {
                        clients.add(new RegistryHost.ClientCertificate(f, key));
                    }
                }
            }
        } catch (IOException e) {
            throw CloakException.invalid("cannot read registry configuration directory " + hostDir);
        }
        return new RegistryHost.TlsSettings(cas, clients, base.skipVerify());
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asText()));
        } else {
            out.add(node.asText());
        }
        return out;
    }

    private static Path relative(Path toml, String file) {
        Path p = Path.of(file);
        return p.isAbsolute() ? p : toml.getParent().resolve(p);
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
