package dev.cloak.registry;

import javax.net.ssl.SSLSession;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/** A response whose body stream was wrapped (with an idle-read timeout). */
record HttpResponseWithBody(HttpResponse<InputStream> inner, InputStream body) implements HttpResponse<InputStream> {
    @Override
    public int statusCode() {
        return inner.statusCode();
    }

    @Override
    public HttpRequest request() {
        return inner.request();
    }

    @Override
    public Optional<HttpResponse<InputStream>> previousResponse() {
        return inner.previousResponse();
    }

    @Override
    public HttpHeaders headers() {
        return inner.headers();
    }

    @Override
    public Optional<SSLSession> sslSession() {
        return inner.sslSession();
    }

    @Override
    public URI uri() {
        return inner.uri();
    }

    @Override
    public HttpClient.Version version() {
        return inner.version();
    }
}
