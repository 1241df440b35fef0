package org.elasticsearch.node;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.metadata.Metadata;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.core.IOUtils;
import org.elasticsearch.env.Environment;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.transport.netty4.Netty4Plugin;
import org.elasticsearch.xcontent.XContentBuilder;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs one Elasticsearch node in this JVM from the jars Maven Central publishes, since the
 * distribution archive cannot be downloaded here. It does what the distribution's bootstrap
 * (org.elasticsearch.bootstrap.Elasticsearch) does that matters on a loopback-only node: configure
 * logging from the config dir, build the node, close it on SIGTERM. It skips the bootstrap checks
 * (on a node bound to 127.0.0.1 they only warn), the security manager/entitlements, the
 * system call filter and the refusal to run as root. Lives in this package because NodeConstruction,
 * NodeServiceProvider and Node(NodeConstruction) are package-private.
 *
 * Usage: CdcFanoutEsNode CONFIG_DIR (holds elasticsearch.yml, which sets path.home, and log4j2.properties).
 */
public final class CdcFanoutEsNode {

    /** The modules of a distribution that Maven Central publishes, plus our stand-in for rest-root. */
    private static final List<Map.Entry<String, Class<? extends Plugin>>> MODULES = List.of(
        Map.entry("transport-netty4", Netty4Plugin.class),
        Map.entry("rest-root-standin", RootEndpointPlugin.class)
    );

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: CdcFanoutEsNode CONFIG_DIR");
        }
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            Settings.EMPTY,
            Map.of(),
            Path.of(args[0]),
            () -> "cdc-fanout-es"
        );
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment, true);

        Node node = new Node(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader ignored) {
                return new ClasspathPluginsService(env, MODULES);
            }
        }, true));

        // All of the node's threads are daemon threads, so main waits here to keep the JVM alive. On SIGTERM
        // the hook closes the node, which flushes every shard, so the data directory reopens cleanly.
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> close(node, closed), "cdc-fanout-es-shutdown"));
        node.start();
        closed.await();
    }

    private static void close(Node node, CountDownLatch closed) {
        try {
            node.prepareForClose();
            IOUtils.close(node);
            if (node.awaitClose(30, TimeUnit.SECONDS) == false) {
                LogManager.getLogger(CdcFanoutEsNode.class).warn("node did not close within 30s");
            }
        } catch (Exception e) {
            LogManager.getLogger(CdcFanoutEsNode.class).error("failed to close the node", e);
        } finally {
            // log4j's own shutdown hook is disabled (-Dlog4j.shutdownHookEnabled=false) so that the close
            // above is still logged; flush it here.
            Configurator.shutdown((LoggerContext) LogManager.getContext(false));
            closed.countDown();
        }
    }

    /**
     * GET / and HEAD / as the rest-root module serves them, which Maven Central does not publish. Clients
     * read the version from GET / and ping with HEAD /; the x-elastic-product header on every response
     * comes from the server's RestController, not from here.
     */
    public static final class RootEndpointPlugin extends Plugin implements ActionPlugin {

        private volatile ClusterService clusterService;

        @Override
        public Collection<?> createComponents(PluginServices services) {
            clusterService = services.clusterService();
            return List.of();
        }

        @Override
        public Collection<RestHandler> getRestHandlers(
            Settings settings,
            NamedWriteableRegistry namedWriteableRegistry,
            RestController restController,
            ClusterSettings clusterSettings,
            IndexScopedSettings indexScopedSettings,
            SettingsFilter settingsFilter,
            IndexNameExpressionResolver indexNameExpressionResolver,
            Supplier<DiscoveryNodes> nodesInCluster,
            Predicate<NodeFeature> clusterSupportsFeature
        ) {
            return List.of(new RootHandler(Node.NODE_NAME_SETTING.get(settings), () -> clusterService.state()));
        }
    }

    private static final class RootHandler extends BaseRestHandler {

        private final String nodeName;
        private final Supplier<ClusterState> clusterState;

        RootHandler(String nodeName, Supplier<ClusterState> clusterState) {
            this.nodeName = nodeName;
            this.clusterState = clusterState;
        }

        @Override
        public String getName() {
            return "main_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        public boolean canTripCircuitBreaker() {
            return false;
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                ClusterState state = clusterState.get();
                Metadata metadata = state.metadata();
                Build build = Build.current();
                XContentBuilder body = channel.newBuilder();
                if (request.hasParam("pretty") == false) {
                    body.prettyPrint().lfAtEnd();
                }
                body.startObject()
                    .field("name", nodeName)
                    .field("cluster_name", state.getClusterName().value())
                    .field("cluster_uuid", metadata.clusterUUIDCommitted() ? metadata.clusterUUID() : Metadata.UNKNOWN_CLUSTER_UUID)
                    .startObject("version")
                    .field("number", build.qualifiedVersion())
                    .field("build_flavor", build.flavor())
                    .field("build_type", build.type().displayName())
                    .field("build_hash", build.hash())
                    .field("build_date", build.date())
                    .field("build_snapshot", build.isSnapshot())
                    .field("lucene_version", IndexVersion.current().luceneVersion().toString())
                    .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                    .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                    .endObject()
                    .field("tagline", "You Know, for Search")
                    .endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, body));
            };
        }
    }
}
