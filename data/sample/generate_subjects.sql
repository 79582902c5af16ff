-- Generates realistic Chinese enterprise records with known truth, for the
-- demo and the benchmarks (not part of the extension).
--
--   psql -v entities=40000 -v seed=0.42 -f data/sample/generate_subjects.sql
--
-- Creates (in schema gen, replaced on each run):
--   gen.entity  one row per real enterprise (or branch, a distinct entity)
--   gen.record  the rows three sources send about them, with noise:
--     registry  every entity, full names with region prefixes, valid codes
--     tax       ~80%: prefixes dropped, 有限责任公司 for 有限公司, full-width
--               brackets, addresses without the city, 5% codes missing, 2% mistyped
--     city      ~60%: some traditional characters, 3% homophone typos, full-width
--               digits in addresses, legal representative often missing
--   Branches (分公司) are distinct entities that share the head office's trade name.
-- Deterministic for a given seed.

\set ON_ERROR_STOP on
SELECT setseed(:seed) \gset
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS gen CASCADE;
CREATE SCHEMA gen;

CREATE FUNCTION gen.pick(a text[]) RETURNS text LANGUAGE sql VOLATILE
RETURN a[1 + floor(random() * cardinality(a))::int];

-- GB 11714 check character over 8 characters, then the GB 32100 check: a valid code.
CREATE FUNCTION gen.uscc(p16 text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    w int[] := ARRAY[3, 7, 9, 10, 5, 8, 4, 2];
    s int := 0; c int; ch text;
BEGIN
    FOR i IN 1 .. 8 LOOP
        ch := substr(p16, 8 + i, 1);
        s := s + w[i] * CASE WHEN ch ~ '[0-9]' THEN ch::int ELSE ascii(ch) - 55 END;
    END LOOP;
    c := 11 - s % 11;
    p16 := p16 || CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END;
    RETURN p16 || supervision.uscc_check_char(p16);
END
$$;

CREATE TABLE gen.entity AS
WITH counties AS (
    SELECT d.code, d.name AS county, c.name AS city, row_number() OVER (ORDER BY d.code) AS n
      FROM supervision.division d JOIN supervision.division c ON c.code = d.parent_code
     WHERE d.code LIKE '32%' AND d.level = 3 AND d.kind = 'county'
), base AS (
    SELECT i AS id,
           -- correlated with i, so that each entity draws its own county (an uncorrelated
           -- subquery runs once and put every entity in the same county)
           (SELECT code FROM counties WHERE i IS NOT NULL ORDER BY n
             OFFSET floor(random() * (SELECT count(*) FROM counties))::int LIMIT 1) AS division_code,
           gen.pick('{华,盛,瑞,鑫,恒,泰,嘉,宏,信,达,联,创,博,凯,隆,兴,德,源,丰,茂,通,利,安,康,宁,远,新,成,立,明,睿,诚,和,润,天,东,金,银,中,海}'::text[])
             || gen.pick('{华,盛,瑞,鑫,恒,泰,嘉,宏,信,达,联,创,博,凯,隆,兴,德,源,丰,茂,通,利,安,康,宁,远,新,成,立,明,睿,诚,和,润,天,东,方,越,辉,荣}'::text[])
             || CASE WHEN random() < 0.3 THEN gen.pick('{科,达,通,安,源,泰}'::text[]) ELSE '' END AS trade,
           gen.pick('{科技,商贸,建筑工程,餐饮管理,食品,机械制造,电子,物流,医药,服装,化工,环保科技,信息技术,建材,农业发展,文化传媒,汽车销售,物业管理,纺织,装饰工程}'::text[]) AS industry,
           CASE WHEN random() < 0.8 THEN '有限公司' WHEN random() < 0.5 THEN '股份有限公司' ELSE '有限责任公司' END AS form,
           gen.pick('{王,李,张,刘,陈,杨,黄,赵,周,吴,徐,孙,朱,马,胡,郭,何,高,林,罗}'::text[])
             || gen.pick('{伟,芳,娜,敏,静,强,磊,军,洋,勇,艳,杰,涛,明,超,秀英,建华,志强,海燕,国庆}'::text[]) AS legal_rep,
           gen.pick('{中山路,人民路,解放路,建设路,长江路,和平路,新华路,北京路,学府路,工业园路,太湖路,淮海路}'::text[]) AS road,
           1 + floor(random() * 300)::int AS number,
           '1' || gen.pick('{3,5,8,9}'::text[]) || lpad(floor(random() * 1e9)::bigint::text, 9, '0') AS phone,
           random() AS r_tax, random() AS r_city, random() AS r_branch, random() AS r_noise
      FROM generate_series(1, :entities) i
)
SELECT b.*, c.city, c.county,
       gen.uscc('91' || b.division_code || 'MA' || lpad(upper(to_hex(b.id::bigint * 7919 % 16777216)), 6, '0')) AS uscc,
       NULL::bigint AS head_id
  FROM base b JOIN counties c ON c.code = b.division_code;

-- a registration authority never registers the same name twice in one city
DELETE FROM gen.entity e USING gen.entity f
 WHERE f.city = e.city AND f.trade = e.trade AND f.industry = e.industry AND f.id < e.id;

-- branches: distinct entities with the head office's name plus a branch suffix
INSERT INTO gen.entity
SELECT (SELECT max(id) FROM gen.entity) + row_number() OVER (ORDER BY e.id), c.code, e.trade, e.industry, e.form,
       gen.pick('{王,李,张,刘,陈}'::text[]) || gen.pick('{平,华,军,丽,斌}'::text[]), gen.pick('{中山路,人民路,解放路}'::text[]),
       1 + floor(random() * 300)::int, '13' || lpad(floor(random() * 1e9)::bigint::text, 9, '0'),
       random(), random(), 1, random(), cc.name, c.name,
       gen.uscc('91' || c.code || 'MB' || lpad(upper(to_hex(e.id::bigint * 104729 % 16777216)), 6, '0')), e.id
  FROM gen.entity e
  JOIN LATERAL (SELECT d.code, d.name, d.parent_code FROM supervision.division d
                 WHERE d.code LIKE '32%' AND d.level = 3 AND d.kind = 'county' AND d.code <> e.division_code
                 ORDER BY md5(d.code || e.id) LIMIT 1) c ON true
  JOIN supervision.division cc ON cc.code = c.parent_code
 WHERE e.r_branch < 0.05;

ALTER TABLE gen.entity ADD COLUMN full_name text;
UPDATE gen.entity e SET full_name = CASE
    WHEN e.head_id IS NULL THEN e.city || e.trade || e.industry || e.form
    ELSE (SELECT h.city || h.trade || h.industry || h.form FROM gen.entity h WHERE h.id = e.head_id) || e.county || '分公司' END;

CREATE TABLE gen.record (
    source     text NOT NULL,
    source_key text NOT NULL,
    entity_id  bigint NOT NULL,
    payload    jsonb NOT NULL
);

-- registry: everything, clean
INSERT INTO gen.record
SELECT 'demo_registry', 'REG-' || e.id, e.id,
       jsonb_build_object('uscc', e.uscc, 'name', e.full_name, 'legal_representative', e.legal_rep,
                          'address', '江苏省' || e.city || e.county || e.road || e.number || '号',
                          'division_code', e.division_code, 'phone', e.phone,
                          'established_on', to_char(date '2000-01-01' + (e.id * 37 % 8000), 'YYYY-MM-DD'))
  FROM gen.entity e;

-- tax: most, with its habits
INSERT INTO gen.record
SELECT 'demo_tax', 'TAX-' || lpad((e.id * 3)::text, 8, '0'), e.id,
       jsonb_strip_nulls(jsonb_build_object(
           'uscc', CASE WHEN e.r_noise < 0.05 THEN NULL
                        WHEN e.r_noise < 0.07 THEN overlay(e.uscc placing '0' from 12 for 1)
                        ELSE e.uscc END,
           'name', replace(replace(regexp_replace(e.full_name, '^' || e.city, ''), '有限公司', '有限责任公司'), '(', '（'),
           'legal_representative', e.legal_rep,
           'address', e.county || e.road || e.number || '号',
           'division_code', e.division_code,
           'phone', substr(e.phone, 1, 3) || '-' || substr(e.phone, 4, 4) || '-' || substr(e.phone, 8)))
  FROM gen.entity e WHERE e.r_tax < 0.8;

-- city platform: many, noisier
INSERT INTO gen.record
SELECT 'demo_city', 'CITY' || e.id, e.id,
       jsonb_strip_nulls(jsonb_build_object(
           'uscc', CASE WHEN e.r_noise > 0.5 THEN e.uscc END,
           'name', CASE WHEN e.r_noise < 0.03
                        THEN translate(e.full_name, '华盛瑞鑫恒泰嘉宏信达', '化胜锐新衡太佳洪兴大')   -- homophone typos
                        WHEN e.r_noise < 0.25
                        THEN translate(e.full_name, '华兴东达丰门专业电讯', '華興東達豐門專業電訊')   -- traditional characters
                        ELSE e.full_name END,
           'legal_representative', CASE WHEN e.r_noise < 0.6 THEN e.legal_rep END,
           'address', e.city || e.county || e.road || translate(e.number::text, '0123456789', '０１２３４５６７８９') || '号',
           'division_code', e.division_code))
  FROM gen.entity e WHERE e.r_city < 0.6;

ANALYZE gen.entity, gen.record;
SELECT (SELECT count(*) FROM gen.entity) AS entities, (SELECT count(*) FROM gen.entity WHERE head_id IS NOT NULL) AS branches,
       (SELECT count(*) FROM gen.record) AS records;
