package org.chis.openhim.local;

import ch.qos.logback.classic.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * mongo-java-server WARNs for every secondary index core creates ("not yet implemented. ignoring": harmless at
 * test scale) and netty logs at DEBUG when logback has no configuration. Raise those loggers' levels, but only
 * where the application's own logback configuration did not set a level for them.
 */
final class Quiet {
    private Quiet() {}

    static void mongoServerLogs() {
        level("de.bwaldvogel.mongo", Level.ERROR);
        level("io.netty", Level.WARN);
    }

    /**
     * When node stops, mongo-java-server logs every dropped connection as an ERROR with a stack trace
     * ("Connection reset"); its exception handler only ever sees such connection-level errors.
     */
    static void mongoDisconnects() {
        level("de.bwaldvogel.mongo.wire.MongoExceptionHandler", Level.OFF);
    }

    /** For the CLI (which ships no logback.xml): INFO overall, unless -Dlogback.configurationFile is given. */
    static void cli() {
        mongoServerLogs();
        if (System.getProperty("logback.configurationFile") != null) return;
        try {
            if (LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
                root.setLevel(Level.INFO);
            }
        } catch (NoClassDefFoundError | RuntimeException noLogback) {
            // another slf4j binding
        }
    }

    private static void level(String name, Level level) {
        try {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
                if (l.getLevel() == null) l.setLevel(level);
            }
        } catch (NoClassDefFoundError | RuntimeException noLogback) {
            // another slf4j binding: its configuration decides
        }
    }
}
