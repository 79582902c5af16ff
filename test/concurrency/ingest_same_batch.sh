#!/usr/bin/env bash
# Multi-session test: several sessions submit the same batch, and the same
# single record, at the same moment. The batch is processed once (every row
# kept once, counts right), the record is accepted once and reported as a
# duplicate to everyone else, and nothing is half-written.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=concurrency_ingest
SESSIONS=${SESSIONS:-8}
ROWS=${ROWS:-2000}
q() { "$PGBIN/psql" -U postgres -d "$DB" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

"$PGBIN/dropdb" -U postgres --if-exists "$DB" 2>/dev/null
"$PGBIN/createdb" -U postgres "$DB"
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION supervision CASCADE;
INSERT INTO supervision.department (code, name) VALUES ('401', '并发入库测试厅');
INSERT INTO supervision.source_system (code, name, department_code) VALUES ('conc_src', '并发来源', '401');
SQL

WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
pids=()
for s in $(seq 1 "$SESSIONS"); do
    ( q > "$WORK/batch.$s" 2>&1 <<SQL
BEGIN;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, row_no, source_key, op, payload)
SELECT 'conc_src', 'behaviour', 'B20240501', i, 'K' || i, 'i',
       jsonb_build_object('kind', 'inspection', 'behaviour_no', 'NO-' || i, 'behaviour_name', '检查',
                          'counterpart_name', '某公司' || (i % 50), 'check_time', '2024-05-01 10:00',
                          'report_time', '2024-05-02 10:00')::text
  FROM generate_series(1, $ROWS) i;
SELECT supervision.ingest_process('conc_src', 'behaviour', 'B20240501') ->> 'already_processed';
COMMIT;
SQL
      q -c "SELECT supervision.ingest_record('behaviour', 'conc_src', 'ONE', '{\"kind\": \"penalty\", \"behaviour_no\": \"P-1\",
              \"behaviour_name\": \"处罚\", \"counterpart_name\": \"某公司\"}') ->> 'status'" > "$WORK/record.$s" 2>&1 ) &
    pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ $fail -eq 0 ] || { echo "a session failed:"; cat "$WORK"/*; exit 1; }

processed_once=$(cat "$WORK"/batch.* | grep -c '^$' || true)      # NULL already_processed: the one that did it
again=$(cat "$WORK"/batch.* | grep -c '^true$' || true)
accepted=$(cat "$WORK"/record.* | grep -c '^accepted$' || true)
duplicates=$(cat "$WORK"/record.* | grep -c '^duplicate$' || true)
result=$(q -c "SELECT concat_ws(' ',
    (SELECT count(*) FROM supervision.ingest_raw r JOIN supervision.ingest_batch b ON b.id = r.batch_id WHERE b.batch_no = 'B20240501'),
    (SELECT rows_total || '/' || rows_accepted FROM supervision.ingest_batch WHERE batch_no = 'B20240501'),
    (SELECT count(*) FROM supervision.behaviour),
    (SELECT count(*) FROM supervision.ingest_staging),
    (SELECT count(*) FROM supervision.ingest_raw r LEFT JOIN supervision.ingest_outcome o ON o.raw_id = r.id WHERE o.raw_id IS NULL),
    (SELECT count(*) FROM supervision.audit_verify()))")
echo "batch processed by $processed_once session(s), seen as done by $again; record accepted $accepted, duplicate $duplicates"
echo "raw rows, batch total/accepted, behaviour rows, staged left, rows without outcome, broken audit links: $result"
expected="$ROWS $ROWS/$ROWS $((ROWS + 1)) 0 0 0"
[ "$processed_once" = 1 ] && [ "$again" = $((SESSIONS - 1)) ] && [ "$accepted" = 1 ] && [ "$duplicates" = $((SESSIONS - 1)) ] \
    && [ "$result" = "$expected" ] || { echo "expected: 1 processing session, 1 accepted record, and $expected"; exit 1; }
"$PGBIN/dropdb" -U postgres "$DB"
