package dev.cloak.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cloak.testing.Project;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the deploy/ files: YAML through Jackson's YAML module (a dependency of the main code). */
final class DeployFiles {
    static final Path DIR = Project.root().resolve("deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeployFiles() {
    }

    static String read(String name) throws IOException {
        return Files.readString(DIR.resolve(name));
    }

    static JsonNode yaml(String name) throws IOException {
        return YAML.readTree(DIR.resolve(name).toFile());
    }

    /** The DaemonSet's pod spec. */
    static JsonNode podSpec() throws IOException {
        return yaml("daemonset.yaml").path("spec").path("template").path("spec");
    }

    /** The DaemonSet's one container. */
    static JsonNode container() throws IOException {
        JsonNode containers = podSpec().path("containers");
        if (containers.size() != 1) {
            throw new AssertionError("the DaemonSet should have exactly one container: " + containers);
        }
        return containers.get(0);
    }

    /** The shell script the container runs: command is /bin/sh -c SCRIPT. */
    static String containerScript() throws IOException {
        JsonNode command = container().path("command");
        if (command.size() != 3 || !command.get(0).asText().equals("/bin/sh") || !command.get(1).asText().equals("-c")) {
            throw new AssertionError("the container's command should be /bin/sh -c SCRIPT: " + command);
        }
        return command.get(2).asText();
    }

    /** The element of a sequence whose "name" is the given one; fails unless there is exactly one. */
    static JsonNode named(JsonNode sequence, String name) {
        List<JsonNode> found = new ArrayList<>();
        sequence.forEach(n -> {
            if (n.path("name").asText().equals(name)) {
                found.add(n);
            }
        });
        if (found.size() != 1) {
            throw new AssertionError("expected one entry named " + name + ", found " + found.size() + " in " + sequence);
        }
        return found.get(0);
    }
}
