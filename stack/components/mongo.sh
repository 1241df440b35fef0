# mongo: the stack's MongoDB stand-in, de.bwaldvogel:mongo-java-server with its H2 (MVStore) backend,
# run by stack/java/cdcfanout/mongo/MongoStandIn.java on the jars of stack/maven/mongo-java-server.
# MongoDB itself is on no registry we can reach. Chosen over FerretDB 1.24 for fidelity (unordered
# bulks report every failed index, Decimal128, NaN/±Infinity, '.' in field names, the index a
# duplicate key hit) and because, with the sink's compare-and-set writes, every write is a point
# lookup on it; docs/mongodb-stand-in.md has the measurements. Data lives in one MVStore file under
# $STACK_DIR/mongo and survives a restart. STACK_MONGO_BACKEND=memory keeps it in memory instead
# (about 20x faster writes, for benchmarks; a restart loses everything). STACK_MONGO_CACHE_MB sizes
# its page cache (64; a test shrinks it so that pages are evicted and read back from the file),
# STACK_MONGO_COMMIT_KB how many KB of changes it gathers before writing them.

mongo_dir() { echo "$STACK_DIR/mongo"; }
mongo_lib() { echo "$STACK_DIR/lib/mongo-java-server"; }
mongo_classes() { echo "$(mongo_dir)/classes"; }

mongo_compile() {
  compile_java mongo "$STACK_ROOT/stack/java/cdcfanout/mongo" "$(mongo_lib)" "$(mongo_classes)"
}

mongo_install() {
  mkdir -p "$STACK_DIR/lib" "$(mongo_dir)"
  maven_fetch "$STACK_ROOT/stack/maven/mongo-java-server" "$(mongo_lib)"
  mongo_compile
}

mongo_store() {
  if [[ "$STACK_MONGO_BACKEND" == memory ]]; then echo memory; else echo "$(mongo_dir)/store.mv"; fi
}

mongo_start() {
  mkdir -p "$(mongo_dir)"
  # data.mv was the file of the stand-in before its storage format changed (MongoStandIn.java),
  # which this one cannot read: stand-in data is only ever a copy of what Postgres holds.
  if [[ -f "$(mongo_dir)/data.mv" ]]; then
    stack_log "mongo: removing $(mongo_dir)/data.mv, written by an earlier stand-in in a format this one cannot read"
    rm -f "$(mongo_dir)/data.mv"
  fi
  # SIGTERM runs the server's shutdown hook, which closes the MVStore: the last writes reach the file.
  # A store.mv from a stand-in with another storage format is replaced by an empty one, for the
  # same reason as data.mv above (the stand-in logs it).
  # Changed pages are written every 10 s or STACK_MONGO_COMMIT_KB of changes, in pages of 4 KB. A
  # page is rewritten whole, every document in it encoded again: with H2's defaults (a write per MB
  # of changes, about five a second under the sink, pages of 16 KB) a page was rewritten about every
  # time one of its documents changed. A SIGKILL loses the changes not yet written; SIGTERM
  # (stop_daemon) writes them.
  # The parallel collector, not G1 (the JVM's choice on two cores): MVStore makes a page of garbage
  # per write, and G1's young collections of it cost the stand-in about a fifth more CPU in a
  # MongoDB catch-up, on a machine the sink and the peers share with it (bench/results/tuning.md).
  start_daemon mongo "$(java_bin)" -XX:+UseParallelGC -Xms128m -Xmx2g -XX:+ExitOnOutOfMemoryError -Dmvstore.cacheMb="$STACK_MONGO_CACHE_MB" -Dstandin.replaceOtherFormat=true \
    -Dmvstore.autoCommitDelayMs=10000 -Dmvstore.autoCommitBufferKb="$STACK_MONGO_COMMIT_KB" -Dmvstore.pageSplitSize=4096 \
    -cp "$(mongo_classes):$(mongo_lib)/*" cdcfanout.mongo.MongoStandIn \
    "$STACK_HOST" "$STACK_MONGO_PORT" "$(mongo_store)"
}

# A real round trip through the official driver, a read and a write, not only a port check.
mongo_healthy() {
  port_open "$STACK_MONGO_PORT" || return 1
  (cd "$STACK_ROOT" && node -e '
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.argv[1], { serverSelectionTimeoutMS: 2000, socketTimeoutMS: 5000 });
const probe = client.db("cdc_fanout_health").collection("probe");
probe.replaceOne({ _id: "stack" }, { at: new Date() }, { upsert: true })
  .then(() => probe.findOne({ _id: "stack" }))
  .then((d) => process.exit(d ? 0 : 1), () => process.exit(1));
' "mongodb://$STACK_HOST:$STACK_MONGO_PORT/?directConnection=true") >/dev/null 2>&1
}

mongo_stop() { stop_daemon mongo 30; }

mongo_status() {
  echo "mongo      $STACK_HOST:$STACK_MONGO_PORT  mongo-java-server=$(sed -n 's:.*<mongo-java-server.version>\(.*\)</mongo-java-server.version>.*:\1:p' "$STACK_ROOT/stack/maven/mongo-java-server/pom.xml")  store=$(mongo_store)"
}
