-- Evaluation index systems, runs and reports (sql/evaluation_index.sql,
-- sql/evaluation_report.sql, supervision_api.evaluation_report; docs/evaluation.md).
-- The worked example's numbers come from test/evaluation/run_reference.py
-- (standard-library Python written from the formulas in docs/evaluation.md,
-- AHP weights by the characteristic polynomial of test/evaluation/reference.py),
-- compared rounded to 4 decimals. Fixtures: departments 601-603 and names
-- marked (评估测试), indicator names evaltest_*, systems EVALTEST-*, periods in
-- 2003 (no other test has data then). One malformed input per line.
SET search_path = supervision, public;
\pset null '<null>'
\set SHOW_CONTEXT never

CREATE ROLE eva_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE eva_officer LOGIN IN ROLE supervision_officer;
CREATE ROLE eva_auditor LOGIN IN ROLE supervision_auditor;
CREATE ROLE eva_anon LOGIN IN ROLE supervision_api_anon;
INSERT INTO supervision.department (code, name) VALUES
    ('601', '市场监管局(评估测试)'), ('602', '应急管理局(评估测试)'), ('603', '生态<环境>&"局"|(评估测试)');
INSERT INTO supervision.source_system (code, name, department_code) VALUES ('evaltest_src', '处罚系统(评估测试)', '601');

-- Penalties, through the data center, for the built-in query "penalties":
-- 2003 Q1 南京 3, 无锡 1, 徐州 5, 苏州 2; Q2 南京 2, 无锡 2, 徐州 1, 苏州 4.
SELECT count(*) FILTER (WHERE r ->> 'status' = 'accepted') AS accepted, count(*) AS sent
  FROM (SELECT supervision.ingest_record('behaviour', 'evaltest_src', format('EVP-%s-%s-%s', q, c, i),
           jsonb_build_object('kind', 'penalty', 'behaviour_no', format('CF-%s-%s-%s', q, c, i),
                              'behaviour_name', '行政处罚(评估测试)', 'counterpart_name', '某公司(评估测试)',
                              'division_code', c || '00',
                              'check_time', CASE q WHEN 1 THEN '2003-02-10 10:00' ELSE '2003-05-12 10:00' END)) r
          FROM (VALUES (1, '3201', 3), (1, '3202', 1), (1, '3203', 5), (1, '3205', 2),
                       (2, '3201', 2), (2, '3202', 2), (2, '3203', 1), (2, '3205', 4)) v(q, c, n),
               generate_series(1, v.n) i) x;
-- the built-in queries
SELECT name, unit_levels, value_unit, builtin FROM supervision.evaluation_query ORDER BY name;
-- a query's SQL runs with the parameters of a run: $1 start, $2 end, $3 unit level, $4 units
CREATE FUNCTION pg_temp.q(p_name text, p_start date, p_end date, p_level text, p_units text[])
RETURNS TABLE (unit text, value numeric) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT x.unit::text, round(x.value::numeric, 4) FROM (%s) AS x(unit, value) ORDER BY 1',
                                (SELECT sql FROM supervision.evaluation_query WHERE name = p_name))
        USING p_start, p_end, p_level, p_units;
END
$$;
SELECT * FROM pg_temp.q('penalties', '2003-01-01', '2003-03-31', 'city', '{320100,320200,320300,320500,320400}');
SELECT * FROM pg_temp.q('penalties', '2003-01-01', '2003-12-31', 'department', '{601,602}');
-- public opinion: a city's source sends three items about 2003, two of them negative, and one of 2004
INSERT INTO supervision.source_system (code, name, department_code, division_code) VALUES ('evaltest_net', '舆情监测(评估测试)', '602', '320500');
SELECT count(*) FILTER (WHERE r ->> 'status' = 'accepted') AS accepted
  FROM (SELECT supervision.ingest_record('internet', 'evaltest_net', 'EVN-' || i,
           jsonb_build_object('channel', '网络媒体', 'title', '评估测试' || i, 'sentiment', s, 'published_at', d)) r
          FROM (VALUES (1, -1, '2003-03-01 09:00'), (2, -2, '2003-08-01 09:00'), (3, 1, '2003-08-02 09:00'),
                       (4, -1, '2004-01-05 09:00')) v(i, s, d)) x;
SELECT * FROM pg_temp.q('negative_internet_info', '2003-01-01', '2003-12-31', 'city', '{320100,320500}');
SELECT * FROM pg_temp.q('negative_internet_info', '2003-01-01', '2003-12-31', 'department', '{601,602}');
-- no double-random visit was due in 2003: the shares are NULL (no value)
SELECT * FROM pg_temp.q('inspections_completed_share', '2003-01-01', '2003-12-31', 'city', '{320100,320200}');
SELECT * FROM pg_temp.q('results_published_on_time_share', '2003-01-01', '2003-12-31', 'department', '{601}');

-- Values entered for what the database does not hold.
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value, source)
SELECT ind, 'city', u, ps, pe, v, '评估测试'
  FROM (VALUES ('2003-01-01'::date, '2003-03-31'::date, 'evaltest_inspections', '{92,85,70,96}'::float8[]),
               ('2003-01-01', '2003-03-31', 'evaltest_published', '{88,95,60,90}'),
               ('2003-01-01', '2003-03-31', 'evaltest_negative', '{12,8,20,15}'),
               ('2003-01-01', '2003-03-31', 'evaltest_complaints', '{30,25,40,28}'),
               ('2003-01-01', '2003-03-31', 'evaltest_accidents', '{1,0,3,2}'),
               ('2003-01-01', '2003-03-31', 'evaltest_rating', '{86,90,78,88}'),
               ('2003-01-01', '2003-03-31', 'evaltest_petitions', '{5,5,5,5}'),
               ('2003-04-01', '2003-06-30', 'evaltest_inspections', '{90,93,80,88}'),
               ('2003-04-01', '2003-06-30', 'evaltest_published', '{91,94,75,85}'),
               ('2003-04-01', '2003-06-30', 'evaltest_negative', '{10,9,14,18}'),
               ('2003-04-01', '2003-06-30', 'evaltest_complaints', '{26,27,35,30}'),
               ('2003-04-01', '2003-06-30', 'evaltest_accidents', '{0,1,2,2}'),
               ('2003-04-01', '2003-06-30', 'evaltest_rating', '{88,89,82,85}'),
               ('2003-04-01', '2003-06-30', 'evaltest_petitions', '{4,6,9,5}')) d(ps, pe, ind, vals),
       unnest('{320100,320200,320300,320500}'::text[], d.vals) AS x(u, v);
-- bad values, one per line (terse: the failing row would show the time of entry)
\set VERBOSITY terse
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '3201', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '320102', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '330100', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'department', '6011', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'region', '320100', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '320100', '2003-03-31', '2003-01-01', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '320100', '2003-01-01', '2003-03-31', 'NaN');
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_x', 'city', '320100', '2003-01-01', '2003-03-31', 'Infinity');
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('Bad Name', 'city', '320100', '2003-01-01', '2003-03-31', 1);
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_rating', 'city', '320100', '2003-01-01', '2003-03-31', 1);
\set VERBOSITY default

--
-- Index systems
--
-- The worked example: three dimensions weighted 5 : 3 : 2 (fixed), each by another method.
SELECT evaluation_system_define($j${"code": "EVALTEST-A", "name": "监管效能评估(评估测试)",
  "description": "the worked example of test/evaluation/run_reference.py",
  "root": {"code": "total", "name": "总分", "method": "fixed", "children": [
    {"code": "business", "name": "监管业务", "weight": 5, "method": "ahp",
     "pairwise": [[1, 3, 5], [0.33, 1, 3], [0.2, 0.33, 1]], "children": [
        {"code": "b_insp", "name": "抽查完成率", "direction": "benefit", "value": "evaltest_inspections", "unit": "%"},
        {"code": "b_pub", "name": "结果按时公示率", "direction": "benefit", "value": "evaltest_published", "unit": "%"},
        {"code": "b_pen", "name": "行政处罚", "direction": "cost", "query": "penalties"}]},
    {"code": "opinion", "name": "投诉与舆情", "weight": 3, "method": "entropy", "children": [
        {"code": "o_neg", "name": "负面舆情", "direction": "cost", "value": "evaltest_negative"},
        {"code": "o_complaints", "name": "投诉举报", "direction": "cost", "value": "evaltest_complaints"}]},
    {"code": "outcome", "name": "结果", "weight": 2, "method": "fixed", "children": [
        {"code": "x_accidents", "name": "重大事故", "weight": 2, "direction": "cost", "value": "evaltest_accidents"},
        {"code": "x_rating", "name": "群众评价", "weight": 3, "direction": "benefit", "value": "evaltest_rating"},
        {"code": "x_petitions", "name": "信访", "weight": 1, "direction": "cost", "value": "evaltest_petitions"}]}]}}$j$) AS sys_a \gset
SELECT code, version, status FROM evaluation_system WHERE id = :sys_a;
SELECT code, parent_code, kind, position, weight, method, ahp_children, direction, source, query_name, value_indicator, value_unit
  FROM evaluation_node WHERE system_id = :sys_a ORDER BY parent_code NULLS FIRST, position;
SELECT * FROM evaluation_system_problems(:sys_a);
-- a draft cannot be run
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,320200,320300,320500}');
SELECT code, version, status, activated_by FROM evaluation_system_activate(:sys_a);
-- activated: frozen
UPDATE evaluation_node SET weight = 4 WHERE system_id = :sys_a AND code = 'business';
DELETE FROM evaluation_node WHERE system_id = :sys_a AND code = 'x_petitions';
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, value_indicator) VALUES (:sys_a, 'x_new', 'outcome', 'indicator', '新', 'benefit', 'value', 'evaltest_new');
UPDATE evaluation_system SET name = '改名' WHERE id = :sys_a;
UPDATE evaluation_system SET status = 'draft' WHERE id = :sys_a;
DELETE FROM evaluation_system WHERE id = :sys_a;

-- An inconsistent AHP matrix (CR = 0.8183, docs/evaluation.md) is refused at activation.
SELECT evaluation_system_define($j${"code": "EVALTEST-BAD", "name": "不一致(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "ahp",
           "pairwise": [[1, 5, 0.3333, 7], [0.2, 1, 0.142857, 3], [3, 7, 1, 0.5], [0.142857, 0.3333, 2, 1]], "children": [
    {"code": "a", "name": "甲", "direction": "benefit", "value": "evaltest_a"},
    {"code": "b", "name": "乙", "direction": "benefit", "value": "evaltest_b"},
    {"code": "c", "name": "丙", "direction": "benefit", "value": "evaltest_c"},
    {"code": "d", "name": "丁", "direction": "benefit", "value": "evaltest_d"}]}}$j$) AS sys_bad \gset
SELECT * FROM evaluation_system_problems(:sys_bad);
SELECT evaluation_system_activate(:sys_bad);
UPDATE evaluation_system SET status = 'active' WHERE id = :sys_bad;
-- other problems the check finds, one per line (the draft is edited between checks)
UPDATE evaluation_node SET ahp_matrix = '{{1,2,2,2},{0.5,1,1,1},{0.5,1,1,1},{0.5,1,1,1}}' WHERE system_id = :sys_bad AND code = 'total';
SELECT * FROM evaluation_system_problems(:sys_bad);
UPDATE evaluation_node SET ahp_children = '{a,b,c,x}' WHERE system_id = :sys_bad AND code = 'total';
SELECT * FROM evaluation_system_problems(:sys_bad);
UPDATE evaluation_node SET ahp_children = '{a,b,c,d}', ahp_matrix = '{{1,2},{0.5,1}}' WHERE system_id = :sys_bad AND code = 'total';
SELECT * FROM evaluation_system_problems(:sys_bad);
UPDATE evaluation_node SET ahp_matrix = '{{1,2,2,2},{0.5,1,1,1},{0.5,1,1,1},{0.5,1,1,-1}}' WHERE system_id = :sys_bad AND code = 'total';
SELECT * FROM evaluation_system_problems(:sys_bad);
UPDATE evaluation_node SET method = 'fixed', ahp_children = NULL, ahp_matrix = NULL WHERE system_id = :sys_bad AND code = 'total';
SELECT * FROM evaluation_system_problems(:sys_bad);
UPDATE evaluation_node SET weight = 1 WHERE system_id = :sys_bad AND parent_code = 'total';
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, method, weight) VALUES (:sys_bad, 'empty', 'total', 'group', '空', 'fixed', 1);
SELECT * FROM evaluation_system_problems(:sys_bad);
DELETE FROM evaluation_node WHERE system_id = :sys_bad AND code = 'empty';
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, method) VALUES (:sys_bad, 'root2', NULL, 'group', '第二个根', 'fixed');
SELECT * FROM evaluation_system_problems(:sys_bad);
DELETE FROM evaluation_node WHERE system_id = :sys_bad AND code = 'root2';
SELECT * FROM evaluation_system_problems(:sys_bad);
-- bad nodes, one per line
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, value_indicator) VALUES (:sys_bad, 'e', NULL, 'indicator', '根指标', 'benefit', 'value', 'evaltest_e');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, value_indicator) VALUES (:sys_bad, 'e', 'nowhere', 'indicator', '无上级', 'benefit', 'value', 'evaltest_e');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, value_indicator) VALUES (:sys_bad, 'e', 'total', 'indicator', '方向', 'up', 'value', 'evaltest_e');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, query_name) VALUES (:sys_bad, 'e', 'total', 'indicator', '无此查询', 'benefit', 'query', 'no_such_query');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source) VALUES (:sys_bad, 'e', 'total', 'indicator', '无来源', 'benefit', 'value');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, method) VALUES (:sys_bad, 'e', 'total', 'group', '方法', 'topsis');
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, method, weight) VALUES (:sys_bad, 'e', 'total', 'group', '权重', 'fixed', 0);
INSERT INTO evaluation_node (system_id, code, parent_code, kind, name, direction, source, value_indicator) VALUES (:sys_bad, 'e', 'a', 'indicator', '指标之下', 'benefit', 'value', 'evaltest_e');
SELECT * FROM evaluation_system_problems(:sys_bad);
DELETE FROM evaluation_node WHERE system_id = :sys_bad AND code = 'e';
-- bad definitions, one per line
SELECT evaluation_system_define('[]');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x"}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": []}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "weights": 1, "root": {}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit"}]}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "query": "nope"}]}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "query": "penalties", "value": "evaltest_v"}]}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "value": "evaltest_v", "colour": "red"}]}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": " ", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "value": "evaltest_v"}]}}');
SELECT evaluation_system_define('{"code": "bad code!", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "value": "evaltest_v"}]}}');
SELECT evaluation_system_define('{"code": "EVALTEST-X", "name": "x", "root": {"code": "t", "name": "t", "children": [{"code": "i", "name": "i", "direction": "benefit", "value": "evaltest_v"}, {"code": "i", "name": "again", "direction": "cost", "value": "evaltest_w"}]}}');
SELECT count(*) AS systems_left_by_bad_definitions FROM evaluation_system WHERE code = 'EVALTEST-X';

--
-- Runs: the worked example (run_reference.py)
--
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,320200,320300,320500}') AS run_q1 \gset
SELECT evaluation_run('EVALTEST-A', '2003-04-01', '2003-06-30', 'city', '{320100,320200,320300,320500}') AS run_q2 \gset
SELECT r.unit_level, r.unit_count, r.missing, r.previous_run_id IS NULL AS first_run, s.code, s.version
  FROM evaluation_run r JOIN evaluation_system s ON s.id = r.system_id WHERE r.id = :run_q1;
-- run_reference.py, 2003 Q1 weights: b_insp 0.637 b_pub 0.2583 b_pen 0.1047 (AHP, CR 0.0332); o_neg 0.5355
-- o_complaints 0.4645 (entropy); x_accidents 0.4 x_rating 0.6 x_petitions 0 (constant: left out)
SELECT node_code, depth, round(weight::numeric, 4) AS weight, round(global_weight::numeric, 4) AS share, excluded,
       detail ->> 'min' AS min, detail ->> 'max' AS max, round((detail ->> 'cr')::numeric, 4) AS cr
  FROM evaluation_run_node WHERE run_id = :run_q1 ORDER BY sort_key;
-- run_reference.py, Q1 dimension scores: business 79.7981 73.0506 0 93.692 | opinion 66.6667 100 0 59.4744 |
-- outcome 66.6667 100 0 63.3333 (南京 无锡 徐州 苏州)
SELECT node_code, array_agg(round((100 * value)::numeric, 4) ORDER BY unit_code) AS scores
  FROM evaluation_run_score WHERE run_id = :run_q1 AND node_code IN ('business', 'opinion', 'outcome')
 GROUP BY node_code ORDER BY node_code;
-- the penalties came from the query: raw 3 1 5 2, normalised as a cost indicator (5 - x)/(5 - 1)
SELECT unit_code, raw_value, value, imputed FROM evaluation_run_score WHERE run_id = :run_q1 AND node_code = 'b_pen' ORDER BY unit_code;
-- run_reference.py: Q1 scores 320100 73.2324 (3), 320200 86.5253 (1), 320300 0 (4), 320500 77.3550 (2);
-- Q2 85.7103 (2, +12.4780, +1), 91.9812 (1, +5.4559, 0), 12.1431 (4, +12.1431, 0), 41.3823 (3, -35.9727, -1)
SELECT run_id = :run_q2 AS q2, unit_code, unit_name, round(score::numeric, 4) AS score, rank,
       round(previous_score::numeric, 4) AS previous_score, previous_rank, round(score_delta::numeric, 4) AS score_delta, rank_delta
  FROM evaluation_run_unit WHERE run_id IN (:run_q1, :run_q2) ORDER BY run_id, rank;
SELECT previous_run_id = :run_q1 AS compared_with_q1 FROM evaluation_run WHERE id = :run_q2;
-- run_reference.py, Q2 weights: o_neg 0.518 o_complaints 0.482; x_accidents 0.3333 x_rating 0.5 x_petitions 0.1667
SELECT node_code, round(weight::numeric, 4) AS weight FROM evaluation_run_node
 WHERE run_id = :run_q2 AND parent_code IN ('opinion', 'outcome') ORDER BY sort_key;
-- points: each dimension's contribution, summing to the score
SELECT u.unit_code, round(u.score::numeric, 4) AS score,
       round(sum(100 * n.global_weight * s.value)::numeric, 4) AS sum_of_dimension_points
  FROM evaluation_run_unit u
  JOIN evaluation_run_score s ON s.run_id = u.run_id AND s.unit_code = u.unit_code
  JOIN evaluation_run_node n ON n.run_id = s.run_id AND n.node_code = s.node_code AND n.depth = 1
 WHERE u.run_id = :run_q2 GROUP BY u.unit_code, u.score ORDER BY u.unit_code;
-- running Q2 again compares with Q1 again (the previous period), not with the first Q2 run
SELECT evaluation_run('EVALTEST-A', '2003-04-01', '2003-06-30', 'city', '{320100,320200,320300,320500}') AS run_q2b \gset
SELECT previous_run_id = :run_q1 AS compared_with_q1 FROM evaluation_run WHERE id = :run_q2b;
-- runs are a record
UPDATE evaluation_run_unit SET score = 100 WHERE run_id = :run_q2b;
UPDATE evaluation_run SET missing = 'worst' WHERE id = :run_q2b;
DELETE FROM evaluation_run WHERE id = :run_q2b;
SELECT count(*) AS rows_left FROM evaluation_run_score WHERE run_id = :run_q2b;

-- bad runs, one per line
SELECT evaluation_run('EVALTEST-NONE', '2003-01-01', '2003-03-31');
SELECT evaluation_run('EVALTEST-BAD', '2003-01-01', '2003-03-31');
SELECT evaluation_run(NULL, '2003-01-01', '2003-03-31');
SELECT evaluation_run('EVALTEST-A', '2003-03-31', '2003-01-01', 'city', '{320100,320200,320300,320500}');
SELECT evaluation_run('EVALTEST-A', NULL, '2003-03-31', 'city', '{320100,320200,320300,320500}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'province');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,330100}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,320102}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,NULL}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,320200,320300,320500}', 'ignore');
-- units without data: 常州 has no entered values
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'city', '{320100,320200,320400}');
-- a period without data (values are matched to the exact period)
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-02-28', 'city', '{320100,320200,320300,320500}');
-- departments: no values entered for them
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'department', '{601,602,603}');
SELECT evaluation_run('EVALTEST-A', '2003-01-01', '2003-03-31', 'department', '{601,699}');
-- the units: cities by code or 4-digit prefix, or departments
SELECT * FROM evaluation_units('city', '{3201,320200}');
SELECT count(*) AS cities FROM evaluation_units('city');
SELECT * FROM evaluation_units('department', '{603,601}');
SELECT count(*) AS runs_of_evaltest_a FROM evaluation_run r JOIN evaluation_system s ON s.id = r.system_id WHERE s.code = 'EVALTEST-A';

--
-- Versions: a revision is a new draft; activating it retires the old version
--
SELECT evaluation_system_revise('EVALTEST-A') AS sys_a2 \gset
SELECT evaluation_system_revise('EVALTEST-A');
SELECT evaluation_system_revise('EVALTEST-NONE');
UPDATE evaluation_node SET weight = 6 WHERE system_id = :sys_a2 AND code = 'business';
SELECT (SELECT count(*) FROM evaluation_node WHERE system_id = :sys_a2) AS nodes_copied,
       (SELECT ahp_matrix FROM evaluation_node WHERE system_id = :sys_a2 AND code = 'business') AS ahp_copied;
SELECT code, version, status FROM evaluation_system_activate(:sys_a2);
SELECT version, status FROM evaluation_system WHERE code = 'EVALTEST-A' ORDER BY version;
SELECT evaluation_system_activate(:sys_a2);
-- the old runs keep the version they used
SELECT DISTINCT s.version FROM evaluation_run r JOIN evaluation_system s ON s.id = r.system_id WHERE r.id IN (:run_q1, :run_q2);

--
-- Departments, a missing value counted as the worst, equal scores
--
SELECT evaluation_system_define($j${"code": "EVALTEST-DEPT", "name": "部门评估(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "fixed", "children": [
    {"code": "d_done", "name": "完成率 <b>&", "weight": 1, "direction": "benefit", "value": "evaltest_done", "unit": "%"},
    {"code": "d_late", "name": "逾期|件数", "weight": 1, "direction": "cost", "value": "evaltest_late"},
    {"code": "d_pen", "name": "处罚", "weight": 1, "direction": "cost", "query": "penalties"}]}}$j$) AS sys_d \gset
SELECT status FROM evaluation_system_activate(:sys_d);
INSERT INTO evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES
    ('evaltest_done', 'department', '601', '2003-01-01', '2003-12-31', 80), ('evaltest_done', 'department', '602', '2003-01-01', '2003-12-31', 80),
    ('evaltest_done', 'department', '603', '2003-01-01', '2003-12-31', 90),
    ('evaltest_late', 'department', '601', '2003-01-01', '2003-12-31', 4), ('evaltest_late', 'department', '602', '2003-01-01', '2003-12-31', 2);
-- 603 has no value for evaltest_late
SELECT evaluation_run('EVALTEST-DEPT', '2003-01-01', '2003-12-31', 'department', '{601,602,603}');
-- with missing => 'worst' 603 gets the worst normalised value, 0, for d_late. By hand, equal weights 1/3:
-- done 80, 80, 90 -> 0, 0, 1; late 4, 2, missing -> 0, 1, 0 (imputed); penalties (cost) of source
-- evaltest_src count for its department 601: 20, 0, 0 -> 0, 1, 1. Scores 0, 66.6667, 66.6667: 602 and 603
-- share rank 1, 601 is third.
SELECT evaluation_run('EVALTEST-DEPT', '2003-01-01', '2003-12-31', 'department', '{601,602,603}', 'worst') AS run_d \gset
SELECT unit_code, unit_name, round(score::numeric, 4) AS score, rank FROM evaluation_run_unit WHERE run_id = :run_d ORDER BY rank, unit_code;
SELECT node_code, round(weight::numeric, 4) AS weight, excluded FROM evaluation_run_node WHERE run_id = :run_d ORDER BY sort_key;
SELECT unit_code, node_code, raw_value, value, imputed FROM evaluation_run_score WHERE run_id = :run_d AND node_code <> 'total' ORDER BY node_code, unit_code;
-- an indicator with a single distinct value is left out, whatever the missing values
UPDATE evaluation_value SET value = 4 WHERE indicator = 'evaltest_late' AND unit_code = '602';
SELECT evaluation_run('EVALTEST-DEPT', '2003-01-01', '2003-12-31', 'department', '{601,602,603}', 'worst') AS run_d2 \gset
SELECT node_code, round(weight::numeric, 4) AS weight, excluded FROM evaluation_run_node WHERE run_id = :run_d2 ORDER BY sort_key;
SELECT unit_code, round(score::numeric, 4) AS score, rank FROM evaluation_run_unit WHERE run_id = :run_d2 ORDER BY rank, unit_code;
-- nothing tells the units apart: every indicator constant
INSERT INTO evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES
    ('evaltest_flat_a', 'city', '320100', '2003-07-01', '2003-09-30', 1), ('evaltest_flat_a', 'city', '320200', '2003-07-01', '2003-09-30', 2),
    ('evaltest_flat_b', 'city', '320100', '2003-07-01', '2003-09-30', 1), ('evaltest_flat_b', 'city', '320200', '2003-07-01', '2003-09-30', 2),
    ('evaltest_flat_c', 'city', '320100', '2003-07-01', '2003-09-30', 5), ('evaltest_flat_c', 'city', '320200', '2003-07-01', '2003-09-30', 5);
SELECT evaluation_system_define($j${"code": "EVALTEST-FLAT", "name": "常数(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "fixed", "children": [
    {"code": "c", "name": "常数", "weight": 1, "direction": "benefit", "value": "evaltest_flat_c"}]}}$j$) AS sys_f \gset
SELECT status FROM evaluation_system_activate(:sys_f);
SELECT evaluation_run('EVALTEST-FLAT', '2003-07-01', '2003-09-30', 'city', '{320100,320200}');
-- entropy weights are undefined when every child has the same value for every unit: here the only
-- child is a group whose two indicators cancel out (0.5 x 0 + 0.5 x 1 = 0.5 for both cities)
SELECT evaluation_system_define($j${"code": "EVALTEST-ENT", "name": "熵(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "entropy", "children": [
    {"code": "g", "name": "组", "method": "fixed", "children": [
      {"code": "a", "name": "甲", "weight": 1, "direction": "benefit", "value": "evaltest_flat_a"},
      {"code": "b", "name": "乙", "weight": 1, "direction": "cost", "value": "evaltest_flat_b"}]}]}}$j$) AS sys_e \gset
SELECT status FROM evaluation_system_activate(:sys_e);
SELECT evaluation_run('EVALTEST-ENT', '2003-07-01', '2003-09-30', 'city', '{320100,320200}');
-- a query that answers for cities only
SELECT evaluation_system_define($j${"code": "EVALTEST-RATE", "name": "比率(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "entropy", "children": [
    {"code": "r_pen", "name": "万户处罚", "direction": "cost", "query": "penalties_per_10k_subjects"},
    {"code": "r_x", "name": "x", "direction": "cost", "value": "evaltest_done"}]}}$j$) AS sys_r \gset
SELECT status FROM evaluation_system_activate(:sys_r);
SELECT evaluation_run('EVALTEST-RATE', '2003-01-01', '2003-12-31', 'department', '{601,602,603}');

--
-- The 13 cities: a whole-province run and its reports
--
INSERT INTO evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value)
SELECT 'evaltest_rating', 'city', d.code, '2003-01-01', '2003-12-31', 70 + (n * 7) % 25
  FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM division WHERE kind = 'city' AND code LIKE '32%') d;
SELECT evaluation_system_define($j${"code": "EVALTEST-MAP", "name": "全省评估(评估测试)",
  "root": {"code": "total", "name": "总分", "method": "fixed", "children": [
    {"code": "m_rating", "name": "群众评价", "weight": 3, "direction": "benefit", "value": "evaltest_rating"},
    {"code": "m_pen", "name": "行政处罚", "weight": 1, "direction": "cost", "query": "penalties"}]}}$j$) AS sys_m \gset
SELECT status FROM evaluation_system_activate(:sys_m);
SELECT evaluation_run('EVALTEST-MAP', '2003-01-01', '2003-12-31') AS run_m \gset
SELECT unit_count FROM evaluation_run WHERE id = :run_m;
SELECT rank, unit_code, unit_name, round(score::numeric, 2) AS score FROM evaluation_run_unit WHERE run_id = :run_m ORDER BY rank, unit_code;

-- HTML: one self-contained page, well-formed (checked as XML by PostgreSQL)
SELECT evaluation_report(:run_m, 'html') AS html \gset
SELECT left(:'html', 15) AS starts_with, right(:'html', 8) AS ends_with,
       xml_is_well_formed_document(:'html') AS well_formed,
       strpos(lower(:'html'), '<script') = 0 AS no_script,
       strpos(lower(:'html'), '<link') = 0 AND strpos(lower(:'html'), ' src=') = 0 AS no_external_file,
       (SELECT count(*) FROM regexp_matches(:'html', 'https?://[^"]*', 'g') m WHERE m[1] <> 'http://www.w3.org/2000/svg') AS other_urls,
       length(:'html') BETWEEN 20000 AND 400000 AS sensible_size;
CREATE TEMP TABLE html_doc AS SELECT xmlparse(DOCUMENT :'html') AS doc;
\set ns 'ARRAY[ARRAY[''s'', ''http://www.w3.org/2000/svg'']]'
SELECT (xpath('count(//s:svg)', doc, :ns))[1]::text AS svg_pictures,
       (xpath('count(//s:svg[@class="map"]//s:path[starts-with(@id, "city-")])', doc, :ns))[1]::text AS city_paths,
       (xpath('count(//s:svg[@class="bars"]//s:g[@class="bar"])', doc, :ns))[1]::text AS bars,
       (xpath('count(//s:g[@class="legend"]//s:linearGradient/s:stop)', doc, :ns))[1]::text AS legend_stops,
       (xpath('count(//s:g[@class="labels"]/s:text)', doc, :ns))[1]::text AS city_labels,
       (xpath('count(//tbody/tr[starts-with(@id, "unit-")])', doc))[1]::text AS ranking_rows,
       (xpath('string(//h1)', doc))[1]::text AS heading
  FROM html_doc;
-- every city path has its code as id, a non-empty outline and a fill on the colour scale
SELECT string_agg(substr(id::text, 6), ',' ORDER BY id::text) = string_agg(d.code, ',' ORDER BY d.code) AS ids_are_the_13_codes,
       bool_and(d_attr::text ~ '^M [0-9]') AS outlines, bool_and(fill::text ~ '^#[0-9a-f]{6}$') AS fills
  FROM html_doc,
       LATERAL unnest(xpath('//s:path[starts-with(@id, "city-")]/@id', doc, :ns),
                      xpath('//s:path[starts-with(@id, "city-")]/@d', doc, :ns),
                      xpath('//s:path[starts-with(@id, "city-")]/@fill', doc, :ns)) AS p(id, d_attr, fill)
  JOIN division d ON 'city-' || d.code = p.id::text;
-- the colour of a city is the colour of its score; the best city's bar is the first
SELECT (xpath('//s:path[@id="city-' || u.unit_code || '"]/@fill', doc, :ns))[1]::text = evaluation_colour(u.score) AS map_colour,
       (xpath('(//s:g[@class="bar"])[1]/@id', doc, :ns))[1]::text = 'bar-' || u.unit_code AS first_bar
  FROM html_doc, evaluation_run_unit u WHERE u.run_id = :run_m AND u.rank = 1;
SELECT evaluation_colour(0) AS c0, evaluation_colour(50) AS c50, evaluation_colour(100) AS c100, evaluation_colour(-5) AS below, evaluation_colour(250) AS above;

-- Markdown: tables and a note about the pictures
SELECT evaluation_report(:run_m, 'markdown') AS md \gset
SELECT left(:'md', 2) AS starts_with,
       (SELECT count(*) FROM regexp_split_to_table(:'md', E'\n') l WHERE l ~ '^\| [0-9]+ \| [^|]+市 \| [0-9.]+ \| — \| new \|') AS ranking_rows,
       strpos(:'md', '<svg') = 0 AS no_svg, strpos(:'md', 'evaluation_svg_map(') > 0 AS names_the_map;
-- the worked example's Markdown report, whole
\pset format unaligned
\pset tuples_only on
SELECT evaluation_report(:run_q2, 'markdown');
\pset format aligned
\pset tuples_only off

-- JSON: parses, 13 units in rank order, every indicator behind each score
SELECT evaluation_report(:run_m, 'json')::jsonb AS js \gset
SELECT jsonb_array_length(:'js'::jsonb -> 'units') AS units,
       (SELECT bool_and(r >= lag_r) FROM (SELECT (u ->> 'rank')::int AS r, lag((u ->> 'rank')::int, 1, 0) OVER (ORDER BY o) AS lag_r
                                             FROM jsonb_array_elements(:'js'::jsonb -> 'units') WITH ORDINALITY t(u, o)) x) AS in_rank_order,
       (SELECT bool_and(jsonb_array_length(u -> 'indicators') = 2 AND jsonb_array_length(u -> 'dimensions') = 2)
          FROM jsonb_array_elements(:'js'::jsonb -> 'units') u) AS indicators_per_unit,
       :'js'::jsonb -> 'run' -> 'system' ->> 'code' AS system, :'js'::jsonb -> 'run' ->> 'unit_level' AS unit_level,
       (SELECT string_agg(n ->> 'code' || '=' || (n ->> 'weight'), ' ') FROM jsonb_array_elements(:'js'::jsonb -> 'nodes') n) AS weights;
SELECT jsonb_pretty((evaluation_report_json(:run_q2) -> 'units' -> 0) - 'indicators') AS best_unit_of_q2;

-- names from data are escaped (department 603, indicator names with markup)
SELECT evaluation_report(:run_d, 'html') AS html_d \gset
SELECT xml_is_well_formed_document(:'html_d') AS well_formed,
       strpos(:'html_d', '生态&lt;环境&gt;&amp;&quot;局&quot;|(评估测试)') > 0 AS name_escaped,
       strpos(:'html_d', '<环境>') = 0 AND strpos(:'html_d', '<b>') = 0 AS no_raw_markup,
       strpos(:'html_d', 'No map') > 0 AS no_map_for_departments,
       (xpath('count(//*[local-name()="path"])', xmlparse(DOCUMENT :'html_d')))[1]::text AS paths;
SELECT evaluation_report(:run_d, 'markdown') AS md_d \gset
SELECT strpos(:'md_d', '生态&lt;环境&gt;&amp;"局"\|(评估测试)') > 0 AS name_escaped,
       strpos(:'md_d', '完成率 &lt;b&gt;&amp;') > 0 AS indicator_escaped, strpos(:'md_d', '逾期\|件数') > 0 AS pipe_escaped;
SELECT evaluation_md_escape(E'a|b*c_d`e[f]\\g\nh<i>&j~k') AS md, evaluation_xml_escape('<a href="x">&''</a>') AS xml;

-- bad report requests, one per line
SELECT evaluation_report(-1, 'html');
SELECT evaluation_report(:run_m, 'pdf');
SELECT evaluation_report(:run_m, NULL);
SELECT evaluation_report(NULL, 'html');
SELECT evaluation_svg_map(:run_d) IS NULL AS no_map_for_departments;

--
-- Who may do what
--
SET ROLE eva_admin;
-- administrators define, activate and run; queries are for superusers only
INSERT INTO evaluation_query (name, description, unit_levels, sql) VALUES ('evaltest_q', 'x', '{city}', 'SELECT NULL::text, NULL::float8');
UPDATE evaluation_query SET sql = 'SELECT 1' WHERE name = 'penalties';
SELECT evaluation_run('EVALTEST-MAP', '2003-01-01', '2003-12-31') > :run_m AS admin_ran;
UPDATE evaluation_value SET value = 71 WHERE indicator = 'evaltest_rating' AND unit_code = '320100' AND period_end = '2003-12-31';
RESET ROLE;
SET ROLE eva_officer;
SELECT evaluation_run('EVALTEST-MAP', '2003-01-01', '2003-12-31');
INSERT INTO evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value) VALUES ('evaltest_rating', 'city', '320100', '2004-01-01', '2004-12-31', 1);
SELECT length(evaluation_report(:run_m, 'html')) > 0 AS officer_reads;
SELECT s.k, jsonb_typeof(supervision_api.evaluation_report(:run_m) -> s.k) AS type FROM unnest('{run,units,nodes}'::text[]) s(k);
SELECT r ->> 'format' AS format, r ->> 'media_type' AS media_type, left(r ->> 'content', 15) AS content
  FROM supervision_api.evaluation_report(:run_m, 'html') r;
SELECT supervision_api.evaluation_report(:run_m, 'docx');
RESET ROLE;
SET ROLE eva_auditor;
SELECT r ->> 'format' AS format, left(r ->> 'content', 2) AS content FROM supervision_api.evaluation_report(:run_m, 'markdown') r;
RESET ROLE;
SET ROLE eva_anon;
SELECT supervision_api.evaluation_report(:run_m);
SELECT count(*) FROM supervision.evaluation_run;
RESET ROLE;
-- every change to the systems, values and runs is audited
SELECT table_name, operation, count(*) > 0 AS audited FROM audit_log
 WHERE table_name IN ('supervision.evaluation_system', 'supervision.evaluation_node', 'supervision.evaluation_value',
                      'supervision.evaluation_run', 'supervision.evaluation_run_unit', 'supervision.evaluation_run_score')
 GROUP BY 1, 2 ORDER BY 1, 2;
