package dev.cloak.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import dev.cloak.error.CloakException;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/** Applies {@code --log-format text|json} and {@code --log-level} to Logback after start-up. */
final class Logging {
    private Logging() {
    }

    static void configure(String format, String level) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        if (level != null) {
            Level parsed = Level.toLevel(level.toUpperCase(Locale.ROOT), null);
            if (parsed == null) {
                throw CloakException.invalid("--log-level is \"" + level + "\"; it must be one of error, warn, info, debug, trace");
            }
            root.setLevel(parsed);
        }
        if (format == null || format.equals("text")) {
            return;
        }
        if (!format.equals("json")) {
            throw CloakException.invalid("--log-format is \"" + format + "\"; it must be text or json");
        }
        // One JSON object per line on stderr, for journald and Loki pipelines; the pull id is in "mdc".
        // The message as written, not logback's default of a {} template plus an argument array.
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.start();
        ConsoleAppender<ILoggingEvent> json = LogConfigurator.stderr(context, "JSON", encoder);
        root.detachAndStopAllAppenders();
        root.addAppender(json);
    }
}
