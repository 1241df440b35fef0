# PostgreSQL: a private cluster under $STACK_DIR/postgres, started with pg_ctl (never the system
# service), wal_level=logical for Debezium's pgoutput plugin.

pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" ]] && echo "$dir"
}

# postgres refuses to run as root; run its binaries as the postgres user when we are root.
pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_install() {
  [[ -n "$(pg_bindir)" ]] || apt_install postgresql postgresql-contrib
  command -v psql >/dev/null || apt_install postgresql-client
}

postgres_data() { echo "$STACK_DIR/postgres/data"; }

postgres_psql() {
  PGPASSWORD="$STACK_PG_PASSWORD" psql -h "$STACK_HOST" -p "$STACK_PG_PORT" -U "$STACK_PG_USER" \
    -v ON_ERROR_STOP=1 -q "$@"
}

postgres_start() {
  local bin data
  bin="$(pg_bindir)"
  data="$(postgres_data)"
  mkdir -p "$STACK_DIR/postgres"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    local pwfile="$STACK_DIR/postgres/.pw"
    printf '%s\n' "$STACK_PG_PASSWORD" >"$pwfile"
    if [[ $EUID -eq 0 ]]; then chown -R postgres: "$STACK_DIR/postgres"; fi
    pg_as_owner "$bin/initdb" -D "$data" -U "$STACK_PG_USER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >>"$(log_file postgres)" 2>&1 ||
      stack_die "initdb failed; log: $(log_file postgres)"
    rm -f "$pwfile"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '$STACK_HOST'
port = $STACK_PG_PORT
unix_socket_directories = '$STACK_DIR/postgres'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
max_connections = 100
fsync = off
synchronous_commit = off
CONF
    echo "host replication all $STACK_HOST/32 scram-sha-256" >>"$data/pg_hba.conf"
  fi
  if [[ $EUID -eq 0 ]]; then chown postgres: "$(log_file postgres)" 2>/dev/null || touch "$(log_file postgres)"; fi
  if is_running postgres; then return 0; fi
  rotate_log postgres
  touch "$(log_file postgres)"
  [[ $EUID -eq 0 ]] && chown postgres: "$(log_file postgres)"
  # postgres daemonises itself under pg_ctl; we record the postmaster pid from postmaster.pid.
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$(log_file postgres)" -o "-p $STACK_PG_PORT" -w -t 60 start \
    >/dev/null || stack_die "postgres did not start; log: $(log_file postgres)"
  head -n 1 "$data/postmaster.pid" >"$(pid_file postgres)"
}

postgres_healthy() {
  PGPASSWORD="$STACK_PG_PASSWORD" "$(pg_bindir)/pg_isready" -h "$STACK_HOST" -p "$STACK_PG_PORT" -q
}

# Loads postgres/*.sql once, when $STACK_PG_DB does not exist yet (a fresh or wiped data folder).
postgres_seed() {
  local exists
  exists="$(postgres_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$STACK_PG_DB'")"
  [[ "$exists" == 1 ]] && return 0
  postgres_psql -d postgres -c "CREATE DATABASE $STACK_PG_DB" >/dev/null
  local f
  for f in "$STACK_ROOT"/postgres/*.sql; do
    postgres_psql -d "$STACK_PG_DB" -f "$f" >/dev/null || stack_die "loading $f failed"
  done
}

postgres_stop() {
  local data
  data="$(postgres_data)"
  if [[ -f "$data/postmaster.pid" ]]; then
    pg_as_owner "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -f "$(pid_file postgres)"
}

postgres_status() { echo "postgres   $STACK_HOST:$STACK_PG_PORT  db=$STACK_PG_DB  data=$(postgres_data)"; }
