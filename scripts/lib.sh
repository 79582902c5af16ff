# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Installs what is missing, builds and installs the extension, and runs a
# throwaway PostgreSQL server on a unix socket inside the working tree.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
# SUPERVISION_PGBIN: another (relocated) PostgreSQL tree, so that several working
# trees can install and test the extension side by side without sharing one.
PGBIN=${SUPERVISION_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-postgis-3 \
postgresql-$PG_MAJOR-cron libicu-dev build-essential pkg-config locales"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a command as the OS user that owns the server.
as_pg() {
    # from /: that user may not be able to reach the working tree (a clone under /root)
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

ensure_packages() {
    local missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing:$missing"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # postgresql-common would create and start a 'main' cluster: we do not want it.
        as_root mkdir -p /etc/postgresql-common
        if [ ! -f /etc/postgresql-common/createcluster.conf ] || ! grep -q '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
            echo 'create_main_cluster = false' | as_root tee -a /etc/postgresql-common/createcluster.conf >/dev/null
        fi
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing >/dev/null
    fi
    if ! locale -a 2>/dev/null | grep -qi '^c\.utf-\?8$'; then
        log "C.UTF-8 locale missing"; exit 1
    fi
}

build_install() {
    log "building and installing the extension"
    make -C "$ROOT" -s -j2 PG_CONFIG=$PGBIN/pg_config >/dev/null
    as_root make -C "$ROOT" -s install PG_CONFIG=$PGBIN/pg_config >/dev/null
}

# run_dir NAME: a folder for the server that the server's OS user can use,
# inside the working tree when that user can reach it, else under /tmp.
run_dir() {
    local name=$1 dir
    dir="$ROOT/.run/$name"
    mkdir -p "$ROOT/.run" 2>/dev/null || true
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$ROOT/.run" 2>/dev/null; then
        dir="/tmp/supervision-$name"
    fi
    echo "$dir"
}

# stop_server DIR: stops a server left in DIR (by this or an earlier run).
stop_server() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg $PGBIN/pg_ctl -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

# start_server DIR DBNAME: a fresh cluster in DIR, pg_cron preloaded, unix socket only.
start_server() {
    local dir=$1 db=$2
    stop_server "$dir"
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    as_pg $PGBIN/initdb -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
    cat <<CONF | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
listen_addresses = ''
unix_socket_directories = '$dir/socket'
port = 5432
shared_preload_libraries = 'pg_cron'
cron.database_name = '$db'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 120
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'Asia/Shanghai'
log_min_messages = warning
CONF
    as_pg $PGBIN/pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    export PGHOST="$dir/socket" PGPORT=5432 PGUSER=postgres
    as_pg $PGBIN/createdb -h "$PGHOST" -p $PGPORT -U postgres "$db"
}

# psql against the throwaway server, as the superuser.
pgsql() {
    as_pg $PGBIN/psql -h "$PGHOST" -p "$PGPORT" -U postgres -X -v ON_ERROR_STOP=1 -q "$@"
}

# throwaway_server NAME DBNAME: the whole set-up of the demo, tests and
# benchmarks: packages, build and install, a fresh server in run_dir NAME, and
# a trap that stops it when the calling script ends (also on failure or Ctrl-C).
# Sets DIR, PGHOST, PGPORT.
throwaway_server() {
    local name=$1 db=$2
    DIR=$(run_dir "$name")
    trap _throwaway_cleanup EXIT
    trap 'exit 130' INT TERM
    ensure_packages
    build_install
    log "starting a throwaway server in $DIR"
    start_server "$DIR" "$db"
}

_throwaway_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server "$DIR"
    rm -rf "$DIR/data"
    [ $rc -eq 0 ] || echo "failed (exit $rc); server log: $DIR/server.log" >&2
    exit $rc
}
