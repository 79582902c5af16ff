-- Entity-resolution benchmark, part 1: a generator of realistic Chinese
-- enterprise records with known truth (bench/entity_resolution.sh runs it;
-- not part of the extension or of the tests).
--
--   psql -v n=1000000 -v dup=0.13 -v seed=1 < bench/er_generate.sql
--
-- Creates schema er (replaced on each run):
--   er.entity_full  one row per true entity: head offices and branches
--              (分公司, distinct entities named after their head office),
--              with the registered name and every attribute
--   er.recs    exactly :n records (id, name, uscc, address, division_code,
--              legal_representative): what the engines see
--   er.truth   record id -> true entity, with the noise applied to the record
--              (for the error analysis)
-- About :dup of the records are duplicates: n·(1 − dup) entities, of which
-- some have 2 records and fewer 3.
--
-- How the world is built:
--   - 13 cities weighted roughly like Jiangsu's enterprise counts; a county of
--     the city; trade names (字号) of 2-4 characters drawn with a skew from a
--     pool of ~220 characters popular in trade names, organised in homophone
--     groups (辉/晖/徽/慧/惠/汇), so that homophone and one-character
--     neighbours occur naturally; ~70 industry expressions (行业表述), skewed.
--   - a registration authority never registers the same trade name + industry
--     twice in one city: (city, trade name, industry) is unique among head
--     offices; the same name in another city is another company. Trade names
--     that begin with a province or city name (anywhere in China) or with a
--     Jiangsu county name are refused, as registration does.
--   - explicit confusable neighbours (8 % of the drawn companies): one in the
--     same city (half of them the same county) whose trade name differs by a
--     homophone or by one other character, or with the same trade name in
--     another industry. They are distinct entities.
--   - registered names: 南京华泰科技有限公司 (60 %), 南京市… (10 %),
--     南京市江宁区… (10 %), 江苏… (12 %), 华泰科技（南京）有限公司 (4 %), no
--     region (4 %); forms 有限公司, 有限责任公司, 股份有限公司, （集团）有限公司,
--     集团有限公司.
--   - branches (3.5 % of entities): head office name + place + 分公司/营业部/
--     办事处, in another county of the same city or in another city, with
--     their own credit code, address and person in charge.
--   - valid unified social credit codes (both check characters), unique;
--     Chinese personal names; addresses 江苏省 + city + county + town +
--     road + number + 号 + building/room; 6 % of companies sit in a county's
--     business incubator (the same road and number, another room).
-- Records: the first record of an entity is clean (as registered; 3 % of
-- them without credit code) with probability 0.7; every other record is
-- noisy, each kind independently:
--   name: region prefix changed (50 %: 江苏省南京市/南京市/南京/江苏/南京市江宁区/
--   江宁/none), organisation form variant (25 %), brackets half-width (50 % of
--   noisy records with brackets; registered names use full-width （）),
--   traditional characters (10 %, also in the address), homophone typo in the
--   trade name (4 %), another one-character typo (1 %), a space (3 %), branch
--   place written otherwise (30 % of branch records: 江宁/江宁区, 苏州/苏州市,
--   苏州吴中/吴中), 华泰科技（南京）有限公司 written 南京华泰科技有限公司 (15 %);
--   credit code: kept 55 %, missing 33 %, one character mistyped 6 %, two
--   neighbours swapped 2 %, old 15-digit registration number 4 %;
--   address: missing 12 %, province dropped 50 % (then also the city 30 %),
--   county dropped 10 %, town dropped 40 %, building/room dropped 40 %,
--   full-width digits 15 %;
--   division code: county 60 %, city 10 %, 9-digit town 5 %, missing 25 %;
--   legal representative: same 55 %, missing 35 %, traditional 3 %, another
--   person 7 %.
-- Deterministic: every random choice is a hash of (key, salt, seed)
-- (hashint8extended), nothing depends on random() or on row order.

\set ON_ERROR_STOP on
\if :{?n}
\else
\set n 1000000
\endif
\if :{?dup}
\else
\set dup 0.13
\endif
\if :{?seed}
\else
\set seed 1
\endif

SET client_min_messages = warning;
SET jit = off;          -- compiling the long expressions below costs minutes
SET work_mem = '256MB';
DROP SCHEMA IF EXISTS er CASCADE;
CREATE SCHEMA er;

-- A uniform number in [0, 1) for a key and a salt.
CREATE FUNCTION er.u(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (hashint8extended(k, 1000003 * :seed + salt) & 4503599627370495)::float8 / 4503599627370496.0;

-- a[1 + floor(x · n)]: an element chosen by x in [0, 1)
CREATE FUNCTION er.pick(a text[], x float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN a[1 + floor(x * cardinality(a))::int];

-- ---------------------------------------------------------------------------
-- Vocabulary

-- Trade-name characters in homophone groups (toneless pinyin as typed with an
-- input method), most popular group first, most popular member first.
CREATE TABLE er.hgroup AS
SELECT g AS grp, chars
  FROM unnest(ARRAY[
    '华桦骅', '盛胜晟圣升', '鑫新欣馨昕', '瑞锐睿蕊', '恒衡亨', '泰太', '嘉佳伽', '宏鸿弘泓虹',
    '信', '达', '联连莲', '创', '博波铂', '凯开恺锴', '隆龙珑', '兴星', '德', '源元远园原缘',
    '丰峰锋枫沣', '茂', '通同彤桐', '利立丽力励', '安', '康', '宁凝', '成诚城程承澄', '明铭鸣',
    '和合禾', '润', '天田添', '东栋', '金锦晋瑾', '银', '海', '方芳', '越悦跃岳', '荣融蓉嵘',
    '宇裕誉煜玉羽', '浩豪昊皓', '俊骏君峻钧', '智志致', '维伟威纬蔚', '亿益艺怡逸奕', '拓',
    '奇琪启祺', '航杭', '晨辰宸', '祥翔湘', '坤昆', '中众忠', '旭煦栩', '美梅', '邦', '捷杰洁',
    '阳扬洋', '顺舜', '福富', '泽', '乾谦', '万', '普浦', '环焕', '森', '林霖琳麟', '松嵩',
    '晶景京菁', '辉晖徽慧惠汇', '飞菲', '腾', '卓', '正政', '永咏', '鼎', '汉瀚翰', '光', '春',
    '百柏', '世', '尚', '雅亚', '诺'
  ]) WITH ORDINALITY AS t(chars, g);

-- The pool: the first members of every group, then the second members...
CREATE TABLE er.pool AS
SELECT row_number() OVER (ORDER BY pos, grp)::int AS idx, c, grp
  FROM er.hgroup, LATERAL regexp_split_to_table(chars, '') WITH ORDINALITY AS s(c, pos);

CREATE TABLE er.homophone AS
SELECT p.c, array_agg(q.c ORDER BY q.idx) AS alts
  FROM er.pool p JOIN er.pool q ON q.grp = p.grp AND q.c <> p.c
 GROUP BY p.c;

-- Simplified -> traditional, one character each (pairs, simplified first).
-- Every traditional character here maps back to its simplified one in ICU's
-- Traditional-Simplified data, as name_normalize applies it.
CREATE TABLE er.trad AS
WITH pairs AS (
    SELECT m[1] AS s, m[2] AS t
      FROM regexp_matches(
        '华華桦樺骅驊胜勝圣聖锐銳鸿鴻达達联聯连連莲蓮创創铂鉑凯凱开開恺愷锴鍇龙龍珑瓏兴興园園远遠'
        '缘緣丰豐锋鋒沣灃丽麗励勵宁寧诚誠鸣鳴铭銘润潤东東栋棟锦錦银銀荣榮誉譽骏駿钧鈞伟偉维維'
        '纬緯亿億艺藝启啟众眾杰傑洁潔阳陽扬揚顺順泽澤谦謙万萬环環焕煥晖暉汇匯飞飛腾騰汉漢亚亞'
        '诺諾术術网網络絡电電贸貿筑築装裝饰飾绿綠饮飲农農业業发發机機设設备備气氣应應链鏈医醫'
        '药藥疗療纺紡织織传傳广廣询詢资資劳勞务務产產实實车車销銷软軟游遊检檢测測仓倉储儲运運'
        '输輸际際国國属屬责責团團苏蘇无無锡錫云雲镇鎮盐鹽迁遷区區县縣邺鄴栖棲台臺阴陰门門钟鍾'
        '楼樓坛壇邮郵仪儀赣贛涟漣响響滨濱张張吴吳号號层層厦廈乡鄉长長学學风風谊誼复復结結红紅'
        '观觀刘劉陈陳杨楊黄黃赵趙孙孫马馬罗羅郑鄭谢謝许許韩韓冯馮邓鄧蒋蔣叶葉吕呂卢盧谭譚陆陸'
        '贾賈韦韋邹鄒闫閆贺賀顾顧龚龔钱錢严嚴汤湯静靜强強军軍艳艷涛濤辉輝鹏鵬兰蘭凤鳳刚剛颖穎'
        '庆慶梦夢', '(.)(.)', 'g') AS m
)
SELECT string_agg(s, '' ORDER BY s) AS simp, string_agg(t, '' ORDER BY s) AS trad
  FROM (SELECT DISTINCT ON (s) s, t FROM pairs ORDER BY s, t) p;

-- One row of word lists. Stored plain (not TOASTed): the queries below read
-- them for every row, and a TOASTed array would be fetched and decompressed
-- each time.
CREATE TABLE er.vocab (pool text[], industries text[], surnames text[], given text[], roads text[],
                       road_suffixes text[], city_codes text[], city_lo float8[]);
ALTER TABLE er.vocab ALTER pool SET STORAGE PLAIN, ALTER industries SET STORAGE PLAIN,
    ALTER surnames SET STORAGE PLAIN, ALTER given SET STORAGE PLAIN, ALTER roads SET STORAGE PLAIN,
    ALTER road_suffixes SET STORAGE PLAIN, ALTER city_codes SET STORAGE PLAIN, ALTER city_lo SET STORAGE PLAIN;
-- Industry expressions, most popular first (all made of name_industry_word words).
INSERT INTO er.vocab (pool, industries, surnames, given, roads, road_suffixes) SELECT
    (SELECT array_agg(c ORDER BY idx) FROM er.pool) AS pool,
    ARRAY['科技', '商贸', '建筑工程', '网络科技', '信息技术', '贸易', '餐饮管理', '电子商务',
          '文化传媒', '企业管理咨询', '装饰工程', '智能科技', '机械设备', '物流', '食品',
          '农业发展', '电子科技', '新材料科技', '环保科技', '建设工程', '信息咨询', '供应链管理',
          '机械制造', '劳务', '物业管理', '生物科技', '医疗器械', '服饰', '纺织', '化工', '建材',
          '广告', '教育科技', '教育咨询', '人力资源', '房地产开发', '置业', '投资', '实业',
          '汽车销售', '汽车服务', '五金机电', '包装材料', '印刷', '塑料制品', '金属制品', '家具',
          '软件', '新能源科技', '光电科技', '旅游', '酒店管理', '健康管理', '安防科技',
          '检测技术', '仓储', '运输', '电气', '国际贸易', '农业科技', '园林绿化工程', '医药',
          '服装', '电子', '文化传播', '设计', '市政工程', '钢结构工程', '水产', '茶业']::text[] AS industries,
    ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '朱', '马', '胡',
          '郭', '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹',
          '彭', '曾', '肖', '田', '董', '袁', '潘', '于', '蒋', '蔡', '余', '杜', '叶', '程', '苏',
          '魏', '吕', '丁', '任', '沈', '姚', '卢', '姜', '崔', '钟', '谭', '陆', '汪', '范', '金',
          '石', '廖', '贾', '夏', '韦', '付', '方', '白', '邹', '孟', '熊', '秦', '邱', '江', '尹',
          '薛', '闫', '段', '雷', '侯', '龙', '史', '陶', '黎', '贺', '顾', '毛', '郝', '龚', '邵',
          '万', '钱', '严', '覃', '武', '戴', '莫', '孔', '向', '汤']::text[] AS surnames,
    ARRAY['伟', '芳', '娜', '敏', '静', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超',
          '秀', '英', '华', '建', '国', '平', '红', '丽', '斌', '辉', '鹏', '飞', '霞', '玲', '桂',
          '兰', '云', '凤', '刚', '健', '波', '宁', '俊', '浩', '宇', '博', '晨', '欣', '婷', '雪',
          '梅', '琳', '颖', '慧', '鑫', '龙', '海', '峰', '亮', '新', '文', '志', '东', '春', '成',
          '庆', '梦', '荣', '生', '金', '林', '佳', '嘉', '子', '晓']::text[] AS given,
    ARRAY['中山', '人民', '解放', '建设', '长江', '和平', '新华', '北京', '学府', '工业园', '太湖',
          '淮海', '黄河', '珠江', '汉中', '龙蟠', '江东', '科技', '创业', '文化', '青年', '东风',
          '胜利', '友谊', '复兴', '幸福', '光明', '团结', '红旗', '振兴', '园区', '观前', '通江',
          '金山', '银河', '迎宾', '世纪', '富民', '兴业', '湖滨', '滨江', '运河', '环城', '健康',
          '宁海', '双塘', '石城', '凤凰', '梅园', '紫金', '天元', '古城', '车站', '海港', '江海',
          '开发', '工农', '晨光', '华山', '泰山', '庐山', '黄山', '钟山', '衡山', '嵩山', '青年',
          '学前', '新城', '高新', '新港', '城南', '城北']::text[] AS roads,
    ARRAY['路', '路', '路', '路', '路', '路', '路', '路', '大道', '大道', '街', '街',
          '东路', '西路', '南路', '北路']::text[] AS road_suffixes;

-- Jiangsu: cities with a weight like their share of enterprises, counties, towns.
CREATE TABLE er.city AS
WITH w(code, w) AS (VALUES
    ('320500', 22.0), ('320100', 16.0), ('320200', 10.0), ('320600', 8.0), ('320400', 7.0),
    ('320300', 7.0), ('320900', 5.0), ('321000', 4.5), ('321200', 4.5), ('320800', 4.0),
    ('321300', 4.0), ('321100', 3.5), ('320700', 3.5))
SELECT d.code, d.name AS full_name, regexp_replace(d.name, '市$', '') AS short_name,
       (sum(w.w) OVER (ORDER BY d.code) - w.w) / sum(w.w) OVER () AS lo,
       sum(w.w) OVER (ORDER BY d.code) / sum(w.w) OVER () AS hi,
       row_number() OVER (ORDER BY d.code)::int AS k
  FROM supervision.division d JOIN w ON w.code = d.code;

UPDATE er.vocab SET city_codes = (SELECT array_agg(code ORDER BY k) FROM er.city),
                    city_lo = (SELECT array_agg(lo ORDER BY k) FROM er.city);

CREATE TABLE er.county AS
SELECT d.code, d.parent_code AS city_code, d.name AS full_name,
       CASE WHEN char_length(regexp_replace(d.name, '(区|县|市)$', '')) >= 2
            THEN regexp_replace(d.name, '(区|县|市)$', '') ELSE d.name END AS short_name,
       row_number() OVER (PARTITION BY d.parent_code ORDER BY d.code)::int AS k,
       count(*) OVER (PARTITION BY d.parent_code)::int AS n_in_city
  FROM supervision.division d
 WHERE d.code LIKE '32%' AND d.level = 3 AND d.kind = 'county';

CREATE TABLE er.town AS
SELECT d.code, d.parent_code AS county_code, d.name,
       row_number() OVER (PARTITION BY d.parent_code ORDER BY d.code)::int AS k,
       count(*) OVER (PARTITION BY d.parent_code)::int AS n_in_county
  FROM supervision.division d
 WHERE d.code LIKE '32%' AND d.level = 4 AND d.kind = 'town';

-- Names a trade name must not begin with: provinces and cities of China and
-- Jiangsu's counties, in full and short form (two characters at least).
CREATE TABLE er.forbidden AS
SELECT DISTINCT f
  FROM supervision.division d,
       LATERAL (VALUES (d.name),
                       (regexp_replace(d.name, '(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|地区|盟|省|市|区|县)$', '')),
                       (CASE WHEN d.name ~ '族' THEN substr(d.name, 1, 2) END)) AS v(f)
 WHERE (d.level <= 2 OR (d.level = 3 AND d.code LIKE '32%' AND d.kind = 'county'))
   AND d.kind <> 'grouping' AND char_length(f) >= 2;
CREATE INDEX ON er.forbidden (f);

-- ---------------------------------------------------------------------------
-- Head offices

\set entities 'round(:n * (1 - :dup))::int'
\set branches 'round(:entities * 0.035)::int'
SELECT :entities AS n_entities, :branches AS n_branches,
       :entities - :branches AS n_heads, ceil((:entities - :branches) * 1.25)::int + 1000 AS n_candidates \gset

-- Candidates: base companies drawn at random, each followed (8 %) by a
-- confusable neighbour. Duplicates of (city, trade name, industry) and
-- forbidden trade names are dropped, the first n_heads kept.
CREATE TABLE er.candidate AS
WITH base AS (
    SELECT i,
           v.city_codes[width_bucket(er.u(i, 1), v.city_lo)] AS city_code,
           er.pick(v.pool, power(er.u(i, 11), 1.6)) || er.pick(v.pool, power(er.u(i, 12), 1.6))
             || CASE WHEN er.u(i, 3) >= 0.82 THEN er.pick(v.pool, power(er.u(i, 13), 1.6)) ELSE '' END
             || CASE WHEN er.u(i, 3) >= 0.97 THEN er.pick(v.pool, power(er.u(i, 14), 1.6)) ELSE '' END AS trade,
           er.pick(v.industries, power(er.u(i, 4), 1.8)) AS industry,
           er.u(i, 2) AS r_county
      FROM generate_series(1, :n_candidates) i
      CROSS JOIN er.vocab v
), neighbour AS (
    SELECT b.i, b.city_code,
           CASE WHEN er.u(b.i, 21) < 0.5 THEN b.r_county ELSE er.u(b.i, 22) END AS r_county,
           CASE WHEN er.u(b.i, 23) < 0.45 AND h.c IS NOT NULL   -- a homophone
                THEN overlay(b.trade PLACING er.pick(h.alts, er.u(b.i, 25)) FROM pos FOR 1)
                WHEN er.u(b.i, 23) < 0.8                         -- another character
                THEN overlay(b.trade PLACING er.pick(v.pool, er.u(b.i, 26)) FROM pos FOR 1)
                ELSE b.trade END AS trade,
           CASE WHEN er.u(b.i, 23) >= 0.8                         -- same trade name, other industry
                THEN er.pick(v.industries, er.u(b.i, 27)) ELSE b.industry END AS industry
      FROM base b
      CROSS JOIN er.vocab v
      CROSS JOIN LATERAL (SELECT 1 + floor(er.u(b.i, 24) * char_length(b.trade))::int AS pos) ps
      LEFT JOIN er.homophone h ON h.c = substr(b.trade, ps.pos, 1)
     WHERE er.u(b.i, 20) < 0.08
)
SELECT i, 0 AS variant, city_code, trade, industry, r_county FROM base
UNION ALL
SELECT i, 1, city_code, trade, industry, r_county FROM neighbour;

CREATE TABLE er.entity AS
WITH ok AS (
    SELECT DISTINCT ON (city_code, trade COLLATE "C", industry COLLATE "C") *
      FROM er.candidate c
     WHERE substr(trade, 1, 1) <> substr(trade, 2, 1)
       AND NOT EXISTS (SELECT 1 FROM er.forbidden f
                        WHERE f.f IN (left(c.trade, 2), left(c.trade, 3), left(c.trade, 4)))
     ORDER BY city_code, trade COLLATE "C", industry COLLATE "C", i, variant
), kept AS (
    SELECT *, row_number() OVER (ORDER BY i, variant)::int AS eid FROM ok
)
SELECT k.eid, NULL::int AS head_eid, k.variant = 1 AS is_neighbour,
       k.trade, k.industry,
       -- registered form
       CASE WHEN er.u(k.eid, 101) < 0.75 THEN '有限公司' WHEN er.u(k.eid, 101) < 0.89 THEN '有限责任公司'
            WHEN er.u(k.eid, 101) < 0.95 THEN '股份有限公司' WHEN er.u(k.eid, 101) < 0.975 THEN '（集团）有限公司'
            ELSE '集团有限公司' END AS form,
       -- registered region style: c 南京…, C 南京市…, K 南京市江宁区…, J 江苏…, B …（南京）…, N none
       CASE WHEN er.u(k.eid, 102) < 0.60 THEN 'c' WHEN er.u(k.eid, 102) < 0.70 THEN 'C'
            WHEN er.u(k.eid, 102) < 0.80 THEN 'K' WHEN er.u(k.eid, 102) < 0.92 THEN 'J'
            WHEN er.u(k.eid, 102) < 0.96 THEN 'B' ELSE 'N' END AS style,
       -- where the name's region comes from (the head office's place for a branch)
       c.code AS n_city_code, co.code AS n_county_code,
       -- where the entity is
       c.code AS city_code, co.code AS county_code,
       NULL::text AS branch_place, NULL::text AS branch_place_alt, NULL::text AS branch_marker
  FROM kept k
  JOIN er.city c ON c.code = k.city_code
  JOIN er.county co ON co.city_code = k.city_code AND co.k = 1 + floor(k.r_county * co.n_in_city)::int
 WHERE k.eid <= :entities - :branches;

-- ---------------------------------------------------------------------------
-- Branches: distinct entities named after their head office

INSERT INTO er.entity
WITH cand AS (
    SELECT h.eid AS head, b AS k
      FROM er.entity h, generate_series(1, 3) b
     WHERE b = 1 OR (b = 2 AND er.u(h.eid, 131) < 0.25) OR (b = 3 AND er.u(h.eid, 131) < 0.10)
), chosen AS (
    SELECT head, k, row_number() OVER (ORDER BY er.u(head, 130), head, k) AS rn FROM cand
), placed AS (
    SELECT ch.rn, h.*, ch.k,
           er.u(h.eid * 4 + ch.k, 133) < 0.6 AS same_city,
           c2.code AS b_city_code, co2.code AS b_county_code
      FROM chosen ch
      JOIN er.entity h ON h.eid = ch.head
      JOIN er.city c2 ON c2.code = CASE WHEN er.u(h.eid * 4 + ch.k, 133) < 0.6 THEN h.city_code
                                       ELSE (SELECT c3.code FROM er.city c3
                                              WHERE er.u(h.eid * 4 + ch.k, 134) >= c3.lo AND er.u(h.eid * 4 + ch.k, 134) < c3.hi) END
      JOIN er.county co2 ON co2.city_code = c2.code
                        AND co2.k = 1 + floor(er.u(h.eid * 4 + ch.k, 135) * co2.n_in_city)::int
     WHERE ch.rn <= :branches * 1.1
), named AS (
    SELECT p.*,
           CASE WHEN p.b_city_code = p.city_code THEN                  -- 江宁分公司 / 江宁区分公司
                    CASE WHEN er.u(p.eid * 4 + p.k, 136) < 0.7 THEN co.short_name ELSE co.full_name END
                WHEN er.u(p.eid * 4 + p.k, 136) < 0.5 THEN c.short_name  -- 苏州分公司
                WHEN er.u(p.eid * 4 + p.k, 136) < 0.65 THEN c.full_name  -- 苏州市分公司
                ELSE c.short_name || co.short_name END AS place,         -- 苏州吴中分公司
           CASE WHEN p.b_city_code = p.city_code THEN
                    CASE WHEN er.u(p.eid * 4 + p.k, 136) < 0.7 THEN co.full_name ELSE co.short_name END
                WHEN er.u(p.eid * 4 + p.k, 136) < 0.5 THEN c.full_name
                WHEN er.u(p.eid * 4 + p.k, 136) < 0.65 THEN c.short_name
                ELSE co.short_name END AS place_alt,
           CASE WHEN er.u(p.eid * 4 + p.k, 137) < 0.92 THEN '分公司'
                WHEN er.u(p.eid * 4 + p.k, 137) < 0.97 THEN '营业部' ELSE '办事处' END AS marker
      FROM placed p
      JOIN er.city c ON c.code = p.b_city_code
      JOIN er.county co ON co.code = p.b_county_code
), distinct_place AS (   -- one branch per head office and place
    SELECT DISTINCT ON (eid, place) * FROM named ORDER BY eid, place, rn
)
SELECT :entities - :branches + row_number() OVER (ORDER BY rn)::int, eid, false,
       trade, industry, form, style, n_city_code, n_county_code,
       b_city_code, b_county_code, place, place_alt, marker
  FROM distinct_place
 ORDER BY rn
 LIMIT :branches;

-- ---------------------------------------------------------------------------
-- Attributes of every entity: names of its places, credit code, person, address

CREATE TABLE er.entity_full AS
SELECT x.*,
       -- the registered name (full-width brackets as registered)
       CASE x.style WHEN 'c' THEN x.n_city_short WHEN 'C' THEN x.n_city_full WHEN 'K' THEN x.n_city_full || x.n_county_full
                    WHEN 'J' THEN '江苏' ELSE '' END
         || x.trade || x.industry
         || CASE WHEN x.style = 'B' THEN '（' || x.n_city_short || '）' ELSE '' END
         || x.form || coalesce(x.branch_place || x.branch_marker, '') AS reg_name,
       -- credit code: registration authority 9 (market regulation), type 1
       -- (company), the county, an organisation code (8 digits from the entity
       -- number, a bijection below 99999989, and its GB 11714 check character),
       -- and the GB 32100 check character
       x.uscc17 || supervision.uscc_check_char(x.uscc17) AS uscc,
       er.pick(v.surnames, power(er.u(x.eid, 141), 2))
         || er.pick(v.given, er.u(x.eid, 142))
         || CASE WHEN er.u(x.eid, 143) < 0.7 THEN er.pick(v.given, er.u(x.eid, 144)) ELSE '' END AS person,
       -- road, number and building, or the county's incubator (same road and number, another room)
       CASE WHEN er.u(x.eid, 150) < 0.06
            THEN er.pick(v.roads, er.u(x.county_code::bigint, 151)) || er.pick(v.road_suffixes, er.u(x.county_code::bigint, 152))
                 || (1 + floor(er.u(x.county_code::bigint, 153) * 300))::int || '号'
            ELSE er.pick(v.roads, er.u(x.eid, 151)) || er.pick(v.road_suffixes, er.u(x.eid, 152))
                 || (1 + floor(power(er.u(x.eid, 153), 2) * 999))::int || '号' END AS street,
       CASE WHEN er.u(x.eid, 150) < 0.06
            THEN '创业园' || (1 + floor(er.u(x.eid, 154) * 9))::int || '幢' || (1 + floor(er.u(x.eid, 155) * 9))::int
                 || lpad((1 + floor(er.u(x.eid, 156) * 30))::int::text, 2, '0') || '室'
            WHEN er.u(x.eid, 157) < 0.35
            THEN (1 + floor(er.u(x.eid, 154) * 20))::int || '幢' || (1 + floor(er.u(x.eid, 155) * 20))::int
                 || lpad((1 + floor(er.u(x.eid, 156) * 12))::int::text, 2, '0') || '室'
            ELSE '' END AS detail,
       er.u(x.eid, 158) < 0.5 AS with_town
  FROM (SELECT e.*,
               nc.full_name AS n_city_full, nc.short_name AS n_city_short,
               nco.full_name AS n_county_full, nco.short_name AS n_county_short,
               c.full_name AS city_full, co.full_name AS county_full, t.name AS town_name, t.code AS town_code,
               '91' || co.code || oc.d8 || CASE oc.c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE oc.c::text END AS uscc17
          FROM er.entity e
          JOIN er.city nc ON nc.code = e.n_city_code
          JOIN er.county nco ON nco.code = e.n_county_code
          JOIN er.city c ON c.code = e.city_code
          JOIN er.county co ON co.code = e.county_code
          LEFT JOIN er.town t ON t.county_code = co.code AND t.k = 1 + floor(er.u(e.eid, 159) * t.n_in_county)::int
          CROSS JOIN LATERAL (SELECT lpad(((e.eid::bigint * 48271) % 99999989)::text, 8, '0') AS d8) o8
          CROSS JOIN LATERAL (SELECT 11 - (3 * substr(o8.d8, 1, 1)::int + 7 * substr(o8.d8, 2, 1)::int + 9 * substr(o8.d8, 3, 1)::int
                                           + 10 * substr(o8.d8, 4, 1)::int + 5 * substr(o8.d8, 5, 1)::int + 8 * substr(o8.d8, 6, 1)::int
                                           + 4 * substr(o8.d8, 7, 1)::int + 2 * substr(o8.d8, 8, 1)::int) % 11 AS c, o8.d8) oc
        OFFSET 0) x   -- the word lists join last: no sort or hash carries them
  CROSS JOIN er.vocab v;

ALTER TABLE er.entity_full ADD PRIMARY KEY (eid);

-- ---------------------------------------------------------------------------
-- Records

-- How many records each entity has: the first k3 (in a hashed order) 3, the
-- next k2 2, the others 1, so that there are exactly :n records.
SELECT count(*) AS n_entities_made FROM er.entity_full \gset
SELECT :n - :n_entities_made AS extra, round((:n - :n_entities_made) * 0.08)::int AS k3 \gset
\set k2 ':extra - 2 * :k3'

CREATE TABLE er.rec0 AS
WITH ranked AS (
    SELECT eid, row_number() OVER (ORDER BY er.u(eid, 160), eid) AS rk FROM er.entity_full
)
SELECT r.eid, o AS ordinal
  FROM ranked r,
       generate_series(1, CASE WHEN r.rk <= :k3 THEN 3 WHEN r.rk <= :k3 + :k2 THEN 2 ELSE 1 END) o;

-- One row per record with every noise decision (r = record key for hashing).
CREATE TABLE er.noise AS
SELECT x.rec_eid, x.ordinal, x.r,
       clean,
       -- name
       NOT clean AND er.u(r, 201) < 0.50 AS n_prefix,
       NOT clean AND er.u(r, 203) < 0.25 AS n_form,
       NOT clean AND er.u(r, 204) < 0.50 AS n_halfwidth,
       NOT clean AND er.u(r, 205) < 0.10 AS n_trad,
       NOT clean AND er.u(r, 206) < 0.04 AS n_homophone,
       NOT clean AND er.u(r, 207) < 0.01 AS n_typo,
       NOT clean AND er.u(r, 208) < 0.03 AS n_space,
       NOT clean AND er.u(r, 209) < 0.30 AS n_branch_place,
       NOT clean AND er.u(r, 210) < 0.15 AS n_bracket_moved,
       -- credit code
       CASE WHEN clean THEN CASE WHEN er.u(r, 220) < 0.97 THEN 'kept' ELSE 'missing' END
            WHEN er.u(r, 220) < 0.55 THEN 'kept' WHEN er.u(r, 220) < 0.88 THEN 'missing'
            WHEN er.u(r, 220) < 0.94 THEN 'mistyped' WHEN er.u(r, 220) < 0.96 THEN 'swapped'
            ELSE 'old_number' END AS n_uscc,
       -- address
       NOT clean AND er.u(r, 230) < 0.12 AS n_addr_missing,
       NOT clean AND er.u(r, 231) < 0.50 AS n_addr_no_province,
       NOT clean AND er.u(r, 232) < 0.30 AS n_addr_no_city,
       NOT clean AND er.u(r, 233) < 0.40 AS n_addr_no_town,
       NOT clean AND er.u(r, 234) < 0.40 AS n_addr_no_detail,
       NOT clean AND er.u(r, 235) < 0.15 AS n_addr_fullwidth,
       NOT clean AND er.u(r, 236) < 0.10 AS n_addr_no_county,
       -- division
       CASE WHEN clean OR er.u(r, 240) < 0.60 THEN 'county' WHEN er.u(r, 240) < 0.70 THEN 'city'
            WHEN er.u(r, 240) < 0.75 THEN 'town' ELSE 'missing' END AS n_division,
       -- legal representative / person in charge
       CASE WHEN clean OR er.u(r, 250) < 0.55 THEN 'same' WHEN er.u(r, 250) < 0.90 THEN 'missing'
            WHEN er.u(r, 250) < 0.93 THEN 'trad' ELSE 'other' END AS n_person
  FROM (SELECT eid AS rec_eid, ordinal, eid::bigint * 4 + ordinal AS r,
               ordinal = 1 AND er.u(eid::bigint * 4 + ordinal, 200) < 0.7 AS clean
          FROM er.rec0) x;

CREATE TABLE er.rec AS
WITH named AS (
    SELECT n.*, e.*,
           -- the region prefix as written
           CASE WHEN e.style = 'B' OR NOT n.n_prefix THEN
                    CASE e.style WHEN 'c' THEN e.n_city_short WHEN 'C' THEN e.n_city_full
                                 WHEN 'K' THEN e.n_city_full || e.n_county_full WHEN 'J' THEN '江苏' ELSE '' END
                ELSE CASE er.pick(array_remove(ARRAY['P', 'C', 'c', 'N', 'J', 'K', 'k'], e.style), er.u(n.r, 202)) WHEN 'P' THEN '江苏省' || e.n_city_full WHEN 'C' THEN e.n_city_full
                                      WHEN 'c' THEN e.n_city_short WHEN 'N' THEN '' WHEN 'J' THEN '江苏'
                                      WHEN 'K' THEN e.n_city_full || e.n_county_full ELSE e.n_county_short END
           END AS w_prefix,
           -- the trade name as written: a homophone or another character in one place
           CASE WHEN n.n_homophone AND h.c IS NOT NULL
                THEN overlay(e.trade PLACING er.pick(h.alts, er.u(n.r, 262)) FROM tp.pos FOR 1)
                WHEN n.n_typo OR n.n_homophone
                THEN overlay(e.trade PLACING er.pick(v.pool, er.u(n.r, 263)) FROM tp.pos FOR 1)
                ELSE e.trade END AS w_trade,
           CASE WHEN NOT n.n_form THEN e.form
                WHEN er.u(n.r, 264) < 0.08 THEN ''
                ELSE CASE e.form WHEN '有限公司' THEN '有限责任公司' WHEN '有限责任公司' THEN '有限公司'
                                 WHEN '股份有限公司' THEN CASE WHEN er.u(n.r, 265) < 0.5 THEN '股份公司' ELSE '有限公司' END
                                 WHEN '（集团）有限公司' THEN CASE WHEN er.u(n.r, 265) < 0.5 THEN '集团有限公司' ELSE '有限公司' END
                                 ELSE CASE WHEN er.u(n.r, 265) < 0.5 THEN '（集团）有限公司' ELSE '有限公司' END END
           END AS w_form
      FROM er.noise n
      JOIN er.entity_full e ON e.eid = n.rec_eid
      CROSS JOIN er.vocab v
      CROSS JOIN LATERAL (SELECT 1 + floor(er.u(n.r, 261) * char_length(e.trade))::int AS pos) tp
      LEFT JOIN er.homophone h ON h.c = substr(e.trade, tp.pos, 1)
), built AS (
    SELECT d.*,
           CASE WHEN d.style = 'B' AND d.n_bracket_moved     -- 华泰科技（南京）有限公司 written 南京华泰科技有限公司
                THEN d.n_city_short || d.w_trade || d.industry || d.w_form
                ELSE d.w_prefix || CASE WHEN d.n_space AND d.w_prefix <> '' THEN ' ' ELSE '' END
                     || d.w_trade || d.industry
                     || CASE WHEN d.style = 'B' THEN '（' || d.n_city_short || '）' ELSE '' END
                     || CASE WHEN d.n_space AND d.w_prefix = '' THEN ' ' ELSE '' END
                     || d.w_form
           END
           || CASE WHEN d.branch_place IS NULL THEN ''
                   ELSE CASE WHEN d.n_branch_place THEN d.branch_place_alt ELSE d.branch_place END || d.branch_marker END
           AS name0
      FROM named d
), finished AS (
    SELECT b.*,
           CASE WHEN b.n_trad THEN translate(n1, t.simp, t.trad) ELSE n1 END AS name,
           CASE WHEN b.n_addr_missing THEN NULL
                ELSE CASE WHEN b.n_trad THEN translate(a1, t.simp, t.trad) ELSE a1 END END AS address
      FROM (SELECT b0.*,
                   CASE WHEN b0.n_halfwidth THEN translate(b0.name0, '（）', '()') ELSE b0.name0 END AS n1,
                   CASE WHEN b0.n_addr_fullwidth THEN translate(a0, '0123456789', '０１２３４５６７８９') ELSE a0 END AS a1
              FROM (SELECT built.*,
                           CASE WHEN n_addr_no_province THEN '' ELSE '江苏省' END
                           || CASE WHEN n_addr_no_province AND n_addr_no_city THEN '' ELSE city_full END
                           || CASE WHEN n_addr_no_county THEN '' ELSE county_full END
                           || CASE WHEN with_town AND NOT n_addr_no_town THEN coalesce(town_name, '') ELSE '' END
                           || street
                           || CASE WHEN n_addr_no_detail THEN '' ELSE detail END AS a0
                      FROM built) b0) b
      CROSS JOIN er.trad t
)
SELECT f.eid, f.ordinal, f.r,
       -- record ids: a bijection of the record's rank that hides the entity
       NULL::text AS id,
       f.name,
       CASE f.n_uscc
            WHEN 'kept' THEN f.uscc
            WHEN 'missing' THEN NULL
            WHEN 'mistyped' THEN overlay(f.uscc PLACING
                     substr(replace('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(f.uscc, mp.p, 1), ''),
                            1 + floor(er.u(f.r, 271) * 30)::int, 1) FROM mp.p FOR 1)
            WHEN 'swapped' THEN overlay(f.uscc PLACING substr(f.uscc, mp.p + 1, 1) || substr(f.uscc, mp.p, 1) FROM mp.p FOR 2)
            ELSE '320' || substr(f.county_code, 4, 3) || lpad((f.eid::bigint * 7919 % 1000000000)::text, 9, '0')
       END AS uscc,
       f.address,
       CASE f.n_division WHEN 'county' THEN f.county_code WHEN 'city' THEN f.city_code
                         WHEN 'town' THEN coalesce(f.town_code, f.county_code) END AS division_code,
       CASE f.n_person WHEN 'same' THEN f.person WHEN 'missing' THEN NULL
                       WHEN 'trad' THEN translate(f.person, f.simp, f.trad)
                       ELSE er.pick(v.surnames, power(er.u(f.r, 281), 2)) || er.pick(v.given, er.u(f.r, 282))
                            || er.pick(v.given, er.u(f.r, 283)) END AS legal_representative,
       concat_ws(',', CASE WHEN f.clean THEN 'clean' END,
                 CASE WHEN f.n_prefix AND f.style <> 'B' THEN 'prefix' END, CASE WHEN f.n_form THEN 'form' END,
                 CASE WHEN f.n_trad THEN 'trad' END, CASE WHEN f.n_homophone THEN 'homophone' END,
                 CASE WHEN f.n_typo THEN 'typo' END, CASE WHEN f.n_space THEN 'space' END,
                 CASE WHEN f.style = 'B' AND f.n_bracket_moved THEN 'bracket_moved' END,
                 CASE WHEN f.n_halfwidth AND f.name0 ~ '（' AND NOT (f.style = 'B' AND f.n_bracket_moved) THEN 'halfwidth_brackets' END,
                 CASE WHEN f.n_branch_place AND f.branch_place IS NOT NULL THEN 'branch_place' END,
                 CASE WHEN f.n_addr_no_county AND NOT f.n_addr_missing THEN 'address_no_county' END,
                 'uscc_' || f.n_uscc, CASE WHEN f.n_addr_missing THEN 'no_address' END,
                 'division_' || f.n_division, 'person_' || f.n_person) AS noise
  FROM (SELECT finished.*, trad.simp, trad.trad FROM finished CROSS JOIN er.trad) f
  CROSS JOIN er.vocab v
  CROSS JOIN LATERAL (SELECT 3 + floor(er.u(f.r, 270) * 14)::int AS p) mp;

-- Record ids: R + digits, a bijection (1000003 is prime) of the record's rank
-- in a hashed order, so that neither ids nor row order reveal the entity.
SELECT greatest(7, length((:n - 1)::text)) AS id_width \gset
CREATE TABLE er.rec_id AS
SELECT r, 'R' || lpad(((row_number() OVER (ORDER BY er.u(r, 290), r) - 1) * 1000003 % :n)::text, :id_width, '0') AS id
  FROM er.rec;
CREATE TABLE er.recs AS
SELECT i.id, name, uscc, address, division_code, legal_representative
  FROM er.rec JOIN er.rec_id i USING (r);
CREATE TABLE er.truth AS
SELECT i.id, eid, ordinal, noise FROM er.rec JOIN er.rec_id i USING (r);
ALTER TABLE er.recs ADD PRIMARY KEY (id);
ALTER TABLE er.truth ADD PRIMARY KEY (id);
DROP TABLE er.rec0, er.rec, er.rec_id, er.noise, er.candidate;
ANALYZE er.recs, er.truth, er.entity_full;

SELECT (SELECT count(*) FROM er.recs) AS records,
       (SELECT count(*) FROM er.entity_full) AS entities,
       (SELECT count(*) FROM er.entity_full WHERE head_eid IS NOT NULL) AS branch_entities,
       (SELECT count(*) FROM er.entity_full WHERE is_neighbour) AS neighbour_entities,
       (SELECT count(*) FROM (SELECT eid FROM er.truth GROUP BY eid HAVING count(*) > 1) x) AS entities_with_duplicates,
       (SELECT sum(c * (c - 1) / 2) FROM (SELECT count(*) AS c FROM er.truth GROUP BY eid) x) AS true_pairs,
       round(1 - (SELECT count(*) FROM er.entity_full)::numeric / (SELECT count(*) FROM er.recs), 4) AS duplicate_share;
