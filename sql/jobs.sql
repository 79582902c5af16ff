-- Scheduled jobs: registered with pg_cron on request (never at install),
-- listed and removed by the same functions.

CREATE TABLE supervision.job_definition (
    name        text PRIMARY KEY CHECK (name ~ '^supervision-[a-z0-9-]+$'),
    schedule    text NOT NULL,
    command     text NOT NULL,
    description text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE supervision.job_definition IS
    'Jobs the extension can register with pg_cron (supervision.jobs_schedule); schedules are cron syntax in GMT; only superusers add jobs, since they run as the superuser who schedules them';

INSERT INTO supervision.job_definition (name, schedule, command, description, builtin) VALUES
    ('supervision-audit-partitions', '0 19 1 * *', 'SELECT count(*) FROM supervision.audit_ensure_partitions()',
     'Creates the monthly audit partitions of the next two years (03:00 Beijing time on the 1st)', true),
    ('supervision-cron-history', '30 19 * * *',
     'DELETE FROM cron.job_run_details WHERE end_time < now() - interval ''30 days''',
     'Keeps 30 days of pg_cron run history, which otherwise grows without bound', true);

-- Registers the jobs (all, or those named) with pg_cron; registering again updates them.
CREATE FUNCTION supervision.jobs_schedule(p_names text[] DEFAULT NULL)
RETURNS TABLE (name text, schedule text, jobid bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j record;
    v_unknown text;
BEGIN
    IF to_regnamespace('cron') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'undefined_object',
                  HINT = 'Preload pg_cron (shared_preload_libraries), set cron.database_name to this database, then CREATE EXTENSION pg_cron.';
    END IF;
    SELECT u INTO v_unknown FROM unnest(p_names) u
     WHERE NOT EXISTS (SELECT 1 FROM supervision.job_definition d WHERE d.name = u) LIMIT 1;
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown job "%"', v_unknown USING ERRCODE = 'undefined_object',
            HINT = 'The jobs are listed in supervision.job_definition.';
    END IF;
    FOR j IN SELECT * FROM supervision.job_definition d
              WHERE p_names IS NULL OR d.name = ANY (p_names) ORDER BY d.name LOOP
        name := j.name; schedule := j.schedule;
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO jobid USING j.name, j.schedule, j.command;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.jobs_schedule(text[]) IS
    'Registers the extension''s jobs (all, or the named ones) with pg_cron; idempotent';

CREATE FUNCTION supervision.jobs_unschedule(p_names text[] DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE n text;
BEGIN
    IF to_regnamespace('cron') IS NULL THEN
        RETURN;
    END IF;
    FOR n IN EXECUTE 'SELECT jobname FROM cron.job WHERE jobname LIKE ''supervision-%'' AND ($1 IS NULL OR jobname = ANY ($1))'
               USING p_names LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING n;
        RETURN NEXT n;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.jobs_unschedule(text[]) IS 'Removes the extension''s jobs (all, or the named ones) from pg_cron';

ALTER TABLE supervision.job_definition ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_read ON supervision.job_definition FOR SELECT USING (true);
-- Jobs run as the superuser who schedules them: only superusers define them.
REVOKE ALL ON supervision.job_definition FROM PUBLIC;
GRANT SELECT ON supervision.job_definition TO supervision_admin, supervision_auditor;
REVOKE ALL ON FUNCTION supervision.jobs_schedule(text[]), supervision.jobs_unschedule(text[]) FROM PUBLIC;
SELECT supervision.audit_attach('supervision.job_definition');
SELECT pg_catalog.pg_extension_config_dump('supervision.job_definition', 'WHERE NOT builtin');
