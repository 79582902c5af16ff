-- Record matching and clustering (extension/match.c, extension/cluster.c,
-- sql/matching.sql, docs/matching.md): models, match_explain/match_score,
-- match_train, match_candidates, cluster_pairs, resolve_entities with
-- decisions; bad input one per line.
SET search_path = supervision, public;
SET client_min_messages = notice;
\set SHOW_CONTEXT never
\pset null '<null>'

--
-- The default model
--
SELECT id, name, prior, round(upper::numeric, 4) AS upper, round(lower::numeric, 4) AS lower,
       is_default, builtin, training IS NULL AS hand_set
FROM match_model ORDER BY id;
-- every level of every field, with its weight log2(m/u)
SELECT f.key AS field, l.key AS level, (l.value->>'m')::float8 AS m, (l.value->>'u')::float8 AS u,
       round(log(2, ((l.value->>'m')::numeric / (l.value->>'u')::numeric)), 2) AS weight
FROM match_model mm, jsonb_each(mm.comparisons) f, jsonb_each(f.value) l
WHERE mm.id = 1 ORDER BY f.key, weight DESC;

--
-- A small table of company records with known truth (column truth)
--
CREATE TABLE mat_co (id text, name text, uscc text, address text, division_code text,
                     legal_representative text, truth text, note text);
INSERT INTO mat_co VALUES
 -- A: one company written three ways: region prefix, traditional characters, org-form variant, mistyped credit code
 ('a1', '南京华泰科技有限公司',           '91320102MA1XK3P051', '南京市玄武区中山路100号',       '320102', '张伟', 'A', 'reference record'),
 ('a2', '江苏省南京市華泰科技有限公司',   NULL,                 '南京市玄武区中山路100号',       '320102', '張偉', 'A', 'province prefix, traditional, no code'),
 ('a3', '南京华泰科技有限责任公司',       '91320102MA1XK3P015', '玄武区中山路100号',             '320102', NULL,   'A', 'org form, last two characters of the code swapped'),
 -- B: a branch of A: a distinct entity, written twice
 ('b1', '南京华泰科技有限公司鼓楼分公司', '91320106MA1YB7Q20L', '南京市鼓楼区北京西路5号',       '320106', '李强', 'B', 'branch'),
 ('b2', '南京華泰科技有限公司鼓樓分公司', '91320106MA1YB7Q20L', '南京市鼓楼区北京西路5号',       '320106', '李强', 'B', 'branch, traditional'),
 ('b3', '华泰科技有限公司玄武区分公司',   NULL,                 '南京市玄武区中山路102号',       '320102', '张伟', 'K', 'another branch, next door to the head office, same person in charge'),
 -- C: a homophone typo (辉/晖, both hui)
 ('c1', '苏州金辉建材有限公司',           NULL,                 '苏州市吴中区东吴北路18号',      '320506', '王芳', 'C', 'reference record'),
 ('c2', '苏州金晖建材有限公司',           NULL,                 '苏州市吴中区东吴北路18号',      '320506', '王芳', 'C', 'homophone typo'),
 -- D: a different company with a similar name in the same county
 ('d1', '苏州金辉建设有限公司',           '91320508MA2C9E13X9', '苏州市吴中区宝带东路9号',       '320506', '赵军', 'D', 'similar name, different company'),
 -- E: region prefix dropped
 ('e1', '无锡市宏达机械制造厂',           '91320205135792463F', '无锡市锡山区东亭路8号',         '320205', '陈明', 'E', 'reference record'),
 ('e2', '宏达机械制造厂',                 '91320205135792463F', '锡山区东亭路8号',               '320205', NULL,   'E', 'no city prefix'),
 -- F, G: same trade name and industry in two cities: two companies
 ('f1', '南京恒通物流有限公司',           NULL,                 '南京市秦淮区中华路50号',        '320104', '刘洋', 'F', 'same core as g1'),
 ('g1', '苏州恒通物流有限公司',           NULL,                 '苏州市姑苏区干将路300号',       '320508', '周杰', 'G', 'same core as f1'),
 -- H: full-width letters and a full-width credit code, nothing else
 ('h1', '南京ABC贸易有限公司',            '91320111MA27HJ6186', '南京市浦口区江浦街道1号',       '320111', '孙丽', 'H', 'reference record'),
 ('h2', '南京ａｂｃ贸易有限公司',         '９１３２０１１１ＭＡ２７ＨＪ６１８６', NULL,          NULL,     NULL,   'H', 'full width'),
 -- singletons
 ('i1', '南京建邺绿源餐饮管理有限公司',   '91320105MA1NPQ381B', '南京市建邺区江东中路88号',      '320105', '吴敏', 'I', 'alone'),
 ('j1', '南京市江宁区老张面馆',           '92320115L2M3N4P5XK', '南京市江宁区东山街道竹山路6号', '320115', '张三', 'J', 'alone');

-- each record's entity; entities numbered by their smallest id
SELECT r.record_id, r.entity_id, c.truth, round(r.confidence::numeric, 3) AS confidence, c.note
FROM resolve_entities('mat_co') r JOIN mat_co c ON c.id = r.record_id
ORDER BY r.entity_id, r.record_id;
-- the entities agree with the truth: no entity holds two truths, no truth is split
SELECT count(DISTINCT r.entity_id) AS entities, count(DISTINCT c.truth) AS truths,
       count(DISTINCT (r.entity_id, c.truth)) AS entity_truth_pairs
FROM resolve_entities('mat_co') r JOIN mat_co c ON c.id = r.record_id;

-- a record's confidence is P(match) of its strongest link inside its entity (1 when alone)
SELECT bool_and(r.confidence = coalesce((SELECT max(c.probability)
                                          FROM match_candidates('mat_co') c
                                          JOIN resolve_entities('mat_co') o ON o.record_id IN (c.id_a, c.id_b)
                                          WHERE r.record_id IN (c.id_a, c.id_b) AND o.record_id <> r.record_id
                                            AND o.entity_id = r.entity_id AND c.decision = 'match'), 1)) AS confidence_rule
FROM resolve_entities('mat_co') r;

-- the candidate pairs and their decisions
SELECT id_a, id_b, round(score::numeric, 2) AS score, round(probability::numeric, 4) AS probability, decision
FROM match_candidates('mat_co', include_nonmatch => true) ORDER BY id_a, id_b;
-- without include_nonmatch: matches and review only
SELECT id_a, id_b, decision FROM match_candidates('mat_co') ORDER BY id_a, id_b;

--
-- match_explain and match_score
--
-- a head office and its branch: same core apart from the branch, but a branch is a distinct entity
SELECT field, value_a, value_b, comparison, level, round(weight::numeric, 2) AS weight
FROM match_explain(
    (SELECT to_jsonb(c) - 'truth' - 'note' FROM mat_co c WHERE id = 'a1'),
    (SELECT to_jsonb(c) - 'truth' - 'note' FROM mat_co c WHERE id = 'b1'));
-- the homophone typo
SELECT field, value_a, value_b, comparison, level, round(weight::numeric, 2) AS weight
FROM match_explain(
    (SELECT to_jsonb(c) - 'truth' - 'note' FROM mat_co c WHERE id = 'c1'),
    (SELECT to_jsonb(c) - 'truth' - 'note' FROM mat_co c WHERE id = 'c2'));
-- a credit code with a typo, division prefix-only codes, missing fields
SELECT field, value_a, value_b, comparison, level, round(weight::numeric, 2) AS weight
FROM match_explain('{"name": "江苏天成食品有限公司", "uscc": "91320104MA1R2T45XR", "division_code": "32"}',
                   '{"name": "天成食品有限公司", "uscc": "91320104MA1R2T46XR", "division_code": "320104", "address": null}');
-- match_score is the total of match_explain
SELECT round(match_score(a, b)::numeric, 6) = (SELECT round(weight::numeric, 6) FROM match_explain(a, b) WHERE field = 'total') AS same_total
FROM (SELECT to_jsonb(x) - 'truth' - 'note' AS a, to_jsonb(y) - 'truth' - 'note' AS b
      FROM mat_co x, mat_co y WHERE x.id = 'a1' AND y.id = 'a2') p;
-- symmetric
SELECT match_score('{"name": "南京华泰科技有限公司", "address": "南京市玄武区中山路100号"}',
                   '{"name": "华泰科技有限公司", "address": "玄武区中山路100号"}')
     = match_score('{"name": "华泰科技有限公司", "address": "玄武区中山路100号"}',
                   '{"name": "南京华泰科技有限公司", "address": "南京市玄武区中山路100号"}') AS symmetric;
SELECT match_score(NULL, '{"name": "x"}') AS null_in_null_out;

--
-- Human decisions stick: "not the same" splits, "same" joins
--
CREATE TABLE mat_decision (id_a text, id_b text, same boolean);
INSERT INTO mat_decision VALUES
    ('a1', 'a2', false),      -- a2 may not join a1: it stays apart from a1 and from a3, which joins a1
    ('g1', 'f1', true),       -- two records the model keeps apart, joined by a person
    ('zz', 'a1', true),       -- an id that is not among the records: ignored
    ('c1', 'c2', NULL);       -- no decision: ignored
SELECT r.record_id, r.entity_id, round(r.confidence::numeric, 3) AS confidence
FROM resolve_entities('mat_co', decisions => 'mat_decision') r
WHERE r.record_id IN ('a1', 'a2', 'a3', 'f1', 'g1', 'c1', 'c2') ORDER BY r.record_id;
-- "same" decisions that contradict "not the same" ones are not applied (warning)
INSERT INTO mat_decision VALUES ('a2', 'b1', true), ('b1', 'a1', true);
SELECT r.record_id, r.entity_id FROM resolve_entities('mat_co', decisions => 'mat_decision') r
WHERE r.record_id IN ('a1', 'a2', 'a3', 'b1', 'b2') ORDER BY r.record_id;

-- blocking keys shared by more than max_block records are skipped, with a notice;
-- pairs that share another key are still compared
SELECT id_a, id_b, decision FROM match_candidates('mat_co', max_block => 2) ORDER BY id_a, id_b;

--
-- Results do not depend on physical row order
--
CREATE TABLE mat_co_rev AS SELECT * FROM mat_co ORDER BY id DESC;
SELECT (SELECT array_agg(r ORDER BY r.record_id) FROM resolve_entities('mat_co') r)
     = (SELECT array_agg(r ORDER BY r.record_id) FROM resolve_entities('mat_co_rev') r) AS same_result;

--
-- Only id and name are required; extra columns are ignored; any text-like type or domain
--
CREATE TABLE mat_min (id varchar(10), name text, extra int);
INSERT INTO mat_min VALUES ('1', '南京华泰科技有限公司', 1), ('2', '华泰科技有限公司', 2), ('3', '苏州金辉建材有限公司', 3);
SELECT * FROM resolve_entities('mat_min') ORDER BY record_id;
CREATE VIEW mat_view AS SELECT id, name, uscc::supervision.uscc AS uscc FROM mat_co WHERE supervision.uscc_valid(uscc);
SELECT count(*) AS records, count(DISTINCT entity_id) AS entities FROM resolve_entities('mat_view');
-- a table of names only: the same registered name is one entity; the same trade name
-- under another division or organisation form is not enough on its own
CREATE TABLE mat_names (id text, name text);
INSERT INTO mat_names VALUES ('1', '南京华泰科技有限公司'), ('2', '南京华泰科技有限公司'), ('3', '南京華泰科技有限公司'),
    ('4', '苏州华泰科技有限公司'), ('5', '南京华泰科技股份有限公司');
SELECT record_id, dense_rank() OVER (ORDER BY entity_id) AS entity FROM resolve_entities('mat_names') ORDER BY record_id;
-- names that are only divisions and organisation forms name nobody: never linked by name
CREATE TABLE mat_junk (id text, name text, uscc text);
INSERT INTO mat_junk VALUES ('1', '个体工商户', NULL), ('2', '个体工商户', NULL), ('3', '有限公司', NULL), ('4', '有限公司', NULL),
    ('5', '个体工商户', '91320104MA1R2T45XR'), ('6', '个体工商户', '91320104MA1R2T45XR');
SELECT record_id, dense_rank() OVER (ORDER BY entity_id) AS entity FROM resolve_entities('mat_junk') ORDER BY record_id;
SELECT field, value_a, value_b, comparison, level, round(weight::numeric, 2) AS weight
FROM match_explain('{"name": "个体工商户"}', '{"name": "个体工商户"}') WHERE field IN ('name', 'total');
SELECT field, comparison, level FROM match_explain('{"name": "有限公司"}', '{"name": "南京华泰科技有限公司"}') WHERE field = 'name';
CREATE TABLE mat_empty (id text, name text);
SELECT count(*) FROM resolve_entities('mat_empty');
SELECT count(*) FROM match_candidates('mat_empty');

--
-- Training: EM on a generated table of 300 companies and 100 noisy duplicates
--
CREATE FUNCTION pg_temp.mat_uscc(n int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    body text := lpad(n::text, 8, '0');
    w int[] := '{3,7,9,10,5,8,4,2}';
    s int := 0;
    c int;
    p text;
BEGIN
    FOR i IN 1..8 LOOP s := s + substr(body, i, 1)::int * w[i]; END LOOP;
    c := 11 - s % 11;
    p := '91320100' || body || CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END;
    RETURN p || supervision.uscc_check_char(p);
END
$$;
-- companies 3k, 3k + 1 and 3k + 2 share trade name and industry, in three cities;
-- every third company has a noisy duplicate
CREATE TABLE mat_train AS
WITH company AS (
    SELECT i,
           (ARRAY['华','兴','达','丰','宝','龙','金','恒','新','鑫','瑞','宏','天','长','联','中','嘉'])[i / 3 % 17 + 1]
        || (ARRAY['盛','源','泰','成','安','博','通','信','德','和','海','美','隆','昌','福','利','发','汇','光'])[i / 3 * 7 % 19 + 1] AS trade,
           (ARRAY['科技','贸易','建材','物流','餐饮管理','机械制造'])[i / 3 % 6 + 1] AS industry,
           (ARRAY['南京','苏州','无锡'])[i % 3 + 1] AS city,
           (ARRAY[['320102','320104','320105','320106'], ['320505','320506','320507','320508'],
                  ['320205','320206','320211','320213']])[i % 3 + 1][i / 3 % 4 + 1] AS division,
           (ARRAY[['玄武区','秦淮区','建邺区','鼓楼区'], ['虎丘区','吴中区','相城区','姑苏区'],
                  ['锡山区','惠山区','滨湖区','新吴区']])[i % 3 + 1][i / 3 % 4 + 1] AS district,
           (ARRAY['中山路','人民路','解放路','长江路','建设路','和平路','太湖路','黄河路','珠江路'])[i % 9 + 1] || (i % 97 + 1) || '号' AS street,
           (ARRAY['张','王','李','赵','陈','刘','杨','黄','周','吴','徐'])[i % 11 + 1]
        || (ARRAY['伟','芳','娜','敏','静','强','磊','军','洋','勇','艳','杰','涛'])[i % 13 + 1] AS rep
    FROM generate_series(1, 300) i)
SELECT 'r' || lpad(i::text, 3, '0') AS id, city || trade || industry || '有限公司' AS name,
       CASE WHEN i % 10 < 7 THEN pg_temp.mat_uscc(i) END AS uscc,
       city || '市' || district || street AS address, division AS division_code, rep AS legal_representative,
       i AS truth
FROM company
UNION ALL
SELECT 'd' || lpad(i::text, 3, '0'),
       CASE (i / 3) % 4
           WHEN 0 THEN '江苏省' || city || '市' || trade || industry || '有限公司'
           WHEN 1 THEN trade || industry || '有限公司'
           WHEN 2 THEN city || trade || industry || '有限责任公司'
           ELSE translate(city || trade || industry || '有限公司', '华兴达丰宝龙长联贸', '華興達豐寶龍長聯貿') END,
       CASE WHEN i % 10 < 7 AND i % 2 = 0 THEN pg_temp.mat_uscc(i) END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE district || street END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE division END,
       CASE WHEN i % 2 = 1 THEN rep END,
       i
FROM company WHERE i % 3 = i / 3 % 3;
SELECT count(*) AS records, count(DISTINCT truth) AS companies FROM mat_train;

SELECT match_train('mat_train', name => 'regression') AS trained_id \gset
SELECT name, is_default, builtin, created_by = current_user AS created_by_caller,
       training->>'records' AS records, (training->>'converged')::boolean AS converged,
       (training->>'pairs')::int = (training->>'candidate_pairs')::int AS all_pairs_used,
       prior > 0 AND prior < 1 AS prior_in_range, lower < upper AS thresholds_ordered
FROM match_model WHERE id = :trained_id;
-- m > u for the levels where the two records agree
SELECT f.key AS field, l.key AS level, (l.value->>'m')::float8 > (l.value->>'u')::float8 AS m_above_u
FROM match_model mm, jsonb_each(mm.comparisons) f, jsonb_each(f.value) l
WHERE mm.id = :trained_id
  AND (f.key, l.key) IN (('uscc', 'equal'), ('name', 'exact'), ('address', 'sim>=0.90'),
                         ('division', 'county'), ('legal_representative', 'exact'))
ORDER BY 1, 2;
-- m < u where they disagree
SELECT f.key AS field, l.key AS level, (l.value->>'m')::float8 < (l.value->>'u')::float8 AS m_below_u
FROM match_model mm, jsonb_each(mm.comparisons) f, jsonb_each(f.value) l
WHERE mm.id = :trained_id
  AND (f.key, l.key) IN (('uscc', 'different'), ('name', 'other'), ('legal_representative', 'different'))
ORDER BY 1, 2;
-- the thresholds follow the documented rule
SELECT round(upper::numeric, 9) = round(log(2, (19 * (1 - prior) / prior)::numeric), 9) AS upper_rule,
       round(lower::numeric, 9) = round(log(2, ((1 - prior) / prior)::numeric), 9) AS lower_rule
FROM match_model WHERE id = :trained_id;
-- pairwise quality of the trained and of the default model against the truth
CREATE FUNCTION pg_temp.mat_quality(p_model bigint, p_train boolean DEFAULT false)
RETURNS TABLE (true_pairs bigint, found_pairs bigint, correct_pairs bigint) LANGUAGE sql AS $$
    WITH r AS (SELECT * FROM supervision.resolve_entities('mat_train', p_model, train => p_train)),
    t AS (SELECT a.id AS x, b.id AS y FROM mat_train a JOIN mat_train b ON a.truth = b.truth AND a.id < b.id),
    f AS (SELECT a.record_id AS x, b.record_id AS y FROM r a JOIN r b ON a.entity_id = b.entity_id AND a.record_id < b.record_id)
    SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM f), (SELECT count(*) FROM t JOIN f USING (x, y))
$$;
SELECT 'trained' AS model, * FROM pg_temp.mat_quality(:trained_id)
UNION ALL SELECT 'default', * FROM pg_temp.mat_quality(NULL)
UNION ALL SELECT 'train => true', * FROM pg_temp.mat_quality(NULL, true);
-- a sample of at most max_pairs pairs, deterministically
SELECT match_train('mat_train', max_pairs => 50, iterations => 5) AS small_id \gset
SELECT (training->>'pairs')::int BETWEEN 20 AND 80 AS about_50_pairs, (training->>'iterations')::int <= 5 AS capped
FROM match_model WHERE id = :small_id;

-- the default model: one at a time
UPDATE match_model SET is_default = true WHERE id = :trained_id;
SELECT id = :trained_id AS trained, is_default FROM match_model ORDER BY id;
UPDATE match_model SET is_default = true WHERE id = 1;
SELECT id, is_default FROM match_model WHERE is_default;
DELETE FROM match_model WHERE id IN (:trained_id, :small_id);

-- only administrators write models; officers and auditors read them
CREATE ROLE mat_officer IN ROLE supervision_officer;
CREATE ROLE mat_admin IN ROLE supervision_admin;
GRANT SELECT ON mat_co TO mat_officer, mat_admin;
SET ROLE mat_officer;
SELECT count(*) AS models_visible FROM match_model;
SELECT count(*) AS resolved_by_officer FROM resolve_entities('mat_co');
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'mine', comparisons, prior, upper, lower FROM match_model WHERE id = 1;
SELECT match_train('mat_co');
RESET ROLE;
SET ROLE mat_admin;
SELECT match_train('mat_co', name => 'by admin') > 1 AS admin_trains;
RESET ROLE;
DELETE FROM match_model WHERE name = 'by admin';

--
-- cluster_pairs
--
-- strongest first; a cannot-link stops a transitive merge: x-y joins, y-z would put x and z together
SELECT * FROM cluster_pairs(ARRAY['x', 'y'], ARRAY['y', 'z'], ARRAY[0.9, 0.8], ARRAY['x'], ARRAY['z']) ORDER BY id;
-- the order matters: now y-z is stronger, so x stays apart
SELECT * FROM cluster_pairs(ARRAY['x', 'y'], ARRAY['y', 'z'], ARRAY[0.8, 0.9], ARRAY['x'], ARRAY['z']) ORDER BY id;
-- a must-link (+Infinity) is taken first: x-z joins, so y, which may not be with z, stays apart
SELECT * FROM cluster_pairs(ARRAY['x', 'y', 'x'], ARRAY['y', 'z', 'z'], ARRAY[0.9, 0.8, 'Infinity'],
                            ARRAY['y'], ARRAY['z']) ORDER BY id;
-- a cannot-link between clusters built of several pairs; ids only in cannot-links are singletons
SELECT * FROM cluster_pairs(ARRAY['a', 'b', 'd', 'e', 'c'], ARRAY['b', 'c', 'e', 'f', 'd'], ARRAY[5, 4, 3, 2, 1],
                            ARRAY['a', 'q'], ARRAY['f', 'r']) ORDER BY id;
-- the root is the smallest id in byte order; pairs of an id with itself join nothing
SELECT * FROM cluster_pairs(ARRAY['b', 'm', 'Z'], ARRAY['a', 'm', 'b'], ARRAY[1, 1, 1]) ORDER BY id COLLATE "C";
SELECT * FROM cluster_pairs(NULL, NULL, NULL);
SELECT count(*) FROM cluster_pairs(ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::float8[]);
-- a chain of 10000 pairs is one cluster
SELECT count(DISTINCT cluster_root) AS clusters, min(cluster_root) AS root
FROM cluster_pairs(ARRAY(SELECT lpad(i::text, 5, '0') FROM generate_series(1, 10000) i),
                   ARRAY(SELECT lpad((i + 1)::text, 5, '0') FROM generate_series(1, 10000) i),
                   ARRAY(SELECT (i % 7)::float8 FROM generate_series(1, 10000) i));

--
-- Bad input, one per line
--
CREATE TABLE mat_noname (id text, title text);
CREATE TABLE mat_noid (name text);
CREATE TABLE mat_intid (id int, name text);
CREATE TABLE mat_badcol (id text, name text, division_code int);
CREATE TABLE mat_nullid (id text, name text);
INSERT INTO mat_nullid VALUES ('1', '南京华泰科技有限公司'), (NULL, '苏州金辉建材有限公司');
CREATE TABLE mat_nullname (id text, name text);
INSERT INTO mat_nullname VALUES ('1', '南京华泰科技有限公司'), ('2', NULL);
CREATE TABLE mat_dup (id text, name text);
INSERT INTO mat_dup VALUES ('1', '南京华泰科技有限公司'), ('2', '苏州金辉建材有限公司'), ('1', '无锡宏达机械制造厂');
CREATE TABLE mat_baddecision (id_a text, id_b text, same text);
CREATE SEQUENCE mat_seq;
SELECT * FROM resolve_entities('mat_noname');
SELECT * FROM resolve_entities('mat_noid');
SELECT * FROM resolve_entities('mat_intid');
SELECT * FROM resolve_entities('mat_badcol');
SELECT * FROM resolve_entities('mat_nullid');
SELECT * FROM resolve_entities('mat_nullname');
SELECT * FROM resolve_entities('mat_dup');
SELECT * FROM match_candidates('mat_dup');
SELECT match_train('mat_dup');
SELECT * FROM resolve_entities('mat_seq');
SELECT * FROM resolve_entities('mat_no_such_table');
SELECT * FROM resolve_entities(NULL);
SELECT * FROM resolve_entities('mat_co', decisions => 'mat_baddecision');
SELECT * FROM resolve_entities('mat_co', decisions => 'mat_noname');
SELECT * FROM resolve_entities('mat_co', model_id => 999);
SELECT * FROM resolve_entities('mat_co', model_id => 1, train => true);
SELECT * FROM resolve_entities('mat_co', max_block => 1);
SELECT match_train('mat_empty');
SELECT match_train('mat_co', max_pairs => 0);
SELECT match_train('mat_co', iterations => 0);
SELECT match_score('[]', '{"name": "x"}');
SELECT match_score('"南京华泰科技有限公司"', '{"name": "x"}');
SELECT match_score('{"name": "x"}', '42');
SELECT match_score('{"nme": "南京华泰科技有限公司"}', '{"name": "x"}');
SELECT match_score('{"name": 42}', '{"name": "x"}');
SELECT match_score('{"name": "x", "division_code": 320102}', '{"name": "x"}');
SELECT match_score('{"name": "x", "uscc": ["91320102MA1XK3P051"]}', '{"name": "x"}');
SELECT match_score('{"name": "x", "address": {"road": "中山路"}}', '{"name": "x"}');
SELECT match_score('{"name": "x", "legal_representative": true}', '{"name": "x"}');
SELECT match_score('{"uscc": "91320102MA1XK3P051"}', '{"name": "x"}');
SELECT match_score('{"name": null}', '{"name": "x"}');
SELECT match_score('{"name": "x"}', '{"name": "x"}', 999);
SELECT * FROM match_explain('{"name": "x"}', '{"name": "x", "id": 7}');
SELECT * FROM cluster_pairs(ARRAY['a', 'b'], ARRAY['b'], ARRAY[1.0, 2.0]);
SELECT * FROM cluster_pairs(ARRAY['a'], ARRAY[NULL], ARRAY[1.0]);
SELECT * FROM cluster_pairs(ARRAY['a'], ARRAY['b'], ARRAY['NaN'::float8]);
SELECT * FROM cluster_pairs(ARRAY['a'], ARRAY['b'], ARRAY[1.0], ARRAY['a'], ARRAY['a']);
SELECT * FROM cluster_pairs(ARRAY['a'], ARRAY['b'], ARRAY[1.0], ARRAY['a'], NULL);
SELECT * FROM cluster_pairs(ARRAY[['a']], ARRAY[['b']], ARRAY[[1.0]]);
-- models that are not valid are refused
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'no level', comparisons #- '{uscc,near}', prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'no field', comparisons - 'branch', prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'extra field', comparisons || '{"phone": {}}', prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'extra level', jsonb_set(comparisons, '{uscc,typo}', '{"m": 0.1, "u": 0.1}'), prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'zero u', jsonb_set(comparisons, '{uscc,near,u}', '0'), prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'string m', jsonb_set(comparisons, '{uscc,near,m}', '"0.07"'), prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'sum', jsonb_set(comparisons, '{uscc,near,m}', '0.5'), prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'extra key', jsonb_set(comparisons, '{uscc,near,w}', '1'), prior, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'array', '[]', prior, upper, lower FROM match_model WHERE id = 1;
\set VERBOSITY terse
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'prior', comparisons, 1, upper, lower FROM match_model WHERE id = 1;
INSERT INTO match_model (name, comparisons, prior, upper, lower)
    SELECT 'thresholds', comparisons, prior, lower, upper FROM match_model WHERE id = 1;
\set VERBOSITY default
SELECT count(*) AS models FROM match_model;
-- no default model
UPDATE match_model SET is_default = false;
SELECT match_score('{"name": "x"}', '{"name": "x"}');
UPDATE match_model SET is_default = true WHERE id = 1;

-- documented
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
FROM pg_proc p WHERE p.pronamespace = 'supervision'::regnamespace
  AND p.proname IN ('match_model_check', 'match_score', 'match_explain', 'match_train', 'match_candidates',
                    'resolve_entities', 'cluster_pairs', 'match_model_one_default')
ORDER BY 1::text;

DROP TABLE mat_co, mat_co_rev, mat_decision, mat_min, mat_names, mat_junk, mat_empty, mat_train, mat_noname, mat_noid, mat_intid,
    mat_badcol, mat_nullid, mat_nullname, mat_dup, mat_baddecision CASCADE;
DROP SEQUENCE mat_seq;
DROP ROLE mat_officer, mat_admin;
