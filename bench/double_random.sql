-- Double-random draw benchmark (run by bench/double_random.sh with -v n=<subjects>).
-- Generates :n subjects with valid credit codes over Nanjing's counties, credit classes,
-- 1,000 inspectors; times draw_open (freeze + digest), draw_reveal (C selection + teams),
-- the plain-SQL verifiable selection and ORDER BY random().
\timing off
SET client_min_messages = warning;
INSERT INTO supervision.department (code, name) VALUES ('490', '基准测试局') ON CONFLICT DO NOTHING;
SELECT supervision.catalog_allocate_code('490') AS item \gset
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES (:'item', 'main', '490');
INSERT INTO supervision.random_item VALUES ('490', :'item');
INSERT INTO supervision.target_scope (department_code, item_code) VALUES ('490', :'item');
CREATE FUNCTION pg_temp.org_code(d8 text) RETURNS text LANGUAGE sql IMMUTABLE
RETURN d8 || (SELECT CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END
                FROM (SELECT 11 - (3 * substr(d8, 1, 1)::int + 7 * substr(d8, 2, 1)::int + 9 * substr(d8, 3, 1)::int
                                   + 10 * substr(d8, 4, 1)::int + 5 * substr(d8, 5, 1)::int + 8 * substr(d8, 6, 1)::int
                                   + 4 * substr(d8, 7, 1)::int + 2 * substr(d8, 8, 1)::int) % 11 AS c) x);
CREATE TEMP TABLE divs AS SELECT row_number() OVER (ORDER BY code) - 1 AS n, code FROM supervision.division WHERE parent_code = '320100';
SELECT count(*) AS ndivs FROM divs \gset
ALTER TABLE supervision.subject DISABLE TRIGGER USER;
INSERT INTO supervision.subject (uscc, name, division_code, industry_code)
SELECT p17 || supervision.uscc_check_char(p17), 'B' || i, (SELECT code FROM divs WHERE n = i % :ndivs), 'C13'
  FROM (SELECT i, '91320100' || pg_temp.org_code(lpad(i::text, 8, '0')) AS p17 FROM generate_series(1, :n) i) g;
ALTER TABLE supervision.subject ENABLE TRIGGER USER;
INSERT INTO supervision.subject_credit_class
SELECT id, CASE WHEN id % 100 < 3 THEN 'D' WHEN id % 100 < 10 THEN 'C' WHEN id % 100 < 40 THEN 'A' END, '2024-01-01', 'bench'
  FROM supervision.subject WHERE id % 100 < 40;
INSERT INTO supervision.inspector (certificate_no, name, department_code, division_code, specialties)
SELECT 'BN' || lpad(i::text, 6, '0'), '检查员' || i, '490', (SELECT code FROM divs WHERE n = i % :ndivs), ARRAY[:'item']
  FROM generate_series(1, 1000) i;
ANALYZE;
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end)
VALUES ('BENCH', 'bench', '{490}', ARRAY[:'item'], '2024-03-01', '2024-03-31');
\timing on
\echo open: freeze population, strata, pool, digest
SELECT supervision.draw_open(id) AS d FROM supervision.inspection_plan WHERE code = 'BENCH' \gset
\echo reveal: C selection (heap) + inspector teams + visits
SELECT stratum, population, k, selected, short_of_inspectors FROM supervision.draw_reveal(:d, 'bench-seed', 'bench', clock_timestamp());
\echo C selection alone (sampling_select over the frozen list)
SELECT count(*) FROM supervision.sampling_select(:d, 'bench-seed', '{A,B,C,D}', ARRAY(SELECT k FROM supervision.draw_stratum WHERE draw_id = :d ORDER BY stratum));
\echo plain SQL verifiable baseline: ORDER BY sha256(seed|key) LIMIT k per stratum
SELECT count(*) FROM supervision.draw_stratum ds, LATERAL (
    SELECT p.target_key FROM supervision.draw_population p WHERE p.draw_id = ds.draw_id AND p.stratum = ds.stratum
     ORDER BY sha256(convert_to('bench-seed|' || p.target_key, 'UTF8')) LIMIT ds.k) x WHERE ds.draw_id = :d;
\echo unverifiable: ORDER BY random() LIMIT k per stratum
SELECT count(*) FROM supervision.draw_stratum ds, LATERAL (
    SELECT p.target_key FROM supervision.draw_population p WHERE p.draw_id = ds.draw_id AND p.stratum = ds.stratum
     ORDER BY random() LIMIT ds.k) x WHERE ds.draw_id = :d;
\echo verify
SELECT supervision.draw_verify(:d);
