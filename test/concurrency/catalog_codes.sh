#!/usr/bin/env bash
# Multi-session test: 50 concurrent sessions draft 200 catalog items each.
# Every draft allocates a code; the test checks that the 10,000 codes are
# distinct and valid, that no number was skipped or handed out twice, and that
# the audit chain written by all sessions at once is intact.
# Runs against the throwaway server of scripts/test.sh (PGHOST/PGPORT set).
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=concurrency_codes
SESSIONS=${SESSIONS:-50}
PER_SESSION=${PER_SESSION:-200}
q() { "$PGBIN/psql" -U postgres -d "$DB" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }

"$PGBIN/dropdb" -U postgres --if-exists "$DB"
"$PGBIN/createdb" -U postgres "$DB"
q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION supervision CASCADE;
INSERT INTO supervision.department (code, name)
SELECT lpad(i::text, 3, '0'), '并发测试部门' || i FROM generate_series(1, 10) i;
DO $$
BEGIN
    FOR i IN 1 .. 10 LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'conc_officer_' || i) THEN
            EXECUTE format('CREATE ROLE %I LOGIN IN ROLE supervision_officer', 'conc_officer_' || i);
        END IF;
        INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('conc_officer_' || i, lpad(i::text, 3, '0'));
    END LOOP;
END
$$;
SQL

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# each session logs in as the officer of one department (5 sessions per department)
cat > "$WORK/draft.sql" <<'SQL'
SELECT code FROM supervision.catalog_draft(jsonb_build_object(
    'department', supervision.actor_department(), 'main_item_name', '并发编制事项' || md5(random()::text),
    'method', '双随机抽查', 'object', '企业', 'legal_basis', '[{"law": "并发测试条例"}]'::jsonb, 'reason', '并发测试'));
SQL
pids=()
for s in $(seq 1 "$SESSIONS"); do
    d=$(( (s - 1) % 10 + 1 ))
    "$PGBIN/pgbench" -U "conc_officer_$d" -d "$DB" -n -c 1 -t "$PER_SESSION" -f "$WORK/draft.sql" \
        > "$WORK/pgbench.$s.log" 2>&1 &
    pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
if [ $fail -ne 0 ]; then
    echo "some sessions failed:"; grep -h -i error "$WORK"/pgbench.*.log | sort | uniq -c | head; exit 1
fi

expected=$((SESSIONS * PER_SESSION))
result=$(q <<SQL
SELECT concat_ws(' ',
    (SELECT count(*) FROM supervision.catalog_item),
    (SELECT count(DISTINCT code) FROM supervision.catalog_item),
    (SELECT count(*) FROM supervision.catalog_item WHERE NOT supervision.catalog_code_valid(code)),
    (SELECT count(*) FROM supervision.code_registry),
    -- per department, the numbers handed out are exactly 1..n
    (SELECT count(*) FROM (SELECT department_code, count(*) AS n, max(substr(code, 6, 4)::int) AS top
                             FROM supervision.catalog_item GROUP BY 1) x WHERE n <> top),
    (SELECT count(*) FROM supervision.audit_verify()))
SQL
)
echo "items, distinct codes, invalid codes, registered, departments with gaps, broken audit links: $result"
[ "$result" = "$expected $expected 0 $expected 0 0" ] || { echo "expected: $expected $expected 0 $expected 0 0"; exit 1; }
"$PGBIN/dropdb" -U postgres "$DB"
