# registry: Apicurio Registry 2.6 under $STACK_DIR/registry, on STACK_REGISTRY_PORT, for the Avro
# pipeline (debezium/postgres-connector-avro.json). Optional (stack/up.sh registry). Confluent's
# Schema Registry is on no registry we can reach and Karapace is not on PyPI; Apicurio is on Maven
# Central and serves the Confluent-compatible API at /apis/ccompat/v7. 2.6 is the last line that
# runs on Java 17 (3.x needs 21).
# Its schemas live in an H2 file under $STACK_DIR/registry/data, not in memory (the app's default):
# every Avro record in Kafka names its writer schema by id, so a registry that forgot its ids on a
# restart would leave those records undecodable, and would give the same ids to other schemas.

registry_dir() { echo "$STACK_DIR/registry"; }
registry_url() { echo "http://$STACK_HOST:$STACK_REGISTRY_PORT"; }

# The app is a Quarkus fast-jar archive (runner jar + lib/); fetched through Maven so that ~/.m2
# caches it, and a marker names the version unpacked.
registry_install() {
  local marker
  marker="$(registry_dir)/app/.apicurio-$APICURIO_VERSION"
  [[ -f "$marker" ]] && return 0
  command -v curl >/dev/null || apt_install curl
  maven_unpack "io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" "$(registry_dir)/app"
  touch "$marker"
}

registry_start() {
  mkdir -p "$(registry_dir)/data"
  # The management interface would open a second port (9000); health and metrics are not needed.
  start_daemon registry env REGISTRY_DATASOURCE_URL="jdbc:h2:file:$(registry_dir)/data/registry_db" \
    "$(java_bin)" -Xms64m -Xmx512m \
    -Dquarkus.http.host="$STACK_HOST" -Dquarkus.http.port="$STACK_REGISTRY_PORT" \
    -Dquarkus.management.enabled=false \
    -jar "$(registry_dir)/app/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
}

# The API cdc-fanout reads (the Confluent-compatible one) answers, not only the port.
registry_healthy() {
  curl -fsS --max-time 2 "$(registry_url)/apis/ccompat/v7/subjects" >/dev/null
}

registry_stop() { stop_daemon registry 30; }

registry_status() {
  echo "registry   $(registry_url)  apicurio=$APICURIO_VERSION  data=$(registry_dir)/data"
}
