package io.tailguard.agent.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.tailguard.agent.engine.Exchange.AttemptListener;
import io.tailguard.agent.engine.FailureKind;
import io.tailguard.agent.engine.HeaderDecision;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class AsyncAttemptTest {

    @Test
    void anAttemptCancelledBeforeItsRequestStartedOnAConnectionNeverLeft() {
        Recording listener = new Recording();

        attempt(listener, false).cancelled();

        assertInstanceOf(AsyncAttempt.NotSent.class, listener.failure);
        assertEquals(FailureKind.NOT_SENT, AttemptFailures.classify(listener.failure));
    }

    @Test
    void anAttemptCancelledOnceItsRequestStartedMayHaveReachedTheServer() {
        Recording listener = new Recording();

        attempt(listener, true).cancelled();

        assertEquals(CancellationException.class, listener.failure.getClass());
        assertEquals(FailureKind.OTHER, AttemptFailures.classify(listener.failure));
    }

    private static AsyncAttempt<String> attempt(AttemptListener<String> listener, boolean started) {
        return new AsyncAttempt<>(listener) {
            @Override
            protected boolean requestStarted() {
                return started;
            }
        };
    }

    private static final class Recording implements AttemptListener<String> {
        Throwable failure;

        @Override
        public HeaderDecision onHeaders(int status, long contentLength) {
            throw new AssertionError("no response");
        }

        @Override
        public boolean reserve(long bytes) {
            throw new AssertionError("no response");
        }

        @Override
        public HeaderDecision commit() {
            throw new AssertionError("no response");
        }

        @Override
        public void onResponse(String response) {
            throw new AssertionError("no response");
        }

        @Override
        public void onFailure(Throwable failure) {
            this.failure = failure;
        }
    }
}
