-- Text layer of the matching engine, names (extension/normalize.c,
-- sql/matching_text.sql, docs/matching.md): name_normalize, name_core,
-- name_parts, pinyin_key, and the dictionaries behind them. One input per line.
SET search_path = supervision, public;
\pset null '<null>'

--
-- name_normalize: worked examples
--
SELECT n, input, name_normalize(input) AS normalized
FROM (VALUES
    (1, '南京市玄武區某某科技有限公司'),     -- 區 -> 区: traditional to simplified, nothing else changes
    (2, '南京某某（集团）有限公司'),         -- full-width （） -> ASCII () by NFKC; content kept
    (3, '【南京】某某〔科技〕《有限》公司'), -- 【】〔〕《》 -> (); no space in between to remove
    (4, 'ａｂｃ　１２３有限公司'),           -- full-width letters and digits -> ABC123 (NFKC, upper case); U+3000 space removed
    (5, 'Nanjing Mou-Mou Co., Ltd.'),        -- spaces, '-', ',' and '.' removed, letters upper case: NANJINGMOUMOUCOLTD
    (6, '中国·南京　某某'),                  -- middle dot (punctuation) and ideographic space removed
    (7, '某某（）公司'),                     -- an empty pair of brackets goes entirely
    (8, '某某（ · ）公司'),                  -- empty once the punctuation inside is removed: goes too
    (9, '某某[{南京}]公司'),                 -- nested brackets: ((南京))
    (10, '①号㈱'),                          -- NFKC: ① -> 1, ㈱ -> (株)
    (11, '計畫'),                            -- character by character: 計 -> 计, 畫 -> 画 (ICU's phrase rule 計畫 -> 计划 is not applied)
    (12, '苧麻薴麻苎麻'),                    -- ICU maps 苧 -> 苎 and 苎 -> 苧 (a cycle): both go to the smaller, 苎 (U+82CE); 薴 -> 苧 -> 苎
    (13, 'Café'),                            -- é kept (a letter), upper case É
    (14, E'cafe\u0301'),                     -- e + combining acute composes (NFKC): CAFÉ, the same as line 13
    (15, 'ǆ有限公司'),                       -- ǆ (U+01C6): NFKC -> dž, then upper case DŽ
    (16, 'Straße'),                          -- simple upper-casing keeps ß: STRAßE
    (17, '南京🙂某某™公司®'),                -- emoji and ® (symbols) removed; ™ is TM under NFKC
    (18, E'南京\t某某\n公司\r')              -- control characters removed
) AS t(n, input)
ORDER BY n;

--
-- name_normalize: bad and odd inputs, one per line
--
SELECT n, CASE WHEN length(input) > 20 THEN left(input, 10) || '...' ELSE input END AS input,
       length(name_normalize(input)) AS len, left(name_normalize(input), 12) AS normalized
FROM (VALUES
    (1, NULL),                               -- NULL in, NULL out (STRICT)
    (2, ''),                                 -- empty in, empty out
    (3, '   '),                              -- only spaces: empty
    (4, '（）【】《》'),                     -- only brackets: all pairs empty, nothing left
    (5, '((('),                              -- unbalanced brackets are kept
    (6, ')))'),
    (7, '🙂😀👍'),                          -- only emoji
    (8, E'\u0301\u0302'),                    -- only combining marks (no base): kept, they are marks
    (9, E'\uFFFD'),                          -- U+FFFD replacement character (a symbol): removed
    (10, E'\uE000\uF8FF'),                   -- private use: kept
    (11, E'\U0010FFFF'),                     -- last code point (noncharacter, unassigned): kept
    (12, E'\u200B\u200D\uFEFF'),             -- zero-width space, joiner, BOM: format characters, removed
    (13, E'南\uFE0F京\U000E0100'),           -- variation selectors removed: 南京
    (14, repeat('南京某某', 250000)),        -- 1 000 000 characters (3 MB): same length out
    (15, repeat('（）', 100000))             -- 200 000 characters that all cancel out
) AS t(n, input)
ORDER BY n;

--
-- name_core: variants of one company share a core
--
-- Every line is 某某科技 with different noise; all have core 某某科技.
SELECT n, input, name_core(input) AS core
FROM (VALUES
    (1, '某某科技有限公司'),                     -- the plain name: 有限公司 removed
    (2, '南京某某科技有限公司'),                 -- city short form 南京 removed
    (3, '南京市某某科技有限公司'),               -- city full form
    (4, '江苏南京某某科技有限公司'),             -- province short + city short, removed one after the other
    (5, '江苏省南京市玄武区某某科技有限公司'),   -- province, city, county: all full forms
    (6, '南京市玄武區某某科技有限公司'),         -- traditional 區
    (7, '南京玄武某某科技有限责任公司'),         -- county short form; org form 有限责任公司
    (8, '某某科技股份有限公司'),                 -- 股份有限公司
    (9, '某某科技（集团）有限公司'),             -- full-width brackets: (集团) and 有限公司 both removed
    (10, '某某科技集团股份有限公司'),            -- 集团股份有限公司 is one form
    (11, '  某某 科技 有限公司  '),              -- spaces
    (12, '苏州工业园区某某科技有限公司')         -- a statistical zone named like a zone (…园区): full form removed
) AS t(n, input)
ORDER BY n;

SELECT count(DISTINCT name_core(input)) AS distinct_cores
FROM unnest(ARRAY['某某科技有限公司', '南京某某科技有限公司', '江苏省南京市玄武区某某科技有限公司',
                  '南京市玄武區某某科技有限公司', '某某科技（集团）有限公司', '江苏南京某某科技有限责任公司']) AS input;

--
-- name_core and name_parts: the rules one by one
--
SELECT n, input, name_core(input) AS core, p.*
FROM (VALUES
    -- branches are distinct entities: the branch part stays in the core
    (1, '某某公司'),                                 -- core 某某
    (2, '某某公司南京分公司'),                       -- branch 南京分公司 after the head's org form 公司: core 某某南京分公司
    (3, '江苏某某科技有限公司南京分公司'),           -- head 江苏某某科技有限公司 -> 某某科技; branch kept: 某某科技南京分公司
    (4, '某某科技南京市分公司'),                     -- no org form before the branch: the division before 分公司 starts it;
                                                     -- in the core its full name becomes the short form: 某某科技南京分公司 (= line 3)
    (5, '苏果超市有限公司江宁分店'),                 -- 分店; 江宁 is the branch
    (6, '某某科技有限公司南京第一分公司'),           -- ordinal inside the branch
    (7, '某某科技一分店'),                           -- no org form, no division: the ordinal 一 starts the branch
    (8, '中国银行股份有限公司南京分行城东支行'),     -- marker 支行; the branch runs from after 股份有限公司
    -- a division name that is the trade name stays (in short form), when nothing else would remain
    (9, '南京医药股份有限公司'),                     -- without 南京 only 医药 (an industry word) is left: trade name 南京
    (10, '南京市医药有限公司'),                      -- same core 南京医药: the division given back in short form
    (11, '江苏南京医药有限公司'),                    -- 江苏 removed, 南京 given back: 南京医药
    (12, '江苏银行股份有限公司'),                    -- 银行 is an industry word: 江苏银行
    (13, '南京有限公司'),                            -- nothing but the division: core 南京
    (14, '长春藤教育科技有限公司'),                  -- 长春 (a city) would leave 藤 + industry words, one character: kept, 长春藤教育科技
    (15, '南京市场管理有限公司'),                    -- 市 of 南京市 begins 市场 (an industry word): only 南京 is a division here
    (16, '南京市市场管理有限公司'),                  -- same core as line 15: 南京市场管理
    -- short forms: 2-character names have none; other provinces' counties only below their city
    (17, '沙县小吃店'),                              -- 沙县 has no short form (沙 is one character): full form removed,
                                                     -- then 小吃店 alone is an industry word: 沙县 comes back
    (18, '福建省沙县某某小吃店'),                    -- 福建省 and 沙县 removed: 某某小吃店
    (19, '北京海淀某某科技有限公司'),                -- 海淀 (北京市海淀区) follows 北京: removed
    (20, '海淀某某科技有限公司'),                    -- 海淀 alone: a county's short form outside Jiangsu without its city is kept
    (21, '江阴周庄华明机械厂'),                      -- 江阴 (Jiangsu county-level city), then 周庄 (town below it); 厂 is an org form
    (22, '广西壮族自治区某某贸易有限公司'),          -- autonomous region, full form
    (23, '广西某某贸易有限公司'),                    -- its short form 广西 (without 壮族自治区)
    -- organisation forms as written, industry split, brackets
    (24, '天衡会计师事务所（特殊普通合伙）'),        -- two forms: (特殊普通合伙) then 事务所
    (25, '南京某某蔬菜种植农民专业合作社'),          -- 农民专业合作社; industry 蔬菜种植 = 蔬菜 + 种植
    (26, '南京市玄武区张三小吃店（个体工商户）'),    -- individual business
    (27, '华为技术（南京）有限公司'),                -- a bracketed division after the trade name: region 南京, kept in the core
    (28, '某某（中国）投资有限公司'),                -- a bracket that is no division stays with the trade name
    (29, '建筑工程有限公司'),                        -- only industry words and no division to give back: core 建筑工程;
                                                     -- name_parts takes the first two characters as the trade name
    (30, '南京华信信息技术有限公司')                 -- industry 信息技术 (信息 + 技术 or 信息技术): trade name 华信
) AS t(n, input), LATERAL name_parts(input) AS p
ORDER BY n;

-- a branch never shares its head office's core
SELECT name_core('某某科技有限公司') = name_core('某某科技有限公司南京分公司') AS branch_equals_head,
       name_core('某某科技有限公司南京分公司') = name_core('江苏某某科技有限公司南京市分公司') AS same_branch_written_twice;

--
-- name_core, name_parts: bad and odd inputs, one per line
--
SELECT n, CASE WHEN length(input) > 20 THEN left(input, 10) || '...' ELSE input END AS input,
       length(name_core(input)) AS core_len, left(name_core(input), 12) AS core,
       (name_parts(input)).org_form
FROM (VALUES
    (1, NULL),
    (2, ''),
    (3, '有限公司'),                         -- only an org form: empty core
    (4, '分公司'),                           -- only a branch marker: the branch is the core
    (5, '江苏省南京市'),                     -- only divisions: the last one comes back, 南京
    (6, '🙂'),                               -- nothing survives normalisation
    (7, E'\uFFFD有限公司'),
    (8, E'南京\u0301某某公司'),              -- a combining mark on a Han character: 南京́ is no division, nothing removed but 公司
    (9, repeat('江苏', 20) || '某某公司'),   -- 20 divisions in a row: at most 8 removed
    (10, repeat('南京某某', 250000) || '有限公司'), -- 1 000 004 characters
    (11, repeat('分公司', 1000))             -- markers all the way down
) AS t(n, input)
ORDER BY n;

--
-- pinyin_key
--
SELECT n, input, pinyin_key(input) AS key
FROM (VALUES
    (1, '南京华信科技有限公司'),   -- nán jīng huá xìn kē jì yǒu xiàn gōng sī, toneless, upper case
    (2, '南京华新科技有限公司'),   -- 新 xīn = 信 xìn without tone: same key as line 1
    (3, '張三商行'),               -- 張 -> 张 first (normalisation): ZHANGSANSHANGXING (行: ICU reads xíng)
    (4, '章三商行'),               -- 章 zhāng: same key as line 3
    (5, '绿地'),                   -- lǜ: ü is V: LVDE (地: ICU reads de)
    (6, 'ABC科技123'),             -- letters and digits kept: ABCKEJI123
    (7, '（南京）·某某'),          -- brackets and punctuation dropped: NANJINGMOUMOU
    (8, 'Café科技'),               -- a non-ASCII letter is kept as it is: CAFÉKEJI
    (9, '〇二'),                   -- 〇 is Han: LINGER
    (10, '𠀀'),                    -- CJK extension B (U+20000): HE
    (14, '瓧'),                    -- a Han character ICU has no reading for (a Japanese-made character): kept as it is
    (11, ''),
    (12, NULL),
    (13, '🙂😀')                   -- nothing
) AS t(n, input)
ORDER BY n;
SELECT length(pinyin_key(repeat('南京', 500000))) AS key_len_of_1m_chars;   -- NANJING per pair: 7 * 500 000

--
-- The dictionaries: rows a DBA adds count at once, also in other sessions
-- (a statement trigger invalidates every backend's cache)
--
SELECT name_core('南京某某科技商号') AS before, (name_parts('南京某某科技商号')).org_form;
INSERT INTO name_org_form (form) VALUES ('商号');
SELECT name_core('南京某某科技商号') AS after_insert, (name_parts('南京某某科技商号')).org_form;
BEGIN;
DELETE FROM name_org_form WHERE form = '商号';
SELECT name_core('南京某某科技商号') AS deleted_in_transaction;
ROLLBACK;
SELECT name_core('南京某某科技商号') AS after_rollback;
DELETE FROM name_org_form WHERE form = '商号';
-- a new division is a region at once
SELECT name_core('测试新区某某科技有限公司') AS before_division;
INSERT INTO division (code, name, level, parent_code, kind) VALUES ('320199', '测试新区', 3, '320100', 'county');
SELECT name_core('测试新区某某科技有限公司') AS after_division, name_core('南京测试某某科技有限公司') AS short_form;
DELETE FROM division WHERE code = '320199';
SELECT name_core('测试新区某某科技有限公司') AS after_delete;
-- an industry word decides where the trade name ends
INSERT INTO name_industry_word (word) VALUES ('光子');
SELECT (name_parts('南京某某光子科技有限公司')).trade_name;
DELETE FROM name_industry_word WHERE word = '光子';
SELECT (name_parts('南京某某光子科技有限公司')).trade_name;
-- constraints: one per line
INSERT INTO name_industry_word (word) VALUES ('光');             -- one character
INSERT INTO name_industry_word (word) VALUES ('科 技');          -- normalises to an existing word
INSERT INTO name_org_form (form) VALUES ('（ ）');               -- normalises to nothing
INSERT INTO name_org_form (form, kind) VALUES ('分号', 'other'); -- unknown kind
-- supervision_admin adds its own rows, cannot touch shipped ones; officers only read
CREATE ROLE norm_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE norm_officer LOGIN IN ROLE supervision_officer;
SET ROLE norm_admin;
INSERT INTO name_org_form (form) VALUES ('商号');
UPDATE name_org_form SET kind = 'branch' WHERE form = '有限公司';
DELETE FROM name_industry_word WHERE word = '科技';
INSERT INTO name_org_form (form, builtin) VALUES ('假冒', true);
DELETE FROM name_org_form WHERE form = '商号';
SET ROLE norm_officer;
SELECT count(*) > 50 AS officer_reads FROM name_org_form;
INSERT INTO name_industry_word (word) VALUES ('光子');
SELECT name_core('南京某某科技有限公司') AS officer_core;
RESET ROLE;
DROP ROLE norm_admin;
DROP ROLE norm_officer;
-- the shipped dictionaries
SELECT kind, count(*) > 0 AS has_rows, bool_and(builtin) AS all_builtin FROM name_org_form GROUP BY kind ORDER BY kind;
SELECT count(*) >= 300 AS a_few_hundred_industry_words FROM name_industry_word WHERE builtin;
-- the trigger function is not for direct calls
SELECT text_dictionary_changed();

--
-- Random inputs: deterministic strings, properties that must hold
--
-- 20 000 strings: md5-derived ASCII, CJK from U+4E00 + md5 bytes, full-width
-- and traditional noise, and the same characters shuffled by md5 order.
CREATE TEMP TABLE rnd AS
SELECT i, CASE i % 4
    WHEN 0 THEN left(encode(decode(md5(i::text), 'hex'), 'base64'), i % 23)
    WHEN 1 THEN (SELECT string_agg(chr(19968 + get_byte(decode(md5(i::text || k), 'hex'), 0) * 80
                                            + get_byte(decode(md5(i::text || k), 'hex'), 1) % 80), '')
                 FROM generate_series(1, i % 17) k)
    WHEN 2 THEN (SELECT string_agg(substr('江苏省南京市玄武區（集团）有限公司分公司ＡＢＣ　１２３·【】科技商贸', 1 + get_byte(decode(md5(i::text || k), 'hex'), 2) % 34, 1), '')
                 FROM generate_series(1, i % 29) k)
    ELSE (SELECT string_agg(c, '' ORDER BY md5(i::text || c || k))
          FROM (SELECT substr('南京某某（江苏）科技有限公司南京分公司 ｘ🙂', k, 1) AS c, k FROM generate_series(1, 22) k) s)
    END AS s
FROM generate_series(1, 20000) i;
SELECT count(*) AS strings,
       count(*) FILTER (WHERE name_normalize(name_normalize(s)) IS DISTINCT FROM name_normalize(s)) AS normalize_not_idempotent,
       count(*) FILTER (WHERE name_normalize(name_core(s)) IS DISTINCT FROM name_core(s)) AS core_not_normalized,
       count(*) FILTER (WHERE name_core(name_normalize(s)) IS DISTINCT FROM name_core(s)) AS core_depends_on_noise,
       count(*) FILTER (WHERE translate(regexp_replace(pinyin_key(s), '[A-Z0-9]', '', 'g'), name_normalize(s), '') <> '') AS key_not_ascii_nor_input,
       count(*) FILTER (WHERE pinyin_key(name_normalize(s)) IS DISTINCT FROM pinyin_key(s)) AS key_depends_on_noise,
       count(*) FILTER (WHERE length(name_core(s)) > length(name_normalize(s))) AS core_longer
FROM rnd;
-- name_parts: org_form and branch are the end of the normalized name as written; the
-- region (without a bracketed one) its beginning
SELECT count(*) AS strings,
       count(*) FILTER (WHERE right(name_normalize(s), length(coalesce(p.org_form, '') || coalesce(p.branch, '')))
                              <> coalesce(p.org_form, '') || coalesce(p.branch, '')) AS org_branch_not_suffix,
       count(*) FILTER (WHERE name_normalize(s) !~ '\)'
                          AND left(name_normalize(s), length(coalesce(p.region, ''))) <> coalesce(p.region, '')) AS region_not_prefix
FROM rnd, LATERAL name_parts(s) p;
