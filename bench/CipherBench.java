import dev.cloak.keys.KeyFiles;
import dev.cloak.keys.Keyring;
import dev.cloak.oci.Descriptor;
import dev.cloak.oci.ImageConfig;
import dev.cloak.oci.ImageManifest;
import dev.cloak.oci.Json;
import dev.cloak.oci.OciLayout;
import dev.cloak.ocicrypt.KeyWrappers;
import dev.cloak.ocicrypt.LayerDecryptor;
import dev.cloak.ocicrypt.LayerKey;
import dev.cloak.ocicrypt.PlaintextSink;
import dev.cloak.ocicrypt.VerifiedLayer;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Cloak's cipher path alone: unwrap the layer key, then stream the encrypted blob through decryption and
 * all verification (encrypted digest, HMAC, plaintext digest) into a sink that discards the bytes.
 * Usage: java -cp target/cloak.jar bench/CipherBench.java LAYOUT TAG KEYFILE RUNS
 */
public class CipherBench {
    public static void main(String[] args) throws Exception {
        OciLayout layout = OciLayout.open(Path.of(args[0]));
        Descriptor top = layout.resolve(args[1]);
        ImageManifest manifest = Json.read(layout.readSmallBlob(top, 4 << 20), ImageManifest.class, "manifest");
        ImageConfig config = Json.read(layout.readSmallBlob(manifest.config(), 8 << 20), ImageConfig.class, "config");
        Keyring keys = KeyFiles.load(List.of(args[2]));
        int runs = Integer.parseInt(args[3]);
        LayerDecryptor decryptor = new LayerDecryptor(KeyWrappers.standard());
        PlaintextSink discard = () -> new PlaintextSink.Staging() {
            final OutputStream out = OutputStream.nullOutputStream();
            public OutputStream out() { return out; }
            public void commit(VerifiedLayer proof) { }
            public void close() { }
        };
        double best = 0;
        for (int run = 0; run < runs; run++) {
            long bytes = 0;
            long start = System.nanoTime();
            for (int i = 0; i < manifest.layers().size(); i++) {
                Descriptor layer = manifest.layers().get(i);
                try (LayerKey key = decryptor.unwrap(layer, keys); InputStream in = layout.openBlob(layer.digest())) {
                    bytes += decryptor.decrypt(key, config.diffIds().get(i), in, discard).size();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double mbps = bytes / 1e6 / seconds;
            best = Math.max(best, mbps);
            System.err.printf("run %d: %d bytes in %.2f s = %.0f MB/s%n", run + 1, bytes, seconds, mbps);
        }
        System.out.printf("%.0f%n", best);
    }
}
