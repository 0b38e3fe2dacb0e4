package io.tailguard.agent.server.servlet.adapter;

import io.tailguard.agent.server.RecordedResponse;
import io.tailguard.agent.server.ResponseRecorder;
import io.tailguard.agent.server.ServerExchange;
import io.tailguard.bootstrap.Dispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;

/** One request a servlet container hands to {@code HttpServlet.service}, as the server engine sees it. */
final class HttpServletExchange implements ServerExchange {

    /** The attribute the container puts a TLS client's certificate chain in (renamed for {@code javax} too). */
    private static final String CLIENT_CERTIFICATES = "jakarta.servlet.request.X509Certificate";

    private final HttpServlet servlet;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final long queuedNanos;
    private boolean answering;

    /** @param queuedNanos what the container's hook said of the request's wait in its queue ({@code QueueWait}) */
    HttpServletExchange(HttpServlet servlet, HttpServletRequest request, HttpServletResponse response,
            long queuedNanos) {
        this.servlet = servlet;
        this.request = request;
        this.response = response;
        this.queuedNanos = queuedNanos;
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String target() {
        String query = request.getQueryString();
        return query == null ? request.getRequestURI() : request.getRequestURI() + "?" + query;
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public List<String> headers(String name) {
        Enumeration<String> values = request.getHeaders(name);
        return values == null ? List.of() : Collections.list(values);
    }

    @Override
    public String authenticatedIdentity() {
        StringBuilder identity = new StringBuilder();
        Principal user = request.getUserPrincipal();
        if (user != null) {
            identity.append("user:").append(user.getName());
        }
        Object chain = request.getAttribute(CLIENT_CERTIFICATES);
        if (chain instanceof X509Certificate[] && ((X509Certificate[]) chain).length > 0) {
            identity.append(identity.length() == 0 ? "" : " ").append("certificate:")
                    .append(fingerprintable(((X509Certificate[]) chain)[0]));
        }
        return identity.length() == 0 ? null : identity.toString();
    }

    private static String fingerprintable(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(certificate.getEncoded());
        } catch (CertificateEncodingException unencodable) {
            // What names a certificate when its encoding cannot be had: its issuer and serial number.
            return certificate.getIssuerX500Principal().getName() + "#" + certificate.getSerialNumber();
        }
    }

    @Override
    public long queuedNanos() {
        return queuedNanos;
    }

    @Override
    public void proceed(ResponseRecorder recorder) throws Exception {
        answering = true;
        RecordingResponse recording = recorder == null ? null : new RecordingResponse(response, recorder);
        // The hooked method's prologue lets this call through: the servlet runs as written.
        Dispatcher.skipNextInterception();
        try {
            servlet.service(request, recording == null ? response : recording);
        } catch (Throwable failure) {
            if (recording != null) {
                recording.finish(failure, false);
            }
            throw failure;
        } finally {
            Dispatcher.clearSkip();
        }
        if (recording != null) {
            // An asynchronous servlet answers after service returns, through the container's own response.
            recording.finish(null, request.isAsyncStarted());
        }
    }

    @Override
    public void replay(RecordedResponse recorded) throws IOException {
        answer(recorded.status(), recorded.headers(), recorded.body());
    }

    @Override
    public void reject(int status, Map<String, List<String>> headers, String body) throws IOException {
        response.setContentType("text/plain;charset=UTF-8");
        answer(status, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private void answer(int status, Map<String, List<String>> headers, byte[] body) throws IOException {
        answering = true;
        response.setStatus(status);
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            String name = header.getKey();
            if (RecordingResponse.setByContainer(name)) {
                continue;
            }
            boolean first = true;
            for (String value : header.getValue()) {
                if (name.equalsIgnoreCase("Content-Type")) {
                    response.setContentType(value);
                } else if (first) {
                    // Replaces what the container put there itself (Jetty's Server header): not twice.
                    response.setHeader(name, value);
                } else {
                    response.addHeader(name, value);
                }
                first = false;
            }
        }
        if (!"HEAD".equals(request.getMethod())) {
            response.setContentLengthLong(body.length);
            response.getOutputStream().write(body);
        }
    }

    /** Whether the handler has run or a response has been started: past this point nothing may fall back. */
    boolean answering() {
        return answering;
    }
}
