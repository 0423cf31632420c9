package dev.cloak.registry;

import dev.cloak.error.CloakException;
import dev.cloak.keys.KeyFile;
import dev.cloak.keys.KeyFileParser;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Builds the SSLContext for a host's TLS settings: system CAs plus extra CA files, client certificates. */
final class TlsContexts {
    private TlsContexts() {
    }

    static SSLContext build(RegistryHost.TlsSettings tls) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keyManagers(tls), tls.skipVerify() ? new TrustManager[] {new TrustAll()} : trustManagers(tls), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw CloakException.invalid("cannot set up TLS with the configured certificates: " + e.getMessage());
        }
    }

    private static TrustManager[] trustManagers(RegistryHost.TlsSettings tls) throws GeneralSecurityException {
        if (tls.caFiles().isEmpty()) {
            return null;
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        system.init((KeyStore) null);
        int i = 0;
        for (TrustManager tm : system.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    store.setCertificateEntry("system-" + i++, c);
                }
            }
        }
        for (Path ca : tls.caFiles()) {
            for (Certificate c : certificates(ca)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return tmf.getTrustManagers();
    }

    private static javax.net.ssl.KeyManager[] keyManagers(RegistryHost.TlsSettings tls) throws GeneralSecurityException {
        if (tls.clientCertificates().isEmpty()) {
            return null;
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (RegistryHost.ClientCertificate pair : tls.clientCertificates()) {
            List<Certificate> chain = new ArrayList<>(certificates(pair.certificate()));
            store.setKeyEntry("client-" + i++, privateKey(pair.key()), new char[0], chain.toArray(new Certificate[0]));
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        return kmf.getKeyManagers();
    }

    private static Collection<? extends Certificate> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw CloakException.invalid("certificate file " + file + " holds no certificate");
            }
            return certs;
        } catch (IOException | GeneralSecurityException e) {
            throw CloakException.invalid("certificate file " + file + " cannot be read as PEM or DER certificates");
        }
    }

    private static PrivateKey privateKey(Path file) {
        try {
            KeyFile parsed = KeyFileParser.parse(file, Files.readAllBytes(file), null);
            if (parsed instanceof KeyFile.Keys k && !k.privateKeys().isEmpty()) {
                return k.privateKeys().get(0).key();
            }
        } catch (IOException e) {
            throw CloakException.invalid("client key file " + file + " cannot be read");
        }
        throw CloakException.invalid("client key file " + file + " holds no unencrypted private key");
    }

    /** skip_verify: accept any server certificate and any host name, as containerd does. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
