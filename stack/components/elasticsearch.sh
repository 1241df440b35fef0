# Elasticsearch: one real node run in-process by stack/java/org/elasticsearch/node/CdcFanoutEsNode.java
# on the jars of stack/maven/elasticsearch/pom.xml, because the distribution archive cannot be
# downloaded here. Its config, data, logs and temp files live under $STACK_DIR/elasticsearch; its
# log4j output goes to the component log.

es_dir() { echo "$STACK_DIR/elasticsearch"; }
es_lib() { echo "$STACK_DIR/lib/elasticsearch"; }
es_classes() { echo "$(es_dir)/classes"; }
es_url() { echo "http://$STACK_HOST:$STACK_ES_PORT"; }

# The javac of the JDK that runs the node; a JRE alone cannot build the launcher.
es_javac() {
  local javac
  javac="$(dirname "$(readlink -f "$(java_bin)")")/javac"
  if [[ ! -x "$javac" ]]; then
    command -v javac >/dev/null || apt_install openjdk-17-jdk-headless
    javac="$(command -v javac)"
  fi
  echo "$javac"
}

# Recompiles the launcher when its sources or the fetched jars are newer than the last build.
es_compile() {
  compile_java elasticsearch "$STACK_ROOT/stack/java/org/elasticsearch" "$(es_lib)" "$(es_classes)"
}

elasticsearch_install() {
  local pom_dir="$STACK_ROOT/stack/maven/elasticsearch"
  # The launcher links against internal API of exactly one release.
  grep -q "<es.version>$ES_VERSION</es.version>" "$pom_dir/pom.xml" ||
    stack_die "$pom_dir/pom.xml does not pin es.version to ES_VERSION=$ES_VERSION"
  command -v curl >/dev/null || apt_install curl
  mkdir -p "$STACK_DIR/lib"
  maven_fetch "$pom_dir" "$(es_lib)"
  es_compile
}

# Rewritten at every start so that the ports and paths always follow lib.sh.
es_write_config() {
  local dir
  dir="$(es_dir)"
  cat >"$dir/config/elasticsearch.yml" <<CONF
path.home: $dir
path.data: $dir/data
path.logs: $dir/logs
cluster.name: cdc-fanout
node.name: cdc-fanout-es
discovery.type: single-node
network.host: $STACK_HOST
http.port: $STACK_ES_PORT
transport.port: $STACK_ES_TRANSPORT_PORT
# The real-memory breaker counts garbage G1 has not collected yet; on a 1 GB heap it would reject
# requests during harmless allocation spikes.
indices.breaker.total.use_real_memory: false
# CI machines may have little free disk; the watermarks would then make every index read-only.
cluster.routing.allocation.disk.threshold_enabled: false
# The largest request body, hence the largest document, the node takes; larger ones get 413. Set
# explicitly, below the 100mb default, so that the size-limit test sees a document over it refused
# with a message of a size Kafka and the test can handle. cdc-fanout's ELASTICSEARCH_BULK_MAX_BYTES
# (8 MiB) must stay below it: the service splits bulk requests at that size and caps them at this
# limit, which it reads from GET _nodes/http at start.
http.max_content_length: 16mb
CONF
  # The distribution's log4j2.properties without its log files: everything goes to the component
  # log, and deprecation warnings also reach the client as Warning headers, as from a real node.
  cat >"$dir/config/log4j2.properties" <<'CONF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
appender.header_warning.type = HeaderWarningAppender
appender.header_warning.name = header_warning
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.deprecation.name = org.elasticsearch.deprecation
logger.deprecation.level = WARN
logger.deprecation.appenderRef.header_warning.ref = header_warning
CONF
}

elasticsearch_start() {
  if is_running elasticsearch; then return 0; fi
  local dir
  dir="$(es_dir)"
  mkdir -p "$dir/config" "$dir/data" "$dir/logs" "$dir/tmp"
  es_write_config
  # The JVM options are those of the distribution's launcher (SystemJvmOptions) that apply to a
  # node without a security manager or native libraries.
  start_daemon elasticsearch "$(java_bin)" -Xms512m -Xmx1g -Xss1m \
    -XX:-OmitStackTraceInFastThrow -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Djava.locale.providers=CLDR -Djava.io.tmpdir="$dir/tmp" \
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
    -Dio.netty.recycler.maxCapacityPerThread=0 \
    -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true -Dlog4j2.formatMsgNoLookups=true \
    -cp "$(es_classes):$(es_lib)/*" org.elasticsearch.node.CdcFanoutEsNode "$dir/config"
}

elasticsearch_healthy() {
  curl -fsS -m 3 "$(es_url)/_cluster/health" 2>/dev/null | grep -Eq '"status":"(green|yellow)"'
}

# Closing the node flushes every shard; 60s covers a node that is still recovering.
elasticsearch_stop() { stop_daemon elasticsearch 60; }

elasticsearch_status() {
  echo "elasticsearch $(es_url)  transport=$STACK_HOST:$STACK_ES_TRANSPORT_PORT  version=$ES_VERSION  data=$(es_dir)/data"
}
