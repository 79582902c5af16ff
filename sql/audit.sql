-- Audit trail: an append-only log of every change to user data, chained by
-- SHA-256 so that an edited, inserted or removed row breaks the chain.
--
-- Chain order is commit order. The audit trigger is a deferred constraint
-- trigger: it fires when the changing transaction commits, takes the chain
-- lock then, and holds it only for the commit itself. A transaction left open
-- therefore blocks nobody, and as the chain lock is normally the last lock a
-- transaction takes, waiting for it does not deadlock. Exceptions: the first
-- change of a month creates its partition under the chain lock, and after
-- SET CONSTRAINTS ALL IMMEDIATE the lock is held to the end of the
-- transaction (docs/security.md).
--
-- Only the trigger function writes the log. It runs as the extension owner,
-- no other role may execute it (so nobody can attach it to a table of their
-- own), and it takes the acting user from supervision.actor().

CREATE TABLE supervision.audit_log (
    id          bigint      NOT NULL,
    logged_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    txid        bigint      NOT NULL DEFAULT txid_current(),
    db_user     name        NOT NULL DEFAULT session_user,
    db_role     name        NOT NULL DEFAULT current_user,
    actor       text,
    department  text,
    table_name  text        NOT NULL,
    operation   text        NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    old_row     jsonb,
    new_row     jsonb,
    prev_hash   bytea       NOT NULL,
    hash        bytea       NOT NULL
) PARTITION BY RANGE (logged_at);
-- Each partition has its own primary key on id (ids are unique across the
-- chain anyway); a key on the parent would not survive pg_dump, because the
-- monthly partitions are created at run time and are not extension members.

COMMENT ON TABLE supervision.audit_log IS
    'Append-only audit trail of changes to user data; each row''s hash = sha256(prev_hash || content). Partitioned by month; retention drops whole partitions (supervision.audit_drop_before).';
COMMENT ON COLUMN supervision.audit_log.actor IS 'Acting user as given by supervision.actor() (JWT subject or mapped database user)';
COMMENT ON COLUMN supervision.audit_log.prev_hash IS 'Hash of the previous row in commit order (32 zero bytes for the first row)';
COMMENT ON COLUMN supervision.audit_log.hash IS 'sha256(prev_hash || supervision.audit_content(row))';

CREATE TABLE supervision.audit_log_default PARTITION OF supervision.audit_log DEFAULT;
ALTER TABLE supervision.audit_log_default ADD PRIMARY KEY (id);

-- The head of the chain: one row, locked by each writing transaction until commit.
-- No index: a transaction that audits many rows rewrites this row once per row,
-- and a unique index would check every earlier version of it on each rewrite
-- (quadratic); the row is reached by its tuple id instead (see audit_row), and a
-- trigger keeps it single.
CREATE TABLE supervision.audit_chain_head (
    singleton boolean NOT NULL DEFAULT true CHECK (singleton),
    last_id   bigint NOT NULL,
    last_hash bytea  NOT NULL
);
COMMENT ON TABLE supervision.audit_chain_head IS
    'Last id and hash of the audit chain; written by the first audited change (not at install, so pg_dump can restore it)';

-- Where verification starts once old partitions have been dropped.
CREATE TABLE supervision.audit_anchor (
    dropped_at   timestamptz NOT NULL DEFAULT now(),
    dropped_by   name        NOT NULL DEFAULT session_user,
    partition    text        NOT NULL,
    before       timestamptz NOT NULL,
    last_id      bigint      NOT NULL,
    last_hash    bytea       NOT NULL,
    PRIMARY KEY (last_id)
);
COMMENT ON TABLE supervision.audit_anchor IS
    'One row per dropped audit partition: the last id and hash it held, so audit_verify() can start after it';

-- The bytes hashed for a row: stable across time zones and date styles.
CREATE FUNCTION supervision.audit_content(
    p_id bigint, p_logged_at timestamptz, p_txid bigint, p_db_user name, p_db_role name,
    p_actor text, p_department text, p_table text, p_operation text, p_old jsonb, p_new jsonb)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN convert_to(concat_ws(chr(31),
        p_id::text,
        to_char(p_logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        p_txid::text, p_db_user::text, p_db_role::text,
        coalesce(p_actor, ''), coalesce(p_department, ''),
        p_table, p_operation,
        coalesce(p_old::text, ''), coalesce(p_new::text, '')), 'UTF8');
COMMENT ON FUNCTION supervision.audit_content IS 'The bytes of an audit row that its hash covers';

-- The audit trigger: fires at commit (deferred), as the extension owner.
-- Written in C (extension/audit.c): per row it takes the chain lock, links to
-- the head, appends the row with hash = sha256(prev_hash || audit_content(...))
-- computed in C (the same bytes as audit_content, checked by the regression
-- test) and moves the head on. It is not SECURITY DEFINER: it switches to its
-- owner itself and names everything schema-qualified, which spares the GUC
-- nest level a SET search_path clause would cost per row.
CREATE FUNCTION supervision.audit_row() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'audit_row';
COMMENT ON FUNCTION supervision.audit_row() IS
    'Deferred row trigger: at commit, appends each change to supervision.audit_log with the acting user and the next link of the chain';

CREATE FUNCTION supervision.audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s on %s is refused.', TG_OP,
                              CASE WHEN TG_TABLE_NAME LIKE 'audit\_log%' THEN 'supervision.audit_log'
                                   ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END),
              HINT = 'Retention drops whole partitions with supervision.audit_drop_before().';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON supervision.audit_log
    FOR EACH ROW EXECUTE FUNCTION supervision.audit_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON supervision.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION supervision.audit_refuse();
CREATE TRIGGER audit_log_default_no_truncate BEFORE TRUNCATE ON supervision.audit_log_default
    FOR EACH STATEMENT EXECUTE FUNCTION supervision.audit_refuse();
CREATE FUNCTION supervision.audit_head_single() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM supervision.audit_chain_head) THEN
        RAISE EXCEPTION 'the audit chain has one head' USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.audit_head_single() IS 'Trigger: audit_chain_head holds one row';
CREATE TRIGGER audit_head_single BEFORE INSERT ON supervision.audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION supervision.audit_head_single();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON supervision.audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION supervision.audit_refuse();
CREATE TRIGGER audit_anchor_append_only BEFORE UPDATE OR DELETE ON supervision.audit_anchor
    FOR EACH ROW EXECUTE FUNCTION supervision.audit_refuse();

-- Attaches the audit trigger to a table.
CREATE FUNCTION supervision.audit_attach(p_table regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE CONSTRAINT TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION supervision.audit_row()', p_table);
END
$$;
COMMENT ON FUNCTION supervision.audit_attach(regclass) IS 'Attaches the audit trigger to a table: every row change lands in supervision.audit_log';

-- Creates the monthly partitions from the month of p_from for p_months months.
-- Months are Beijing time (Asia/Shanghai) whatever the caller's time zone, as in the
-- trigger (extension/audit.c): partitions created from sessions in other zones would
-- otherwise have shifted bounds, and the next month's would overlap them. The bounds
-- are written in ISO style, with a numeric offset: in the Postgres style the zone is
-- an abbreviation (CST), which is read back as US Central time.
CREATE FUNCTION supervision.audit_ensure_partitions(p_from date DEFAULT current_date, p_months int DEFAULT 24)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'Asia/Shanghai' SET DateStyle = 'ISO, YMD'
AS $$
DECLARE
    m date := date_trunc('month', p_from)::date;
    name text;
BEGIN
    IF p_months IS NULL OR p_months < 1 OR p_months > 600 THEN
        RAISE EXCEPTION 'invalid number of months: %', p_months
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Give 1 to 600 months.';
    END IF;
    FOR i IN 0 .. p_months - 1 LOOP
        name := 'audit_log_' || to_char(m, 'YYYYMM');
        IF to_regclass('supervision.' || name) IS NULL THEN
            IF EXISTS (SELECT 1 FROM supervision.audit_log_default
                        WHERE logged_at >= m AND logged_at < (m + interval '1 month')) THEN
                RAISE WARNING 'audit rows for % are in the default partition; partition % not created', to_char(m, 'YYYY-MM'), name;
            ELSE
                EXECUTE format('CREATE TABLE supervision.%I PARTITION OF supervision.audit_log FOR VALUES FROM (%L) TO (%L)',
                               name, m::timestamptz, (m + interval '1 month')::timestamptz);
                EXECUTE format('ALTER TABLE supervision.%I ADD PRIMARY KEY (id)', name);
                EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON supervision.%I
                                FOR EACH STATEMENT EXECUTE FUNCTION supervision.audit_refuse()', name);
                RETURN NEXT name;
            END IF;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.audit_ensure_partitions(date, int) IS
    'Creates missing monthly audit partitions (run monthly, e.g. from pg_cron); returns the names created';


-- Verification: returns the first broken link, or no row when the chain is intact.
CREATE FUNCTION supervision.audit_verify()
RETURNS TABLE (broken_id bigint, logged_at timestamptz, problem text, expected_hash bytea, found_hash bytea)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r       record;
    v_prev  bytea;
    v_next  bigint;
    v_calc  bytea;
BEGIN
    SELECT a.last_hash, a.last_id + 1 INTO v_prev, v_next
      FROM supervision.audit_anchor a ORDER BY a.last_id DESC LIMIT 1;
    IF NOT FOUND THEN
        v_prev := '\x0000000000000000000000000000000000000000000000000000000000000000';
        v_next := 1;
    END IF;
    FOR r IN SELECT * FROM supervision.audit_log l WHERE l.id >= v_next ORDER BY l.id LOOP
        IF r.id <> v_next THEN
            broken_id := v_next; logged_at := NULL; problem := format('row %s is missing (next row is %s)', v_next, r.id);
            expected_hash := NULL; found_hash := NULL;
            RETURN NEXT; RETURN;
        END IF;
        IF r.prev_hash <> v_prev THEN
            broken_id := r.id; logged_at := r.logged_at; problem := 'prev_hash does not match the previous row''s hash';
            expected_hash := v_prev; found_hash := r.prev_hash;
            RETURN NEXT; RETURN;
        END IF;
        v_calc := sha256(v_prev || supervision.audit_content(r.id, r.logged_at, r.txid, r.db_user, r.db_role, r.actor,
                                                              r.department, r.table_name, r.operation, r.old_row, r.new_row));
        IF v_calc <> r.hash THEN
            broken_id := r.id; logged_at := r.logged_at; problem := 'row content does not match its hash';
            expected_hash := v_calc; found_hash := r.hash;
            RETURN NEXT; RETURN;
        END IF;
        v_prev := r.hash;
        v_next := v_next + 1;
    END LOOP;
    -- rows removed from the end show as a head that runs ahead of the log
    IF coalesce((SELECT h.last_id FROM supervision.audit_chain_head h), 0) <> v_next - 1 THEN
        broken_id := v_next; logged_at := NULL; problem := format('rows %s to %s are missing', v_next,
                                                            (SELECT h.last_id FROM supervision.audit_chain_head h));
        expected_hash := NULL; found_hash := NULL;
        RETURN NEXT;
    ELSIF v_next > 1 AND (SELECT h.last_hash FROM supervision.audit_chain_head h) <> v_prev THEN
        broken_id := v_next - 1; logged_at := NULL; problem := 'chain head hash does not match the last row';
        expected_hash := v_prev; found_hash := (SELECT h.last_hash FROM supervision.audit_chain_head h);
        RETURN NEXT;
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.audit_verify() IS
    'Walks the audit chain; returns the first broken link (missing row, wrong prev_hash, content changed) or nothing when intact';

-- Retention: drops whole monthly partitions that end on or before p_before.
-- (partition bounds are read back from their text: ISO style, see audit_ensure_partitions)
CREATE FUNCTION supervision.audit_drop_before(p_before date)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'Asia/Shanghai' SET DateStyle = 'ISO, YMD'
AS $$
DECLARE
    p record;
    v_last record;
BEGIN
    IF p_before IS NULL OR p_before > current_date - 365 THEN
        RAISE EXCEPTION 'audit retention must keep at least one year'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Asked to drop partitions before %s.', coalesce(to_char(p_before, 'YYYY-MM-DD'), 'NULL')),
                  HINT = format('Give a date on or before %s.', to_char(current_date - 365, 'YYYY-MM-DD'));
    END IF;
    PERFORM pg_advisory_xact_lock(7310287315610001);
    FOR p IN
        SELECT c.relname, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'supervision.audit_log'::regclass AND c.relname <> 'audit_log_default'
         ORDER BY 2
    LOOP
        EXIT WHEN p.upper > p_before;
        EXECUTE format('SELECT id, hash FROM supervision.%I ORDER BY id DESC LIMIT 1', p.relname) INTO v_last;
        IF v_last.id IS NOT NULL THEN
            INSERT INTO supervision.audit_anchor (partition, before, last_id, last_hash)
            VALUES (p.relname, p.upper, v_last.id, v_last.hash);
        END IF;
        EXECUTE format('ALTER TABLE supervision.audit_log DETACH PARTITION supervision.%I', p.relname);
        EXECUTE format('DROP TABLE supervision.%I', p.relname);
        RETURN NEXT p.relname;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.audit_drop_before(date) IS
    'Retention: drops monthly audit partitions that end on or before the date (at least one year back), recording an anchor for audit_verify()';

ALTER TABLE supervision.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON supervision.audit_log FOR SELECT
    TO supervision_admin, supervision_auditor USING (true);
ALTER TABLE supervision.audit_anchor ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_anchor_read ON supervision.audit_anchor FOR SELECT
    TO supervision_admin, supervision_auditor USING (true);
ALTER TABLE supervision.audit_chain_head ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_chain_head_read ON supervision.audit_chain_head FOR SELECT
    TO supervision_admin, supervision_auditor USING (true);

REVOKE ALL ON supervision.audit_log, supervision.audit_chain_head, supervision.audit_anchor FROM PUBLIC;
GRANT SELECT ON supervision.audit_log, supervision.audit_anchor, supervision.audit_chain_head
    TO supervision_admin, supervision_auditor;
REVOKE ALL ON FUNCTION supervision.audit_verify(), supervision.audit_drop_before(date),
    supervision.audit_ensure_partitions(date, int), supervision.audit_attach(regclass), supervision.audit_row() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.audit_verify() TO supervision_admin, supervision_auditor;
GRANT EXECUTE ON FUNCTION supervision.audit_drop_before(date), supervision.audit_ensure_partitions(date, int)
    TO supervision_admin;

DO $$
DECLARE p regclass;
BEGIN
    -- one call per statement: each call rewrites the extension's catalog row
    FOR p IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
              WHERE i.inhparent = 'supervision.audit_log'::regclass LOOP
        PERFORM pg_catalog.pg_extension_config_dump(p, '');
    END LOOP;
END
$$;
SELECT pg_catalog.pg_extension_config_dump('supervision.audit_chain_head', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.audit_anchor', '');
