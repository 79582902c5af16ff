-- The evaluation part of the demo (run by scripts/demo.sh after the double-random part,
-- with -v report=<path of the HTML report to write>).
-- Two quarters of 2026 in the sample province: inspections drawn and recorded, penalties
-- and internet reports sent to the data center, and the figures the database does not
-- hold (complaints, petitions, accidents, public rating) entered; then the 13 cities
-- are evaluated for each quarter and the second quarter's report is written to a file.
-- The numbers are invented, from a fixed profile per city: deterministic, not real.
\pset footer off
\pset null '—'
SET client_min_messages = warning;
\echo
\echo '=== 14. Supervision-effectiveness evaluation (监管效能评估) of the 13 cities ==='
-- a quality profile per city in [0, 1), and a per-row pseudo-random number in [0, 1), from md5
CREATE TEMP TABLE demo_city AS
SELECT d.code, d.name, ('x' || substr(md5('profile' || d.code), 1, 8))::bit(32)::bigint / 4294967296.0 AS q
  FROM supervision.division d WHERE d.kind = 'city' AND d.level = 2 AND d.code LIKE '32%';
CREATE TEMP TABLE demo_quarter (n int, q_start date, q_end date);
INSERT INTO demo_quarter VALUES (2, '2026-04-01', '2026-06-30'), (3, '2026-07-01', '2026-09-30');
CREATE FUNCTION pg_temp.rnd(VARIADIC p text[]) RETURNS float8 LANGUAGE sql IMMUTABLE
RETURN ('x' || substr(md5(array_to_string(p, '|')), 1, 8))::bit(32)::bigint / 4294967296.0;

-- Double-random inspections province-wide, one plan per quarter (market regulation, 012)
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios,
                                         min_count, inspectors_per_target, exclusion_days, workload_cap)
SELECT 'DEMO-EVAL-Q' || q.n, format('2026年第%s季度全省市场监管双随机抽查', q.n), '{012}',
       ARRAY(SELECT item_code FROM supervision.random_item WHERE department_code = '012'),
       q.q_start, q.q_end, '{}', '{"D": 0.3, "C": 0.1, "B": 0.03, "A": 0.01}', 0, 2, 0, 0
  FROM demo_quarter q;
SELECT p.code AS plan, sum(r.population) AS population, sum(r.selected) AS drawn, sum(r.short_of_inspectors) AS short_of_inspectors
  FROM supervision.inspection_plan p,
       LATERAL supervision.draw_reveal(supervision.draw_open(p.id), p.code || ' 福彩3D 开奖号码 (demo)',
                                       'https://www.cwl.gov.cn/ (demo)', clock_timestamp()) r
 WHERE p.code LIKE 'DEMO-EVAL-Q%' GROUP BY p.code ORDER BY p.code;
-- results: a city's profile decides how many checks are done and how many results are published on time
SELECT count(*) AS results_recorded
  FROM (SELECT supervision.result_record(v.id, 'no_problem', NULL,
                   v.check_end - (pg_temp.rnd('day', v.id::text) * 60)::int,
                   CASE WHEN pg_temp.rnd('late', v.id::text) < 0.55 + 0.4 * c.q
                        THEN v.check_end - (pg_temp.rnd('day', v.id::text) * 60)::int + 7
                        ELSE v.check_end - (pg_temp.rnd('day', v.id::text) * 60)::int + 45 END)
          FROM supervision.visit v
          JOIN supervision.visit_draw vd ON vd.visit_id = v.id
          JOIN supervision.draw d ON d.id = vd.draw_id
          JOIN supervision.inspection_plan p ON p.id = d.plan_id AND p.code LIKE 'DEMO-EVAL-Q%'
          JOIN supervision.subject s ON s.id = v.subject_id
          JOIN demo_city c ON c.code = left(s.division_code, 4) || '00'
         WHERE pg_temp.rnd('done', v.id::text) < 0.7 + 0.3 * c.q
         ORDER BY v.id) x;

-- Penalties (行政处罚) and internet reports (舆情) through the data center
INSERT INTO supervision.source_system (code, name, department_code, division_code, trust) VALUES
    ('demo_penalty', '行政处罚信息系统', '012', '320000', 80);
INSERT INTO supervision.source_system (code, name, department_code, division_code, trust)
SELECT 'demo_net_' || left(c.code, 4), c.name || '网络舆情监测', '012', c.code, 50 FROM demo_city c;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT 'demo_penalty', 'behaviour', '2026100100001', 'CF-' || s.id || '-' || q.n, 'i',
       jsonb_build_object('kind', 'penalty', 'behaviour_no', format('苏市监罚〔2026〕%s号', s.id), 'behaviour_name', '行政处罚',
                          'counterpart_name', s.name, 'counterpart_code', s.uscc, 'division_code', s.division_code,
                          'check_time', to_char(q.q_start + (pg_temp.rnd('pday', s.id::text, q.n::text) * 85)::int, 'YYYY-MM-DD') || ' 10:00')::text
  FROM supervision.subject s
  JOIN demo_city c ON c.code = left(s.division_code, 4) || '00'
  CROSS JOIN demo_quarter q
 WHERE s.uscc IS NOT NULL AND s.record_count > 0
   AND pg_temp.rnd('penalty', s.id::text, q.n::text) < 0.004 + 0.008 * pg_temp.rnd('penalty-rate', c.code, q.n::text);
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT 'demo_net_' || left(c.code, 4), 'internet', '2026100100001', 'NET-' || c.code || '-' || q.n || '-' || i, 'i',
       jsonb_build_object('channel', '网络媒体', 'title', format('%s某商户被投诉(示例)', c.name), 'category', '消费投诉',
                          'sentiment', CASE WHEN pg_temp.rnd('neg', c.code, q.n::text, i::text) < 0.35 + 0.3 * (1 - c.q) THEN -1 ELSE 1 END,
                          'published_at', to_char(q.q_start + (pg_temp.rnd('nday', c.code, q.n::text, i::text) * 85)::int, 'YYYY-MM-DD') || ' 09:00')::text
  FROM demo_city c CROSS JOIN demo_quarter q CROSS JOIN generate_series(1, 40) i;
SELECT b ->> 'kind' AS kind, sum((b ->> 'accepted')::int) AS accepted, sum((b ->> 'rejected')::int) AS rejected
  FROM (SELECT supervision.ingest_process(s.code, CASE WHEN s.code = 'demo_penalty' THEN 'behaviour' ELSE 'internet' END,
                                          '2026100100001') || jsonb_build_object('kind', CASE WHEN s.code = 'demo_penalty' THEN 'penalties' ELSE 'internet reports' END) AS b
          FROM supervision.source_system s WHERE s.code = 'demo_penalty' OR s.code LIKE 'demo\_net\_%' ORDER BY s.code) x
 GROUP BY 1 ORDER BY 1;

-- What the database does not hold, entered per city and quarter
INSERT INTO supervision.evaluation_value (indicator, unit_level, unit_code, period_start, period_end, value, source)
SELECT v.indicator, 'city', c.code, q.q_start, q.q_end, v.value, '示例数据 (demo)'
  FROM demo_city c CROSS JOIN demo_quarter q
  CROSS JOIN LATERAL (VALUES
      ('complaints_per_10k', round((8 + 10 * (1 - c.q) + 4 * pg_temp.rnd('cmp', c.code, q.n::text))::numeric, 1)::float8),
      ('petitions', floor(3 + 12 * (1 - c.q) * pg_temp.rnd('pet', c.code, q.n::text) + 2 * pg_temp.rnd('pet2', c.code, q.n::text))::float8),
      ('major_accidents', floor(3.5 * (1 - c.q) * pg_temp.rnd('acc', c.code, q.n::text))::float8),
      ('public_rating', round((78 + 14 * c.q + 5 * pg_temp.rnd('rat', c.code, q.n::text))::numeric, 1)::float8)) v(indicator, value);

-- The index system: the six dimensions of the plan's task 9 (weights are an example, see docs/evaluation.md)
SELECT supervision.evaluation_system_define($j${
  "code": "JS-EFFECT", "name": "江苏省监管效能评估指标体系(示例)",
  "description": "Six dimensions of task 9; the weights are an example, not published figures",
  "root": {"code": "total", "name": "总分", "method": "fixed", "children": [
    {"code": "business", "name": "监管业务", "weight": 30, "method": "ahp",
     "pairwise": [[1, 2, 3], [0.5, 1, 2], [0.33, 0.5, 1]], "children": [
       {"code": "inspections", "name": "双随机抽查完成率", "direction": "benefit", "query": "inspections_completed_share"},
       {"code": "published", "name": "抽查结果按时公示率", "direction": "benefit", "query": "results_published_on_time_share"},
       {"code": "penalties", "name": "每万户行政处罚", "direction": "benefit", "query": "penalties_per_10k_subjects"}]},
    {"code": "complaints", "name": "投诉举报", "weight": 15, "method": "fixed", "children": [
       {"code": "complaints_per_10k", "name": "每万户投诉举报", "weight": 1, "direction": "cost", "value": "complaints_per_10k"}]},
    {"code": "opinion", "name": "舆情", "weight": 15, "method": "entropy", "children": [
       {"code": "negative", "name": "每万户负面舆情", "direction": "cost", "query": "negative_internet_info_per_10k_subjects"},
       {"code": "negative_count", "name": "负面舆情数", "direction": "cost", "query": "negative_internet_info"}]},
    {"code": "petitions", "name": "信访", "weight": 10, "method": "fixed", "children": [
       {"code": "petition_count", "name": "信访件数", "weight": 1, "direction": "cost", "value": "petitions"}]},
    {"code": "accidents", "name": "重大事故", "weight": 15, "method": "fixed", "children": [
       {"code": "accident_count", "name": "重大事故起数", "weight": 1, "direction": "cost", "value": "major_accidents"}]},
    {"code": "rating", "name": "群众评价", "weight": 15, "method": "fixed", "children": [
       {"code": "rating_score", "name": "群众满意度", "weight": 1, "direction": "benefit", "value": "public_rating", "unit": "分"}]}]}}$j$) AS eval_system \gset
SELECT code, version, status FROM supervision.evaluation_system_activate(:eval_system);
\echo 'Quarter 2, then quarter 3 (compared with quarter 2):'
SELECT supervision.evaluation_run('JS-EFFECT', '2026-04-01', '2026-06-30') AS run_q2 \gset
SELECT supervision.evaluation_run('JS-EFFECT', '2026-07-01', '2026-09-30') AS run_q3 \gset
SELECT node_code AS node, name, coalesce(method, direction) AS method, round(weight::numeric, 3) AS weight,
       round((100 * global_weight)::numeric, 1) AS "share %", excluded
  FROM supervision.evaluation_run_node WHERE run_id = :run_q3 ORDER BY sort_key;
SELECT rank, unit_name AS city, round(score::numeric, 2) AS score, supervision.evaluation_fmt(score_delta, 2, true) AS change,
       supervision.evaluation_rank_change(rank_delta, previous_rank IS NOT NULL) AS rank_change
  FROM supervision.evaluation_run_unit WHERE run_id = :run_q3 ORDER BY rank, unit_code;
\echo 'The indicators behind the best city''s score (quarter 3):'
SELECT n.name AS indicator, supervision.evaluation_fmt_value(s.raw_value) AS raw, round(s.value::numeric, 3) AS normalised,
       round((100 * n.global_weight * s.value)::numeric, 2) AS points
  FROM supervision.evaluation_run_unit u
  JOIN supervision.evaluation_run_score s ON s.run_id = u.run_id AND s.unit_code = u.unit_code
  JOIN supervision.evaluation_run_node n ON n.run_id = s.run_id AND n.node_code = s.node_code AND n.kind = 'indicator'
 WHERE u.run_id = :run_q3 AND u.rank = 1 ORDER BY n.sort_key;

-- the report, as one HTML file
\pset format unaligned
\pset tuples_only on
\o :report
SELECT supervision.evaluation_report(:run_q3, 'html');
\o
\pset format aligned
\pset tuples_only off
SELECT :'report' AS "HTML report written to", pg_size_pretty(length(supervision.evaluation_report(:run_q3, 'html'))::bigint) AS size;
