package org.elasticsearch.plugins;

import org.apache.logging.log4j.LogManager;
import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads the node's modules from the JVM classpath, as Elasticsearch's own in-process test nodes do:
 * Maven Central publishes the few module jars it has without the modules/ folder and plugin
 * descriptors that a distribution scans. Lives in this package because LoadedPlugin, loadPlugin and
 * loadExtensions are package-private.
 */
public final class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> modules;

    /** @param moduleClasses module name (as a distribution names it) to its plugin class, in load order */
    public ClasspathPluginsService(Environment environment, List<Map.Entry<String, Class<? extends Plugin>>> moduleClasses) {
        // An empty loader: the public factory expects the server on the module path, not the classpath.
        super(environment.settings(), environment.configDir(), new PluginsLoader(Set.of(), Set.of(), Map.of()));
        Settings settings = environment.settings();
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Map.Entry<String, Class<? extends Plugin>> module : moduleClasses) {
            Class<? extends Plugin> moduleClass = module.getValue();
            PluginDescriptor descriptor = new PluginDescriptor(
                module.getKey(),
                "loaded from the classpath",
                Build.current().version(),
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                moduleClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false
            );
            loaded.add(new LoadedPlugin(descriptor, loadPlugin(moduleClass, settings, environment.configDir()), moduleClass.getClassLoader()));
            LogManager.getLogger(ClasspathPluginsService.class).info("loaded module [{}] from the classpath", module.getKey());
        }
        loadExtensions(loaded);
        this.modules = List.copyOf(loaded);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return modules;
    }

    /** Reported as modules, which is what they are in a distribution: GET _nodes/plugins lists them, _cat/plugins does not. */
    @Override
    public PluginsAndModules info() {
        return new PluginsAndModules(List.of(), modules.stream().map(LoadedPlugin::descriptor).toList());
    }

    /**
     * All modules share one class loader, so the per-plugin SPI lookup of the base class would find every
     * provider once per module and hand it modules it was not written for. Instead each provider is made
     * once, with the module its one-argument constructor asks for, if it asks for one.
     */
    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        List<T> providers = new ArrayList<>();
        SPIClassIterator.get(service, ClasspathPluginsService.class.getClassLoader()).forEachRemaining(provider -> {
            modules.stream()
                .map(LoadedPlugin::instance)
                .filter(module -> constructibleWith(provider, module))
                .findFirst()
                .ifPresent(module -> providers.add(createExtension(provider, service, module)));
        });
        return List.copyOf(providers);
    }

    private static boolean constructibleWith(Class<?> provider, Plugin module) {
        return Arrays.stream(provider.getConstructors())
            .noneMatch(c -> c.getParameterCount() == 1 && c.getParameterTypes()[0] != module.getClass());
    }
}
