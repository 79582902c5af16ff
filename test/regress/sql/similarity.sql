-- Text layer of the matching engine, similarities (extension/similarity.c,
-- sql/matching_text.sql, docs/matching.md): jaro_winkler, levenshtein,
-- bigram_dice on code points; address_parse and address_similarity.
-- One input per line; the derivations of the expected values are in the comments.
SET search_path = supervision, public;
\pset null '<null>'

--
-- jaro_winkler: worked examples
--
-- Jaro = (m/|a| + m/|b| + (m - t)/m) / 3, m characters matching within
-- max(|a|,|b|)/2 - 1 positions, t half the matched characters out of order;
-- Jaro-Winkler = Jaro + l * 0.1 * (1 - Jaro), l the common prefix up to 4.
SELECT n, a, b, round(jaro_winkler(a, b)::numeric, 6) AS jw
FROM (VALUES
    -- window 2; all 6 match; TH/HT out of order: t = 1; Jaro (1 + 1 + 5/6)/3 = 0.944444;
    -- l = 3 (MAR): 0.944444 + 0.3 * 0.055556 = 0.961111
    (1, 'MARTHA', 'MARHTA'),
    -- window 3; D, I, O, N match (X has no partner): m = 4, t = 0; Jaro (4/5 + 4/8 + 1)/3 = 0.766667;
    -- l = 2: 0.766667 + 0.2 * 0.233333 = 0.813333
    (2, 'DIXON', 'DICKSONX'),
    -- window 2; 信 has no partner: m = 5, t = 0; Jaro (5/6 + 5/6 + 1)/3 = 0.888889; l = 3: 0.922222
    (3, '南京华信科技', '南京华新科技'),
    -- window 0; m = 2; Jaro (2/2 + 2/3 + 1)/3 = 0.888889; l = 2: 0.888889 + 0.2 * 0.111111 = 0.911111
    (4, '南京', '南京市'),
    -- window 2; m = 6; Jaro (6/7 + 6/7 + 1)/3 = 0.904762; the prefix is 6 long but counts 4: 0.904762 + 0.4 * 0.095238 = 0.942857
    (5, '南京市玄武区A', '南京市玄武区B'),
    -- window 0: a and b are one position apart, no match: 0
    (6, 'ab', 'ba'),
    -- code points, not bytes: é (2 bytes in UTF-8) and e are different characters, no match: 0
    (7, 'é', 'e'),
    (8, '南京', '南京'),          -- equal: 1
    (9, '', ''),                  -- two empty strings are equal: 1
    (10, '', '南京'),             -- one empty: 0
    (11, NULL, '南京')            -- NULL (STRICT)
) AS t(n, a, b)
ORDER BY n;

--
-- levenshtein: worked examples (code points; insert, delete, substitute cost 1)
--
SELECT n, CASE WHEN length(a) > 20 THEN left(a, 8) || '...' ELSE a END AS a,
       CASE WHEN length(b) > 20 THEN left(b, 8) || '...' ELSE b END AS b, levenshtein(a, b) AS distance
FROM (VALUES
    (1, 'kitten', 'sitting'),                             -- k->s, e->i, +g: 3
    (2, '南京市玄武区', '南京玄武区'),                    -- delete 市: 1
    (3, 'é', 'e'),                                        -- one character substituted (2 bytes vs 1): 1
    (4, '😀', '😁'),                                      -- 4-byte characters: 1
    (5, '', '南京'),                                      -- 2 insertions
    (6, '南京某某科技有限公司', '某某科技有限公司南京'),  -- delete 南京 at the front, insert it at the end: 4
    (7, repeat('a', 100), repeat('b', 100)),              -- 100 substitutions (two 64-character blocks)
    (8, repeat('ab', 100), repeat('ba', 100)),            -- delete the first a, append an a: 2
    (9, repeat('南京', 500000), repeat('南京', 500000) || '市'), -- 1 000 000 characters, one appended: 1
    (10, repeat('南京', 500000), '南京'),                 -- 999 998 deletions
    (11, NULL, 'x')
) AS t(n, a, b)
ORDER BY n;

--
-- bigram_dice: worked examples (2|A∩B| / (|A|+|B|), bigram multisets)
--
SELECT n, a, b, round(bigram_dice(a, b)::numeric, 6) AS dice
FROM (VALUES
    (1, '南京市', '南京'),                  -- {南京,京市} vs {南京}: 2*1/(2+1) = 0.666667
    (2, '南京某某科技', '南京某某商贸'),    -- {南京,京某,某某,某科,科技} vs {南京,京某,某某,某商,商贸}: 2*3/10 = 0.6
    (3, 'aaaa', 'aa'),                      -- multisets {aa,aa,aa} vs {aa}: one in common, 2*1/4 = 0.5
    (4, '南', '南'),                        -- one character: its unigram; equal: 1
    (5, '南', '南京'),                      -- unigram {南} vs bigram {南京}: 0
    (6, 'ab', 'ba'),                        -- {ab} vs {ba}: 0
    (7, '', ''),                            -- two empty strings are equal: 1
    (8, '', 'a'),                           -- one empty: 0
    (9, NULL, 'a')
) AS t(n, a, b)
ORDER BY n;

--
-- address_parse
--
SELECT n, input, p.*
FROM (VALUES
    (1, '江苏省南京市玄武区中山路18号'),
    (2, '南京玄武中山路一号'),                                 -- short forms give full names; 一号 -> 1号
    (3, '江苏省南京市玄武区玄武门街道中山路18号2栋301室'),    -- town from the table; building 2栋301室
    (4, '南京市江宁区秣陵街道胜太路６８号'),                   -- full-width digits
    (5, '南京市玄武區中山路18號'),                             -- traditional characters
    (6, '上海市浦东新区张江镇祖冲之路887弄5号'),               -- municipality: no city level; lane and number
    (7, '南京市鼓楼区北京西路2号'),                            -- 北京 followed by 西路 is a road, not Beijing
    (8, '南京市秦淮区南京路10号'),                             -- 南京 followed by 路 is a road
    (9, '苏州工业园区星湖街328号'),                            -- a zone in the county slot; 街 road
    (10, '徐州市鼓楼区中山北路200号B座1201室'),                -- 鼓楼区 of 徐州 (there is one in 南京 too)
    (11, '江阴市周庄镇华明村3组15号'),                         -- village and group go to rest; no road
    (12, '南京市玄武区中山路１８号３栋２单元３０１'),          -- a trailing room number joins the building
    (13, '浙江省杭州市西湖区文三路90号东部软件园科技大厦A座12层'),
    (14, '红旗乡胜利村5号'),                                   -- a town not in the table (towns are Jiangsu's only): XX乡; village in rest
    (15, '南京市玄武区中山路18-1号'),                          -- sub-number
    (16, '南京市玄武区中山路18#3栋'),                          -- '#' is 号
    (17, '南京市玄武区第三层'),                                -- 第三层 -> 3层
    (18, '中山路'),
    (19, ''),
    (20, NULL)
) AS t(n, input), LATERAL address_parse(input) AS p
ORDER BY n;

--
-- address_similarity
--
-- Weights: province 0.05, city 0.10, county 0.15, town 0.10, road 0.25,
-- number 0.20, building 0.10, rest 0.05. Score = sum(w*s)/sum(w) over the
-- parts compared, times 0.9 + 0.1 * coverage (weight compared / weight
-- present on either side), times 0.3/0.4/0.7/0.85 for each province, city,
-- county, town that differs.
SELECT n, a, b, round(address_similarity(a, b)::numeric, 6) AS score
FROM (VALUES
    -- 玄武区 lies in 南京市 (city compared through the county: 1); county 1, road 1, number 1: 1
    (1, '南京市玄武区中山路1号', '玄武区中山路1号'),
    -- compared: road 1 (0.25), number 1 (0.2); present: also city 0.10, county 0.15.
    -- 1 * (0.9 + 0.1 * 0.45/0.70) = 0.964286
    (2, '南京市玄武区中山路1号', '中山路1号'),
    -- numbers 1 and 3 on the same road: 0.5. (0.10 + 0.15 + 0.25 + 0.2*0.5)/0.70 = 0.857143
    (3, '南京市玄武区中山路1号', '南京市玄武区中山路3号'),
    -- same main number 18: 0.8. (0.10 + 0.15 + 0.25 + 0.16)/0.70 = 0.942857
    (4, '南京市玄武区中山路18号', '南京市玄武区中山路18-1号'),
    -- numbers 1 and 100: 0. (0.10 + 0.15 + 0.25)/0.70 = 0.714286
    (5, '南京市玄武区中山路1号', '南京市玄武区中山路100号'),
    -- county differs: (0.10 + 0.25 + 0.2)/0.70 = 0.785714, times 0.7 = 0.55
    (6, '南京市玄武区中山路1号', '南京市鼓楼区中山路1号'),
    -- city and county differ: (0.25 + 0.2)/0.70 = 0.642857, times 0.4 * 0.7 = 0.18
    (7, '南京市玄武区中山路1号', '苏州市姑苏区中山路1号'),
    -- 玄武区 implies 南京市, not 苏州市: city 0. compared city, road, number 0.55 of present 0.70:
    -- 0.45/0.55 = 0.818182 * (0.9 + 0.1 * 0.55/0.70) = 0.800649, times 0.4 = 0.320260
    (8, '玄武区中山路1号', '苏州市中山路1号'),
    -- JW(中山路, 中山北路): window 1, m = 3, t = 0, Jaro (3/3 + 3/4 + 1)/3 = 0.916667, l = 2: 0.933333.
    -- (0.10 + 0.15 + 0.25*0.933333 + 0.2)/0.70 = 0.976190
    (9, '南京市玄武区中山路1号', '南京市玄武区中山北路1号'),
    -- building on one side only: compared 0.70 of present 0.80: 1 * (0.9 + 0.1 * 0.875) = 0.9875
    (10, '南京市玄武区中山路1号2栋', '南京市玄武区中山路1号'),
    -- 中山璐 is no road: compared with the other's rest 中山璐 by Dice {中山,山路} vs {中山,山璐} = 0.5;
    -- (0.10 + 0.15 + 0.25*0.5 + 0.2)/0.70 = 0.821429, times 0.9 + 0.1 * 0.70/0.75 = 0.993333: 0.815952
    (11, '南京市玄武区中山路1号', '南京市玄武区中山璐1号'),
    -- short and full forms, full-width, traditional, Chinese numerals: the same address, 1
    (12, '江苏省南京市玄武區中山路十八号', '南京玄武中山路１８号'),
    -- only rest on both sides: Dice {某某,某村} vs {某某,某村,村委,委会} = 4/6 = 0.666667
    (13, '某某村', '某某村委会'),
    (14, '', ''),                   -- 1
    (15, '南京', ''),               -- 0
    (16, NULL, '南京')
) AS t(n, a, b)
ORDER BY n;

--
-- Bad and odd inputs: every function returns, one per line
--
SELECT n, length(x) AS len,
       round(jaro_winkler(x, '南京某某')::numeric, 6) AS jw, levenshtein(x, '南京某某') AS lev,
       round(bigram_dice(x, '南京某某')::numeric, 6) AS dice, round(address_similarity(x, '南京市玄武区中山路1号')::numeric, 6) AS addr,
       (address_parse(x)).road IS NOT NULL AS has_road
FROM (VALUES
    (1, ''),
    (2, '🙂😀👍'),                               -- emoji only
    (3, E'\u0301\u0302\u0303'),                  -- combining marks only
    (4, E'\uFFFD\uFFFD'),                        -- replacement characters
    (5, E'\uE000\U0010FFFF'),                    -- private use, last code point
    (6, E'\u200B\u200D'),                        -- format characters
    (7, repeat('路', 100000)),                   -- a road suffix everywhere
    (8, repeat('1号', 100000)),                  -- numbers everywhere
    (9, repeat('南京市', 100000)),               -- divisions everywhere
    (10, repeat('江苏省南京市玄武区中山路18号', 40000)) -- 1 000 000 characters
) AS t(n, x)
ORDER BY n;
-- canonically equivalent strings are equal: é precomposed (U+00E9) and e + combining acute (U+0301)
SELECT jaro_winkler(E'Caf\u00E9', E'Cafe\u0301') AS jw, levenshtein(E'Caf\u00E9', E'Cafe\u0301') AS lev,
       bigram_dice(E'Caf\u00E9 Ltd', E'Cafe\u0301 Ltd') AS dice,
       levenshtein(E'Caf\u00E9', 'Cafe') AS lev_to_plain_e,            -- é is still not e: 1
       levenshtein(E'\uAC00', E'\u1100\u1161') AS lev_hangul;        -- 가 and its jamo: 0

SELECT round(jaro_winkler(repeat('南京某某', 250000), repeat('南京某某', 249999) || '某某南京')::numeric, 6) AS jw_1m_chars,
       round(bigram_dice(repeat('南京某某', 250000), repeat('某某南京', 250000))::numeric, 6) AS dice_1m_chars;

--
-- Random inputs: deterministic strings, properties that must hold
--
-- 3 000 strings: md5-derived ASCII, CJK from U+4E00 + md5 bytes (a small
-- alphabet, so that strings share characters), address pieces shuffled.
CREATE TEMP TABLE rnd AS
SELECT i, CASE i % 3
    WHEN 0 THEN left(encode(decode(md5(i::text), 'hex'), 'base64'), i % 23)
    WHEN 1 THEN (SELECT string_agg(chr(19968 + get_byte(decode(md5(i::text || k), 'hex'), 0) % 12), '')
                 FROM generate_series(1, i % 70) k)
    ELSE (SELECT string_agg(c, '' ORDER BY md5(i::text || c || k))
          FROM (SELECT substr('江苏省南京市玄武区中山路18号2栋 ＡＢ🙂', k, 1) AS c, k FROM generate_series(1, 20) k) s)
    END AS s
FROM generate_series(1, 3000) i;
UPDATE rnd SET s = '' WHERE s IS NULL;
CREATE TEMP TABLE pairs AS
SELECT x.s AS a, y.s AS b, z.s AS c,
       jaro_winkler(x.s, y.s) AS jw, levenshtein(x.s, y.s) AS lev, bigram_dice(x.s, y.s) AS dice,
       address_similarity(x.s, y.s) AS addr
FROM rnd x JOIN rnd y ON y.i = x.i % 3000 + 1 JOIN rnd z ON z.i = (x.i * 7) % 3000 + 1;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE jw < 0 OR jw > 1) AS jw_outside_0_1,
       count(*) FILTER (WHERE jw <> jaro_winkler(b, a)) AS jw_asymmetric,
       count(*) FILTER (WHERE jaro_winkler(a, a) <> 1) AS jw_self_not_1,
       count(*) FILTER (WHERE dice < 0 OR dice > 1) AS dice_outside_0_1,
       count(*) FILTER (WHERE dice <> bigram_dice(b, a)) AS dice_asymmetric,
       count(*) FILTER (WHERE lev <> levenshtein(b, a)) AS lev_asymmetric,
       count(*) FILTER (WHERE levenshtein(a, a) <> 0) AS lev_self_not_0,
       count(*) FILTER (WHERE lev < abs(length(a) - length(b)) OR lev > greatest(length(a), length(b))) AS lev_outside_bounds,
       count(*) FILTER (WHERE levenshtein(a, c) > lev + levenshtein(b, c)) AS lev_triangle_broken,
       count(*) FILTER (WHERE addr < 0 OR addr > 1) AS addr_outside_0_1,
       count(*) FILTER (WHERE addr <> address_similarity(b, a)) AS addr_asymmetric,
       count(*) FILTER (WHERE address_similarity(a, a) <> 1) AS addr_self_not_1
FROM pairs;
