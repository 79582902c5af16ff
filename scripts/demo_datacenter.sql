-- The data-center part of the demo (run by scripts/demo.sh after data/sample/generate_subjects.sql).
\pset footer off
\pset null '—'
SET client_min_messages = warning;
\echo
\echo '=== 10. Data center: three sources send their subject records ==='
INSERT INTO supervision.source_system (code, name, department_code, trust) VALUES
    ('demo_registry', '市场主体登记系统', '012', 90),
    ('demo_tax', '税务登记信息', '012', 70),
    ('demo_city', '设区市监管平台', '012', 40);
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload)
SELECT r.source, 'subject', CASE r.source WHEN 'demo_registry' THEN '2024050100001'
                                          WHEN 'demo_tax' THEN '2024050100002' ELSE '2024050100003' END,
       r.source_key, 'i', r.payload::text
  FROM gen.record r;
-- what real feeds also contain
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload) VALUES
    ('demo_city', 'subject', '2024050100003', 'CITY-BAD-1', 'i', '{"name": "截断的记录'),
    ('demo_city', 'subject', '2024050100003', 'CITY-BAD-2', 'i', '{"name": "某某商行", "division_code": "329999"}'),
    ('demo_city', 'subject', '2024050100003', 'CITY-BAD-3', 'i', '{"name": "某某公司", "uscc": "91320100MA1XXXXX00"}'),
    ('demo_city', 'subject', '2024050100003', 'CITY-BAD-4', 'i', '{"name": "某某公司", "established_on": "2099-01-01"}'),
    ('demo_city', 'subject', '2024050100003', 'CITY-BAD-5', 'i', '{"name": "某某公司", "fax": "025-1234567"}'),
    ('demo_tax', 'subject', '2024050100002', 'TAX-BAD-1', 'i', '{"name": ""}');
SELECT b ->> 'source' AS source, b ->> 'batch_no' AS batch, (b ->> 'rows')::int AS rows, (b ->> 'accepted')::int AS accepted,
       (b ->> 'rejected')::int AS rejected, (b ->> 'duplicate')::int AS duplicate, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1) AS seconds
  FROM (SELECT clock_timestamp() AS t0, supervision.ingest_process(s, 'subject', n) AS b
          FROM (VALUES ('demo_registry', '2024050100001'), ('demo_tax', '2024050100002'), ('demo_city', '2024050100003')) v(s, n)) x;
\echo 'Rejections, by field and rule:'
SELECT source_code AS source, field, rule, rows_rejected FROM supervision.dq_reason_summary
 WHERE source_code LIKE 'demo%' ORDER BY 1, 2, 3;
\echo 'What cleaning changed (tax batch):'
SELECT k AS field, v::int AS values_cleaned
  FROM supervision.ingest_batch b, jsonb_each_text(supervision.dq_report_batch(b.id) -> 'cleaned') e(k, v)
 WHERE b.batch_no = '2024050100002' ORDER BY 1;

\echo
\echo '=== 11. Linking records into subjects ==='
SELECT (r ->> 'records')::int AS records, (r ->> 'subjects')::int AS subjects, (r ->> 'review_open')::int AS review_queue,
       (r ->> 'seconds')::numeric AS seconds
  FROM supervision.dc_resolve() r;
\echo 'Against the known truth (pairs of records put together):'
WITH rec AS (
    SELECT g.entity_id AS truth, r.entity_id AS found
      FROM gen.record g JOIN supervision.subject_record r ON r.source_code = g.source AND r.source_key = g.source_key
), pairs AS (
    SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM rec GROUP BY truth) a) AS truth_pairs,
           (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM rec GROUP BY found) b) AS found_pairs,
           (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM rec GROUP BY truth, found) c) AS both_pairs
)
SELECT (SELECT count(DISTINCT truth) FROM rec) AS true_subjects, (SELECT count(DISTINCT found) FROM rec) AS subjects_found,
       round(both_pairs::numeric / nullif(found_pairs, 0), 4) AS precision, round(both_pairs::numeric / nullif(truth_pairs, 0), 4) AS recall,
       round(2 * both_pairs::numeric / nullif(found_pairs + truth_pairs, 0), 4) AS f1
  FROM pairs;
\echo 'Review queue (uncertain pairs, highest scores first):'
SELECT round(q.score::numeric, 2) AS score, a.name AS record_a, b.name AS record_b
  FROM supervision.match_review q
  JOIN supervision.subject_record a ON a.id = q.record_a JOIN supervision.subject_record b ON b.id = q.record_b
 WHERE q.status = 'open' ORDER BY q.score DESC, q.id LIMIT 5;
\echo 'A golden record and where each value came from:'
SELECT l.field, l.value, l.source, l.survivorship_rule, l.cleaning_rule
  FROM supervision.subject_lineage((SELECT s.id FROM supervision.subject s WHERE s.record_count = 3 ORDER BY s.id LIMIT 1)) l;
\echo '比对: values the sources disagree on (first subjects):'
SELECT subject_id, field, values_by_source FROM supervision.subject_comparison() ORDER BY subject_id, field LIMIT 4;
\echo 'Search:'
SELECT q AS query, (SELECT string_agg(name, ' | ' ORDER BY score DESC, subject_id) FROM supervision.subject_search(q, 3)) AS found
  FROM (SELECT regexp_replace(e.full_name, '^' || e.city, '') AS q FROM gen.entity e WHERE e.head_id IS NULL ORDER BY e.id LIMIT 1) x;
\echo 'Quality per source:'
SELECT source_code AS source, rows_total, rows_accepted, rows_rejected, accept_rate FROM supervision.dq_source_quality
 WHERE source_code LIKE 'demo%' ORDER BY 1;
