-- The double-random part of the demo (run by scripts/demo.sh after the data center part).
\pset footer off
\pset null '—'
SET client_min_messages = warning;
\echo
\echo '=== 13. Double random, one publication (双随机、一公开): a joint plan of two departments ==='
-- each department lists a published item for random inspection; its target directory is every subject
INSERT INTO supervision.random_item (department_code, item_code)
SELECT DISTINCT ON (c.department_code) c.department_code, c.code FROM supervision.catalog_current c
 WHERE c.department_code IN ('012', '015') AND c.kind = 'main' ORDER BY c.department_code, c.code;
INSERT INTO supervision.target_scope (department_code, item_code) SELECT department_code, item_code FROM supervision.random_item;
-- the strata are the credit-risk classes of section 11 (subject_credit_class)
-- inspectors of both departments in every city, specialised in their department's item
INSERT INTO supervision.inspector (certificate_no, name, department_code, division_code, specialties, status,
                                   certificate_valid_from, certificate_valid_to)
SELECT d.code_prefix || c.code || lpad(n::text, 2, '0'), d.title || c.name || n, d.dept, c.code, ARRAY[r.item_code], 'active',
       current_date - 365, current_date + 3650
  FROM (VALUES ('012', 'SC', '市场检查员'), ('015', 'EP', '环境检查员')) d(dept, code_prefix, title)
  JOIN supervision.random_item r ON r.department_code = d.dept
  CROSS JOIN supervision.division c
  CROSS JOIN generate_series(1, 20) n
 WHERE c.code LIKE '32%' AND c.level = 2;
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios,
                                         min_count, max_count, inspectors_per_target, exclusion_days, workload_cap)
SELECT 'DEMO-JOINT', '2026年10月南京市市场监管与生态环境联合抽查', '{012,015}', array_agg(item_code ORDER BY department_code),
       date '2026-10-12', date '2026-10-30', '{"divisions": ["320100"]}', '{"D": 0.3, "C": 0.1, "B": 0.02, "A": 0.01}',
       1, NULL, 2, 0, 6
  FROM supervision.random_item;
\echo 'Opening the draw freezes the population and publishes its digest, before any seed exists:'
SELECT supervision.draw_open(id) AS draw_id FROM supervision.inspection_plan WHERE code = 'DEMO-JOINT' \gset
SELECT id AS draw_id, status, population_size, population_digest FROM supervision.draw WHERE id = :draw_id;
SELECT stratum AS class, population, ratio, k AS to_draw FROM supervision.draw_stratum WHERE draw_id = :draw_id ORDER BY stratum;
\echo 'Then the seed is entered: a public value, with where and when it was published:'
SELECT count(*) AS rows_returned FROM supervision.draw_reveal(:draw_id, to_char(current_date, 'YYYY-MM-DD') || ' 福彩3D 开奖号码 385',
       'https://www.cwl.gov.cn/ (demo)', clock_timestamp());
SELECT stratum AS class, rank, target_key, subject_name, inspectors
  FROM supervision.public_selection WHERE draw_id = :draw_id ORDER BY stratum DESC, rank LIMIT 6;
SELECT count(*) AS targets_short_of_inspectors FROM supervision.draw_shortfall WHERE draw_id = :draw_id;
\echo 'Anyone can recompute the draw from the published inputs:'
SELECT supervision.draw_verify(:draw_id) AS draw_verified;
\echo 'One publication: results are due 20 working days after the checks end:'
SELECT p.check_end, supervision.publication_deadline(p.check_end) AS results_due,
       supervision.workdays_between(p.check_end, supervision.publication_deadline(p.check_end)) AS working_days
  FROM supervision.inspection_plan p WHERE p.code = 'DEMO-JOINT';
