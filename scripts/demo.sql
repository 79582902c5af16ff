-- The supervision cycle of the demo (run by scripts/demo.sh with -v sample=<data/sample/catalog.json>).
\pset footer off
\pset null '—'
SET client_min_messages = warning;
\echo
\echo '=== 1. Install ==='
CREATE EXTENSION supervision CASCADE;
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT extname AS extension, extversion AS version FROM pg_extension WHERE extname IN ('supervision', 'postgis', 'pg_cron') ORDER BY 1;

\echo
\echo '=== 2. Divisions (GB/T 2260) and boundaries ==='
SELECT kind, count(*) AS divisions, count(*) FILTER (WHERE code LIKE '32%') AS in_jiangsu
  FROM supervision.division GROUP BY kind ORDER BY min(level), kind;
SELECT supervision.division_path('320102002') AS "a street in Nanjing",
       supervision.division_path('3205') AS "prefix 3205";
SELECT code, name, kind FROM supervision.division WHERE code LIKE '32%' AND kind = 'statistical_zone' ORDER BY code LIMIT 8;
SELECT place, lon, lat, supervision.division_at(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS county,
       supervision.division_path(supervision.division_at(ST_SetSRID(ST_MakePoint(lon, lat), 4326))) AS path
  FROM (VALUES ('新街口', 118.7840, 32.0415), ('苏州中心', 120.6700, 31.3200), ('徐州站', 117.2100, 34.2700),
               ('上海人民广场', 121.4737, 31.2304)) p(place, lon, lat);

\echo
\echo '=== 3. Departments, agencies and who acts ==='
INSERT INTO supervision.department (code, name, short_name)
SELECT d ->> 'code', d ->> 'name', d ->> 'short_name' FROM jsonb_array_elements(:'sample'::jsonb -> 'departments') d;
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
SELECT a ->> 'uscc', a ->> 'name', a ->> 'department_code', a ->> 'division_code', (a ->> 'level')::smallint
  FROM jsonb_array_elements(:'sample'::jsonb -> 'agencies') a;
DO $$
DECLARE d record;
BEGIN
    FOR d IN SELECT code FROM supervision.department LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_officer_' || d.code) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE supervision_officer', 'demo_officer_' || d.code);
        END IF;
        INSERT INTO supervision.actor_map (db_role, display_name, department_code, division_code)
        VALUES ('demo_officer_' || d.code, d.code || ' catalog officer', d.code, '320000');
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_reviewer') THEN
        CREATE ROLE demo_reviewer NOLOGIN IN ROLE supervision_admin;
    END IF;
    INSERT INTO supervision.actor_map (db_role, display_name, division_code) VALUES ('demo_reviewer', 'catalog reviewer', '320000');
END
$$;
SELECT d.code, d.name, count(a.uscc) AS agencies FROM supervision.department d
  LEFT JOIN supervision.agency a ON a.department_code = d.code GROUP BY 1, 2 ORDER BY 1;
SELECT a.uscc, a.name, p.division_name, p.institution_type_name
  FROM supervision.agency a, supervision.uscc_parse(a.uscc) p ORDER BY a.uscc;

\echo
\echo '=== 4. The catalog: departments draft, a reviewer publishes ==='
-- each department's officer drafts its items and sub-items, then submits them
SELECT set_config('demo.sample', :'sample', false) IS NOT NULL AS sample_loaded \gset
CREATE TEMP TABLE demo_drafts (code text, version_id bigint, department text);
GRANT ALL ON demo_drafts TO PUBLIC;
DO $$
DECLARE
    it jsonb; sub jsonb; r record; v_main text;
BEGIN
    FOR it IN SELECT * FROM jsonb_array_elements(current_setting('demo.sample')::jsonb -> 'items') LOOP
        EXECUTE format('SET LOCAL ROLE %I', 'demo_officer_' || (it ->> 'department'));
        SELECT * INTO r FROM supervision.catalog_draft(it - 'subs');
        v_main := r.code;
        INSERT INTO demo_drafts VALUES (r.code, r.version_id, it ->> 'department');
        FOR sub IN SELECT * FROM jsonb_array_elements(coalesce(it -> 'subs', '[]')) LOOP
            SELECT * INTO r FROM supervision.catalog_draft(sub || jsonb_build_object('parent_code', v_main, 'reason', '初次编制'));
            INSERT INTO demo_drafts VALUES (r.code, r.version_id, it ->> 'department');
        END LOOP;
        PERFORM supervision.catalog_submit(d.version_id) FROM demo_drafts d WHERE d.department = it ->> 'department'
           AND (SELECT status FROM supervision.catalog_version v WHERE v.id = d.version_id) = 'draft';
        RESET ROLE;
    END LOOP;
    -- the reviewer publishes main items first, then sub-items
    SET LOCAL ROLE demo_reviewer;
    PERFORM supervision.catalog_publish(d.version_id) FROM demo_drafts d JOIN supervision.catalog_item i ON i.code = d.code
     ORDER BY i.kind, d.code;
    RESET ROLE;
END
$$;
SELECT i.code, i.kind, coalesce(v.sub_item_name, v.main_item_name) AS name, v.department_code AS dept, v.method,
       supervision.catalog_code_valid(i.code) AS valid
  FROM supervision.catalog_item i JOIN supervision.catalog_current v ON v.code = i.code ORDER BY i.code;
SELECT s.position, s.name, s.width, s.source, coalesce(s.value, '') AS value, s.description
  FROM supervision.code_segment s WHERE s.scheme = 'JS2019' ORDER BY s.position;

\echo
\echo '=== 5. Dynamic adjustment: a revision effective next month ==='
SET ROLE demo_officer_012;
SELECT code AS revised, version_no, status FROM supervision.catalog_revise(
    (SELECT code FROM demo_drafts WHERE department = '012' ORDER BY code LIMIT 1),
    '{"measures": "现场检查、抽样检验、责令整改、信用约束", "reason": "增加信用约束措施"}') \gset
SELECT (supervision.catalog_submit(id)).status FROM supervision.catalog_version WHERE item_code = :'revised' AND status = 'draft';
RESET ROLE;
SET ROLE demo_reviewer;
SELECT (supervision.catalog_publish(id, (date_trunc('month', current_date) + interval '1 month')::date)).status
  FROM supervision.catalog_version WHERE item_code = :'revised' AND status = 'review';
RESET ROLE;
SELECT 'today' AS as_of, version_no, measures FROM supervision.catalog_as_of(current_date) WHERE item_code = :'revised'
UNION ALL
SELECT 'next month', version_no, measures FROM supervision.catalog_as_of((date_trunc('month', current_date) + interval '1 month')::date)
 WHERE item_code = :'revised';

\echo
\echo '=== 6. Cities implement the items (检查实施清单) ==='
SELECT a.name AS agency, supervision.catalog_implement(c.code, a.uscc,
           CASE WHEN a.division_code = '321300' AND c.code = :'revised' THEN '食品生产经营日常监督检查' END) AS implementation_code
  FROM supervision.agency a CROSS JOIN (SELECT code FROM supervision.catalog_current WHERE department_code = '012' AND kind = 'main') c
 ORDER BY 2;

\echo
\echo '=== 7. National catalog: import and alignment ==='
SELECT jsonb_pretty(supervision.catalog_import_national(:'sample'::jsonb -> 'national', 'demo-batch-1') - 'rejected') AS import,
       jsonb_pretty(supervision.catalog_import_national(:'sample'::jsonb -> 'national', 'demo-batch-1') -> 'rejected') AS rejected;

\echo
\echo '=== 8. Consistency findings ==='
SELECT finding, code, detail FROM supervision.catalog_consistency();

\echo
\echo '=== 9. Exchange and audit ==='
SELECT (e ->> 'item_count')::int AS exported_items, length(e::text) AS json_bytes, e ->> 'format' AS format
  FROM supervision.catalog_export() e;
SELECT table_name, operation, count(*) AS changes FROM supervision.audit_log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT CASE WHEN count(*) = 0 THEN 'audit chain intact' ELSE 'audit chain BROKEN' END AS audit_verify
  FROM supervision.audit_verify();

\echo
\echo '=== Summary ==='
SELECT (SELECT count(*) FROM supervision.division) AS divisions,
       (SELECT count(*) FROM supervision.division_boundary) AS boundaries,
       (SELECT count(*) FROM supervision.catalog_current) AS items_in_force,
       (SELECT count(*) FROM supervision.catalog_version WHERE status = 'published') AS published_versions,
       (SELECT count(*) FROM supervision.catalog_implementation) AS implementations,
       (SELECT count(*) FROM supervision.catalog_consistency()) AS findings,
       (SELECT count(*) FROM supervision.audit_log) AS audit_rows,
       (SELECT count(*) = 0 FROM supervision.audit_verify()) AS audit_intact;
