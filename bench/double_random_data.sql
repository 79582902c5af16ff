-- Data for the double-random benchmark (run by bench/double_random.sh with -v n=<subjects>).
--
-- :n subjects with valid credit codes spread over Jiangsu's 95 counties; credit classes
-- (3% D, 7% C, 30% A, the rest without a class = B); one department (490) with one
-- random-inspection item, 2,000 inspectors (1,800 county, 150 city, 50 province level);
-- conflicts of interest for 0.1% of subjects; an inspection history for 5% of subjects
-- in the year before the plan (for the exclusion window and the rotation rule); and
-- plan BENCH (all subjects, default ratios, exclusion window 90 days, workload cap 400).
--
-- Loading is set-based: each table is filled by one INSERT ... SELECT over
-- generate_series, with the subject indexes dropped during the load and rebuilt
-- after it, and triggers (audit, foreign keys) off while loading: every reference
-- is valid by construction. VACUUM ANALYZE at the end, as on a table that has
-- been in use. The draw itself then runs exactly as in production.
SET client_min_messages = warning;
SET maintenance_work_mem = '1GB';

INSERT INTO supervision.department (code, name) VALUES ('490', '基准测试局') ON CONFLICT DO NOTHING;
SELECT supervision.catalog_allocate_code('490') AS item \gset
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES (:'item', 'main', '490');
INSERT INTO supervision.random_item VALUES ('490', :'item');
INSERT INTO supervision.target_scope (department_code, item_code) VALUES ('490', :'item');

SELECT array_agg(code ORDER BY code) AS counties, count(*) AS ncounties
  FROM supervision.division WHERE code LIKE '32%' AND kind = 'county' \gset
SELECT array_agg(code ORDER BY code) AS cities, count(*) AS ncities
  FROM supervision.division WHERE code LIKE '32%' AND level = 2 \gset

-- subjects: indexes off during the load, the same definitions rebuilt after it
CREATE TEMP TABLE bench_idx AS
SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'supervision.subject'::regclass AND NOT i.indisprimary;
SELECT string_agg(format('DROP INDEX supervision.%I', relname), '; ') AS drops,
       string_agg(def, '; ') AS creates FROM bench_idx \gset
:drops;
ALTER TABLE supervision.subject DISABLE TRIGGER ALL;
-- credit code: 91 (enterprise), the county, an 8-digit organisation code with its
-- GB 11714 check character, then the GB 32100 check character
INSERT INTO supervision.subject (uscc, name, division_code, industry_code)
SELECT p17 || supervision.uscc_check_char(p17), '基准企业' || i, county, 'C13'
  FROM generate_series(1, :n) i,
       LATERAL (SELECT (:'counties'::text[])[i % :ncounties + 1] AS county,
                       11 - (3 * (i / 10000000 % 10) + 7 * (i / 1000000 % 10) + 9 * (i / 100000 % 10) + 10 * (i / 10000 % 10)
                             + 5 * (i / 1000 % 10) + 8 * (i / 100 % 10) + 4 * (i / 10 % 10) + 2 * (i % 10)) % 11 AS c) a,
       LATERAL (SELECT '91' || county || lpad(i::text, 8, '0')
                       || CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END AS p17) b;
ALTER TABLE supervision.subject ENABLE TRIGGER ALL;
:creates;

ALTER TABLE supervision.subject_credit_class DISABLE TRIGGER ALL;
INSERT INTO supervision.subject_credit_class (subject_id, class, assessed_on, model)
SELECT id, CASE WHEN id % 100 < 3 THEN 'D' WHEN id % 100 < 10 THEN 'C' ELSE 'A' END, '2024-01-01', 'bench'
  FROM supervision.subject WHERE id % 100 < 40;
ALTER TABLE supervision.subject_credit_class ENABLE TRIGGER ALL;

-- inspectors: 1,800 in counties, 150 in cities, 50 at the province
ALTER TABLE supervision.inspector DISABLE TRIGGER USER;
INSERT INTO supervision.inspector (certificate_no, name, department_code, division_code, specialties)
SELECT 'BN' || lpad(i::text, 6, '0'), '检查员' || i, '490',
       CASE WHEN i <= 1800 THEN (:'counties'::text[])[(i - 1) % :ncounties + 1]
            WHEN i <= 1950 THEN (:'cities'::text[])[i % :ncities + 1]
            ELSE '320000' END,
       ARRAY[:'item']
  FROM generate_series(1, 2000) i;
ALTER TABLE supervision.inspector ENABLE TRIGGER USER;

-- conflicts of interest: 0.1% of subjects, with an inspector of their county
ALTER TABLE supervision.inspector_conflict DISABLE TRIGGER ALL;
INSERT INTO supervision.inspector_conflict (inspector_id, subject_id, relation)
SELECT i.id, s.id, (ARRAY['kin', 'former_employment', 'shareholding', 'declared'])[s.id % 4 + 1]
  FROM supervision.subject s
  JOIN supervision.inspector i
    ON i.certificate_no = 'BN' || lpad(((s.id / 1000) % 18 * :ncounties + array_position(:'counties'::text[], s.division_code))::text, 6, '0')
 WHERE s.id % 1000 = 7;
ALTER TABLE supervision.inspector_conflict ENABLE TRIGGER ALL;

-- inspection history: 5% of subjects inspected by department 490 in the year before
-- 2024-03-01, by two inspectors of their county
INSERT INTO supervision.source_system (code, name, department_code) VALUES ('bench490', '基准测试系统', '490');
INSERT INTO supervision.ingest_batch (source_code, kind, batch_no, channel) VALUES ('bench490', 'behaviour', '2024022900001', 'bulk');
INSERT INTO supervision.ingest_raw (batch_id, row_no, source_code, kind, payload, payload_hash)
SELECT id, 1, 'bench490', 'behaviour', '{}', sha256('') FROM supervision.ingest_batch WHERE source_code = 'bench490'
RETURNING id AS raw_id \gset
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
SELECT p17 || supervision.uscc_check_char(p17), '基准测试局', '490', '320000', 2
  FROM (SELECT '11320000' || '123456788' AS p17) x
RETURNING uscc AS agency \gset
ALTER TABLE supervision.behaviour DISABLE TRIGGER ALL;
INSERT INTO supervision.behaviour (kind, behaviour_no, behaviour_name, catalog_item_code, agency_uscc, subject_id,
                                   counterpart_code, counterpart_name, division_code, check_time, inspectors,
                                   source_code, source_key, raw_id)
SELECT 'inspection', 'BX' || s.id, '日常检查', :'item', :'agency', s.id, s.uscc, s.name, s.division_code,
       timestamptz '2024-03-01 10:00+08' - make_interval(days => (s.id * 7919 % 365)::int + 1),
       jsonb_build_array(jsonb_build_object('certificate_no', 'BN' || lpad(((s.id / 20) % 18 * :ncounties + c)::text, 6, '0')),
                         jsonb_build_object('certificate_no', 'BN' || lpad(((s.id / 20 + 1) % 18 * :ncounties + c)::text, 6, '0'))),
       'bench490', 'BX' || s.id, :raw_id
  FROM supervision.subject s, LATERAL (SELECT array_position(:'counties'::text[], s.division_code) AS c) x
 WHERE s.id % 20 = 3;
ALTER TABLE supervision.behaviour ENABLE TRIGGER ALL;

VACUUM ANALYZE supervision.subject;
VACUUM ANALYZE supervision.subject_credit_class;
VACUUM ANALYZE supervision.behaviour;
ANALYZE supervision.inspector;
ANALYZE supervision.inspector_conflict;

INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, exclusion_days, workload_cap)
VALUES ('BENCH', '基准抽查', '{490}', ARRAY[:'item'], '2024-03-01', '2024-03-31', 90, 400);
