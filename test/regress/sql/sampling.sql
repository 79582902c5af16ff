-- Double-random inspections: plans, strata and bounds, verifiable draws
-- (commit, then reveal), inspectors (recusal, rotation, jurisdiction,
-- certificates, departments of a joint plan), joint visits, verification,
-- publication deadlines, public views, bad input, and a uniformity test.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- fixtures: two departments with one item each, 30 subjects in Xuanwu, 5 in Pukou
INSERT INTO supervision.department (code, name) VALUES ('401', '抽查测试市场监管局'), ('402', '抽查测试生态环境局')
ON CONFLICT DO NOTHING;
SELECT supervision.catalog_allocate_code('401') AS item1 \gset
SELECT supervision.catalog_allocate_code('402') AS item2 \gset
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES (:'item1', 'main', '401'), (:'item2', 'main', '402');
INSERT INTO supervision.random_item (department_code, item_code) VALUES ('401', :'item1'), ('402', :'item2');
INSERT INTO supervision.target_scope (department_code, item_code) VALUES ('401', :'item1'), ('402', :'item2');

CREATE FUNCTION pg_temp.org_code(d8 text) RETURNS text LANGUAGE sql IMMUTABLE
RETURN d8 || (SELECT CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END
                FROM (SELECT 11 - (3 * substr(d8, 1, 1)::int + 7 * substr(d8, 2, 1)::int + 9 * substr(d8, 3, 1)::int
                                   + 10 * substr(d8, 4, 1)::int + 5 * substr(d8, 5, 1)::int + 8 * substr(d8, 6, 1)::int
                                   + 4 * substr(d8, 7, 1)::int + 2 * substr(d8, 8, 1)::int) % 11 AS c) x);
CREATE TEMP TABLE fx AS
SELECT i, p17 || supervision.uscc_check_char(p17) AS uscc,
       CASE WHEN i <= 30 THEN '320102' ELSE '320111' END AS division_code
  FROM (SELECT i, '91320100' || pg_temp.org_code(lpad((7000000 + i * 37)::text, 8, '0')) AS p17
          FROM generate_series(1, 35) i) g;
INSERT INTO supervision.subject (uscc, name, division_code, industry_code)
SELECT uscc, '抽查测试企业' || i, division_code, 'C13' FROM fx ORDER BY i;
-- credit classes: 1-5 D, 6-10 C, 11-15 A, the rest have no class (count as B)
INSERT INTO supervision.subject_credit_class (subject_id, class, assessed_on, model)
SELECT s.id, CASE WHEN fx.i <= 5 THEN 'D' WHEN fx.i <= 10 THEN 'C' ELSE 'A' END, '2024-01-01', 'test'
  FROM fx JOIN supervision.subject s ON s.uscc = fx.uscc WHERE fx.i <= 15;

-- inspectors: 401 has 6 usable in Nanjing, one expired, one suspended, one in Suzhou;
-- 402 has 3 at the province
INSERT INTO supervision.inspector (certificate_no, name, department_code, division_code, specialties, status,
                                   certificate_valid_from, certificate_valid_to)
SELECT 'SC401-' || n, '市场检查员' || n, '401', '320100', ARRAY[:'item1'], 'active', date '2020-01-01', date '2026-12-31'
  FROM generate_series(1, 6) n
UNION ALL SELECT 'SC401-7', '过期检查员', '401', '320100', ARRAY[:'item1'], 'active', '2020-01-01', '2024-03-15'
UNION ALL SELECT 'SC401-8', '停职检查员', '401', '320100', ARRAY[:'item1'], 'suspended', '2020-01-01', '2026-12-31'
UNION ALL SELECT 'SC401-9', '苏州检查员', '401', '320500', ARRAY[:'item1'], 'active', '2020-01-01', '2026-12-31'
UNION ALL SELECT 'EP402-' || n, '环境检查员' || n, '402', '320000', ARRAY[:'item2'], 'active', '2020-01-01', '2026-12-31'
  FROM generate_series(1, 3) n;
-- inspector SC401-1 is kin of subject 1's owner and has shares in subject 2
INSERT INTO supervision.inspector_conflict (inspector_id, subject_id, relation)
SELECT i.id, s.id, r FROM supervision.inspector i, fx JOIN supervision.subject s ON s.uscc = fx.uscc,
       (VALUES (1, 'kin'), (2, 'shareholding')) v(n, r)
 WHERE i.certificate_no = 'SC401-1' AND fx.i = v.n;

--
-- Plan 1: market regulation alone, Xuanwu, ratios per class with bounds 1..3
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios, min_count, max_count)
VALUES ('P1', '2024年3月食品生产抽查', '{401}', ARRAY[:'item1'], '2024-03-01', '2024-03-31',
        '{"divisions": ["320102"]}', '{"D": 1, "C": 0.5, "A": 0, "B": 0.1}', 1, 3);
SELECT supervision.draw_open(id) AS d1 FROM supervision.inspection_plan WHERE code = 'P1' \gset
-- committed before the seed: N and k per stratum (D 5 -> 5 capped at 3; C ceil(2.5) = 3; A 0 raised to 1; B ceil(1.5) = 2)
SELECT stratum, population, ratio, k FROM supervision.draw_stratum WHERE draw_id = :d1 ORDER BY stratum;
SELECT status, population_size, seed IS NULL AS no_seed_yet FROM supervision.draw WHERE id = :d1;
-- the digest is SHA-256 of the sorted lines "stratum|target_key\n"
SELECT d.population_digest = encode(sha256(convert_to(
           (SELECT string_agg(stratum || '|' || target_key || E'\n', '' ORDER BY stratum || '|' || target_key COLLATE "C")
              FROM supervision.draw_population WHERE draw_id = :d1), 'UTF8')), 'hex') AS digest_matches
  FROM supervision.draw d WHERE d.id = :d1;
-- the frozen pool: expired (before the period ends), suspended and Suzhou-only inspectors are in it or not
SELECT certificate_no FROM supervision.draw_inspector WHERE draw_id = :d1 ORDER BY ordinal;
-- not revealed: nothing to verify
SELECT supervision.draw_verify(:d1);
-- reveal
SELECT * FROM supervision.draw_reveal(:d1, '2024-03-02 福彩3D 第2024055期 385', 'https://www.cwl.gov.cn/ 2024-03-02', clock_timestamp());
-- the selection is the plain-SQL computation: the k smallest SHA-256(seed|key) per stratum
SELECT (SELECT array_agg(target_key ORDER BY stratum, rank) FROM supervision.draw_selection WHERE draw_id = :d1)
     = (SELECT array_agg(x.target_key ORDER BY x.stratum, x.rn)
          FROM (SELECT p.stratum, p.target_key,
                       row_number() OVER (PARTITION BY p.stratum ORDER BY sha256(convert_to(d.seed || '|' || p.target_key, 'UTF8'))) rn,
                       ds.k
                  FROM supervision.draw_population p JOIN supervision.draw d ON d.id = p.draw_id
                  JOIN supervision.draw_stratum ds ON ds.draw_id = p.draw_id AND ds.stratum = p.stratum
                 WHERE p.draw_id = :d1) x WHERE x.rn <= x.k) AS same_as_sql;
SELECT bool_and(ranking_key = supervision.draw_key('2024-03-02 福彩3D 第2024055期 385', target_key)) AS keys_are_sha256
  FROM supervision.draw_selection WHERE draw_id = :d1;
-- every target: 2 inspectors, in order of SHA-256(seed|target|certificate), none recused, none ineligible
SELECT count(DISTINCT target_key) AS targets, count(*) AS assignments,
       bool_and(certificate_no IN ('SC401-1', 'SC401-2', 'SC401-3', 'SC401-4', 'SC401-5', 'SC401-6')) AS only_eligible
  FROM supervision.draw_assignment WHERE draw_id = :d1;
SELECT count(*) AS unordered_teams FROM supervision.draw_assignment a JOIN supervision.draw_assignment b
    ON b.draw_id = a.draw_id AND b.target_key = a.target_key AND b.seq = a.seq + 1
 WHERE a.draw_id = :d1
   AND supervision.draw_key('2024-03-02 福彩3D 第2024055期 385', a.target_key, a.certificate_no)
     > supervision.draw_key('2024-03-02 福彩3D 第2024055期 385', b.target_key, b.certificate_no);
SELECT count(*) AS recused_but_assigned FROM supervision.draw_assignment a
  JOIN supervision.draw_exclusion e USING (draw_id, target_key, certificate_no) WHERE a.draw_id = :d1;
SELECT count(*) AS conflict_pairs_assigned FROM supervision.draw_assignment a
  JOIN supervision.draw_selection s USING (draw_id, target_key)
  JOIN supervision.inspector i ON i.certificate_no = a.certificate_no
  JOIN supervision.inspector_conflict c ON c.inspector_id = i.id AND c.subject_id = s.subject_id
 WHERE a.draw_id = :d1;
SELECT supervision.draw_verify(:d1) AS verified;

--
-- Plan 2: a joint plan of both departments in the same month: one visit per subject,
-- at least one inspector of each department, items never twice
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios, inspectors_per_target)
VALUES ('P2', '2024年3月联合抽查', '{401,402}', ARRAY[:'item1', :'item2'], '2024-03-10', '2024-03-20',
        '{"divisions": ["320102"]}', '{"D": 1, "C": 0.4, "B": 0.2, "A": 0.2}', 3);
SELECT supervision.draw_open(id) AS d2 FROM supervision.inspection_plan WHERE code = 'P2' \gset
SELECT stratum, population, k, selected, short_of_inspectors
  FROM supervision.draw_reveal(:d2, 'seed-P2', 'test', clock_timestamp());
SELECT count(*) AS teams_missing_a_department FROM (
    SELECT a.target_key FROM supervision.draw_assignment a JOIN supervision.draw_inspector di
        ON di.draw_id = a.draw_id AND di.certificate_no = a.certificate_no
     WHERE a.draw_id = :d2 GROUP BY a.target_key HAVING count(DISTINCT di.department_code) < 2) x;
SELECT count(*) FILTER (WHERE n <> 3) AS teams_not_of_3 FROM (
    SELECT count(*) n FROM supervision.draw_assignment WHERE draw_id = :d2 GROUP BY target_key) x;
-- subjects drawn by both plans: one visit carrying both draws, item 1 once
SELECT count(*) AS drawn_by_both,
       count(*) FILTER (WHERE (SELECT count(*) FROM supervision.visit v WHERE v.target_key = s1.target_key) = 1) AS with_one_visit
  FROM supervision.draw_selection s1 JOIN supervision.draw_selection s2 ON s2.target_key = s1.target_key AND s2.draw_id = :d2
 WHERE s1.draw_id = :d1 AND NOT EXISTS (SELECT 1 FROM supervision.draw_shortfall f WHERE f.target_key = s1.target_key);
SELECT count(*) AS visits_with_two_draws FROM (SELECT visit_id FROM supervision.visit_draw GROUP BY visit_id HAVING count(*) = 2) x;
SELECT bool_and(n = 1) AS each_item_once FROM (SELECT count(*) n FROM supervision.visit_item GROUP BY visit_id, item_code) x;
SELECT count(*) AS visits, (SELECT count(DISTINCT subject_id) FROM supervision.visit) AS subjects FROM supervision.visit;
SELECT supervision.draw_verify(:d2) AS verified;

--
-- Results and publication: 20 working days after the check ends
--
SELECT supervision.publication_deadline('2024-03-31') AS deadline_march, supervision.publication_deadline('2024-09-30') AS deadline_national_day;
SELECT (supervision.result_record(v.id, CASE WHEN n % 3 = 0 THEN 'problem_found' WHEN n % 3 = 1 THEN 'no_problem' ELSE 'not_found_at_address' END,
                                  CASE WHEN n % 3 = 0 THEN '未按规定建立进货查验记录' END, '2024-03-25',
                                  CASE WHEN n % 2 = 0 THEN date '2024-04-10' END)).outcome
  FROM (SELECT v.id, row_number() OVER (ORDER BY v.target_key) n FROM supervision.visit v) v
 WHERE n <= 4 ORDER BY n;
SELECT department_code, count(*) AS overdue, min(deadline) AS deadline, min(days_late) AS days_late
  FROM supervision.publication_overdue('2024-06-03') GROUP BY 1 ORDER BY 1;
SELECT count(*) AS overdue_on_2024_04_22 FROM supervision.publication_overdue('2024-04-22');

--
-- Plan 3: exclusion window: Xuanwu subjects visited by 401 in the last 30 days leave the population
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios, exclusion_days)
VALUES ('P3', '2024年4月抽查', '{401}', ARRAY[:'item1'], '2024-04-10', '2024-04-30', '{"divisions": ["320102"]}', '{"D": 1}', 30);
SELECT supervision.draw_open(id) AS d3 FROM supervision.inspection_plan WHERE code = 'P3' \gset
SELECT (SELECT population_size FROM supervision.draw WHERE id = :d3)
     = 30 - (SELECT count(DISTINCT subject_id) FROM supervision.visit) AS visited_subjects_excluded;

--
-- Plan 4: rotation: a subject checked in March is not checked by the same inspector in May
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios)
VALUES ('P4', '2024年5月抽查', '{401}', ARRAY[:'item1'], '2024-05-01', '2024-05-31', '{"divisions": ["320102"]}', '{"D": 1, "C": 1, "A": 1, "B": 1}');
SELECT supervision.draw_open(id) AS d4 FROM supervision.inspection_plan WHERE code = 'P4' \gset
SELECT selected, short_of_inspectors FROM supervision.draw_reveal(:d4, 'seed-P4', 'test', clock_timestamp()) WHERE stratum = 'D';
SELECT reason, count(*) > 0 AS some FROM supervision.draw_exclusion WHERE draw_id = :d4 GROUP BY reason ORDER BY reason;
SELECT count(*) AS same_inspector_twice_in_a_row
  FROM supervision.draw_assignment a
  JOIN supervision.visit v ON v.target_key = a.target_key AND v.check_end <= '2024-03-31'
  JOIN supervision.inspection_result r ON r.visit_id = v.id
  JOIN supervision.visit_inspector vi ON vi.visit_id = v.id AND vi.certificate_no = a.certificate_no
 WHERE a.draw_id = :d4;
SELECT supervision.draw_verify(:d4) AS verified;

--
-- Plan 5: too few inspectors: 4 per target, and 402 has only 3: every target reported, none dropped
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios, inspectors_per_target)
VALUES ('P5', '人手不足', '{402}', ARRAY[:'item2'], '2024-06-01', '2024-06-30', '{"divisions": ["320102"]}', '{"D": 0.4}', 4);
SELECT supervision.draw_open(id) AS d5 FROM supervision.inspection_plan WHERE code = 'P5' \gset
SELECT stratum, selected, short_of_inspectors FROM supervision.draw_reveal(:d5, 'seed-P5', 'test', clock_timestamp()) WHERE selected > 0;
SELECT DISTINCT problem FROM supervision.draw_shortfall WHERE draw_id = :d5;

--
-- Worked example of docs/double-random.md: the 5 subjects of Pukou, class B, ratio 0.3 -> k = 2
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios)
VALUES ('EXAMPLE', '文档示例', '{401}', ARRAY[:'item1'], '2024-07-01', '2024-07-31', '{"divisions": ["320111"]}', '{"B": 0.3}');
SELECT supervision.draw_open(id) AS d6 FROM supervision.inspection_plan WHERE code = 'EXAMPLE' \gset
SELECT stratum || '|' || target_key AS canonical_line FROM supervision.draw_population WHERE draw_id = :d6 ORDER BY (stratum || '|' || target_key) COLLATE "C";
SELECT population_size, population_digest FROM supervision.draw WHERE id = :d6;
SELECT stratum, population, k FROM supervision.draw_reveal(:d6, '20240630-7-12-19-23-28-33', '福彩双色球 2024074期', clock_timestamp()) WHERE population > 0;
SELECT target_key, encode(supervision.draw_key('20240630-7-12-19-23-28-33', target_key), 'hex') AS ranking_key,
       target_key IN (SELECT target_key FROM supervision.draw_selection WHERE draw_id = :d6) AS selected
  FROM supervision.draw_population WHERE draw_id = :d6 ORDER BY 2;
SELECT s.rank, s.target_key, a.seq, a.certificate_no,
       encode(supervision.draw_key('20240630-7-12-19-23-28-33', s.target_key, a.certificate_no), 'hex') AS inspector_key
  FROM supervision.draw_selection s JOIN supervision.draw_assignment a USING (draw_id, target_key)
 WHERE s.draw_id = :d6 ORDER BY s.rank, a.seq;

--
-- Tampering is detected
--
UPDATE supervision.draw_selection SET rank = rank WHERE draw_id = :d1;
DELETE FROM supervision.draw_assignment WHERE draw_id = :d1;
SET session_replication_role = replica;   -- what someone with raw access to the tables could do
UPDATE supervision.draw_selection s SET target_key = p.target_key, subject_id = p.subject_id
  FROM (SELECT target_key, subject_id FROM supervision.draw_population
         WHERE draw_id = :d1 AND stratum = 'B'
           AND target_key NOT IN (SELECT target_key FROM supervision.draw_selection WHERE draw_id = :d1)
         ORDER BY target_key LIMIT 1) p
 WHERE s.draw_id = :d1 AND s.stratum = 'B' AND s.rank = 2;
RESET session_replication_role;
SELECT supervision.draw_verify(:d1) AS verified_after_tampering;
SET session_replication_role = replica;
UPDATE supervision.draw_population_block b SET lines = replace(b.lines, 'B|' || x.k || E'\n', 'C|' || x.k || E'\n')
  FROM (SELECT min(target_key) AS k FROM supervision.draw_population WHERE draw_id = :d2 AND stratum = 'B') x
 WHERE b.draw_id = :d2 AND b.stratum = 'B';
RESET session_replication_role;
SELECT supervision.draw_verify(:d2) AS verified_after_moving_a_target;

--
-- Bad input, one per line
--
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, ratios) VALUES ('BAD1', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', '{"D": 1.5}');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, ratios) VALUES ('BAD2', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', '{"C": -0.1}');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, ratios) VALUES ('BAD3', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', '{"E": 0.1}');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end) VALUES ('BAD4', 'x', '{401}', '{32401999000000}', '2024-01-01', '2024-01-31');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end) VALUES ('BAD5', 'x', '{401}', ARRAY[:'item2'], '2024-01-01', '2024-01-31');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, inspectors_per_target) VALUES ('BAD6', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', 1);
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end) VALUES ('BAD7', 'x', '{499}', ARRAY[:'item1'], '2024-01-01', '2024-01-31');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end) VALUES ('BAD8', 'x', '{401}', ARRAY[:'item1'], '2024-01-31', '2024-01-01');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, min_count, max_count) VALUES ('BAD9', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', 5, 2);
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter) VALUES ('BAD10', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', '{"scale": "large"}');
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter) VALUES ('EMPTY', '苏州无对象', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31', '{"divisions": ["320500"]}');
SELECT supervision.draw_open(id) FROM supervision.inspection_plan WHERE code = 'EMPTY';
SELECT supervision.draw_open(id) FROM supervision.inspection_plan WHERE code = 'P1';
SELECT supervision.draw_open(-1);
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter) VALUES ('NOSEED', 'x', '{401}', ARRAY[:'item1'], '2024-08-01', '2024-08-31', '{"divisions": ["320102"]}');
SELECT supervision.draw_open(id) AS d7 FROM supervision.inspection_plan WHERE code = 'NOSEED' \gset
SELECT * FROM supervision.draw_reveal(:d7, NULL, 'test', clock_timestamp());
SELECT * FROM supervision.draw_reveal(:d7, '  ', 'test', clock_timestamp());
SELECT * FROM supervision.draw_reveal(:d7, 'seed', NULL, clock_timestamp());
SELECT * FROM supervision.draw_reveal(:d7, 'seed', 'test', '2020-01-01 00:00+08');
SELECT * FROM supervision.draw_reveal(:d1, 'another seed', 'test', clock_timestamp());
UPDATE supervision.inspection_plan SET ratios = '{"D": 0.5}' WHERE code = 'P1';
SELECT supervision.result_record(-1, 'no_problem', NULL, '2024-03-25');
SELECT supervision.result_record((SELECT min(id) FROM supervision.visit), 'problem_found', NULL, '2024-03-25');
SELECT supervision.result_record((SELECT min(id) FROM supervision.visit), 'fine', NULL, '2024-03-25');
SELECT * FROM supervision.sampling_draw(:d1, 'seed', 'sometimes');
SELECT supervision.draw_key('seed', NULL);

--
-- Who sees what: the public sees plans, draws, selections and published results, not the tables
--
SET ROLE supervision_api_anon;
SELECT plan_code, status, population_size, seed IS NOT NULL AS has_seed FROM supervision.public_draw ORDER BY id;
SELECT count(*) AS public_population_rows FROM supervision.public_draw_population WHERE draw_id = :d6;
SELECT outcome, details, checked_on, published_on, jsonb_array_length(inspectors) AS inspectors
  FROM supervision.public_result ORDER BY visit_id;
SELECT supervision.draw_verify(:d6) AS anyone_can_verify;
SELECT count(*) FROM supervision.draw_selection;
RESET ROLE;
CREATE ROLE samp_off_402 LOGIN IN ROLE supervision_officer;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('samp_off_402', '402');
SET ROLE samp_off_402;
SELECT p.code FROM supervision.inspection_plan p ORDER BY p.id;
SELECT count(DISTINCT draw_id) AS draws_seen FROM supervision.draw_selection;
SELECT supervision.draw_open(id) FROM supervision.inspection_plan WHERE code = 'P1';
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end) VALUES ('OTHER', 'x', '{401}', ARRAY[:'item1'], '2024-01-01', '2024-01-31');
RESET ROLE;

--
-- Uniformity: 2,000 fixed seeds, 10 targets, 3 drawn each time; every target's
-- frequency against 600 expected; chi-square with 9 degrees of freedom below
-- its 0.1% critical value 27.877
--
WITH t AS (SELECT 'T' || lpad(i::text, 2, '0') AS key FROM generate_series(1, 10) i),
     r AS (SELECT s, t.key, row_number() OVER (PARTITION BY s ORDER BY supervision.draw_key('uniform-' || s, t.key)) AS rn
             FROM generate_series(1, 2000) s CROSS JOIN t),
     f AS (SELECT t.key, count(r.key) AS n FROM t LEFT JOIN r ON r.key = t.key AND r.rn <= 3 GROUP BY t.key)
SELECT count(*) AS targets, min(n) AS min_freq, max(n) AS max_freq,
       round(sum((n - 600.0) ^ 2 / 600.0), 3) AS chi_square, sum((n - 600.0) ^ 2 / 600.0) < 27.877 AS uniform
  FROM f;

-- The extension's SHA-256 is the server's sha256(), with the CPU's SHA instructions
-- (when it has them) and with the portable code: messages of 0 to 278 bytes (up to
-- five blocks, every padding case), ASCII and Chinese text; a whole draw verified
-- with the portable code
CREATE TEMP TABLE sha_messages AS
SELECT left(repeat(md5(i::text) || CASE WHEN i % 3 = 0 THEN '抽查' ELSE '' END, 12), i % 251) AS m
  FROM generate_series(0, 1999) i;
SELECT count(*) AS messages, max(octet_length(m)) AS longest,
       count(*) FILTER (WHERE supervision.draw_key(m) <> sha256(convert_to(m, 'UTF8'))) AS different
  FROM sha_messages;
SET supervision.sha256_code = portable;
SELECT count(*) FILTER (WHERE supervision.draw_key(m) <> sha256(convert_to(m, 'UTF8'))) AS different_portable FROM sha_messages;
SELECT supervision.draw_verify(:d6) AS verified_with_portable_code;
RESET supervision.sha256_code;
SELECT encode(supervision.draw_key(''), 'hex') AS empty_message,
       supervision.draw_key('seed', 'a', 'b') = sha256('seed|a|b') AS parts_joined_by_bar;

-- A credit code held by two subjects is one target: the subject with the smaller id, in its class
INSERT INTO supervision.subject (uscc, name, division_code, industry_code)
SELECT p17 || supervision.uscc_check_char(p17), '抽查重复代码企业' || n, '320104', 'C13'
  FROM (SELECT '91320100' || pg_temp.org_code('07009001') AS p17) c, generate_series(1, 2) n;
INSERT INTO supervision.subject_credit_class (subject_id, class, assessed_on, model)
SELECT id, CASE WHEN name LIKE '%1' THEN 'D' ELSE 'A' END, '2024-01-01', 'test' FROM supervision.subject WHERE name LIKE '抽查重复代码企业%';
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter)
VALUES ('DUPLICATE', '重复代码', '{401}', ARRAY[:'item1'], '2024-09-01', '2024-09-30', '{"divisions": ["320104"]}');
SELECT supervision.draw_open(id) AS d8 FROM supervision.inspection_plan WHERE code = 'DUPLICATE' \gset
SELECT p.stratum, s.name FROM supervision.draw_population p JOIN supervision.subject s ON s.id = p.subject_id WHERE p.draw_id = :d8;

-- A population of 70,000 subjects (sorted and stored in more than one block): the
-- stored list is the canonical one, its digest the one plain SQL computes, and the
-- draw is what plain SQL selects and verifies
INSERT INTO supervision.subject (uscc, name, division_code, industry_code)
SELECT p17 || supervision.uscc_check_char(p17), '抽查大样本企业' || i, '320105', 'C13'
  FROM generate_series(1, 70000) i,
       LATERAL (SELECT '91320100' || pg_temp.org_code(lpad((20000000 + i * 7)::text, 8, '0')) AS p17) c;
INSERT INTO supervision.inspection_plan (code, title, departments, items, check_start, check_end, filter, ratios)
VALUES ('LARGE', '大样本', '{401}', ARRAY[:'item1'], '2024-10-01', '2024-10-31', '{"divisions": ["320105"]}', '{"B": 0.001}');
SELECT supervision.draw_open(id) AS d9 FROM supervision.inspection_plan WHERE code = 'LARGE' \gset
SELECT d.population_size,
       (SELECT count(*) FROM supervision.draw_population_block b WHERE b.draw_id = d.id) > 1 AS several_blocks,
       d.population_digest = encode(sha256(convert_to(
           (SELECT string_agg(stratum || '|' || target_key || E'\n', '' ORDER BY stratum || '|' || target_key COLLATE "C")
              FROM supervision.draw_population WHERE draw_id = d.id), 'UTF8')), 'hex') AS digest_matches
  FROM supervision.draw d WHERE d.id = :d9;
SELECT stratum, k, selected FROM supervision.draw_reveal(:d9, '2024-10-01 大样本', 'test', clock_timestamp()) WHERE population > 0;
SELECT (SELECT array_agg(target_key ORDER BY rank) FROM supervision.draw_selection WHERE draw_id = :d9)
     = (SELECT array_agg(target_key) FROM (SELECT target_key FROM supervision.draw_population WHERE draw_id = :d9
                                            ORDER BY sha256(convert_to('2024-10-01 大样本|' || target_key, 'UTF8')) LIMIT 70) x) AS same_as_sql,
       supervision.draw_verify(:d9) AS verified;

-- every table, view and function of the capability has a comment
SELECT c.relname AS missing_comment FROM pg_class c
 WHERE c.relnamespace = 'supervision'::regnamespace AND c.relkind IN ('r', 'v')
   AND (c.relname LIKE 'draw%' OR c.relname LIKE 'visit%' OR c.relname LIKE 'public\_%' OR c.relname IN
        ('subject_credit_class', 'risk_ratio_default', 'random_item', 'target_scope', 'target_directory',
         'inspector_conflict', 'inspection_plan', 'inspection_result', 'publication_overdue_today'))
   AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'supervision'::regnamespace
   AND (p.proname LIKE 'draw%' OR p.proname LIKE 'sampling%' OR p.proname LIKE 'visit%' OR p.proname LIKE 'publication%'
        OR p.proname IN ('result_record', 'inspection_plan_check'))
   AND obj_description(p.oid, 'pg_proc') IS NULL;
