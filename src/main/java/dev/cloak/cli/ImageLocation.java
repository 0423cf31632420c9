package dev.cloak.cli;

import dev.cloak.error.CloakException;
import dev.cloak.image.ImageDestination;
import dev.cloak.image.ImageSource;
import dev.cloak.image.OciLayoutDestination;
import dev.cloak.image.OciLayoutSource;
import dev.cloak.image.RegistryDestination;
import dev.cloak.image.RegistrySource;
import dev.cloak.oci.ImageReference;
import dev.cloak.oci.OciLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;

/** An image named on the command line: {@code oci:DIR[:TAG]} or {@code docker://REFERENCE}. */
sealed interface ImageLocation {

    ImageSource openSource();

    ImageDestination openDestination() throws IOException;

    static ImageLocation parse(String text, Supplier<dev.cloak.registry.RegistryClient> registry) {
        if (text.startsWith("oci:")) {
            String rest = text.substring("oci:".length());
            int colon = rest.indexOf(':');
            Path dir = Path.of(colon < 0 ? rest : rest.substring(0, colon));
            String tag = colon < 0 || colon == rest.length() - 1 ? null : rest.substring(colon + 1);
            if (dir.toString().isEmpty()) {
                throw CloakException.invalid("image \"" + text + "\" names no directory; write oci:DIR[:TAG]");
            }
            return new Layout(dir, tag);
        }
        if (text.startsWith("docker://")) {
            return new Registry(ImageReference.parse(text.substring("docker://".length())), registry);
        }
        throw CloakException.invalid("image \"" + text + "\" has no transport; write oci:DIR[:TAG] or docker://REFERENCE");
    }

    record Layout(Path directory, String tag) implements ImageLocation {
        @Override
        public ImageSource openSource() {
            return new OciLayoutSource(OciLayout.open(directory), tag);
        }

        @Override
        public ImageDestination openDestination() throws IOException {
            return new OciLayoutDestination(directory, tag == null ? "latest" : tag);
        }
    }

    record Registry(ImageReference reference, Supplier<dev.cloak.registry.RegistryClient> client) implements ImageLocation {
        @Override
        public ImageSource openSource() {
            return new RegistrySource(client.get(), reference);
        }

        @Override
        public ImageDestination openDestination() {
            return new RegistryDestination(client.get(), reference);
        }
    }
}
