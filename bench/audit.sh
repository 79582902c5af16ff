#!/usr/bin/env bash
# Audit trigger benchmark: bench/audit.sh [rows ...]  (default 100000 300000)
# For each size N, in one transaction, inserts N rows into an audited table
# (supervision.subject_credit_class) and updates them, so the deferred audit
# trigger writes 2N chained rows at COMMIT; times that COMMIT with the C trigger
# (supervision.audit_row, extension/audit.c) and with the PL/pgSQL trigger it
# replaced (bench/audit_plpgsql.sql), in the same run; checks audit_verify()
# after each; prints N, nproc, both times, microseconds per audited row and the ratio.
# Then BENCH_SMALL (default 2000) one-row transactions each way and without the
# trigger: what the audit adds to a small transaction (actor, head lock, setup).
source "$(dirname "$0")/../scripts/lib.sh"
throwaway_server bench_audit supervision_bench
echo "nproc: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
fresh() {
    pgsql -d supervision_bench -c "DROP EXTENSION IF EXISTS supervision CASCADE" \
          -c "DROP FUNCTION IF EXISTS bench_audit_row_plpgsql" -c "CREATE EXTENSION supervision CASCADE" >/dev/null 2>&1
}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000)
for n in "${sizes[@]}"; do
    fresh
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

k=${BENCH_SMALL:-2000}
if [ "$k" -gt 0 ]; then
    fresh
    echo "== $k one-row transactions (INSERT, autocommit)"
    pgsql -d supervision_bench -f "$ROOT/bench/audit_plpgsql.sql" \
          -c "ALTER TABLE supervision.subject DISABLE TRIGGER USER" \
          -c "INSERT INTO supervision.subject (name) SELECT 'T' || i FROM generate_series(1, $k) i" \
          -c "ALTER TABLE supervision.subject ENABLE TRIGGER USER" >/dev/null
    stmts=$(mktemp); trap 'rc=$?; rm -f "$stmts"; (exit $rc); _throwaway_cleanup' EXIT
    seq 1 "$k" | sed "s/.*/INSERT INTO supervision.subject_credit_class VALUES (&, 'B', DATE '2026-01-01', 'bench');/" > "$stmts"
    chmod a+r "$stmts"
    one() {   # one <label>: runs the k transactions, prints microseconds per transaction
        local s e
        s=$(date +%s%N); pgsql -d supervision_bench -f "$stmts" >/dev/null; e=$(date +%s%N)
        pgsql -d supervision_bench -c "SET session_replication_role = replica" -c "DELETE FROM supervision.subject_credit_class" >/dev/null
        echo $(( (e - s) / 1000 / k ))
    }
    swap() {  # swap <function>: attaches the audit trigger with that function
        pgsql -d supervision_bench -c "DROP TRIGGER audit ON supervision.subject_credit_class" \
              -c "CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON supervision.subject_credit_class
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION $1()" >/dev/null
    }
    one warmup >/dev/null
    c=$(one c)
    swap public.bench_audit_row_plpgsql; p=$(one plpgsql)
    pgsql -d supervision_bench -c "ALTER TABLE supervision.subject_credit_class DISABLE TRIGGER audit" >/dev/null
    z=$(one none)
    pgsql -d supervision_bench -c "ALTER TABLE supervision.subject_credit_class ENABLE TRIGGER audit" >/dev/null
    swap supervision.audit_row
    v=$(pgsql -d supervision_bench -t -A -c "SELECT count(*) FROM supervision.audit_verify()")
    echo "  audit_verify broken links: $v"
    [ "$v" = 0 ] || { echo "FAIL: the chain is broken"; exit 1; }
    echo "$k one-row transactions: C $c us, PL/pgSQL $p us, no audit trigger $z us per transaction; the audit adds C $((c - z)) us, PL/pgSQL $((p - z)) us"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
