package io.tailguard.agent.server.tomcat;

import io.tailguard.agent.engine.Engine;
import io.tailguard.agent.instrumentation.ClientInstrumentation;
import io.tailguard.agent.instrumentation.Hook;
import io.tailguard.agent.server.HandOffs;
import io.tailguard.agent.server.QueueWait;
import io.tailguard.agent.server.ServerEngine;
import io.tailguard.bootstrap.Dispatcher;
import java.util.List;

/**
 * How long a request waited in Tomcat's queue, for {@link QueueWait}. Tomcat's connector (9.0,
 * 10.1 and 11.0 alike, checked in their sources) hands every socket event to its executor in
 * {@code AbstractEndpoint.processSocket}: it takes a cached {@code SocketProcessorBase}, or makes one,
 * sets it up with {@code reset(SocketWrapperBase, SocketEvent)} (its constructor calls {@code reset}
 * too), then {@code executor.execute(processor)}; a worker thread runs it with its final
 * {@code run()}, which reads the request and calls the servlet. So {@code reset} is the hand-off and
 * {@code run} the start, whatever the executor (Tomcat's own pool, a shared {@code Executor}
 * element, Spring Boot's virtual threads). Reused processors are why the time lives in a weak
 * {@link HandOffs} table keyed by the processor, rewritten at each {@code reset}.
 *
 * <p>Tomcat's own pool also runs tasks that are not socket processors and may reach a servlet
 * (an HTTP/2 stream's): its {@code ThreadPoolExecutor.beforeExecute(Thread, Runnable)}, called
 * before every task, clears what an earlier task of the thread left unread, so that such a request
 * reads "not known", never another request's wait.
 *
 * <p>Without {@code tailguard.server.*} each hook reads one volatile field and records nothing.
 * Tomcat 9.0 before 9.0.51, whose pool extends the JDK's, has no {@code beforeExecute} of its own
 * to hook: there only the socket processors set and clear it.
 */
public final class TomcatQueueInstrumentation implements ClientInstrumentation {

    public static final String NAME = "tomcat";

    private static final String PROCESSOR = "org/apache/tomcat/util/net/SocketProcessorBase";
    private static final String POOL = "org/apache/tomcat/util/threads/ThreadPoolExecutor";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Hook> hooks() {
        return List.of(
                new Hook(PROCESSOR, "reset", "(Lorg/apache/tomcat/util/net/SocketWrapperBase;"
                        + "Lorg/apache/tomcat/util/net/SocketEvent;)V", Dispatcher.TOMCAT_HAND_OFF),
                new Hook(PROCESSOR, "run", "()V", Dispatcher.TOMCAT_RUN),
                new Hook(POOL, "beforeExecute", "(Ljava/lang/Thread;Ljava/lang/Runnable;)V",
                        Dispatcher.TOMCAT_BEFORE_EXECUTE));
    }

    @Override
    public void install(Engine engine) {
        ServerEngine server = engine.server();
        HandOffs handOffs = new HandOffs();
        Dispatcher.install(Dispatcher.TOMCAT_HAND_OFF, (self, args) -> {
            if (server.active()) {
                handOffs.handedOff(self);
            }
            return Dispatcher.PROCEED;
        });
        Dispatcher.install(Dispatcher.TOMCAT_BEFORE_EXECUTE, (self, args) -> {
            if (server.active()) {
                // Read and dropped: a socket processor's run sets it again.
                QueueWait.take();
            }
            return Dispatcher.PROCEED;
        });
        Dispatcher.install(Dispatcher.TOMCAT_RUN, (self, args) -> {
            if (server.active()) {
                handOffs.started(self);
            }
            return Dispatcher.PROCEED;
        });
    }
}
