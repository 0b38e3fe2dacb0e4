package io.tailguard.it.server.app;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;

/** The application's servlet for jakarta.servlet containers: the {@link Handler} behind it. */
public final class JakartaServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Handler.serve(new Handler.Exchange() {
            // @formatter:off
            @Override public String method() { return request.getMethod(); }
            @Override public String path() { return request.getRequestURI(); }
            @Override public String query() { return request.getQueryString(); }
            @Override public String header(String name) { return request.getHeader(name); }
            @Override public byte[] body() throws IOException { return request.getInputStream().readAllBytes(); }
            @Override public void status(int status) { response.setStatus(status); }
            @Override public void header(String name, String value) { response.addHeader(name, value); }
            @Override public void contentType(String type) { response.setContentType(type); }
            @Override public void contentLength(int length) { response.setContentLength(length); }
            @Override public PrintWriter writer() throws IOException { return response.getWriter(); }
            @Override public OutputStream stream() throws IOException { return response.getOutputStream(); }
            @Override public void sendError(int status) throws IOException { response.sendError(status); }
            @Override public void completeLater(String text) {
                AsyncContext async = request.startAsync();
                async.start(() -> Handler.finishLater(async.getResponse()::getWriter, async::complete, text));
            }
            // @formatter:on
        });
    }
}
