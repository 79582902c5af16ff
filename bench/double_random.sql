-- One run of the double-random benchmark (bench/double_random.sh runs it with
-- -v seed=<seed> -v run=<n> on a database filled by bench/double_random_data.sql).
--
-- In one transaction, rolled back at the end so that every run starts from the
-- same data: the whole draw as the application does it (draw_open, draw_reveal),
-- the share of draw_reveal that schedules visits, draw_verify; then, on the
-- same frozen population, the C selection alone, the plain-SQL verifiable
-- selection (ORDER BY sha256(seed || '|' || key) LIMIT k per stratum) and
-- ORDER BY random() LIMIT k per stratum, and whether C and SQL drew the same
-- (with -v check_digest=true also whether plain SQL gets the same population digest).
-- Prints lines "name: milliseconds" (CPU: clock ticks) and a few facts for the script to read.
\set QUIET on
\pset tuples_only on
\pset format unaligned
SET client_min_messages = warning;
SET work_mem = '64MB';
BEGIN;
SET LOCAL track_functions = 'all';
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, exclusion_days, workload_cap)
SELECT 'BENCH-RUN-' || :'run', p.title, p.departments, p.items, p.check_start, p.check_end, p.exclusion_days, p.workload_cap
  FROM supervision.inspection_plan p WHERE p.code = 'BENCH';

-- CPU time of this backend (clock ticks, from /proc), besides the wall clock:
-- other jobs on the machine stretch the one, not the other
SELECT '/proc/' || pg_backend_pid() || '/stat' AS procstat \gset
SELECT :'procstat' \g | xargs awk '{ print "cpu_before_open: " $14 + $15 }'
SELECT clock_timestamp() AS t0 \gset
SELECT supervision.draw_open(id) AS d FROM supervision.inspection_plan WHERE code = 'BENCH-RUN-' || :'run' \gset
SELECT clock_timestamp() AS t1 \gset
SELECT :'procstat' \g | xargs awk '{ print "cpu_after_open: " $14 + $15 }'
SELECT clock_timestamp() AS t1 \gset
SELECT count(*) AS strata FROM supervision.draw_reveal(:d, :'seed', 'bench', clock_timestamp()) \gset
SELECT :'procstat' \g | xargs awk '{ print "cpu_after_reveal: " $14 + $15 }'
SELECT clock_timestamp() AS t2 \gset
SELECT string_agg(f.funcname || ': ' || f.total_time, E'\n' ORDER BY f.funcname) AS fn_times FROM pg_stat_xact_user_functions f
 WHERE f.schemaname = 'supervision' AND f.funcname IN ('visit_merge', 'sampling_freeze', 'sampling_draw') \gset
SELECT clock_timestamp() AS t2 \gset
SELECT supervision.draw_verify(:d) AS verified \gset
SELECT clock_timestamp() AS t3 \gset

SELECT 'open: ' || 1000 * extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz);
SELECT 'reveal: ' || 1000 * extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz);
SELECT 'verify: ' || 1000 * extract(epoch FROM :'t3'::timestamptz - :'t2'::timestamptz);
\echo :fn_times
SELECT 'verified: ' || :'verified'::boolean;
SELECT 'population: ' || population_size FROM supervision.draw WHERE id = :d;
SELECT 'selected: ' || count(*) || ', short of inspectors: ' || count(shortfall) || ', excluded: ' || sum(cardinality(excluded))
  FROM supervision.draw_selection WHERE draw_id = :d;
SELECT 'strata: ' || string_agg(stratum || ' ' || population || '/' || k, ', ' ORDER BY stratum)
  FROM supervision.draw_stratum WHERE draw_id = :d;

-- the same frozen population as a plain table (not timed), for the SQL selections
CREATE UNLOGGED TABLE public.bench_population AS
SELECT stratum, target_key FROM supervision.draw_population WHERE draw_id = :d;
CREATE INDEX ON public.bench_population (stratum);
ANALYZE public.bench_population;

SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE c_sel AS SELECT s.stratum, s.target_key FROM supervision.sampling_select(:d, :'seed') s;
SELECT clock_timestamp() AS t1 \gset
CREATE TEMP TABLE sql_sel AS
SELECT ds.stratum::text AS stratum, x.target_key
  FROM supervision.draw_stratum ds,
       LATERAL (SELECT p.target_key FROM public.bench_population p WHERE p.stratum = ds.stratum
                 ORDER BY sha256(convert_to(:'seed' || '|' || p.target_key, 'UTF8')) LIMIT ds.k) x
 WHERE ds.draw_id = :d;
SELECT clock_timestamp() AS t2 \gset
CREATE TEMP TABLE random_sel AS
SELECT ds.stratum::text AS stratum, x.target_key
  FROM supervision.draw_stratum ds,
       LATERAL (SELECT p.target_key FROM public.bench_population p WHERE p.stratum = ds.stratum
                 ORDER BY random() LIMIT ds.k) x
 WHERE ds.draw_id = :d;
SELECT clock_timestamp() AS t3 \gset

SELECT 'c_select: ' || 1000 * extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz);
SELECT 'sql_sha256: ' || 1000 * extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz);
SELECT 'sql_random: ' || 1000 * extract(epoch FROM :'t3'::timestamptz - :'t2'::timestamptz);
\if :check_digest
-- the population digest recomputed in plain SQL (sorted lines, sha256)
SELECT 'same_digest: ' || (d.population_digest = encode(sha256(convert_to(
           (SELECT string_agg(stratum || '|' || target_key || E'\n', '' ORDER BY stratum || '|' || target_key COLLATE "C")
              FROM public.bench_population), 'UTF8')), 'hex'))
  FROM supervision.draw d WHERE d.id = :d;
\endif
SELECT 'same_selection: ' || NOT EXISTS ((SELECT * FROM c_sel EXCEPT SELECT * FROM sql_sel) UNION ALL (SELECT * FROM sql_sel EXCEPT SELECT * FROM c_sel));
ROLLBACK;
