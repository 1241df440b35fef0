# FerretDB: the MongoDB wire protocol over SQLite, under $STACK_DIR/ferretdb, on STACK_FERRETDB_PORT.
# An optional second MongoDB target (stack/up.sh ferretdb); the stack's MongoDB is mongo.sh's stand-in.
# FerretDB is a Go module, so it builds from the Go module proxy.

ferretdb_bin() { echo "$STACK_DIR/bin/ferretdb"; }
ferretdb_data() { echo "$STACK_DIR/ferretdb/data"; }

ferretdb_go() {
  # /usr/local/go is where the machine image puts Go when PATH does not; Debian's golang-go (1.19)
  # cannot build FerretDB 1.24, while any Go >= 1.21 fetches the toolchain the module asks for.
  local go
  go="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go" ]] || stack_die "FerretDB needs Go >= 1.21 to build (Debian's golang-go is too old)"
  echo "$go"
}

# Builds from the module source rather than `go install ...@version`, for two reasons:
#  - `go install pkg@version` looks up the module's deprecation through the proxy's version list,
#    which the proxy refuses for FerretDB (403), so it fails before building;
#  - the module zip lacks the generated build/version/version.txt, and a binary built without it
#    panics at start ("Invalid build/version/version.txt file content").
# So: download the pinned module (an exact version needs no list), copy it, write version.txt, and
# build it as the main module. Go's default module and build caches are kept, only the binary and
# the throwaway source copy live under $STACK_DIR.
ferretdb_install() {
  local bin go build_dir mod_dir
  bin="$(ferretdb_bin)"
  if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qx "version: $FERRETDB_VERSION"; then
    return 0
  fi
  go="$(ferretdb_go)"
  stack_log "building FerretDB $FERRETDB_VERSION (about a minute with a cold Go cache)"
  mkdir -p "$STACK_DIR/ferretdb" "$STACK_DIR/bin"
  build_dir="$STACK_DIR/ferretdb/build"
  rm -rf "$build_dir"
  # Run outside any Go module or workspace so that only the pinned version is looked at.
  mod_dir="$(cd "$STACK_DIR/ferretdb" && GOWORK=off "$go" mod download -json \
    "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" ||
    stack_die "could not download FerretDB $FERRETDB_VERSION from the Go module proxy"
  [[ -d "$mod_dir" ]] || stack_die "go mod download gave no source directory for FerretDB"
  cp -r "$mod_dir" "$build_dir"
  # The module cache is read-only and cp keeps the modes.
  chmod -R u+w "$build_dir"
  echo "$FERRETDB_VERSION" >"$build_dir/build/version/version.txt"
  # -buildvcs=false: the copy sits inside this repository, whose git commit is not FerretDB's.
  (cd "$build_dir" && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$STACK_DIR/bin" \
    "$go" install ./cmd/ferretdb) >>"$(log_file ferretdb-build)" 2>&1 ||
    stack_die "building FerretDB failed; log: $(log_file ferretdb-build)"
  rm -rf "$build_dir"
}

ferretdb_start() {
  mkdir -p "$(ferretdb_data)"
  # --state-dir holds state.json (instance UUID); --debug-addr=- drops the extra HTTP listener on
  # 8088; telemetry would only try to reach beacon.ferretdb.com.
  start_daemon ferretdb "$(ferretdb_bin)" \
    --handler=sqlite --sqlite-url="file:$(ferretdb_data)/" \
    --listen-addr="$STACK_HOST:$STACK_FERRETDB_PORT" \
    --state-dir="$STACK_DIR/ferretdb" --debug-addr=- --telemetry=disable
}

# A real MongoDB round trip: the `ping` command through the official driver (a runtime dependency
# of the project, so node_modules has it). FerretDB's own `ferretdb ping` is no use here: it insists
# on SCRAM credentials, which a server without --test-enable-new-auth rejects. The port check first
# keeps the not-yet-listening case fast instead of waiting out the driver's server selection.
ferretdb_healthy() {
  port_open "$STACK_FERRETDB_PORT" || return 1
  (cd "$STACK_ROOT" && node -e '
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.argv[1], { serverSelectionTimeoutMS: 2000 });
client.db("admin").command({ ping: 1 }).then((r) => process.exit(r.ok === 1 ? 0 : 1), () => process.exit(1));
' "mongodb://$STACK_HOST:$STACK_FERRETDB_PORT/?directConnection=true") >/dev/null 2>&1
}

ferretdb_stop() { stop_daemon ferretdb 30; }

ferretdb_status() {
  echo "ferretdb   $STACK_HOST:$STACK_FERRETDB_PORT  version=$FERRETDB_VERSION  data=$(ferretdb_data)"
}
