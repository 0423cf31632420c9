package dev.cloak.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.cloak.error.CloakException;

import java.util.List;

/** The platform of an index entry: os, architecture and optional variant. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Platform(
        @JsonProperty("architecture") String architecture,
        @JsonProperty("os") String os,
        @JsonProperty("os.version") String osVersion,
        @JsonProperty("os.features") List<String> osFeatures,
        @JsonProperty("variant") String variant) {

    /** Parses {@code os/arch[/variant]}, as given on the command line. */
    public static Platform parse(String text) {
        String[] parts = text.split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw CloakException.invalid("invalid platform \"" + text + "\": expected os/arch[/variant], e.g. linux/amd64");
        }
        return new Platform(parts[1], parts[0], null, null, parts.length == 3 ? parts[2] : null);
    }

    /** The platform this JVM runs on, in Go's naming (which OCI uses). */
    public static Platform host() {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "x86", "i386" -> "386";
            default -> System.getProperty("os.arch");
        };
        return new Platform(arch, "linux", null, null, arch.equals("arm64") ? "v8" : null);
    }

    /** True when an index entry with platform {@code candidate} can run where this platform is wanted. */
    public boolean accepts(Platform candidate) {
        if (candidate == null || !os.equals(candidate.os) || !architecture.equals(candidate.architecture)) {
            return false;
        }
        if (variant == null || candidate.variant == null) {
            return true;
        }
        return variant.equals(candidate.variant);
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
