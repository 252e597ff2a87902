# pg-server.sh: sourced by the PostgreSQL tests. Starts a private server
# (initdb + pg_ctl in a temporary folder, a Unix socket in that folder, no
# TCP), exports PGHOST/PGPORT/PGUSER/PGDATABASE and DSN, and stops and
# removes it on exit. Runs the server as user postgres when we are root.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$PG_BIN/initdb" ]; then
    echo "FAIL: PostgreSQL server binaries not found (install postgresql; tools/setup does)" >&2
    exit 1
fi
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ngc-pg.XXXXXX")
PG_PORT=$((20000 + RANDOM % 20000))
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 > "$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; exit 1; }
pg_start() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=off -c max_connections=50" start > /dev/null ||
        { cat "$PG_DIR/server.log" >&2; exit 1; }
}
pg_stop() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop > /dev/null 2>&1
}
pg_cleanup() {
    pg_stop immediate
    rm -rf "$PG_DIR"
}
pg_start
export PGHOST=$PG_DIR PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres
DSN="host=$PG_DIR port=$PG_PORT user=postgres dbname=postgres"
psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
