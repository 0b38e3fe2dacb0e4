package io.tailguard.agent;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.simple.SimpleLoggerFactory;

/**
 * The agent's log: slf4j-simple (relocated inside the agent jar, so the application's own slf4j
 * and its configuration are never touched) writing to stderr, every line starting with
 * {@code [tailguard]}. Created on first use, so that a quiet agent pays nothing for it at startup.
 */
public final class Log {

    private static final String SIMPLE = "org.slf4j.simpleLogger.";
    private static volatile String level = "info";
    private static volatile Logger logger;

    private Log() {
    }

    /** Sets the level: {@code off, error, warn, info, debug, trace}. This class does the filtering. */
    public static void setLevel(String newLevel) {
        level = newLevel.toLowerCase(Locale.ROOT);
    }

    private static Logger logger() {
        Logger l = logger;
        if (l == null) {
            synchronized (Log.class) {
                l = logger;
                if (l == null) {
                    // These keys are relocated along with slf4j-simple: they configure only the
                    // agent's copy. The "date" is the fixed text [tailguard], which makes it the prefix.
                    System.setProperty(SIMPLE + "defaultLogLevel", "trace");
                    System.setProperty(SIMPLE + "logFile", "System.err");
                    System.setProperty(SIMPLE + "showDateTime", "true");
                    System.setProperty(SIMPLE + "dateTimeFormat", "'[tailguard]'");
                    System.setProperty(SIMPLE + "showThreadName", "false");
                    System.setProperty(SIMPLE + "showLogName", "false");
                    System.setProperty(SIMPLE + "showShortLogName", "false");
                    System.setProperty(SIMPLE + "levelInBrackets", "false");
                    l = new SimpleLoggerFactory().getLogger("tailguard");
                    logger = l;
                }
            }
        }
        return l;
    }

    public static void error(String message) {
        if (!"off".equals(level)) {
            logger().error(message);
        }
    }

    public static void error(String message, Throwable failure) {
        if (!"off".equals(level)) {
            logger().error(message, failure);
        }
    }

    public static void warn(String message) {
        if (enabled("warn")) {
            logger().warn(message);
        }
    }

    public static void warn(String message, Throwable failure) {
        if (enabled("warn")) {
            logger().warn(message, failure);
        }
    }

    public static void info(String message) {
        if (enabled("info")) {
            logger().info(message);
        }
    }

    public static void debug(String message) {
        if (enabled("debug")) {
            logger().debug(message);
        }
    }

    /**
     * Writes at a level given by name ({@code error, warn, info, debug, trace}), for messages
     * that come from elsewhere (Micrometer's own log). {@code failure} may be {@code null}.
     */
    public static void write(String messageLevel, String message, Throwable failure) {
        if (!enabled(messageLevel)) {
            return;
        }
        Logger l = logger();
        switch (messageLevel) {
            case "error":
                l.error(message, failure);
                break;
            case "warn":
                l.warn(message, failure);
                break;
            case "info":
                l.info(message, failure);
                break;
            default:
                l.debug(message, failure);
        }
    }

    /** Whether messages at {@code wanted} are written; cheap enough to guard string building. */
    public static boolean enabled(String wanted) {
        return rank(level) >= rank(wanted);
    }

    private static int rank(String name) {
        switch (name) {
            case "off":
                return 0;
            case "error":
                return 1;
            case "warn":
                return 2;
            case "info":
                return 3;
            case "debug":
                return 4;
            default:
                return 5;
        }
    }
}
