package dev.newssearch;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node for development and tests, started from Maven Central jars.
 *
 * <p>Subclassing {@link Node} with the modules on the classpath is what the distribution's
 * bootstrap does once it has checked the JVM, the security manager and the jar layout; those
 * checks are for production and are skipped here. Arguments are settings as key=value pairs
 * (path.home, http.port, transport.port, discovery.type, ...); launch.py writes them.
 */
public final class DevNode extends Node {

    /** The modules a distribution ships that the search service relies on. */
    static final List<Class<? extends Plugin>> MODULES = List.of(
        Netty4Plugin.class,          // HTTP and transport
        CommonAnalysisPlugin.class,  // snowball, synonym_graph, shingle, edge_ngram ...
        MapperExtrasPlugin.class,    // search_as_you_type, rank_feature
        PainlessPlugin.class,        // scripts (function_score decay, update by query)
        ReindexPlugin.class          // delete_by_query, reindex
    );

    DevNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(environment, plugins, true);
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), null, () -> settings.get("node.name", "dev"));
        DevNode node = new DevNode(environment, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "devnode-shutdown"));
        node.start();
        System.out.println("devnode started " + settings.get("node.name", "dev"));
        System.out.flush();
        stopped.await();  // the node's threads are daemons: keep the JVM alive until SIGTERM
    }
}
