#!/usr/bin/env bash
# Benchmark: supervision.uscc_valid (C) against the same algorithm in
# PL/pgSQL, over BENCH_N codes (default 10 000 000; half valid) on a
# throwaway server. Prints N, nproc, both times and their ratio (goal >= 50).
# Usage: bench/uscc_valid.sh            BENCH_N=200000 bench/uscc_valid.sh
# Not part of the test run's pass/fail.
source "$(dirname "$0")/../scripts/lib.sh"

N=${BENCH_N:-10000000}
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then
    echo "BENCH_N must be a positive integer, not '$N'" >&2
    exit 2
fi

throwaway_server bench supervision_bench
pgsql -d supervision_bench -c "SET client_min_messages = warning; CREATE EXTENSION supervision CASCADE;"

log "generating $N codes and timing uscc_valid (C, then PL/pgSQL)"
# psql runs as the server's OS user: hand it the script on stdin.
pgsql -d supervision_bench -v n="$N" < "$ROOT/bench/uscc_valid.sql" > "$DIR/result.txt"

get() { sed -n "s/^$1 *| *//p" "$DIR/result.txt"; }
echo "N:                     $N"
echo "nproc:                 $(nproc)"
echo "valid (C / PL/pgSQL):  $(get valid_c) / $(get valid_plpgsql)   agree: $(get counts_agree)"
echo "scan only:             $(get scan_only_s) s"
echo "C uscc_valid:          $(get c_s) s   ($(get c_ns_per_call) ns a call net of the scan)"
echo "PL/pgSQL:              $(get plpgsql_s) s   ($(get plpgsql_ns_per_call) ns a call net of the scan)"
echo "ratio PL/pgSQL / C:    $(get ratio)x   (net of the scan: $(get ratio_net_of_scan)x; goal >= 50x)"
echo "(one backend, no parallel workers, JIT off)"
[ "$(get counts_agree)" = yes ]
