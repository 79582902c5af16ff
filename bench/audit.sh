#!/usr/bin/env bash
# Audit trigger benchmark: bench/audit.sh [rows ...]  (default 100000 300000)
# For each size N, in one transaction, inserts N rows into an audited table
# (supervision.subject_credit_class) and updates them, so the deferred audit
# trigger writes 2N chained rows at COMMIT; times that COMMIT with the C trigger
# (supervision.audit_row, extension/audit.c) and with the PL/pgSQL trigger it
# replaced (a copy in bench/audit.sql), in the same run; checks audit_verify()
# after each; prints N, nproc, both times, microseconds per audited row and the ratio.
source "$(dirname "$0")/../scripts/lib.sh"
throwaway_server bench_audit supervision_bench
echo "nproc: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000)
for n in "${sizes[@]}"; do
    pgsql -d supervision_bench -c "DROP EXTENSION IF EXISTS supervision CASCADE" \
          -c "DROP FUNCTION IF EXISTS bench_audit_row_plpgsql" -c "CREATE EXTENSION supervision CASCADE" >/dev/null 2>&1
    echo "== N = $n rows inserted then updated in one transaction: $((2 * n)) audited changes"
    out=$(pgsql -d supervision_bench -t -A -v n="$n" -f "$ROOT/bench/audit.sql" 2>&1)
    echo "$out" | grep -E 'audit rows|audit_verify|ERROR' | sed 's/^/  /'
    if echo "$out" | grep -E 'audit_verify broken links: [1-9]|ERROR' >/dev/null; then
        echo "FAIL: the chain is broken or a run failed"; exit 1
    fi
    mapfile -t t < <(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    # t: C commit, PL/pgSQL commit
    awk -v c="${t[0]}" -v p="${t[1]}" -v n="$n" -v np="$(nproc)" 'BEGIN {
        printf "N=%d nproc=%d  COMMIT with the audit: C %.2f s (%.1f us/row), PL/pgSQL %.2f s (%.1f us/row); PL/pgSQL / C = %.1fx\n",
               n, np, c/1000, c*1000/(2*n), p/1000, p*1000/(2*n), p/c }'
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
