package io.tailguard.agent.metrics;

import io.micrometer.common.util.internal.logging.AbstractInternalLogger;
import io.micrometer.common.util.internal.logging.InternalLogger;
import io.micrometer.common.util.internal.logging.InternalLoggerFactory;
import io.tailguard.agent.Log;

/**
 * Sends Micrometer's own log messages through the agent's {@link Log}: one {@code [tailguard]}
 * prefix, {@code tailguard.log.level} applies. Left alone, the relocated Micrometer would look for
 * the relocated slf4j through its service loader (and honour an application's
 * {@code -Dslf4j.provider}), and print its debug lines at the level the agent's slf4j-simple is
 * set to, which is everything.
 */
final class MicrometerLogBridge extends InternalLoggerFactory {

    private MicrometerLogBridge() {
    }

    static void install() {
        InternalLoggerFactory.setDefaultFactory(new MicrometerLogBridge());
    }

    @Override
    protected InternalLogger newInstance(String name) {
        return new Logger(name);
    }

    /** {@code "a {} c", b} becomes {@code "a b c"}; a trailing unused Throwable is the failure. */
    static String format(String format, Object... args) {
        if (format == null || args == null || args.length == 0) {
            return format;
        }
        StringBuilder out = new StringBuilder(format.length() + 16);
        int from = 0;
        int arg = 0;
        for (int at = format.indexOf("{}"); at >= 0 && arg < args.length; at = format.indexOf("{}", from)) {
            out.append(format, from, at).append(args[arg++]);
            from = at + 2;
        }
        return out.append(format, from, format.length()).toString();
    }

    private static Throwable failureIn(Object... args) {
        return args != null && args.length > 0 && args[args.length - 1] instanceof Throwable
                ? (Throwable) args[args.length - 1] : null;
    }

    private static final class Logger extends AbstractInternalLogger {

        private static final long serialVersionUID = 1L;

        /**
         * Whose info and warnings are the agent's debug: a push registry's "Publishing metrics for ..."
         * repeats the agent's own line, and the composite registry's warning that a registry added
         * later misses earlier recordings is about how the agent adds its registries (a reload that
         * turns on a second export), nothing an operator can change.
         */
        private final boolean quiet;

        Logger(String name) {
            super(name);
            quiet = name.endsWith(".PushMeterRegistry") || name.endsWith(".CompositeMeterRegistry");
        }

        private String level(String level) {
            return quiet && (level.equals("info") || level.equals("warn")) ? "debug" : level;
        }

        private void out(String wanted, String format, Object... args) {
            String level = level(wanted);
            if (Log.enabled(level)) {
                Log.write(level, "micrometer: " + format(format, args), failureIn(args));
            }
        }

        private void out(String wanted, String message, Throwable failure) {
            String level = level(wanted);
            if (Log.enabled(level)) {
                Log.write(level, "micrometer: " + message, failure);
            }
        }

        @Override
        public boolean isTraceEnabled() {
            return Log.enabled("trace");
        }

        @Override
        public void trace(String msg) {
            out("trace", msg, (Throwable) null);
        }

        @Override
        public void trace(String format, Object arg) {
            out("trace", format, arg);
        }

        @Override
        public void trace(String format, Object argA, Object argB) {
            out("trace", format, argA, argB);
        }

        @Override
        public void trace(String format, Object... arguments) {
            out("trace", format, arguments);
        }

        @Override
        public void trace(String msg, Throwable t) {
            out("trace", msg, t);
        }

        @Override
        public boolean isDebugEnabled() {
            return Log.enabled("debug");
        }

        @Override
        public void debug(String msg) {
            out("debug", msg, (Throwable) null);
        }

        @Override
        public void debug(String format, Object arg) {
            out("debug", format, arg);
        }

        @Override
        public void debug(String format, Object argA, Object argB) {
            out("debug", format, argA, argB);
        }

        @Override
        public void debug(String format, Object... arguments) {
            out("debug", format, arguments);
        }

        @Override
        public void debug(String msg, Throwable t) {
            out("debug", msg, t);
        }

        @Override
        public boolean isInfoEnabled() {
            return Log.enabled("info");
        }

        @Override
        public void info(String msg) {
            out("info", msg, (Throwable) null);
        }

        @Override
        public void info(String format, Object arg) {
            out("info", format, arg);
        }

        @Override
        public void info(String format, Object argA, Object argB) {
            out("info", format, argA, argB);
        }

        @Override
        public void info(String format, Object... arguments) {
            out("info", format, arguments);
        }

        @Override
        public void info(String msg, Throwable t) {
            out("info", msg, t);
        }

        @Override
        public boolean isWarnEnabled() {
            return Log.enabled("warn");
        }

        @Override
        public void warn(String msg) {
            out("warn", msg, (Throwable) null);
        }

        @Override
        public void warn(String format, Object arg) {
            out("warn", format, arg);
        }

        @Override
        public void warn(String format, Object... arguments) {
            out("warn", format, arguments);
        }

        @Override
        public void warn(String format, Object argA, Object argB) {
            out("warn", format, argA, argB);
        }

        @Override
        public void warn(String msg, Throwable t) {
            out("warn", msg, t);
        }

        @Override
        public boolean isErrorEnabled() {
            return Log.enabled("error");
        }

        @Override
        public void error(String msg) {
            out("error", msg, (Throwable) null);
        }

        @Override
        public void error(String format, Object arg) {
            out("error", format, arg);
        }

        @Override
        public void error(String format, Object argA, Object argB) {
            out("error", format, argA, argB);
        }

        @Override
        public void error(String format, Object... arguments) {
            out("error", format, arguments);
        }

        @Override
        public void error(String msg, Throwable t) {
            out("error", msg, t);
        }
    }
}
