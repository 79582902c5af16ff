-- Identifier codes (extension/codes.c, sql/codes.sql, docs/codes.md):
-- unified social credit codes (GB 32100), organisation codes (GB 11714),
-- citizen identity numbers (GB 11643). One input per line.
SET search_path = supervision, public;
\pset null '<null>'

--
-- The worked example of GB 32100-2015
--
SELECT uscc_valid('91350100M000100Y43');
SELECT uscc_check_char('91350100M000100Y4');
SELECT uscc_invalid_reason('91350100M000100Y43');

--
-- uscc_valid and uscc_invalid_reason: one input per line
--
SELECT n, CASE WHEN length(input) > 20 THEN left(input, 18) || '...' ELSE input END AS input,
       uscc_valid(input) AS valid, uscc_invalid_reason(input) AS reason
FROM (VALUES
    (1, NULL),                            -- SQL NULL in, NULL out (a NULL is allowed by the domain)
    (2, ''),                              -- empty
    (3, '91350100M000100Y4'),             -- 17 characters
    (4, '91350100M000100Y433'),           -- 19 characters
    (5, ' 91350100M000100Y43'),           -- leading space
    (6, '91350100M000100Y43 '),           -- trailing space
    (7, '91350100m000100Y43'),            -- lowercase: not valid until normalised
    (8, '91350100M000100y43'),            -- lowercase y
    (9, '９1350100M000100Y43'),           -- full-width digit, 18 characters
    (10, '９１３５０１００Ｍ０００１００Ｙ４３'), -- entirely full-width
    (11, '91350100M000100Y45'),           -- wrong check character 18
    (12, '91350100M000100Y53'),           -- wrong check character 17
    (13, '91350100M000100YX3'),           -- X at 17 where 4 is right
    (14, '91350100I000100Y43'),           -- I is not in the set
    (15, '91350100O000100Y43'),           -- O
    (16, '91350100Z000100Y43'),           -- Z
    (17, '91350100S000100Y43'),           -- S
    (18, '91350100V000100Y43'),           -- V
    (19, '91350100M000100Y4I'),           -- I as check character 18
    (20, '91350100-000100Y43'),           -- punctuation
    (21, E'91350100\t000100Y43'),         -- control character
    (22, '91350100 000100Y43'),           -- inner space
    (23, '统一社会信用代码统一社会信用代码统一'),   -- 18 CJK characters
    (24, '91350100M000100Y4😀'),          -- 4-byte character at the end
    (25, 'é1350100M000100Y43'),           -- 2-byte character
    (26, repeat('9', 1000)),              -- overlong
    (27, repeat('统', 18) || 'x'),        -- 19 multibyte characters
    (28, '91320100MA10000250'),           -- weighted sum 1054 = 34 * 31: check character 0
    (29, '91320100MA10000251'),           -- same, wrong
    (30, '91320500MA100005X2'),           -- GB 11714 check 10 -> X at 17
    (31, '91320500MA10000A0D'),           -- GB 11714 check 11 -> 0 at 17
    (32, '91320500MA10000AXD'),           -- same with X: wrong
    (33, 'N2320581MF0000005G'),           -- starts with a letter: agriculture, village collective
    (34, 'Y1320100MA00000A9Q'),           -- Y other
    (35, 'A1100000MB0000000E'),           -- A military
    (36, 'B1320100MA0000007U'),           -- authority B is not in the table (yet): still valid
    (37, '12320000466002809U'),           -- public institution
    (38, '12320000466002809u')            -- lowercase check character
) AS t(n, input)
ORDER BY n;

-- the sum behind case 28, computed by hand: values times 3^(i-1) mod 31
SELECT sum(v * w) AS weighted_sum, sum(v * w) % 31 AS remainder
FROM (SELECT strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr('91320100MA1000025', i, 1)) - 1 AS v,
             (3::numeric ^ (i - 1))::bigint % 31 AS w
      FROM generate_series(1, 17) AS i) AS t;
SELECT uscc_check_char('91320100MA1000025');

--
-- The domain
--
SELECT '91350100M000100Y43'::uscc;
SELECT NULL::uscc IS NULL AS null_allowed;
SELECT '91350100M000100Y45'::uscc;
SELECT '91350100m000100Y43'::uscc;
SELECT ''::uscc;
SELECT uscc_normalize(' ９１３５０１００ｍ０００１００ｙ４３　')::uscc;
CREATE TEMP TABLE holder (id int PRIMARY KEY, code uscc);
INSERT INTO holder VALUES (1, '91320100MA10000250');
INSERT INTO holder VALUES (2, NULL);
INSERT INTO holder VALUES (3, '91320100MA10000251');
UPDATE holder SET code = 'A1100000MB0000000e' WHERE id = 1;
SELECT * FROM holder ORDER BY id;
DROP TABLE holder;
SELECT obj_description('supervision.uscc'::regtype, 'pg_type') IS NOT NULL AS documented;

--
-- uscc_normalize
--
SELECT n, input, uscc_normalize(input) AS normalized
FROM (VALUES
    (1, NULL),
    (2, ''),
    (3, '   '),
    (4, ' ９１３５０１００Ｍ０００１００Ｙ４３　'),   -- full-width digits and letters, ideographic space
    (5, E'\t 91350100m000100y43 \r\n'),
    (6, '913501　00M000100Y43'),          -- inner ideographic space becomes an inner space
    (7, '！～'),                          -- U+FF01 and U+FF5E: the ends of the range
    (8, '｟ｱ'),                           -- U+FF5F and U+FF71: outside the range, kept
    (9, '统一abc'),                       -- other characters kept, ASCII letters upper-cased
    (10, 'àé')                            -- non-ASCII letters are not upper-cased
) AS t(n, input)
ORDER BY n;

--
-- uscc_check_char: errors for a bad prefix, one per line
--
SELECT uscc_check_char('91320500MA100005X');
SELECT uscc_check_char(NULL);
SELECT uscc_check_char('');
SELECT uscc_check_char('91350100M000100Y');
SELECT uscc_check_char('91350100M000100Y43');
SELECT uscc_check_char('91350100m000100Y4');
SELECT uscc_check_char('91350100M0001O0Y4');
SELECT uscc_check_char('91350100M000100Y5');
SELECT uscc_check_char('９1350100M000100Y4');

--
-- uscc_parse
--
SELECT * FROM uscc_parse('91350100M000100Y43');
SELECT * FROM uscc_parse('N2320581MF0000005G');
SELECT * FROM uscc_parse('94320100MA0000007L');  -- authority known, type not
SELECT * FROM uscc_parse('B1320100MA0000007U');  -- authority unknown
SELECT * FROM uscc_parse(NULL);
-- the division name comes from supervision.division, at call time
SELECT division_code, division_name IS NOT NULL AS has_name,
       division_name = (SELECT d.name FROM supervision.division d WHERE d.code = '320100') AS name_matches
FROM uscc_parse('91320100MA10000250');
SELECT division_code, division_name FROM uscc_parse('91999999MA00000079');  -- no such division
-- errors name the first problem
SELECT * FROM uscc_parse('');
SELECT * FROM uscc_parse('91350100M000100Y4');
SELECT * FROM uscc_parse(' 91350100M000100Y43');
SELECT * FROM uscc_parse('91350100m000100Y43');
SELECT * FROM uscc_parse('91350100I000100Y43');
SELECT * FROM uscc_parse('９１３５０１００Ｍ０００１００Ｙ４３');
SELECT * FROM uscc_parse('91350100M000100Y53');
SELECT * FROM uscc_parse('91350100M000100Y45');
SELECT * FROM uscc_parse(E'91350100M000100Y4\n');
SELECT * FROM uscc_parse('91350100 000100Y43');
SELECT * FROM uscc_parse(repeat('统一社会信用代码', 100));
-- SQLSTATE is 22P02 (invalid_text_representation)
DO $$
BEGIN
    PERFORM supervision.uscc_parse('91350100M000100Y45');
EXCEPTION WHEN invalid_text_representation THEN
    RAISE NOTICE 'caught %', SQLSTATE;
END
$$;

--
-- org_code_valid (GB 11714): one input per line
--
SELECT input, org_code_valid(input) AS valid
FROM (VALUES
    (1, NULL),
    (2, 'M000100Y4'),          -- the organisation code inside the worked example
    (3, 'M000100Y-4'),         -- with the hyphen
    (4, 'M000100Y-5'),         -- wrong check character
    (5, 'M000100Y5'),
    (6, 'm000100Y4'),          -- lowercase
    (7, 'M000100Y'),           -- no check character
    (8, 'M000100Y--4'),        -- two hyphens
    (9, 'M000100Y 4'),         -- space instead of the hyphen
    (10, 'M000100-Y4'),        -- hyphen in the wrong place
    (11, '12340008X'),         -- check 10 -> X
    (12, '12340008-X'),
    (13, '12340008-x'),        -- lowercase x
    (14, '000000000'),         -- check 11 -> 0
    (15, 'MI00100YX'),         -- GB 11714 allows I, O, S, V, Z in the body
    (16, 'Ｍ000100Y4'),        -- full-width
    (17, ''),
    (18, '91350100M000100Y43') -- a whole credit code is not an organisation code
) AS t(n, input)
ORDER BY n;

--
-- id_card_valid (GB 11643): one input per line
--
SELECT input, id_card_valid(input) AS valid
FROM (VALUES
    (1, NULL),
    (2, '11010519491231002X'),   -- valid, check 10 -> X
    (3, '11010519491231002x'),   -- lowercase x
    (4, '110105194912310021'),   -- wrong check character
    (5, '320102198001011238'),   -- valid
    (6, '320102198001011230'),   -- wrong check character
    (7, '110105194902300020'),   -- 30 February, right check character
    (8, '110105194913310021'),   -- month 13
    (9, '110105194912000021'),   -- day 0
    (10, '110105190002290017'),  -- 29 February 1900: not a leap year
    (11, '110105200002290013'),  -- 29 February 2000: a leap year
    (12, '110105179912310016'),  -- year 1799
    (13, '110105180001010010'),  -- 1 January 1800
    (14, '110105491231002'),     -- old 15-digit number
    (15, '11010519491231002'),   -- 17 characters
    (16, '11010519491231002X1'), -- 19 characters
    (17, 'A1010519491231002X'),  -- letter
    (18, '１1010519491231002X'), -- full-width digit
    (19, '')
) AS t(n, input)
ORDER BY n;

--
-- The authority and institution-type tables
--
SELECT code, name, builtin FROM uscc_authority ORDER BY code COLLATE "C";
SELECT code, authority, name FROM uscc_institution_type ORDER BY code COLLATE "C";
-- pg_dump keeps only rows a DBA added
SELECT c.relname, x.cond
FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(reloid, cond)
JOIN pg_class c ON c.oid = x.reloid
WHERE e.extname = 'supervision' AND c.relname LIKE 'uscc%'
ORDER BY 1;
SELECT tgrelid::regclass AS table_name, tgname
FROM pg_trigger
WHERE tgrelid IN ('uscc_authority'::regclass, 'uscc_institution_type'::regclass) AND NOT tgisinternal
ORDER BY 1, 2;
SELECT relname, relrowsecurity FROM pg_class
WHERE oid IN ('uscc_authority'::regclass, 'uscc_institution_type'::regclass) ORDER BY 1;
-- constraints
INSERT INTO uscc_authority (code, name) VALUES ('I', 'not in the code set');
INSERT INTO uscc_authority (code, name) VALUES ('BB', 'two characters');
INSERT INTO uscc_authority (code, name) VALUES ('B', ' ');
INSERT INTO uscc_institution_type (code, authority, name) VALUES ('B1', 'B', 'unknown authority');
INSERT INTO uscc_institution_type (code, authority, name) VALUES ('95', '1', 'authority differs');
-- officers read, and cannot write
SET ROLE supervision_officer;
SELECT count(*) FROM uscc_authority;
SELECT authority_name, institution_type_name FROM uscc_parse('91350100M000100Y43');
INSERT INTO uscc_authority (code, name) VALUES ('B', 'test');
RESET ROLE;
-- an administrator adds rows, and cannot change the built-in ones
BEGIN;
SET ROLE supervision_admin;
INSERT INTO uscc_authority (code, name) VALUES ('B', '测试部门');
INSERT INTO uscc_institution_type (code, authority, name) VALUES ('B1', 'B', '测试类别');
SELECT authority_code, authority_name, institution_type_code, institution_type_name
FROM uscc_parse('B1320100MA0000007U');
WITH u AS (UPDATE uscc_authority SET name = '市场监管' WHERE code = '9' RETURNING code)
SELECT count(*) AS built_in_rows_updated FROM u;
WITH d AS (DELETE FROM uscc_institution_type WHERE code = '91' RETURNING code)
SELECT count(*) AS built_in_rows_deleted FROM d;
WITH u AS (UPDATE uscc_authority SET name = '测试' WHERE code = 'B' RETURNING code)
SELECT count(*) AS own_rows_updated FROM u;
-- the changes are in the audit trail
RESET ROLE;
-- audit rows are written when the transaction commits; fire the deferred audit trigger now to see them here
SET CONSTRAINTS ALL IMMEDIATE;
SELECT table_name, operation, old_row ->> 'name' AS old_name, new_row ->> 'name' AS new_name
FROM supervision.audit_log WHERE table_name LIKE 'supervision.uscc%' ORDER BY id;
SET ROLE supervision_admin;
INSERT INTO uscc_authority (code, name, builtin) VALUES ('C', 'pretends to be built in', true);
ROLLBACK;
SELECT name FROM uscc_authority WHERE code = '9';

--
-- Declared properties of the functions
--
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel, p.proleakproof,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
FROM pg_proc p
WHERE p.pronamespace = 'supervision'::regnamespace
  AND p.proname IN ('uscc_valid', 'uscc_invalid_reason', 'uscc_check_char', 'uscc_normalize',
                    'uscc_parse', 'org_code_valid', 'id_card_valid')
ORDER BY 1::text;

--
-- 50 000 generated strings: the C uscc_valid against a plain PL/pgSQL
-- implementation written from the standard
--
CREATE FUNCTION pg_temp.ref_uscc_valid(s text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    cs     constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    latin  constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    ow     constant int[] := ARRAY[3, 7, 9, 10, 5, 8, 4, 2];
    c      text;
    s11    int := 0;
    s31    int := 0;
    w      int := 1;
    r      int;
BEGIN
    IF length(s) <> 18 THEN
        RETURN false;
    END IF;
    FOR i IN 1 .. 18 LOOP
        IF strpos(cs, substr(s, i, 1)) = 0 THEN
            RETURN false;
        END IF;
    END LOOP;
    FOR i IN 9 .. 16 LOOP
        s11 := s11 + (strpos(latin, substr(s, i, 1)) - 1) * ow[i - 8];
    END LOOP;
    r := 11 - s11 % 11;
    c := CASE r WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE r::text END;
    IF substr(s, 17, 1) <> c THEN
        RETURN false;
    END IF;
    FOR i IN 1 .. 17 LOOP
        s31 := s31 + (strpos(cs, substr(s, i, 1)) - 1) * w;
        w := w * 3 % 31;
    END LOOP;
    r := 31 - s31 % 31;
    IF r = 31 THEN
        r := 0;
    END IF;
    RETURN substr(s, 18, 1) = substr(cs, r + 1, 1);
END
$$;

-- The same check characters, to build valid codes without the C functions.
CREATE FUNCTION pg_temp.ref_complete(p16 text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    cs     constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    latin  constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    ow     constant int[] := ARRAY[3, 7, 9, 10, 5, 8, 4, 2];
    p      text;
    s11    int := 0;
    s31    int := 0;
    w      int := 1;
    r      int;
BEGIN
    FOR i IN 9 .. 16 LOOP
        s11 := s11 + (strpos(latin, substr(p16, i, 1)) - 1) * ow[i - 8];
    END LOOP;
    r := 11 - s11 % 11;
    p := p16 || CASE r WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE r::text END;
    FOR i IN 1 .. 17 LOOP
        s31 := s31 + (strpos(cs, substr(p, i, 1)) - 1) * w;
        w := w * 3 % 31;
    END LOOP;
    RETURN p || substr(cs, (31 - s31 % 31) % 31 + 1, 1);
END
$$;

-- Strings from md5(i), written in base64 and mapped onto other alphabets
-- with translate(): 18 characters of the set (mostly invalid); 16 of them
-- plus both check characters (valid); valid ones with one character
-- changed; 16-20 characters over digits and both cases of A-Z (mostly
-- invalid, some valid once upper-cased).
CREATE TEMP TABLE fuzz AS
WITH g AS (
    SELECT i, decode(md5(i::text) || md5((i + 1000000)::text), 'hex') AS b,
           encode(decode(md5(i::text) || md5((i + 1000000)::text), 'hex'), 'base64') AS b64
    FROM generate_series(1, 50000) AS i
), m AS (
    SELECT i, b,
           left(translate(b64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
                          '0123456789ABCDEFGHJKLMNPQRTUWXY0123456789ABCDEFGHJKLMNPQRTUWXYXY'), 18) AS in_set,
           left(translate(b64, '+/', 'IO'), 16 + get_byte(b, 31) % 5) AS wide
    FROM g
), f AS MATERIALIZED (
    SELECT i,
           CASE i % 4
               WHEN 0 THEN in_set
               WHEN 1 THEN pg_temp.ref_complete(left(in_set, 16))
               WHEN 2 THEN overlay(pg_temp.ref_complete(left(in_set, 16))
                                   PLACING substr('0123456789ABCDEFGHJKLMNPQRTUWXY', get_byte(b, 20) % 31 + 1, 1)
                                   FROM get_byte(b, 21) % 18 + 1)
               ELSE CASE WHEN get_byte(b, 22) % 2 = 0 THEN wide
                         ELSE pg_temp.ref_complete(left(wide, 16)) END
           END AS s
    FROM m
)
SELECT i, s, pg_temp.ref_uscc_valid(s) AS ref,
       CASE WHEN s <> upper(s) THEN pg_temp.ref_uscc_valid(upper(s)) END AS ref_upper  -- NULL: same as ref
FROM f;

SELECT count(*) AS strings,
       count(*) FILTER (WHERE ref) AS valid_by_reference,
       count(*) FILTER (WHERE uscc_valid(s) IS DISTINCT FROM ref) AS disagreements,
       count(*) FILTER (WHERE (uscc_invalid_reason(s) IS NULL) IS DISTINCT FROM ref) AS reason_disagreements,
       count(*) FILTER (WHERE CASE WHEN ref THEN uscc_check_char(left(s, 17)) <> right(s, 1) END)
           AS check_char_disagreements,
       count(*) FILTER (WHERE uscc_valid(uscc_normalize(lower(s))) IS DISTINCT FROM coalesce(ref_upper, ref))
           AS normalize_lower_disagreements,
       count(*) FILTER (WHERE uscc_normalize(translate(s, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                                                      '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ'))
                        <> upper(s)) AS normalize_fullwidth_changes
FROM fuzz;
-- the reasons, by kind
SELECT regexp_replace(uscc_invalid_reason(s), '[0-9]+|"[^"]*"', '#', 'g') AS reason, count(*)
FROM fuzz GROUP BY 1 ORDER BY 1;
-- every valid code parses, and every invalid one raises 22P02 and nothing else
DO $$
DECLARE
    r record;
    parsed int := 0; refused int := 0; prefix_refused int := 0; prefix_ok int := 0; other int := 0;
BEGIN
    FOR r IN SELECT s FROM fuzz LOOP
        BEGIN
            PERFORM supervision.uscc_parse(r.s);
            parsed := parsed + 1;
        EXCEPTION WHEN invalid_text_representation THEN
            refused := refused + 1;
        WHEN OTHERS THEN
            other := other + 1;
        END;
        BEGIN
            PERFORM supervision.uscc_check_char(left(r.s, 17));
            prefix_ok := prefix_ok + 1;
        EXCEPTION WHEN invalid_text_representation THEN
            prefix_refused := prefix_refused + 1;
        WHEN OTHERS THEN
            other := other + 1;
        END;
    END LOOP;
    RAISE NOTICE 'uscc_parse: % parsed, % refused; uscc_check_char: % computed, % refused; other errors: %',
        parsed, refused, prefix_ok, prefix_refused, other;
END
$$;
-- uscc_check_char completes every prefix whose character 17 is right, as the reference does
SELECT count(*) AS good_prefixes,
       count(*) FILTER (WHERE left(s, 17) || uscc_check_char(left(s, 17)) <> pg_temp.ref_complete(left(s, 16)))
           AS disagreements
FROM fuzz
WHERE left(s, 16) ~ '^[0123456789ABCDEFGHJKLMNPQRTUWXY]{16}$'
  AND substr(s, 17, 1) = substr(pg_temp.ref_complete(left(s, 16)), 17, 1);

--
-- Random characters and random bytes: every C function returns, none crashes
--
-- 20 000 strings of 0-40 characters: base64 of md5 output mapped with
-- translate() onto 64 characters mixing ASCII controls and punctuation, the
-- code set, excluded letters, full-width forms, CJK, 2- and 4-byte characters.
CREATE TEMP TABLE noise AS
SELECT i, left(translate(encode(decode(md5(i::text || 'a') || md5(i::text || 'b'), 'hex'), 'base64'),
                         'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=',
                         E'\x01\t\n\r \x7f-"09AXY' || 'IOSVZaxy' || '０９ＡＭＸｙ　！～' || '统一社会信用代码'
                         || 'éß' || chr(128) || chr(2047) || chr(2048) || chr(65279) || chr(65533)
                         || '😀🀄' || chr(1114111) || 'ＩＯ' || chr(65376) || chr(65374) || '"' || '\'
                         || 'ＹＮ７京Ā' || chr(65536) || '1My~' || chr(65375 + 1)),
               get_byte(decode(md5(i::text || 'c'), 'hex'), 0) % 41) AS s
FROM generate_series(1, 20000) AS i;
SELECT count(*) AS strings,
       count(*) FILTER (WHERE uscc_valid(s)) AS uscc_valid,
       count(uscc_invalid_reason(s)) AS with_reason,
       count(*) FILTER (WHERE length(uscc_normalize(s)) <= length(s)) AS normalized_not_longer,
       count(*) FILTER (WHERE org_code_valid(s)) AS org_code_valid,
       count(*) FILTER (WHERE id_card_valid(s)) AS id_card_valid
FROM noise;
DO $$
DECLARE
    r record;
    refused int := 0; other int := 0;
BEGIN
    FOR r IN SELECT s FROM noise LOOP
        BEGIN
            PERFORM supervision.uscc_parse(r.s);
        EXCEPTION WHEN invalid_text_representation THEN
            refused := refused + 1;
        WHEN OTHERS THEN
            other := other + 1;
        END;
        BEGIN
            PERFORM supervision.uscc_check_char(r.s);
        EXCEPTION WHEN invalid_text_representation THEN
            refused := refused + 1;
        WHEN OTHERS THEN
            other := other + 1;
        END;
    END LOOP;
    RAISE NOTICE 'uscc_parse and uscc_check_char: % refused with 22P02, % other errors', refused, other;
END
$$;
DROP TABLE fuzz, noise;

--
-- Raw bytes. A UTF-8 database refuses malformed text, a SQL_ASCII one stores
-- any bytes but NUL, so the C functions get truncated and invalid sequences
-- there. A EUC_CN database checks that uscc_normalize works in the server
-- encoding. Only the C functions are declared in these scratch databases.
--
\set regress_db :DBNAME
DROP DATABASE IF EXISTS supervision_codes_sql_ascii;
DROP DATABASE IF EXISTS supervision_codes_euc_cn;
CREATE DATABASE supervision_codes_sql_ascii TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE supervision_codes_euc_cn TEMPLATE template0 ENCODING 'EUC_CN' LC_COLLATE 'C' LC_CTYPE 'C';
\c supervision_codes_sql_ascii
SET client_encoding = 'UTF8';
CREATE FUNCTION uscc_valid(text) RETURNS boolean AS '$libdir/supervision', 'codes_uscc_valid' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uscc_invalid_reason(text) RETURNS text AS '$libdir/supervision', 'codes_uscc_invalid_reason' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uscc_check_char(text) RETURNS text AS '$libdir/supervision', 'codes_uscc_check_char' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uscc_normalize(text) RETURNS text AS '$libdir/supervision', 'codes_uscc_normalize' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION org_code_valid(text) RETURNS boolean AS '$libdir/supervision', 'codes_org_code_valid' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION id_card_valid(text) RETURNS boolean AS '$libdir/supervision', 'codes_id_card_valid' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION no_nul(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    FOR k IN 0 .. length(b) - 1 LOOP
        IF get_byte(b, k) = 0 THEN
            b := set_byte(b, k, 1);
        END IF;
    END LOOP;
    RETURN b;
END
$$;
-- 20 000 strings of 0-32 random bytes 1-255
CREATE TABLE raw AS
SELECT i, convert_from(no_nul(substr(decode(md5(i::text || 'x') || md5(i::text || 'y'), 'hex'), 1, i % 33)),
                       'SQL_ASCII') AS s
FROM generate_series(1, 20000) AS i;
-- 18 and 17 bytes whose last character is cut off, and a cut-off full-width form
INSERT INTO raw
SELECT 100000 + i, convert_from(substr(convert_to(repeat('9', i) || '统一', 'UTF8'), 1, n), 'SQL_ASCII')
FROM generate_series(0, 16) AS i, (VALUES (17), (18)) AS t(n)
UNION ALL
SELECT 200000 + i, convert_from(substr(convert_to(repeat('9', i) || 'Ｙ', 'UTF8'), 1, i + 2), 'SQL_ASCII')
FROM generate_series(0, 17) AS i;
SELECT count(*) AS strings,
       count(*) FILTER (WHERE uscc_valid(s)) AS uscc_valid,
       count(uscc_invalid_reason(s)) AS with_reason,
       count(*) FILTER (WHERE octet_length(uscc_normalize(s)) <= octet_length(s)) AS normalized_not_longer,
       count(*) FILTER (WHERE org_code_valid(s)) AS org_code_valid,
       count(*) FILTER (WHERE id_card_valid(s)) AS id_card_valid
FROM raw;
DO $$
DECLARE
    r record;
    refused int := 0; other int := 0;
BEGIN
    FOR r IN SELECT s FROM raw LOOP
        BEGIN
            PERFORM uscc_check_char(r.s);
        EXCEPTION WHEN invalid_text_representation THEN
            refused := refused + 1;
        WHEN OTHERS THEN
            other := other + 1;
        END;
    END LOOP;
    RAISE NOTICE 'uscc_check_char: % refused with 22P02, % other errors', refused, other;
END
$$;
-- in SQL_ASCII every byte is a character, reported as it is, without a code point
SELECT encode(convert_to(uscc_invalid_reason(s), 'SQL_ASCII'), 'escape') AS reason
FROM raw WHERE i IN (100016, 200016) ORDER BY i;
-- in SQL_ASCII the bytes are taken as UTF-8 by uscc_normalize
SELECT uscc_normalize(convert_from('\xefbc99efbc91e38080'::bytea, 'SQL_ASCII')) AS normalized;

\c supervision_codes_euc_cn
SET client_encoding = 'UTF8';
CREATE FUNCTION uscc_normalize(text) RETURNS text AS '$libdir/supervision', 'codes_uscc_normalize' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uscc_invalid_reason(text) RETURNS text AS '$libdir/supervision', 'codes_uscc_invalid_reason' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uscc_valid(text) RETURNS boolean AS '$libdir/supervision', 'codes_uscc_valid' LANGUAGE C IMMUTABLE STRICT;
SELECT uscc_normalize(' ９１３５０１００ｍ０００１００ｙ４３　') AS normalized,
       uscc_valid(uscc_normalize(' ９１３５０１００ｍ０００１００ｙ４３　')) AS valid,
       uscc_normalize('统一代码：ｍ００１') AS other_characters_kept,
       uscc_invalid_reason('统一社会信用代码统一社会信用代码统一') AS reason;

\c :regress_db
DROP DATABASE supervision_codes_sql_ascii;
DROP DATABASE supervision_codes_euc_cn;
RESET search_path;

-- characters pasted from web pages and office documents
SELECT n, supervision.uscc_normalize(v) AS normalized, supervision.uscc_valid(supervision.uscc_normalize(v)) AS valid
FROM (VALUES
    (1, U&'\00A091350100M000100Y43\00A0'),      -- no-break spaces around
    (2, U&'91350100\200BM000100Y43'),           -- zero-width space inside
    (3, U&'\FEFF91350100m000100y43'),           -- byte-order mark in front, lower case
    (4, U&'9135\200C0100M000\200D100Y43'),      -- zero-width non-joiner and joiner
    (5, U&'\00A0')                               -- nothing but a no-break space
) t(n, v) ORDER BY n;
