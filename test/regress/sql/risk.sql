-- Credit-risk classification: indicator trees as data, scoring in C, classes by
-- thresholds or quantiles, forced classes, reasons, runs with history, the
-- classes draws read, frozen model versions, and who may do what.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
\set VERBOSITY terse
-- errors with their SQLSTATE; ids of models and subjects depend on the tests before, so they read #
CREATE FUNCTION rk_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '(model|subject) [0-9]+', '\1 #', 'g');
END
$$;

-- transforms, value by value: t in [0, 1], protective reverses
-- (cap 4: 2/4 = 0.5; log cap 4: ln 3 / ln 5 = 0.682606; bins [1,3,5,10] at 7: 3 edges of 4 <= 7, protective 1 - 0.75)
SELECT v, t, d, round(supervision.risk_transform(v, t::jsonb, d)::numeric, 6) AS share
  FROM (VALUES (2::float8, '{"cap": 4}', 'risk'), (9, '{"cap": 4}', 'risk'), (-3, '{"cap": 4}', 'risk'),
               (2, '{"cap": 4, "log": true}', 'risk'), (7, '{"bins": [1, 3, 5, 10]}', 'protective'),
               (10, '{"bins": [1, 3, 5, 10]}', 'risk'), (0.5, '{"bins": [1, 3, 5, 10]}', 'risk'),
               (0, '{"flag": true}', 'risk'), (0.1, '{"flag": true}', 'protective'), (0.5, NULL, NULL), (3, NULL, 'risk'),
               (NULL, '{"cap": 4}', 'risk')) x(v, t, d);
-- bad transforms, one per line
SELECT supervision.risk_transform(1, '{"cap": 0}');
SELECT supervision.risk_transform(1, '{"cap": "4"}');
SELECT supervision.risk_transform(1, '{"cap": 4, "log": false}');
SELECT supervision.risk_transform(1, '{"cap": 4, "floor": 1}');
SELECT supervision.risk_transform(1, '{"bins": [3, 1]}');
SELECT supervision.risk_transform(1, '{"bins": []}');
SELECT supervision.risk_transform(1, '{"bins": ["a"]}');
SELECT supervision.risk_transform(1, '{"flag": false}');
SELECT supervision.risk_transform(1, '{"log": true}');
SELECT supervision.risk_transform(1, '[1]');
SELECT supervision.risk_transform(1, '{"cap": 1}', 'up');
SELECT supervision.risk_transform('NaN', '{"cap": 1}');
-- the SQL check agrees with the C parser
SELECT t, supervision.risk_transform_valid(t::jsonb) AS valid
  FROM (VALUES ('{"cap": 4}'), ('{"cap": 4, "log": true}'), ('{"bins": [1, 2]}'), ('{"flag": true}'),
               ('{"cap": 0}'), ('{"bins": [2, 1]}'), ('{"flag": false}'), ('{"cap": 4, "floor": 1}')) x(t);

-- the shipped model: five groups, leaves' effective weights add up to 1
SELECT name, version, status, class_method, builtin FROM supervision.risk_model WHERE builtin;
SELECT left(code, 1) AS grp, count(*) AS leaves, round(sum(weight)::numeric, 6) AS weight
  FROM supervision.risk_leaf_weight WHERE model_id = (SELECT id FROM supervision.risk_model WHERE builtin)
 GROUP BY 1 ORDER BY 1;

-- fixtures: five subjects and the facts a test model reads
CREATE TABLE rk_fact (subject_id bigint, penalties int, listed int, reward int, trusted int);
INSERT INTO supervision.subject (name, uscc, legal_representative, established_on)
SELECT '风险测试企业' || n || '有限公司', u, '风险测试人' || n, '2015-01-01'
  FROM (VALUES (1, '91320100RK00000182'), (2, '91320100RK0000026W'), (3, '91320100RK0000034P'), (4, '91320100RK0000042J'),
               (5, '91320100RK0000069A')) x(n, u);
CREATE TEMP VIEW rk_subject AS
SELECT id, substr(name, 7, 1)::int AS n FROM supervision.subject WHERE name LIKE '风险测试企业_有限公司';
SELECT n, uscc_ok FROM (SELECT r.n, supervision.uscc_valid(s.uscc) AS uscc_ok FROM rk_subject r JOIN supervision.subject s USING (id)) x ORDER BY n;
INSERT INTO rk_fact SELECT id, f.p, f.l, f.r, f.t FROM rk_subject JOIN (VALUES
    (1, 0, 0, 1, 0), (2, 2, 0, 0, 1), (3, 8, 1, 0, 1), (5, 1, 0, 1, 0)) f(n, p, l, r, t) USING (n);
GRANT SELECT ON rk_fact TO supervision_admin;
INSERT INTO supervision.risk_source (code, name, query) VALUES
    ('rk_penalties', 'test penalties', 'SELECT subject_id, penalties AS value FROM public.rk_fact'),
    ('rk_listed', 'test listing', 'SELECT subject_id, listed AS value FROM public.rk_fact'),
    ('rk_reward', 'test reward', 'SELECT subject_id, reward AS value FROM public.rk_fact'),
    ('rk_trusted', 'test trusted', 'SELECT subject_id, trusted AS value FROM public.rk_fact WHERE trusted > 0');

-- a test model: C (weight 3) with two equal leaves, E (weight 1) with one protective leaf
--   C0101 penalties cap 4: 3/4 * 1/2 = 0.375; C0102 listed flag: 0.375; E0101 reward flag, protective: 0.25
-- score = 100 * (0.375 t1 + 0.375 t2 + 0.25 t3):
--   s1: 0, 0, 1-1 -> 0       s2: 2/4, 0, 1-0 -> 43.75     s3: 1, 1, 1 -> 100
--   s4: no facts: 0, 0, 1 -> 25      s5: 1/4, 0, 0 -> 9.375
-- thresholds A 10, B 30, C 60: s1 A, s2 C, s3 D, s4 B, s5 A; forced: listed -> D (priority 10),
-- trusted -> A (priority 50): s2 A, s3 stays D (the listing rule comes first)
INSERT INTO supervision.risk_model (name, version, class_cuts) VALUES ('风险测试模型', 1, '{"A": 10, "B": 30, "C": 60}');
SELECT id AS rk_model FROM supervision.risk_model WHERE name = '风险测试模型' \gset
INSERT INTO supervision.risk_indicator (model_id, code, name, weight, source, direction, transform) VALUES
    (:rk_model, 'C', '监管信息', 3, NULL, NULL, NULL),
    (:rk_model, 'C01', '处罚与名单', 1, NULL, NULL, NULL),
    (:rk_model, 'C0101', '处罚次数', 1, 'rk_penalties', 'risk', '{"cap": 4}'),
    (:rk_model, 'C0102', '列入名单', 1, 'rk_listed', 'risk', '{"flag": true}'),
    (:rk_model, 'E', '社会评价', 1, NULL, NULL, NULL),
    (:rk_model, 'E01', '激励', 1, NULL, NULL, NULL),
    (:rk_model, 'E0101', '守信激励', 1, 'rk_reward', 'protective', '{"flag": true}');
INSERT INTO supervision.risk_forced_rule (model_id, code, name, source, class, priority) VALUES
    (:rk_model, 'F01', '列入名单直接D类', 'rk_listed', 'D', 10),
    (:rk_model, 'F02', '信任企业A类', 'rk_trusted', 'A', 50);
SELECT code, round(weight::numeric, 6) AS weight FROM supervision.risk_leaf_weight WHERE model_id = :rk_model ORDER BY code;
SELECT r.n, round(c.score::numeric, 4) AS score, c.score_class, c.class, c.forced_by, c.top_codes,
       (SELECT array_agg(round(p::numeric, 4)) FROM unnest(c.top_points) p) AS top_points
  FROM supervision.risk_compute(:rk_model, '2024-06-30') c JOIN rk_subject r ON r.id = c.subject_id ORDER BY r.n;
-- every subject not merged is scored once, in [0, 100]
SELECT count(*) = (SELECT count(*) FROM supervision.subject WHERE merged_into IS NULL) AS all_subjects,
       count(DISTINCT subject_id) = count(*) AS once, bool_and(score BETWEEN 0 AND 100) AS in_range
  FROM supervision.risk_compute(:rk_model, '2024-06-30');

-- quantile classes: by the share of subjects with a strictly lower score; equal scores share a class
UPDATE supervision.risk_model SET class_method = 'quantile', class_cuts = '{"A": 0.2, "B": 0.5, "C": 0.9}' WHERE id = :rk_model;
WITH c AS (SELECT * FROM supervision.risk_compute(:rk_model, '2024-06-30')),
     q AS (SELECT subject_id, score_class,
                  (rank() OVER (ORDER BY score) - 1)::float8 / count(*) OVER () AS share FROM c)
SELECT count(*) FILTER (WHERE score_class <> CASE WHEN share < 0.2 THEN 'A' WHEN share < 0.5 THEN 'B'
                                                  WHEN share < 0.9 THEN 'C' ELSE 'D' END) AS disagreements,
       count(DISTINCT score_class) FILTER (WHERE subject_id IN (SELECT id FROM rk_subject WHERE n IN (3))) AS top_one
  FROM q;
SELECT count(DISTINCT c.score_class) AS classes_at_score_25
  FROM supervision.risk_compute(:rk_model, '2024-06-30') c WHERE c.score = 25;
UPDATE supervision.risk_model SET class_method = 'threshold', class_cuts = '{"A": 10, "B": 30, "C": 60}' WHERE id = :rk_model;

-- checking a model, one mistake per line
INSERT INTO supervision.risk_model (name, version, class_cuts) VALUES ('风险测试坏模型', 1, '{"A": 50, "B": 30, "C": 60}');
SELECT id AS rk_bad FROM supervision.risk_model WHERE name = '风险测试坏模型' \gset
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
UPDATE supervision.risk_model SET class_cuts = '{"A": 1, "B": 2}' WHERE id = :rk_bad;
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
UPDATE supervision.risk_model SET class_method = 'quantile', class_cuts = '{"A": 0.2, "B": 0.5, "C": 2}' WHERE id = :rk_bad;
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
UPDATE supervision.risk_model SET class_method = 'threshold', class_cuts = '{"A": 10, "B": 30, "C": 60}' WHERE id = :rk_bad;
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
INSERT INTO supervision.risk_indicator (model_id, code, name, source, direction) VALUES (:rk_bad, 'C0101', 'orphan', 'rk_penalties', 'risk');
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
INSERT INTO supervision.risk_indicator (model_id, code, name) VALUES (:rk_bad, 'C', 'g'), (:rk_bad, 'C01', 'sub'), (:rk_bad, 'E', 'empty group');
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
DELETE FROM supervision.risk_indicator WHERE model_id = :rk_bad AND code = 'E';
UPDATE supervision.risk_indicator SET weight = 0 WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
UPDATE supervision.risk_indicator SET weight = 1, transform = '{"cap": -1}' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT supervision.risk_model_check(%s)', :rk_bad));
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
-- the table refuses what can never be right
INSERT INTO supervision.risk_indicator (model_id, code, name) VALUES (:rk_bad, 'C0102', 'a leaf without a source');
INSERT INTO supervision.risk_indicator (model_id, code, name, source, direction) VALUES (:rk_bad, 'C02', 'a group with a source', 'rk_listed', 'risk');
INSERT INTO supervision.risk_indicator (model_id, code, name) VALUES (:rk_bad, 'X', 'an unknown group');
INSERT INTO supervision.risk_indicator (model_id, code, name, weight) VALUES (:rk_bad, 'D', 'negative', -1);
-- sources that misbehave
UPDATE supervision.risk_indicator SET transform = NULL WHERE model_id = :rk_bad AND code = 'C0101';
INSERT INTO supervision.risk_source (code, name, query) VALUES
    ('rk_twice', 'returns a subject twice', 'SELECT subject_id, 1 AS value FROM public.rk_fact UNION ALL SELECT subject_id, 2 FROM public.rk_fact'),
    ('rk_nan', 'returns NaN', 'SELECT subject_id, ''NaN''::float8 AS value FROM public.rk_fact'),
    ('rk_broken', 'does not run', 'SELECT subject_id, no_such_column AS value FROM public.rk_fact'),
    ('rk_shape', 'wrong columns', 'SELECT subject_id FROM public.rk_fact');
UPDATE supervision.risk_indicator SET source = 'rk_twice' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
UPDATE supervision.risk_indicator SET source = 'rk_nan' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
UPDATE supervision.risk_indicator SET source = 'rk_broken' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
UPDATE supervision.risk_indicator SET source = 'rk_shape' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
-- a source is one SELECT that writes nothing: a second statement smuggled past the
-- parentheses risk_compute wraps it in, and a data-modifying WITH, are refused, and nothing is deleted
INSERT INTO supervision.risk_source (code, name, query) VALUES
    ('rk_two', 'two statements', 'SELECT subject_id, 1 AS value FROM public.rk_fact) q; DELETE FROM public.rk_fact; SELECT * FROM (SELECT 1'),
    ('rk_writes', 'writes', 'WITH d AS (DELETE FROM public.rk_fact RETURNING subject_id) SELECT subject_id, 1 AS value FROM d');
UPDATE supervision.risk_indicator SET source = 'rk_two' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
UPDATE supervision.risk_indicator SET source = 'rk_writes' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', :rk_bad));
SELECT count(*) AS facts_kept FROM rk_fact;
UPDATE supervision.risk_indicator SET source = 'rk_shape' WHERE model_id = :rk_bad AND code = 'C0101';
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''2024-06-30'')', 999999));
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, ''infinity'')', :rk_model));
SELECT rk_try(format('SELECT count(*) FROM supervision.risk_compute(%s, NULL)', :rk_model));

-- runs: activating checks and freezes the model; the shipped model retires
SELECT rk_try(format('SELECT supervision.risk_model_activate(%s)', :rk_bad));
SELECT (supervision.risk_model_activate(:rk_model)).status;
SELECT name, status FROM supervision.risk_model WHERE builtin OR id = :rk_model ORDER BY id;
SELECT rk_try(format('UPDATE supervision.risk_model SET class_cuts = ''{"A": 1, "B": 2, "C": 3}'' WHERE id = %s', :rk_model));
SELECT rk_try(format('UPDATE supervision.risk_indicator SET weight = 2 WHERE model_id = %s AND code = ''C''', :rk_model));
SELECT rk_try(format('DELETE FROM supervision.risk_forced_rule WHERE model_id = %s', :rk_model));
SELECT rk_try(format('DELETE FROM supervision.risk_model WHERE id = %s', :rk_model));
SELECT rk_try(format('UPDATE supervision.risk_model SET status = ''draft'' WHERE id = %s', :rk_model));
SELECT rk_try(format('SELECT supervision.risk_model_activate(%s)', :rk_model));

SELECT subjects = (SELECT count(*) FROM supervision.subject WHERE merged_into IS NULL) AS all_scored,
       changes = subjects AS all_new, finished_at IS NOT NULL AS finished
  FROM supervision.risk_run(NULL, '2024-06-30');
SELECT id AS rk_run1 FROM supervision.risk_run ORDER BY id DESC LIMIT 1 \gset
SELECT r.n, c.class, c.assessed_on, c.model = format('风险测试模型 v1 (run %s)', :rk_run1) AS model_named
  FROM supervision.subject_credit_class c JOIN rk_subject r ON r.id = c.subject_id ORDER BY r.n;
-- why: the reasons behind a class
SELECT r.n, e.class, e.forced_rule, e.rank, e.code, e.indicator, round(e.points::numeric, 3) AS points
  FROM supervision.risk_explanation e JOIN rk_subject r ON r.id = e.subject_id
 WHERE e.run_id = :rk_run1 AND r.n IN (2, 3) ORDER BY r.n, e.rank;

-- a month later subject 5 has 4 penalties: only its class changes
UPDATE rk_fact SET penalties = 4 WHERE subject_id = (SELECT id FROM rk_subject WHERE n = 5);
SELECT changes FROM supervision.risk_run(NULL, '2024-07-31');
SELECT id AS rk_run2 FROM supervision.risk_run ORDER BY id DESC LIMIT 1 \gset
SELECT r.n, ch.old_class, ch.new_class FROM supervision.risk_class_change ch JOIN rk_subject r ON r.id = ch.subject_id
 WHERE ch.run_id = :rk_run2;
SELECT r.n, c.class, c.assessed_on FROM supervision.subject_credit_class c JOIN rk_subject r ON r.id = c.subject_id
 WHERE r.n IN (1, 5) ORDER BY r.n;
-- draws read the classes
SELECT r.n, coalesce(cc.class, 'B') AS stratum FROM rk_subject r LEFT JOIN supervision.subject_credit_class cc ON cc.subject_id = r.id
 WHERE r.n = 5;

-- a new version: copy, edit the draft, trial run (no class changes), activate
SELECT supervision.risk_model_copy(:rk_model, '更重视处罚') AS rk_v2 \gset
SELECT name, version, status FROM supervision.risk_model WHERE id = :rk_v2;
UPDATE supervision.risk_indicator SET weight = 9 WHERE model_id = :rk_v2 AND code = 'C';
SELECT changes IS NULL AS trial, subjects > 0 AS scored FROM supervision.risk_run(:rk_v2, '2024-07-31');
SELECT count(*) AS classes_moved_by_trial FROM supervision.subject_credit_class WHERE model LIKE '风险测试模型 v2%';
SELECT (supervision.risk_model_activate(:rk_v2)).version;
SELECT version, status FROM supervision.risk_model WHERE name = '风险测试模型' ORDER BY version;

-- sources run with parallel workers when the planner finds it worth it (forced here): a
-- leaf whose value says whether a process other than this backend computed it
CREATE FUNCTION rk_pid() RETURNS int LANGUAGE plpgsql PARALLEL SAFE AS $$BEGIN RETURN pg_backend_pid(); END$$;
GRANT EXECUTE ON FUNCTION rk_pid() TO supervision_admin;
INSERT INTO supervision.risk_source (code, name, query)
SELECT 'rk_where', 'which process computes the value',
       format('SELECT subject_id, (public.rk_pid() <> %s)::int AS value FROM public.rk_fact', pg_backend_pid());
INSERT INTO supervision.risk_model (name, version) VALUES ('风险测试并行', 1) RETURNING id AS rk_par \gset
INSERT INTO supervision.risk_indicator (model_id, code, name, source, direction, transform) VALUES
    (:rk_par, 'A', 'a', NULL, NULL, NULL), (:rk_par, 'A01', 'a1', NULL, NULL, NULL),
    (:rk_par, 'A0101', 'computed by another process', 'rk_where', 'risk', '{"flag": true}');
SELECT count(*) FILTER (WHERE c.score = 100) AS by_workers, count(*) AS facts
  FROM supervision.risk_compute(:rk_par, '2024-06-30') c JOIN rk_fact f USING (subject_id);
CREATE TEMP TABLE rk_serial AS SELECT * FROM supervision.risk_compute(:rk_v2, '2024-07-31');
SET force_parallel_mode = on;
SELECT count(*) FILTER (WHERE c.score = 100) AS by_workers, count(*) AS facts
  FROM supervision.risk_compute(:rk_par, '2024-06-30') c JOIN rk_fact f USING (subject_id);
-- the same scores, classes and reasons either way
SELECT count(*) = (SELECT count(*) FROM supervision.subject WHERE merged_into IS NULL) AS all_scored,
       count(*) FILTER (WHERE (s.score, s.score_class, s.class, s.forced_by, s.top_codes, s.top_points)
                              IS DISTINCT FROM (p.score, p.score_class, p.class, p.forced_by, p.top_codes, p.top_points)) AS differ
  FROM rk_serial s FULL JOIN supervision.risk_compute(:rk_v2, '2024-07-31') p USING (subject_id);
RESET force_parallel_mode;

-- the shipped sources on data-center data: two penalties in the last year
INSERT INTO supervision.department (code, name) VALUES ('302', '风险测试局') ON CONFLICT DO NOTHING;
INSERT INTO supervision.source_system (code, name, department_code, trust) VALUES ('rk_src', '风险测试系统', '302', 50);
SELECT count(*) FILTER (WHERE s ->> 'status' = 'accepted') AS accepted
  FROM (SELECT supervision.ingest_record('behaviour', 'rk_src', 'RK-P' || k, jsonb_build_object(
            'kind', 'penalty', 'behaviour_no', 'RK-P' || k, 'behaviour_name', '行政处罚', 'counterpart_name', '风险测试企业1有限公司',
            'counterpart_code', (SELECT uscc FROM supervision.subject WHERE id = (SELECT id FROM rk_subject WHERE n = 1)),
            'check_time', d)) AS s
          FROM (VALUES (1, '2024-03-01 10:00'), (2, '2024-05-01 10:00'), (3, '2021-01-01 10:00')) x(k, d)) y;
SELECT supervision.risk_model_copy((SELECT id FROM supervision.risk_model WHERE builtin)) AS rk_shipped \gset
-- subject 1 under the shipped model on 2024-06-30 (three penalties: 2024-03-01, 2024-05-01, 2021-01-01):
--   A0101 (0.05) established 2015-01-01, 9.5 years, bins [1,3,5,10] -> 3/4, protective -> 0.25: 1.25 points
--   C0101 (0.10) penalties in 365 days: 2, cap 3 -> 2/3: 6.6667 points
--   C0102 (0.05) penalties in 1096 days (from 2021-06-30): 2, log cap 10 -> ln 3 / ln 11 = 0.458157: 2.2908 points
--   E0201, E0202 (0.0333 each) no commitment, no reward, protective -> 1: 3.3333 points each
--   everything else 0: score 16.8741, class B (5 <= score < 25)
SELECT id AS rk_shipped_run FROM supervision.risk_run(:rk_shipped, '2024-06-30') \gset
SELECT round(s.score::numeric, 4) AS score, s.class, s.top_codes,
       (SELECT array_agg(round(p::numeric, 4)) FROM unnest(s.top_points) p) AS top_points
  FROM supervision.risk_score s WHERE s.run_id = :rk_shipped_run AND s.subject_id = (SELECT id FROM rk_subject WHERE n = 1);

-- who may do what
CREATE ROLE rk_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE rk_officer LOGIN IN ROLE supervision_officer;
SET ROLE rk_officer;
SELECT count(*) > 0 AS officers_read_scores FROM supervision.risk_score;
SELECT supervision.risk_run(NULL, '2024-08-31');
UPDATE supervision.risk_indicator SET weight = 1 WHERE code = 'C';
RESET ROLE;
SET ROLE rk_admin;
INSERT INTO supervision.risk_source (code, name, query) VALUES ('rk_evil', 'x', 'SELECT 1, 1');
UPDATE supervision.risk_source SET query = 'SELECT 1, 1' WHERE code = 'rk_penalties';
SELECT supervision.risk_model_copy(:rk_v2) IS NOT NULL AS admin_copies;
SELECT changes >= 0 AS admin_runs FROM supervision.risk_run(NULL, '2024-08-31');
RESET ROLE;
SET ROLE supervision_api_anon;
SELECT count(*) FROM supervision.risk_score;
RESET ROLE;
-- model changes are audited
SELECT count(*) FILTER (WHERE table_name = 'supervision.risk_model' AND operation = 'UPDATE') > 0 AS activations_audited,
       count(*) FILTER (WHERE table_name = 'supervision.risk_indicator' AND operation = 'INSERT') >= 7 AS indicators_audited
  FROM supervision.audit_log;

-- purge keeps the latest runs
SELECT supervision.risk_run_purge(0);
SELECT supervision.risk_run_purge(2) >= 2 AS purged;
SELECT count(*) AS runs_left FROM supervision.risk_run;
