package dev.cloak.cli;

import dev.cloak.error.CloakException;
import dev.cloak.image.ImageDestination;
import dev.cloak.image.ImageSource;
import dev.cloak.image.OciLayoutDestination;
import dev.cloak.image.OciLayoutSource;
import dev.cloak.oci.OciLayout;

import java.io.IOException;
import java.nio.file.Path;

/** An image named on the command line: {@code oci:DIR[:TAG]}. */
record ImageLocation(Path directory, String tag) {

    static ImageLocation parse(String text) {
        if (text.startsWith("oci:")) {
            String rest = text.substring("oci:".length());
            int colon = rest.indexOf(':');
            Path dir = Path.of(colon < 0 ? rest : rest.substring(0, colon));
            String tag = colon < 0 || colon == rest.length() - 1 ? null : rest.substring(colon + 1);
            if (dir.toString().isEmpty()) {
                throw CloakException.invalid("image \"" + text + "\" names no directory; write oci:DIR[:TAG]");
            }
            return new ImageLocation(dir, tag);
        }
        if (text.startsWith("docker://")) {
            throw CloakException.invalid("image \"" + text + "\": registry references are not supported by this"
                    + " version; copy the image to an OCI layout first (skopeo copy docker://... oci:DIR:TAG)");
        }
        throw CloakException.invalid("image \"" + text + "\" has no transport; write oci:DIR[:TAG]");
    }

    ImageSource openSource() {
        return new OciLayoutSource(OciLayout.open(directory), tag);
    }

    ImageDestination openDestination() throws IOException {
        return new OciLayoutDestination(directory, tag == null ? "latest" : tag);
    }
}
