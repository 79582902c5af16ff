-- Audit trigger benchmark (run by bench/audit.sh with -v n=<rows>).
-- In one transaction, :n rows are inserted into supervision.subject_credit_class
-- (an audited table of the extension) and then updated: 2 * :n audited changes,
-- which the deferred audit trigger writes to the chain at COMMIT. Timed twice in
-- the same database: with supervision.audit_row() (C, extension/audit.c) and with
-- a copy of the PL/pgSQL trigger it replaced (bench/audit_plpgsql.sql),
-- attached the same way. audit_verify() must find the chain intact after each.
\timing off
SET client_min_messages = warning;
ALTER TABLE supervision.subject DISABLE TRIGGER USER;
INSERT INTO supervision.subject (name) SELECT 'A' || i FROM generate_series(1, :n) i;
ALTER TABLE supervision.subject ENABLE TRIGGER USER;
ANALYZE supervision.subject;

-- the PL/pgSQL audit trigger of before extension/audit.c (baseline)
\ir audit_plpgsql.sql

-- one timed run: the transaction, then its COMMIT (where the audit rows are written)
\set run 'BEGIN; INSERT INTO supervision.subject_credit_class (subject_id, class, assessed_on, model) SELECT id, ''B'', DATE ''2026-01-01'', ''bench'' FROM supervision.subject; UPDATE supervision.subject_credit_class SET class = ''C'', assessed_on = DATE ''2026-02-01'';'
\set reset 'SET session_replication_role = replica; DELETE FROM supervision.subject_credit_class; RESET session_replication_role;'

-- C trigger (as installed)
SELECT max(id) AS c_from FROM supervision.audit_log \gset
VACUUM supervision.audit_chain_head;
CHECKPOINT;
:run
\timing on
COMMIT;
\timing off
SELECT 'C audit rows: ' || count(*) FROM supervision.audit_log WHERE id > coalesce(:'c_from'::bigint, 0);
SELECT 'C audit_verify broken links: ' || count(*) FROM supervision.audit_verify();
:reset

-- PL/pgSQL baseline, attached the way audit_attach attaches the trigger
DROP TRIGGER audit ON supervision.subject_credit_class;
CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON supervision.subject_credit_class
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.bench_audit_row_plpgsql();
SELECT max(id) AS p_from FROM supervision.audit_log \gset
VACUUM supervision.audit_chain_head;
CHECKPOINT;
:run
\timing on
COMMIT;
\timing off
SELECT 'PL/pgSQL audit rows: ' || count(*) FROM supervision.audit_log WHERE id > :p_from;
SELECT 'PL/pgSQL audit_verify broken links: ' || count(*) FROM supervision.audit_verify();
:reset
DROP TRIGGER audit ON supervision.subject_credit_class;
SELECT supervision.audit_attach('supervision.subject_credit_class');
