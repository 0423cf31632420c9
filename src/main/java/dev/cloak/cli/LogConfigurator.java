package dev.cloak.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration, in code rather than a logback.xml: reading XML costs every start of Cloak the
 * XML parser and Joran's configuration machinery, about 600 classes. Log lines go to stderr as
 * {@code time LEVEL Logger: [pull=id ]message}; the level is the system property {@code cloak.log.level}
 * (Main sets WARN for commands, INFO for {@code cloak serve}, DEBUG with --verbose), and {@link Logging}
 * applies --log-level and --log-format after start. {@code -Dlogback.configurationFile=FILE} still wins.
 * Found by logback through META-INF/services.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %replace(pull=%X{pull} ){'^pull= $', ''}%msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context, System.getProperty("cloak.log.level", "WARN"));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    static void apply(LoggerContext context, String level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = stderr(context, "STDERR", encoder);
        // grpc-netty asks for TCP keepalive on every channel; unix sockets have none, and Netty warns about it.
        context.getLogger("io.netty.bootstrap").setLevel(Level.ERROR);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.WARN));
        root.addAppender(stderr);
    }

    /** A started appender writing {@code encoder}'s lines to stderr, where all of Cloak's log lines go. */
    static ConsoleAppender<ILoggingEvent> stderr(LoggerContext context, String name, Encoder<ILoggingEvent> encoder) {
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}
