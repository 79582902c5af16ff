-- Administrative divisions: the shipped data, the code rules, paths,
-- ancestors, containment, point lookup, boundaries and who may write.
\set SHOW_CONTEXT never

-- Error code and message of a statement, for the SQLSTATE contract.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- ---------------------------------------------------------------- the data
-- Jiangsu: 1 province, 13 cities, 95 county-level divisions, 9 statistical
-- zones at county level, 1208 towns and streets, 279 town-level functional units.
SELECT level, kind, count(*) FROM supervision.division
 WHERE code LIKE '32%' GROUP BY level, kind ORDER BY level, kind;
SELECT code, name FROM supervision.division WHERE parent_code = '320000' ORDER BY code;
-- The whole country to county level, towns for Jiangsu only; all rows shipped.
SELECT count(*) FILTER (WHERE level = 1) AS provinces,
       count(*) FILTER (WHERE level = 3 AND kind = 'county') AS counties,
       count(*) FILTER (WHERE level = 4 AND code NOT LIKE '32%') AS towns_outside_jiangsu,
       count(*) FILTER (WHERE NOT builtin) AS added_rows
  FROM supervision.division;
-- Every county-level entry of Jiangsu that is not a division.
SELECT code, name, kind FROM supervision.division
 WHERE code LIKE '32%' AND level = 3 AND kind <> 'county' ORDER BY code;
-- Look-alikes elsewhere: real districts stay counties; groupings are marked.
SELECT code, name, level, kind FROM supervision.division
 WHERE code IN ('110100', '120116', '310115', '419000', '500200', '620171') ORDER BY code;
-- Town level: a street, a town, a township, a functional unit, a street run by
-- a park, a street of 苏州工业园区.
SELECT code, name, kind FROM supervision.division
 WHERE code IN ('320102002', '320117101', '320722200', '320113450', '320505407', '320576050') ORDER BY code;
-- 东莞市 has no counties: it is one row, not a city plus a county with the same code.
SELECT code, name, level, kind FROM supervision.division WHERE code = '441900';

-- ---------------------------------------------------------- code normalising
SELECT supervision.division_normalize_code('32') AS province,
       supervision.division_normalize_code('3201') AS city,
       supervision.division_normalize_code('320102') AS county,
       supervision.division_normalize_code('320102002') AS town,
       supervision.division_normalize_code(NULL) AS null_in;
-- Malformed codes, one per line (22P02).
SELECT supervision.division_normalize_code('');
SELECT supervision.division_normalize_code('abc');
SELECT supervision.division_normalize_code('3');
SELECT supervision.division_normalize_code('32010');
SELECT supervision.division_normalize_code('320102002001');
SELECT supervision.division_normalize_code('３２０１');
SELECT supervision.division_normalize_code(' 3201');
-- Well-formed codes are normalised without a lookup; the other functions look them up.
SELECT supervision.division_normalize_code('99') AS not_looked_up;
SELECT supervision.division_resolve('3201') AS city, supervision.division_resolve('320102002') AS town;

-- --------------------------------------------------------------------- paths
SELECT supervision.division_path('320102') AS county,
       supervision.division_path('320102002') AS town,
       supervision.division_path('32') AS province,
       supervision.division_path('3201') AS city;
-- 市辖区 is a grouping: left out of the path below it, shown when asked for itself.
SELECT supervision.division_path('110101') AS below_grouping, supervision.division_path('110100') AS grouping;
-- A street of a statistical zone: the zone is where the statistics file it.
SELECT supervision.division_path('320576050');
SELECT supervision.division_path(NULL) AS null_in;
-- Bad input, one per line: malformed (22P02) or unknown (22023).
SELECT supervision.division_path('');
SELECT supervision.division_path('abc');
SELECT supervision.division_path('99');
SELECT supervision.division_path('3299');
SELECT supervision.division_path('320199');
SELECT supervision.division_path('320102002001');
SELECT supervision.division_path('３２０１０２');
SELECT supervision.division_path('3201 ');
SELECT input, pg_temp.error_of(format('SELECT supervision.division_path(%L)', input)) AS error
  FROM (VALUES (''), ('abc'), ('99'), ('3299'), ('320199'), ('320102002001'), ('３２０１０２')) AS t (input);

-- ----------------------------------------------------------------- ancestors
SELECT * FROM supervision.division_ancestors('320102002');
SELECT * FROM supervision.division_ancestors('3201');
SELECT * FROM supervision.division_ancestors('110101');
SELECT count(*) AS null_in FROM supervision.division_ancestors(NULL);
SELECT * FROM supervision.division_ancestors('3299');

-- ------------------------------------------------------------------ contains
SELECT supervision.division_contains('32', '320102002') AS province_town,
       supervision.division_contains('3201', '320102') AS city_county,
       supervision.division_contains('320102', '320102') AS itself,
       supervision.division_contains('3201', '320100') AS itself_by_prefix,
       supervision.division_contains('320102', '3201') AS county_city,
       supervision.division_contains('3202', '320102') AS other_city,
       supervision.division_contains('32', '310115') AS other_province,
       supervision.division_contains('110100', '110101') AS grouping,
       supervision.division_contains('320576', '320576050') AS zone_street,
       supervision.division_contains(NULL, '32') AS null_in;
SELECT supervision.division_contains('32', '3299');
SELECT supervision.division_contains('３２', '3201');

-- ----------------------------------------------------------- point look-up
-- 新街口, Nanjing: the 新街口 street belongs to 秦淮区.
SELECT supervision.division_at(ST_SetSRID(ST_MakePoint(118.78, 32.04), 4326)) AS xinjiekou,
       supervision.division_path(supervision.division_at(ST_SetSRID(ST_MakePoint(118.78, 32.04), 4326))) AS path;
-- 观前街, Suzhou.
SELECT supervision.division_path(supervision.division_at(ST_SetSRID(ST_MakePoint(120.62, 31.31), 4326))) AS guanqian;
-- 南京鼓楼, 徐州, 连云港.
SELECT supervision.division_at(ST_SetSRID(ST_MakePoint(118.77, 32.07), 4326)) AS nanjing_gulou,
       supervision.division_at(ST_SetSRID(ST_MakePoint(117.18, 34.26), 4326)) AS xuzhou,
       supervision.division_at(ST_SetSRID(ST_MakePoint(119.22, 34.60), 4326)) AS lianyungang;
-- Outside Jiangsu: Shanghai 人民广场, and latitude/longitude swapped.
SELECT supervision.division_at(ST_SetSRID(ST_MakePoint(121.47, 31.23), 4326)) AS shanghai,
       supervision.division_at(ST_SetSRID(ST_MakePoint(32.04, 118.78), 4326)) AS swapped,
       supervision.division_at(NULL) AS null_in;
-- Other coordinate systems are transformed: Web Mercator, CGCS2000 (China's datum).
SELECT supervision.division_at(ST_Transform(ST_SetSRID(ST_MakePoint(118.78, 32.04), 4326), 3857)) AS web_mercator,
       supervision.division_at(ST_SetSRID(ST_MakePoint(118.78, 32.04), 4490)) AS cgcs2000;
-- It works whatever the caller's search_path.
SET search_path = pg_catalog;
SELECT supervision.division_at(public.ST_SetSRID(public.ST_MakePoint(118.78, 32.04), 4326)) AS without_public_on_path;
RESET search_path;
-- Refused, one per line: no SRID, not a point, an empty point.
SELECT supervision.division_at(ST_MakePoint(118.78, 32.04));
SELECT supervision.division_at(ST_GeomFromText('LINESTRING(118.78 32.04, 118.79 32.05)', 4326));
SELECT supervision.division_at(ST_GeomFromText('POINT EMPTY', 4326));
SELECT pg_temp.error_of('SELECT supervision.division_at(ST_MakePoint(118.78, 32.04))') AS no_srid;
-- Every county's own interior point is found in that county.
SELECT count(*) AS counties,
       count(*) FILTER (WHERE supervision.division_at(ST_PointOnSurface(b.geom)) = b.code) AS found_in_itself
  FROM supervision.division_boundary b JOIN supervision.division d USING (code)
 WHERE d.level = 3;

-- ---------------------------------------------------------------- boundaries
-- The province and each of the 13 cities have a valid boundary.
SELECT d.code, d.name, ST_GeometryType(b.geom) AS type, ST_SRID(b.geom) AS srid, ST_IsValid(b.geom) AS valid
  FROM supervision.division d LEFT JOIN supervision.division_boundary b USING (code)
 WHERE d.code = '320000' OR d.parent_code = '320000'
 ORDER BY d.code;
-- Every boundary belongs to a known division; every real Jiangsu county has one.
SELECT d.level, d.kind, count(*) AS boundaries
  FROM supervision.division_boundary b LEFT JOIN supervision.division d USING (code)
 GROUP BY d.level, d.kind ORDER BY d.level;
SELECT d.code, d.name AS county_without_boundary FROM supervision.division d
 WHERE d.code LIKE '32%' AND d.kind = 'county'
   AND NOT EXISTS (SELECT 1 FROM supervision.division_boundary b WHERE b.code = d.code);
-- A city's boundary covers each of its counties.
SELECT count(*) AS counties_outside_their_city
  FROM supervision.division_boundary c
  JOIN supervision.division d ON d.parent_code = c.code
  JOIN supervision.division_boundary b ON b.code = d.code
 WHERE NOT ST_Covers(c.geom, b.geom);
-- Area of Nanjing in km² (published: 6587).
SELECT round(ST_Area(geom::geography) / 1e6) AS nanjing_km2 FROM supervision.division_boundary WHERE code = '320100';

-- ------------------------------------------------------------- constraints
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320102', '重复', 3, '320100', 'county');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('3201', '短码', 2, '320000', 'city');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320199', '错位', 3, '320200', 'county');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320199', '错级', 3, '320100', 'town');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320100000', '零号', 4, '320100', 'town');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('329901', '无上级', 3, '329900', 'county');
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320199', ' 空格', 3, '320100', 'county');

-- ------------------------------------------------------ privileges and audit
-- Readers read; they cannot write.
SET ROLE supervision_api_anon;
SELECT name FROM supervision.division WHERE code = '320000';
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320199', '新区', 3, '320100', 'county');
RESET ROLE;
-- supervision_admin adds, changes and removes its own rows, never the shipped ones.
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320102999', '测试街道', 4, '320102', 'town');
SELECT supervision.division_path('320102999');
UPDATE supervision.division SET name = '测试二街道' WHERE code = '320102999' RETURNING code, name;
UPDATE supervision.division SET name = '改名' WHERE code = '320102' RETURNING code, name;
DELETE FROM supervision.division WHERE code = '320102' RETURNING code;
SELECT name FROM supervision.division WHERE code = '320102';
INSERT INTO supervision.division (code, name, level, parent_code, kind, builtin) VALUES ('320102998', '冒充', 4, '320102', 'town', true);
ROLLBACK;
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.division (code, name, level, parent_code, kind) VALUES ('320102999', '测试街道', 4, '320102', 'town');
DELETE FROM supervision.division WHERE code = '320102999' RETURNING code;
RESET ROLE;
-- Both changes are in the audit log; installing wrote no audit rows for divisions.
-- audit rows are written when the transaction commits; fire the deferred audit trigger now to see them here
SET CONSTRAINTS ALL IMMEDIATE;
SELECT operation, coalesce(new_row, old_row) ->> 'code' AS code
  FROM supervision.audit_log WHERE table_name = 'supervision.division' ORDER BY id;
ROLLBACK;
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relname IN ('division', 'division_boundary') AND NOT t.tgisinternal ORDER BY 1, 2;
-- pg_dump keeps the rows a DBA added, not the shipped ones.
SELECT c.relname, x.condition
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x (reloid, condition)
  JOIN pg_class c ON c.oid = x.reloid
 WHERE e.extname = 'supervision' AND c.relname LIKE 'division%' ORDER BY 1;
SELECT relname, relrowsecurity FROM pg_class
 WHERE relnamespace = 'supervision'::regnamespace AND relname IN ('division', 'division_boundary') ORDER BY 1;

-- Declared volatility (s = stable, i = immutable) and parallel safety (s = safe).
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel, p.proisstrict
  FROM pg_proc p WHERE p.pronamespace = 'supervision'::regnamespace AND p.proname LIKE 'division\_%'
 ORDER BY 1::text;
