-- Audit trail: every change is logged with who/when/what, chained by SHA-256;
-- the log is append-only; audit_verify() finds the first broken link.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

CREATE ROLE aud_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE aud_auditor LOGIN IN ROLE supervision_auditor;
CREATE ROLE aud_officer LOGIN IN ROLE supervision_officer;
INSERT INTO supervision.actor_map (db_role, display_name, department_code) VALUES ('aud_admin', 'Audit test admin', NULL);

SELECT max(id) AS last_id_before FROM supervision.audit_log \gset
-- a change by an administrator is logged with the acting user, old and new values
SET ROLE aud_admin;
INSERT INTO supervision.department (code, name) VALUES ('077', '审计测试厅');
UPDATE supervision.department SET short_name = '审计' WHERE code = '077';
UPDATE supervision.department SET short_name = '审计' WHERE code = '077';   -- no change: no row
DELETE FROM supervision.department WHERE code = '077';
RESET ROLE;
SELECT id - :last_id_before AS n, db_user, db_role, actor, table_name, operation,
       old_row ->> 'short_name' AS old_short_name, new_row ->> 'short_name' AS new_short_name,
       length(hash) AS hash_bytes
  FROM supervision.audit_log WHERE id > :last_id_before ORDER BY id;

-- the chain is intact
SELECT * FROM supervision.audit_verify();
-- each row links to the previous one
SELECT bool_and(l.prev_hash = p.hash) AS linked
  FROM supervision.audit_log l JOIN supervision.audit_log p ON p.id = l.id - 1;

-- nobody edits or removes audit rows, not even its owner
UPDATE supervision.audit_log SET actor = 'someone else' WHERE id = :last_id_before + 1;
DELETE FROM supervision.audit_log WHERE id = :last_id_before + 1;
TRUNCATE supervision.audit_log;
SET ROLE aud_admin;
UPDATE supervision.audit_log SET actor = 'someone else' WHERE id = :last_id_before + 1;
INSERT INTO supervision.audit_log (id, table_name, operation, prev_hash, hash) VALUES (-1, 'x', 'INSERT', '\x00', '\x00');
-- the trigger function cannot be called or borrowed
SELECT supervision.audit_row();
CREATE TEMP TABLE forged (x int);
CREATE TRIGGER f AFTER INSERT ON forged FOR EACH ROW EXECUTE FUNCTION supervision.audit_row();
RESET ROLE;

-- who may read the log
SET ROLE aud_auditor;
SELECT count(*) > 0 AS auditor_reads FROM supervision.audit_log;
SELECT count(*) = 0 AS auditor_verifies FROM supervision.audit_verify();
RESET ROLE;
SET ROLE aud_officer;
SELECT count(*) FROM supervision.audit_log;
SELECT * FROM supervision.audit_verify();
RESET ROLE;

-- tampering is found: a changed row, a removed row, a forged hash (triggers off, as a rogue superuser could)
BEGIN;
ALTER TABLE supervision.audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE supervision.audit_log SET new_row = jsonb_set(new_row, '{name}', '"篡改"') WHERE id = :last_id_before + 1;
SELECT broken_id - :last_id_before AS n, regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM supervision.audit_verify();
ROLLBACK;
BEGIN;
ALTER TABLE supervision.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM supervision.audit_log WHERE id = :last_id_before + 2;
SELECT broken_id - :last_id_before AS n, regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM supervision.audit_verify();
ROLLBACK;
BEGIN;
ALTER TABLE supervision.audit_log DISABLE TRIGGER audit_log_append_only;
DELETE FROM supervision.audit_log WHERE id = (SELECT max(id) FROM supervision.audit_log);
SELECT regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM supervision.audit_verify();
ROLLBACK;
BEGIN;
ALTER TABLE supervision.audit_log DISABLE TRIGGER audit_log_append_only;
-- recomputing the row's own hash is not enough: the next row's link breaks
UPDATE supervision.audit_log l SET actor = 'forger',
       hash = sha256(l.prev_hash || supervision.audit_content(l.id, l.logged_at, l.txid, l.db_user, l.db_role, 'forger',
                     l.department, l.table_name, l.operation, l.old_row, l.new_row))
 WHERE id = :last_id_before + 1;
SELECT broken_id - :last_id_before AS n, regexp_replace(problem, '[0-9]+', 'N', 'g') AS problem FROM supervision.audit_verify();
ROLLBACK;
SELECT * FROM supervision.audit_verify();

-- concurrent writers cannot interleave links: the chain head is locked until commit
SELECT last_id = (SELECT max(id) FROM supervision.audit_log) AS head_matches FROM supervision.audit_chain_head;

-- retention drops whole partitions only, at least a year back, and verification goes on from the anchor
\set VERBOSITY terse
SELECT supervision.audit_drop_before(current_date);
SELECT supervision.audit_drop_before(NULL);
\set VERBOSITY default
SELECT count(*) > 0 AS partitions_created FROM supervision.audit_ensure_partitions(current_date + 800, 2);
SELECT supervision.audit_ensure_partitions(current_date, 0);
-- simulate an old month: a partition that held rows two years ago
CREATE TEMP TABLE before_drop AS SELECT count(*) AS n FROM supervision.audit_log;
SELECT count(*) AS old_partition_created FROM supervision.audit_ensure_partitions((current_date - 800), 1);
SELECT count(*) AS dropped FROM supervision.audit_drop_before((date_trunc('month', current_date - 770))::date);
SELECT (SELECT count(*) FROM supervision.audit_log) = (SELECT n FROM before_drop) AS rows_kept;
SELECT * FROM supervision.audit_verify();

-- a bulk change reaches the chain head by its tuple id, row after row, even once the
-- head's statistics (one page, one row) make a sequential scan look cheaper: such a
-- scan would walk every version the transaction wrote, quadratic in the rows.
-- Counted by the scans of audit_chain_head: at most the first lookup of the transaction.
CREATE TABLE supervision.aud_bulk (x int);
SELECT supervision.audit_attach('supervision.aud_bulk');
ANALYZE supervision.audit_chain_head;
SELECT pg_stat_force_next_flush();
SELECT seq_scan AS head_scans_before FROM pg_stat_user_tables WHERE relid = 'supervision.audit_chain_head'::regclass \gset
INSERT INTO supervision.aud_bulk SELECT generate_series(1, 300);
SELECT pg_stat_force_next_flush();
SELECT seq_scan - :head_scans_before AS head_scans_for_300_rows
  FROM pg_stat_user_tables WHERE relid = 'supervision.audit_chain_head'::regclass;
SELECT count(*) AS audited FROM supervision.audit_log WHERE table_name = 'supervision.aud_bulk';
SELECT * FROM supervision.audit_verify();
DROP TABLE supervision.aud_bulk;
