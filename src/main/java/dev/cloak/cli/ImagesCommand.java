package dev.cloak.cli;

import dev.cloak.proto.cri.AuthConfig;
import dev.cloak.proto.cri.Image;
import dev.cloak.proto.cri.ImageFsInfoRequest;
import dev.cloak.proto.cri.ImageFsInfoResponse;
import dev.cloak.proto.cri.ImageSpec;
import dev.cloak.proto.cri.ImageStatusRequest;
import dev.cloak.proto.cri.ImageStatusResponse;
import dev.cloak.proto.cri.ListImagesRequest;
import dev.cloak.proto.cri.PodSandboxConfig;
import dev.cloak.proto.cri.PodSandboxMetadata;
import dev.cloak.proto.cri.PullImageRequest;
import dev.cloak.proto.cri.RemoveImageRequest;
import dev.cloak.registry.auth.Credentials;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code cloak images}: a CRI image client for people and tests, like crictl (which Debian does not package). */
@Command(name = "images", mixinStandardHelpOptions = true,
        description = "Talk CRI to an image endpoint (Cloak's, or containerd's own): pull, list, inspect, rm, fsinfo.",
        subcommands = {ImagesCommand.Pull.class, ImagesCommand.ListImages.class, ImagesCommand.Inspect.class,
                ImagesCommand.Remove.class, ImagesCommand.FsInfo.class})
final class ImagesCommand implements Runnable {
    @Option(names = "--endpoint", paramLabel = "unix://PATH", defaultValue = "unix:///run/cloak/cloak.sock",
            scope = picocli.CommandLine.ScopeType.INHERIT, description = "The CRI image endpoint (default ${DEFAULT-VALUE}).")
    String endpoint;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        ImagesCommand parent;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() {
            try (CriClient client = new CriClient(parent.endpoint)) {
                try {
                    run(client);
                } catch (StatusRuntimeException e) {
                    throw client.failure(e);
                }
            }
            return ExitCodes.OK;
        }

        abstract void run(CriClient client);
    }

    @Command(name = "pull", description = "Pull an image; prints the image reference the runtime knows it by.")
    static final class Pull extends Sub {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = "Registry credentials, sent as the CRI AuthConfig.")
        String creds;

        @Option(names = "--pod-namespace", paramLabel = "NAMESPACE", description = "Namespace of the pod asking (sent in the sandbox config).")
        String podNamespace;

        @Override
        void run(CriClient client) {
            PullImageRequest.Builder request = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image));
            if (creds != null) {
                Credentials c = Credentials.parseUserPassword(creds);
                request.setAuth(AuthConfig.newBuilder().setUsername(c.username()).setPassword(c.password()));
            }
            if (podNamespace != null) {
                request.setSandboxConfig(PodSandboxConfig.newBuilder().setMetadata(
                        PodSandboxMetadata.newBuilder().setName("cloak-cli").setNamespace(podNamespace).setUid("cloak-cli")));
            }
            out().println(client.images().pullImage(request.build()).getImageRef());
        }
    }

    @Command(name = "list", description = "List images: id, tags, digests, size.")
    static final class ListImages extends Sub {
        @Override
        void run(CriClient client) {
            var images = client.images().listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
            out().printf("%-71s  %12s  %s%n", "IMAGE ID", "SIZE", "TAGS / DIGESTS");
            for (Image i : images) {
                java.util.List<String> names = new java.util.ArrayList<>(i.getRepoTagsList());
                names.addAll(i.getRepoDigestsList());
                out().printf("%-71s  %12d  %s%n", i.getId(), i.getSize(), String.join(" ", names));
            }
        }
    }

    @Command(name = "inspect", description = "Show one image's status; exit 5 when it is not present.")
    static final class Inspect extends Sub {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Override
        void run(CriClient client) {
            ImageStatusResponse r = client.images().imageStatus(ImageStatusRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(image)).build());
            if (!r.hasImage()) {
                throw dev.cloak.error.CloakException.notFound("image " + image + " is not present");
            }
            Image i = r.getImage();
            out().println("id: " + i.getId());
            i.getRepoTagsList().forEach(t -> out().println("tag: " + t));
            i.getRepoDigestsList().forEach(d -> out().println("digest: " + d));
            out().println("size: " + i.getSize());
        }
    }

    @Command(name = "rm", description = "Remove an image (succeeds when it is already gone).")
    static final class Remove extends Sub {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Override
        void run(CriClient client) {
            client.images().removeImage(RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)).build());
            out().println("removed " + image);
        }
    }

    @Command(name = "fsinfo", description = "Show the image filesystem: mount point and bytes used.")
    static final class FsInfo extends Sub {
        @Override
        void run(CriClient client) {
            ImageFsInfoResponse r = client.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            r.getImageFilesystemsList().forEach(f -> out().println(f.getFsId().getMountpoint() + " used="
                    + f.getUsedBytes().getValue() + " inodes=" + f.getInodesUsed().getValue()));
        }
    }
}
