#!/usr/bin/env bash
# The demo: a whole supervision cycle on a throwaway local server.
# Installs what is missing, builds and installs the extension, starts a server
# in .run/demo, runs scripts/demo.sql on the sample data, prints a summary,
# and stops the server (also on failure or Ctrl-C).
source "$(dirname "$0")/lib.sh"

DIR=$(run_dir demo)
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server "$DIR"
    rm -rf "$DIR/data"
    [ $rc -eq 0 ] || echo "demo failed (exit $rc); server log: $DIR/server.log" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_packages
build_install
log "starting a throwaway server in $DIR"
start_server "$DIR" supervision_demo
log "running the supervision cycle"
pgsql -d supervision_demo -v sample="$(cat "$ROOT/data/sample/catalog.json")" < "$ROOT/scripts/demo.sql"
log "demo finished"
