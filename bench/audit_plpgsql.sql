-- The PL/pgSQL audit trigger of before extension/audit.c, unchanged but for its name,
-- as it stood before commit 4b79acb added SET enable_seqscan = off to it. With that
-- clause this benchmark's PL/pgSQL COMMIT ran for over 14 minutes at N = 100 000
-- (stopped), its time in LLVM JIT compilation (perf): a plan that keeps a sequential
-- scan gets disable_cost, passes jit_above_cost and is compiled at every execution.
-- Not a fair baseline; without the clause the head is reached by TID scan here.
CREATE FUNCTION public.bench_audit_row_plpgsql() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_old    jsonb;
    v_new    jsonb;
    v_actor  text;
    v_dept   text;
    v_role   name;
    v_prev   bytea;
    v_id     bigint;
    v_at     timestamptz;
    v_txid   bigint := txid_current();
    v_part   text;
    v_month  date;
    v_tid    tid;
    v_cached text;
    v_key    text;
BEGIN
    IF TG_TABLE_SCHEMA <> 'supervision' THEN
        RAISE EXCEPTION 'the audit trigger serves the tables of schema supervision only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN v_old := to_jsonb(OLD); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN v_new := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' AND v_old = v_new THEN
        RETURN NULL;                      -- nothing changed
    END IF;
    -- who: the session's role (SET ROLE or login), not the owner this function runs as
    v_role := coalesce(nullif(current_setting('role'), 'none'), session_user)::name;
    -- the actor is worked out once per transaction and role (and JWT claims): bulk changes
    -- audit thousands of rows with the same one
    v_key := v_role || chr(30) || coalesce(current_setting('request.jwt.claims', true), '');
    v_cached := current_setting('supervision_audit.actor', true);
    IF v_cached IS NOT NULL AND split_part(v_cached, chr(31), 1) = v_key THEN
        v_actor := nullif(split_part(v_cached, chr(31), 2), '');
        v_dept  := nullif(split_part(v_cached, chr(31), 3), '');
    ELSIF to_regprocedure('supervision.actor_user()') IS NOT NULL THEN   -- absent while installing
        v_actor := supervision.actor_user();
        v_dept  := supervision.actor_department();
        PERFORM set_config('supervision_audit.actor', v_key || chr(31) || coalesce(v_actor, '') || chr(31) || coalesce(v_dept, ''), true);
    END IF;
    v_cached := NULL;

    PERFORM pg_advisory_xact_lock(7310287315610001);   -- queues committers in order
    v_at := clock_timestamp();                          -- after the lock: ids and times agree
    -- The head row's current version is remembered for the rest of the transaction
    -- (reverted with it, and with a rolled-back savepoint), so that a transaction
    -- auditing many rows reaches it by its tuple id: looking it up by key would walk
    -- the chain of the transaction's own earlier versions, quadratic in the rows.
    v_cached := nullif(current_setting('supervision_audit.head', true), '');
    IF v_cached IS NOT NULL THEN
        v_tid := v_cached::tid;
        SELECT h.last_id, h.last_hash INTO v_id, v_prev FROM supervision.audit_chain_head h WHERE h.ctid = v_tid;
    END IF;
    IF v_id IS NULL THEN
        SELECT h.last_id, h.last_hash, h.ctid INTO v_id, v_prev, v_tid
          FROM supervision.audit_chain_head h WHERE h.singleton FOR UPDATE;
        IF NOT FOUND THEN                 -- the very first audited change: the chain starts
            INSERT INTO supervision.audit_chain_head VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000')
            RETURNING last_id, last_hash, ctid INTO v_id, v_prev, v_tid;
        END IF;
    END IF;
    v_id := v_id + 1;
    -- the month's partition, created on first use (not a member of the extension, so pg_dump keeps it whole)
    v_month := date_trunc('month', v_at)::date;
    v_part := 'audit_log_' || to_char(v_month, 'YYYYMM');
    IF to_regclass('supervision.' || v_part) IS NULL
       AND NOT EXISTS (SELECT 1 FROM supervision.audit_log_default d
                        WHERE d.logged_at >= v_month AND d.logged_at < v_month + interval '1 month') THEN
        PERFORM supervision.audit_ensure_partitions(v_month, 1);
    END IF;
    INSERT INTO supervision.audit_log (id, logged_at, txid, db_user, db_role, actor, department,
                                       table_name, operation, old_row, new_row, prev_hash, hash)
    VALUES (v_id, v_at, v_txid, session_user, v_role, v_actor, v_dept, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP,
            v_old, v_new, v_prev,
            sha256(v_prev || supervision.audit_content(v_id, v_at, v_txid, session_user, v_role, v_actor, v_dept,
                                                       TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, v_old, v_new)))
    RETURNING hash INTO v_prev;
    UPDATE supervision.audit_chain_head SET last_id = v_id, last_hash = v_prev WHERE ctid = v_tid RETURNING ctid INTO v_tid;
    PERFORM set_config('supervision_audit.head', v_tid::text, true);
    RETURN NULL;
END
$$;
