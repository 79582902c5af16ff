#!/usr/bin/env bash
# Credit-risk scoring benchmark: bench/risk.sh [subjects ...]  (default 1000000)
# BENCH_BASELINE_UPTO=N runs the PL/pgSQL baseline only up to N subjects (it takes
# about half an hour at 1000000 on 2 cores); larger sizes time the C path alone.
# Scores and classifies every subject on 20 indicators with supervision.risk_compute
# (C) and with the same model in PL/pgSQL, in the same run, checks they agree, and
# prints sizes, nproc, times and the ratio; then times risk_run (results stored).
source "$(dirname "$0")/../scripts/lib.sh"
throwaway_server bench_risk supervision_bench
echo "nproc: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${@:-1000000}"; do
    pgsql -d supervision_bench -c "DROP EXTENSION IF EXISTS supervision CASCADE" -c "DROP TABLE IF EXISTS bench_fact" \
          -c "DROP FUNCTION IF EXISTS bench_risk_plpgsql, bench_transform" -c "CREATE EXTENSION supervision CASCADE" >/dev/null 2>&1
    echo "== $n subjects, 20 indicators"
    base=true; [ -n "${BENCH_BASELINE_UPTO:-}" ] && [ "$n" -gt "$BENCH_BASELINE_UPTO" ] && base=false
    # lines are shown as psql prints them (the baseline can take half an hour at
    # 1000000: what is measured before it is not held back), and kept for the summary
    out_file=$(mktemp)
    pgsql -d supervision_bench -v n="$n" -v baseline="$base" -f "$ROOT/bench/risk.sql" 2>&1 | tee "$out_file" \
        | grep --line-buffered -vE '^(SET|CREATE|INSERT|ALTER|ANALYZE|BEGIN|COMMIT|UPDATE|SELECT [0-9])' \
        | sed -u '/^$/d'
    mapfile -t t < <(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out_file")
    rm -f "$out_file"
    # t: C compute, [BEGIN, PL/pgSQL compute, COMMIT,] activate, risk_run
    k=${#t[@]}
    if [ "$base" = true ]; then
        awk -v c="${t[0]}" -v p="${t[2]}" 'BEGIN {
            printf "risk_compute (C): %.2f s; same model in PL/pgSQL: %.2f s; PL/pgSQL / C = %.1fx\n", c/1000, p/1000, p/c }'
    else
        awk -v c="${t[0]}" 'BEGIN { printf "risk_compute (C): %.2f s; PL/pgSQL baseline not run at this size\n", c/1000 }'
    fi
    awk -v r="${t[k-1]}" -v n="$n" 'BEGIN {
        printf "risk_run (C scoring + %d scores stored + class changes + classes for the draws, audited): %.2f s\n", n, r/1000 }'
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
