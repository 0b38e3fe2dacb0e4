package io.tailguard.agent.server.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tailguard.agent.config.TestConfigs;
import io.tailguard.agent.engine.Clock;
import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.engine.RandomSource;
import io.tailguard.agent.engine.Scheduler;
import io.tailguard.agent.instrumentation.LibraryBridge;
import io.tailguard.agent.instrumentation.SlotInterceptor;
import io.tailguard.bootstrap.Dispatcher;
import io.tailguard.bootstrap.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.servlet.DispatcherType;
import javax.servlet.ServletOutputStream;
import javax.servlet.WriteListener;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;

/**
 * The adapter, compiled against {@code jakarta.servlet}, renamed and run against the {@code javax}
 * servlet API: it links, records what the servlet writes, and answers a replay without the servlet.
 */
class JavaxServletAdapterTest {

    private static final String ADAPTER = "io.tailguard.agent.server.servlet.adapter";

    private final List<Throwable> internalFailures = new ArrayList<>();
    private final Engine engine = new Engine(Clock.SYSTEM, (task, delay) -> Scheduler.Cancellable.NONE, Runnable::run,
            RandomSource.THREAD_LOCAL, internalFailures::add);
    private final AtomicInteger runs = new AtomicInteger();
    private final HttpServlet servlet = new HttpServlet() {
        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws java.io.IOException {
            response.setStatus(201);
            response.setContentType("text/plain;charset=UTF-8");
            response.addHeader("X-Run", Integer.toString(runs.incrementAndGet()));
            response.getWriter().print("paid ✓ " + runs.get());
        }
    };

    @Test
    void aRenamedAdapterRecordsAJavaxServletsResponseAndReplaysItForTheSameIdempotencyKey() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.server.coalesce.paths=/*", "tailguard.server.replay.ttl=60s",
                "tailguard.server.coalesce.anonymous=true"));
        SlotInterceptor adapter = new LibraryBridge(ADAPTER, ADAPTER + ".ServletService", engine,
                JakartaToJavax::rename).adapterFor(HttpServlet.class);
        assertEquals("javax.servlet.http.HttpServletResponseWrapper", Class.forName(ADAPTER + ".RecordingResponse",
                false, adapter.getClass().getClassLoader()).getSuperclass().getName());

        FakeResponse first = new FakeResponse();
        Object firstOutcome = adapter.intercept(Dispatcher.SERVLET_SERVICE, servlet, new Object[] {request(), first.proxy});
        FakeResponse again = new FakeResponse();
        Object againOutcome = adapter.intercept(Dispatcher.SERVLET_SERVICE, servlet, new Object[] {request(), again.proxy});

        assertTrue(firstOutcome instanceof Outcome && ((Outcome) firstOutcome).failure() == null, firstOutcome.toString());
        assertTrue(againOutcome instanceof Outcome && ((Outcome) againOutcome).failure() == null, againOutcome.toString());
        assertEquals(1, runs.get());
        assertEquals("paid ✓ 1", first.written());
        assertEquals(201, again.status);
        assertEquals("paid ✓ 1", again.written());
        assertEquals(List.of("1"), again.headers.get("X-Run"));
        assertEquals("text/plain;charset=UTF-8", again.contentType);
        assertEquals(List.of(), internalFailures);
    }

    @Test
    void aForwardedRequestIsLeftToTheServlet() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.server.coalesce.paths=/*"));
        SlotInterceptor adapter = new LibraryBridge(ADAPTER, ADAPTER + ".ServletService", engine,
                JakartaToJavax::rename).adapterFor(HttpServlet.class);
        Map<String, Object> attributes = new HashMap<>();
        HttpServletRequest forward = fake(HttpServletRequest.class, (name, args) ->
                name.equals("getDispatcherType") ? DispatcherType.FORWARD : attribute(attributes, name, args));

        assertEquals(Dispatcher.PROCEED, adapter.intercept(Dispatcher.SERVLET_SERVICE, servlet,
                new Object[] {forward, new FakeResponse().proxy}));
        assertNull(attributes.get("io.tailguard.server.handled"));
    }

    @Test
    void aSecondServletCalledWithinTheSameRequestAndAServletOverridingServiceAreLeftAlone() throws Exception {
        engine.configure(TestConfigs.parse("tailguard.server.coalesce.paths=/*"));
        SlotInterceptor adapter = new LibraryBridge(ADAPTER, ADAPTER + ".ServletService", engine,
                JakartaToJavax::rename).adapterFor(HttpServlet.class);
        HttpServletRequest request = request(new HashMap<>());
        HttpServlet overriding = new HttpServlet() {
            @Override
            public void service(javax.servlet.ServletRequest req, javax.servlet.ServletResponse res) {
            }
        };

        assertEquals(Dispatcher.PROCEED, adapter.intercept(Dispatcher.SERVLET_SERVICE, overriding,
                new Object[] {request, new FakeResponse().proxy}));
        assertTrue(adapter.intercept(Dispatcher.SERVLET_SERVICE, servlet,
                new Object[] {request, new FakeResponse().proxy}) instanceof Outcome);
        assertEquals(Dispatcher.PROCEED, adapter.intercept(Dispatcher.SERVLET_SERVICE, servlet,
                new Object[] {request, new FakeResponse().proxy}));
        assertEquals(1, runs.get());
    }

    private static HttpServletRequest request() {
        return request(new HashMap<>());
    }

    private static HttpServletRequest request(Map<String, Object> attributes) {
        Map<String, String> headers = Map.of("Idempotency-Key", "k-1", "Content-Type", "text/plain",
                "Content-Length", "6");
        return fake(HttpServletRequest.class, (name, args) -> {
            switch (name) {
                case "getMethod":
                    return "POST";
                case "getRequestURI":
                    return "/pay";
                case "getDispatcherType":
                    return DispatcherType.REQUEST;
                case "getHeader":
                    return headers.get((String) args[0]);
                case "getHeaders":
                    String value = headers.get((String) args[0]);
                    return Collections.enumeration(value == null ? List.of() : List.of(value));
                default:
                    return attribute(attributes, name, args);
            }
        });
    }

    private static Object attribute(Map<String, Object> attributes, String name, Object[] args) {
        if (name.equals("setAttribute")) {
            attributes.put((String) args[0], args[1]);
        }
        return name.equals("getAttribute") ? attributes.get((String) args[0]) : null;
    }

    /** A container's response, keeping what is written to it. */
    private static final class FakeResponse {
        int status = 200;
        String contentType;
        final Map<String, List<String>> headers = new HashMap<>();
        final StringWriter chars = new StringWriter();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final HttpServletResponse proxy = fake(HttpServletResponse.class, this::answer);

        private Object answer(String name, Object[] args) {
            switch (name) {
                case "setStatus":
                    status = (Integer) args[0];
                    return null;
                case "getStatus":
                    return status;
                case "setContentType":
                    contentType = (String) args[0];
                    return null;
                case "getContentType":
                    return contentType;
                case "getCharacterEncoding":
                    return "UTF-8";
                case "setHeader":
                    headers.remove((String) args[0]);
                    headers.computeIfAbsent((String) args[0], n -> new ArrayList<>()).add((String) args[1]);
                    return null;
                case "addHeader":
                    headers.computeIfAbsent((String) args[0], n -> new ArrayList<>()).add((String) args[1]);
                    return null;
                case "getHeaderNames":
                    return headers.keySet();
                case "getHeaders":
                    return headers.get((String) args[0]);
                case "getWriter":
                    return new PrintWriter(chars);
                case "getOutputStream":
                    return new ServletOutputStream() {
                        @Override
                        public void write(int b) {
                            bytes.write(b);
                        }

                        @Override
                        public boolean isReady() {
                            return true;
                        }

                        @Override
                        public void setWriteListener(WriteListener listener) {
                        }
                    };
                default:
                    return null;
            }
        }

        String written() {
            return chars + bytes.toString(StandardCharsets.UTF_8);
        }
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T fake(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(JavaxServletAdapterTest.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> {
                    Object value = answer.answer(method.getName(), args == null ? new Object[0] : args);
                    if (value == null && method.getReturnType() == boolean.class) {
                        return false;
                    }
                    return value;
                }));
    }
}
