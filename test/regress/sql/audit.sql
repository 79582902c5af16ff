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

-- The trigger is C (extension/audit.c) and computes the hashed bytes itself:
-- they must be exactly those of supervision.audit_content, which audit_verify
-- uses. A table of varied rows: NULLs, Chinese text, nested jsonb, timestamps
-- with microseconds, the separators chr(30)/chr(31), very long (toasted) values.
CREATE TABLE supervision.audit_probe (
    id int PRIMARY KEY, t text, j jsonb, ts timestamptz, d date, n numeric, b bytea, a text[], f boolean);
SELECT supervision.audit_attach('supervision.audit_probe');
GRANT ALL ON supervision.audit_probe TO aud_admin, aud_officer;
SELECT max(id) AS probe_before FROM supervision.audit_log \gset
SET ROLE aud_admin;
INSERT INTO supervision.audit_probe VALUES
    (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, '江苏省南京市市场监督管理局', '{"名称": "某某科技有限公司", "tags": ["甲", "乙"], "nested": {"a": [1, 2.50, {"b": null}], "e": ""}}',
        '2024-02-29 23:59:59.123456+08', '2024-02-29', 12345678901234567890.123456789, '\x00ff1f1e', '{"一", NULL, "三"}', true),
    (3, 'sep' || chr(31) || 'in' || chr(30) || 'text', '"just a string"', '1999-12-31 16:00:00.000001+00', '0044-03-15 BC', -0.0000001,
        '\x', '{}', false),
    (4, repeat('长值', 60000), jsonb_build_object('long', repeat('x', 200000), 'arr', (SELECT jsonb_agg(i) FROM generate_series(1, 5000) i)),
        'infinity', 'infinity', 'NaN', decode(repeat('ab', 100000), 'hex'), ARRAY[repeat('y', 10000)], NULL);
UPDATE supervision.audit_probe SET t = coalesce(t, '') || '改', j = jsonb_set(coalesce(j, '{}'), '{new}', '"新"') WHERE id IN (1, 2, 4);
UPDATE supervision.audit_probe SET ts = ts WHERE id = 3;   -- no change: no row
RESET ROLE;
-- another role with an actor and a department, in another time zone (the content is in UTC)
INSERT INTO supervision.department (code, name) VALUES ('078', '审计探针厅');
INSERT INTO supervision.actor_map (db_role, display_name, department_code) VALUES ('aud_officer', 'Probe officer', '078');
SET timezone = 'America/New_York';
SET ROLE aud_officer;
DELETE FROM supervision.audit_probe WHERE id IN (2, 3);
RESET ROLE;
RESET timezone;
SELECT id - :probe_before AS n, db_role, actor, department, operation,
       (old_row ->> 'id')::int AS old_id, (new_row ->> 'id')::int AS new_id
  FROM supervision.audit_log WHERE table_name = 'supervision.audit_probe' ORDER BY id;
-- every hash is sha256(prev_hash || audit_content(...)) of the row as stored
SELECT count(*) AS rows, count(*) FILTER (WHERE hash = sha256(prev_hash || supervision.audit_content(id, logged_at, txid,
           db_user, db_role, actor, department, table_name, operation, old_row, new_row))) AS hashes_equal
  FROM supervision.audit_log WHERE id > :probe_before;
-- old_row/new_row are to_jsonb of the row: the rows still in the table match their last image
SELECT p.id, l.new_row = to_jsonb(p) AS new_row_is_to_jsonb, octet_length(l.new_row::text) > 100000 AS long_kept
  FROM supervision.audit_probe p
  JOIN LATERAL (SELECT new_row FROM supervision.audit_log l
                 WHERE l.id > :probe_before AND (l.new_row ->> 'id')::int = p.id ORDER BY l.id DESC LIMIT 1) l ON true
 ORDER BY p.id;
-- each row sits in its month's partition (created on first use)
SELECT bool_and(tableoid::regclass::text = 'supervision.audit_log_' || to_char(logged_at, 'YYYYMM')) AS monthly
  FROM supervision.audit_log WHERE id > :probe_before;
SELECT * FROM supervision.audit_verify();

-- a month without a partition gets one on first use
SELECT 'audit_log_' || to_char(clock_timestamp(), 'YYYYMM') AS this_month \gset
BEGIN;
ALTER TABLE supervision.audit_log DETACH PARTITION supervision.:this_month;
ALTER TABLE supervision.:this_month RENAME TO audit_probe_detached;
INSERT INTO supervision.audit_probe VALUES (5, 'first of the month');
SET CONSTRAINTS ALL IMMEDIATE;
SELECT tableoid::regclass::text = 'supervision.' || :'this_month' AS new_partition, count(*) OVER () AS rows_in_it
  FROM supervision.audit_log WHERE new_row ->> 'id' = '5';
ROLLBACK;

-- savepoints: audit rows written inside a savepoint that is rolled back leave the chain intact
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
SAVEPOINT s1;
INSERT INTO supervision.audit_probe VALUES (10, 'rolled back');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO supervision.audit_probe VALUES (11, 'kept');
COMMIT;
SELECT * FROM supervision.audit_verify();
SELECT last_id = (SELECT max(id) FROM supervision.audit_log) AS head_matches FROM supervision.audit_chain_head;
-- the same after rows already written in the transaction, nested, and released savepoints
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO supervision.audit_probe VALUES (12, 'before');
SAVEPOINT s1;
UPDATE supervision.audit_probe SET t = 'in s1' WHERE id = 12;
SAVEPOINT s2;
UPDATE supervision.audit_probe SET t = 'in s2' WHERE id = 12;
RELEASE SAVEPOINT s2;
ROLLBACK TO SAVEPOINT s1;
UPDATE supervision.audit_probe SET t = 'after' WHERE id = 12;
SAVEPOINT s3;
DELETE FROM supervision.audit_probe WHERE id = 11;
RELEASE SAVEPOINT s3;
COMMIT;
SELECT operation, old_row ->> 't' AS old_t, new_row ->> 't' AS new_t
  FROM supervision.audit_log WHERE table_name = 'supervision.audit_probe' AND coalesce(new_row, old_row) ->> 'id' IN ('10', '11', '12') ORDER BY id;
SELECT * FROM supervision.audit_verify();
SELECT last_id = (SELECT max(id) FROM supervision.audit_log) AS head_matches FROM supervision.audit_chain_head;

-- a row stored before a column was added (its value is the column's default, kept in the catalog) and after one was dropped
ALTER TABLE supervision.audit_probe DROP COLUMN f, ADD COLUMN g text DEFAULT '默认';
UPDATE supervision.audit_probe SET t = 'after alter' WHERE id = 12;
SELECT old_row ->> 'g' AS old_g, old_row ? 'f' AS old_has_f,
       new_row = (SELECT to_jsonb(p) FROM supervision.audit_probe p WHERE id = 12) AS new_row_is_to_jsonb
  FROM supervision.audit_log WHERE id = (SELECT max(id) FROM supervision.audit_log);
SELECT * FROM supervision.audit_verify();

-- the same rows and chain when the log or the head is not as installed (here: an expression
-- index, an index on the head), where the trigger inserts and updates through SQL statements
BEGIN;
CREATE INDEX audit_probe_lower ON supervision.audit_log (lower(table_name));
CREATE INDEX audit_probe_head ON supervision.audit_chain_head (last_id);
SELECT max(id) AS sql_before FROM supervision.audit_log \gset
INSERT INTO supervision.audit_probe VALUES (20, '经由 SQL', '{"路径": ["INSERT", {"UPDATE": true}]}');
UPDATE supervision.audit_probe SET t = 'via SQL' WHERE id = 20;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT count(*) AS rows, count(*) FILTER (WHERE hash = sha256(prev_hash || supervision.audit_content(id, logged_at, txid,
           db_user, db_role, actor, department, table_name, operation, old_row, new_row))) AS hashes_equal,
       bool_and(tableoid::regclass::text = 'supervision.audit_log_' || to_char(logged_at, 'YYYYMM')) AS monthly
  FROM supervision.audit_log WHERE id > :sql_before;
SELECT * FROM supervision.audit_verify();
SELECT last_id = (SELECT max(id) FROM supervision.audit_log) AS head_matches FROM supervision.audit_chain_head;
ROLLBACK;

-- the trigger serves the tables of schema supervision only, even when a superuser attaches it elsewhere,
-- and only as an AFTER ... FOR EACH ROW trigger
CREATE TABLE public.audit_elsewhere (x int);
SELECT supervision.audit_attach('public.audit_elsewhere');
DO $$
BEGIN
    INSERT INTO public.audit_elsewhere VALUES (1);
    SET CONSTRAINTS ALL IMMEDIATE;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'refused (%): %', SQLSTATE, SQLERRM;
END
$$;
DROP TABLE public.audit_elsewhere;
CREATE TRIGGER audit_before BEFORE INSERT ON supervision.audit_probe FOR EACH ROW EXECUTE FUNCTION supervision.audit_row();
INSERT INTO supervision.audit_probe VALUES (13);
DROP TRIGGER audit_before ON supervision.audit_probe;
SELECT * FROM supervision.audit_verify();
DROP TABLE supervision.audit_probe;
DELETE FROM supervision.actor_map WHERE db_role = 'aud_officer';
DELETE FROM supervision.department WHERE code = '078';

-- what the trigger remembers within a transaction (the acting user, the chain head)
-- is not for other roles to set or read: a forged actor or head hash would enter the log
SELECT supervision.uscc_valid('x') IS NOT NULL AS module_loaded;
SET ROLE aud_officer;
\set VERBOSITY terse
SELECT set_config('supervision_audit.actor', 'aud_officer' || chr(30) || chr(31) || 'the minister' || chr(31) || '092', true);
SELECT set_config('supervision_audit.head', '(0,1)/1/00', true);
SELECT current_setting('supervision_audit.head');
\set VERBOSITY default
RESET ROLE;
-- set in a new session before the module is loaded, the value is a placeholder that
-- loading the module refuses (with a warning): the log keeps the real actor
\c - aud_admin
BEGIN;
SELECT set_config('supervision_audit.actor', 'aud_admin' || chr(30) || chr(31) || 'the minister' || chr(31) || '092', true) IS NOT NULL AS placeholder_set;
INSERT INTO supervision.department (code, name) VALUES ('079', '审计测试二厅');
COMMIT;
\c - postgres
SELECT db_role, actor, department FROM supervision.audit_log
 WHERE table_name = 'supervision.department' AND new_row ->> 'code' = '079';
DELETE FROM supervision.department WHERE code = '079';
SELECT * FROM supervision.audit_verify();

-- monthly partitions follow Beijing time whatever the session's zone: one created from
-- New York and the next from Shanghai meet without overlapping
SET TimeZone = 'America/New_York';
SELECT supervision.audit_ensure_partitions('2031-01-01', 1);
RESET TimeZone;
SELECT supervision.audit_ensure_partitions('2031-02-01', 1);
SET TimeZone = 'UTC';
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bounds
  FROM pg_class c WHERE c.relname IN ('audit_log_203101', 'audit_log_203102') ORDER BY 1;
-- and the trigger files a change made from another zone under its Beijing month
INSERT INTO supervision.department (code, name) VALUES ('079', '审计时区厅');
SELECT tableoid::regclass::text = 'supervision.audit_log_' || to_char(logged_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS beijing_month
  FROM supervision.audit_log WHERE table_name = 'supervision.department' AND new_row ->> 'name' = '审计时区厅';
RESET TimeZone;
DELETE FROM supervision.department WHERE code = '079';
SELECT * FROM supervision.audit_verify();
