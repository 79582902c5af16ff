-- The risk part of the demo (run by scripts/demo.sh after the data center part,
-- before double random, whose strata read the classes made here).
\pset footer off
\pset null '—'
SET client_min_messages = warning;
\echo
\echo '=== 12. Credit risk and early warning ==='
\echo 'Penalties and credit listings arrive through the same ingestion pipeline:'
INSERT INTO supervision.source_system (code, name, department_code, trust) VALUES
    ('demo_cf', '行政处罚系统', '012', 80), ('demo_credit', '信用信息平台', '012', 80);
-- a deterministic share of the subjects, by a hash of the credit code: h in 0 .. 9999
CREATE TEMP TABLE demo_pick AS
SELECT s.id, s.uscc, s.name, s.division_code, ('x' || substr(md5(s.uscc), 1, 8))::bit(32)::int & 16383 AS h
  FROM supervision.subject s WHERE s.uscc IS NOT NULL AND s.record_count > 0 AND s.merged_into IS NULL;
DELETE FROM demo_pick WHERE h >= 10000;
-- 8 % of subjects: 1 to 4 penalties over the last three years
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT 'demo_cf', 'behaviour', to_char(current_date, 'YYYYMMDD') || '00001', 'CF-' || p.id || '-' || n, 'i',
       jsonb_build_object('kind', 'penalty', 'behaviour_no', 'CF-' || p.id || '-' || n, 'behaviour_name', '行政处罚',
                          'counterpart_name', p.name, 'counterpart_code', p.uscc, 'division_code', p.division_code,
                          'check_time', to_char(current_date - ((p.h * 37 + n * 211) % 1090) - 1, 'YYYY-MM-DD') || ' 10:00',
                          'result', '罚款')::text
  FROM demo_pick p CROSS JOIN generate_series(1, 4) n
 WHERE p.h < 800 AND n <= 1 + p.h % 4;
-- a burst this month in one county (苏州市姑苏区), for the spike rule below
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT 'demo_cf', 'behaviour', to_char(current_date, 'YYYYMMDD') || '00001', 'CF-BURST-' || p.id, 'i',
       jsonb_build_object('kind', 'penalty', 'behaviour_no', 'CF-BURST-' || p.id, 'behaviour_name', '行政处罚',
                          'counterpart_name', p.name, 'counterpart_code', p.uscc, 'division_code', p.division_code,
                          'check_time', to_char(date_trunc('month', current_date)::date, 'YYYY-MM-DD') || ' 09:30',
                          'result', '罚款')::text
  FROM demo_pick p WHERE p.division_code = '320508' AND p.h BETWEEN 800 AND 999;
-- 4 % on the abnormal-operation list, 0.5 % on the serious-violation list
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT 'demo_credit', 'credit', to_char(current_date, 'YYYYMMDD') || '00001', 'XY-' || p.id, 'i',
       jsonb_build_object('kind', CASE WHEN p.h < 50 THEN 'serious_violation' ELSE 'abnormal_listing' END,
                          'counterpart_name', p.name, 'counterpart_code', p.uscc,
                          'reason', CASE WHEN p.h < 50 THEN '提供虚假材料骗取登记' ELSE '未按规定报送年度报告' END,
                          'authority', '市场监督管理局',
                          'listed_on', to_char(current_date - (p.h * 13) % 700 - 1, 'YYYY-MM-DD'))::text
  FROM demo_pick p WHERE p.h < 50 OR p.h BETWEEN 400 AND 799;
SELECT b ->> 'source' AS source, b ->> 'kind' AS kind, (b ->> 'rows')::int AS rows, (b ->> 'accepted')::int AS accepted,
       (b ->> 'rejected')::int AS rejected
  FROM (SELECT supervision.ingest_process(s, k, to_char(current_date, 'YYYYMMDD') || '00001') AS b
          FROM (VALUES ('demo_cf', 'behaviour'), ('demo_credit', 'credit')) v(s, k)) x;

\echo
\echo 'The active credit-risk model: five groups of indicators, weights as data (docs/risk.md):'
SELECT left(code, 1) AS grp, string_agg(code || ' ' || name, ', ' ORDER BY code) AS leaves, round(sum(weight)::numeric, 3) AS weight
  FROM supervision.risk_leaf_weight WHERE model_id = (SELECT id FROM supervision.risk_model WHERE status = 'active')
 GROUP BY 1 ORDER BY 1;
\echo 'Classifying every subject (one pass in C), as the monthly pg_cron job does:'
SELECT id AS run, subjects, class_counts, changes AS new_classes, round(extract(epoch FROM finished_at - started_at)::numeric, 1) AS seconds
  FROM supervision.risk_run();
\echo 'Why: the highest-risk subjects and the indicators behind their class'
SELECT s.name, round(e.score::numeric, 1) AS score, e.class, e.forced_rule,
       string_agg(e.indicator || ' ' || round(e.points::numeric, 1), '; ' ORDER BY e.rank) AS reasons
  FROM supervision.risk_explanation e JOIN supervision.subject s ON s.id = e.subject_id
 WHERE e.run_id = (SELECT max(id) FROM supervision.risk_run)
   AND e.subject_id IN (SELECT subject_id FROM supervision.risk_score WHERE run_id = (SELECT max(id) FROM supervision.risk_run)
                         ORDER BY score DESC, subject_id LIMIT 4)
 GROUP BY s.name, e.score, e.class, e.forced_rule ORDER BY e.score DESC, s.name;

\echo
\echo 'Early warning: rules as data, scanned daily by pg_cron (docs/warning.md):'
INSERT INTO supervision.warning_rule (code, name, source, event_filter, target, period, method, params, levels, department_code)
VALUES ('DEMO-SUBJECT-YEAR', '企业年度处罚次数预警', 'penalty', '{"source": "demo_cf"}', 'subject', 'year', 'threshold',
        '{}', '{"yellow": 3, "orange": 4, "red": 6}', '012'),
       ('DEMO-COUNTY-SPIKE', '区县处罚激增预警', 'penalty', '{"source": "demo_cf"}', 'county', 'month', 'spike',
        '{"alpha": 0.3, "history": 12, "min_count": 5}', '{"blue": 0.05, "yellow": 0.01, "orange": 0.001, "red": 0.00001}', '012');
SELECT r.code AS rule, w.level, w.action, count(*) AS warnings
  FROM supervision.warning_rule r CROSS JOIN LATERAL supervision.warning_scan(r.id) w
 WHERE r.code LIKE 'DEMO-%' GROUP BY 1, 2, 3 ORDER BY 1, 2;
SELECT w.title, w.level, w.status, w.department_code AS department, w.evidence -> 'counts' AS monthly_counts,
       round((w.evidence ->> 'baseline')::numeric, 2) AS baseline, (w.evidence ->> 'p_value')::float8 AS p_value,
       w.verify_due, w.close_due
  FROM supervision.warning w JOIN supervision.warning_rule r ON r.id = w.rule_id
 WHERE r.code = 'DEMO-COUNTY-SPIKE';
\echo 'Scanning again raises nothing new (same evidence):'
SELECT count(*) FILTER (WHERE w.action = 'raised') AS raised_again
  FROM supervision.warning_rule r CROSS JOIN LATERAL supervision.warning_scan(r.id) w WHERE r.code LIKE 'DEMO-%';
