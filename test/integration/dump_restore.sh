#!/usr/bin/env bash
# Backup and restore: pg_dump of a database using the extension, restored into
# a new database the documented way (triggers off during the data load), keeps
# the catalog, the codes and the audit chain, and work goes on after it.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
SRC=dump_src; DST=dump_dst
q() { local db=$1; shift; "$PGBIN/psql" -U postgres -d "$db" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
for db in $SRC $DST; do "$PGBIN/dropdb" -U postgres --if-exists "$db" 2>/dev/null; done
"$PGBIN/createdb" -U postgres $SRC
q $SRC <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION supervision CASCADE;
INSERT INTO supervision.department (code, name) VALUES ('301', '备份测试厅');
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dump_officer') THEN CREATE ROLE dump_officer IN ROLE supervision_officer; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dump_admin') THEN CREATE ROLE dump_admin IN ROLE supervision_admin; END IF;
END $$;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('dump_officer', '301'), ('dump_admin', NULL);
SET ROLE dump_officer;
SELECT count(*) FROM (SELECT supervision.catalog_draft(jsonb_build_object('department', '301', 'main_item_name', '备份事项' || i,
    'method', '双随机抽查', 'object', '企业', 'legal_basis', '[{"law": "测试条例"}]'::jsonb, 'reason', '初次编制'))
    FROM generate_series(1, 5) i) x;
SELECT count(supervision.catalog_submit(id)) FROM supervision.catalog_version;
RESET ROLE;
SET ROLE dump_admin;
SELECT count(supervision.catalog_publish(id)) FROM supervision.catalog_version;
RESET ROLE;
SQL
summary() {
    q "$1" -c "SELECT concat_ws(' ', (SELECT count(*) FROM supervision.catalog_version WHERE status = 'published'),
        (SELECT string_agg(code, ',' ORDER BY code) FROM supervision.catalog_item),
        (SELECT count(*) FROM supervision.audit_log), (SELECT last_id FROM supervision.audit_chain_head),
        (SELECT count(*) FROM supervision.audit_verify()))"
}
before=$(summary $SRC)
DUMP=$(mktemp); trap 'rm -f "$DUMP" "$DUMP.log"' EXIT
"$PGBIN/pg_dump" -U postgres -Fc -f "$DUMP" $SRC 2>"$DUMP.log" || { cat "$DUMP.log"; exit 1; }
"$PGBIN/createdb" -U postgres $DST
PGOPTIONS='-c session_replication_role=replica' "$PGBIN/pg_restore" -U postgres -d $DST --exit-on-error "$DUMP"
after=$(summary $DST)
echo "before: $before"
echo "after:  $after"
[ "$before" = "$after" ] || { echo "FAIL: the restored database differs"; exit 1; }
# work goes on: a new item gets the next code, the chain continues intact
next=$(q $DST <<'SQL'
SET client_min_messages = warning;
SET ROLE dump_officer;
SELECT code FROM supervision.catalog_draft('{"department": "301", "main_item_name": "恢复后的事项", "method": "重点检查", "object": "企业", "legal_basis": [{"law": "测试条例"}], "reason": "恢复后编制"}');
RESET ROLE;
SELECT count(*) FROM supervision.audit_verify();
SQL
)
echo "after restore, new item and broken links: $(echo $next)"
[ "$(echo $next)" = "32301000600001 0" ] || { echo "FAIL: expected code 32301000600001 and an intact chain"; exit 1; }
for db in $SRC $DST; do "$PGBIN/dropdb" -U postgres "$db"; done
