-- Supervision-item catalog: codes from a scheme kept as data, drafts, review,
-- publication, versions, retirement, as-of queries, implementation lists,
-- national import/export, consistency, and row-level security per role.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- fixtures: two departments, their officers, two administrators, an agency
INSERT INTO supervision.department (code, name) VALUES ('101', '测试市场监管局'), ('102', '测试生态环境厅')
ON CONFLICT DO NOTHING;
CREATE ROLE cat_off_101 LOGIN IN ROLE supervision_officer;
CREATE ROLE cat_off_102 LOGIN IN ROLE supervision_officer;
CREATE ROLE cat_admin_a LOGIN IN ROLE supervision_admin;
CREATE ROLE cat_admin_b LOGIN IN ROLE supervision_admin;
CREATE ROLE cat_auditor LOGIN IN ROLE supervision_auditor;
CREATE ROLE cat_app LOGIN IN ROLE supervision_api_user;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES
    ('cat_off_101', '101'), ('cat_off_102', '102'), ('cat_admin_a', NULL), ('cat_admin_b', NULL);
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level) VALUES
    ('11320200MB0000019L', '无锡市测试局', '101', '320200', 3),
    ('11320300MB0000027L', '徐州市测试局', '101', '320300', 3);

-- the check digit: ISO 7064 MOD 11,10
SELECT supervision.mod11_10_check_digit('3201200010000'), supervision.mod11_10_check_digit('0'),
       supervision.mod11_10_check_digit('794');
SELECT supervision.mod11_10_check_digit('12a');
SELECT c AS code, supervision.catalog_code_valid(c) AS valid
  FROM unnest(ARRAY['32012000100000', '32012000100001', '3201200010000', '320120001000000', '3201200010000X',
                    '３２０１２０００１０００００', '', NULL]) c;

-- the coding scheme is data
SELECT position, name, width, source, value FROM supervision.code_segment WHERE scheme = 'JS2019' ORDER BY position;
INSERT INTO supervision.code_scheme (scheme, description) VALUES ('BAD', 'widths do not add up');
INSERT INTO supervision.code_segment (scheme, position, name, width, source, value) VALUES
    ('BAD', 1, 'province', 2, 'constant', '32'), ('BAD', 2, 'department', 3, 'department', NULL),
    ('BAD', 3, 'main', 3, 'main_seq', NULL), ('BAD', 4, 'sub', 4, 'sub_seq', NULL), ('BAD', 5, 'check', 1, 'check', NULL);
UPDATE supervision.code_scheme SET active = false WHERE scheme = 'JS2019';
UPDATE supervision.code_scheme SET active = true WHERE scheme = 'BAD';
UPDATE supervision.code_scheme SET active = true WHERE scheme = 'JS2019';
INSERT INTO supervision.code_segment (scheme, position, name, width, source, value) VALUES ('BAD', 6, 'x', 2, 'constant', '1');

-- drafting: the officer of department 101
SET ROLE cat_off_101;
SELECT code, version_no, status FROM supervision.catalog_draft('{
  "department": "101", "main_item_name": "对食品生产活动的监督检查", "method": "双随机抽查", "object": "食品生产者",
  "measures": "现场检查、抽样检验", "process": "计划-抽取-检查-公示", "result": "检查结果公示",
  "legal_basis": [{"law": "中华人民共和国食品安全法", "article": "第一百一十条"}, {"law": "食品生产经营监督检查管理办法", "article": "第三条"}],
  "levels": [3, 2, 4], "reason": "初次编制", "national_item_code": "N001",
  "checks": [{"name": "生产环境条件", "contents": [{"content": "厂区无扬尘、无积水", "check_type": "random"},
                                                  {"content": "车间卫生整洁", "check_type": "daily", "penalty_basis": "食品安全法第一百二十六条"}]},
             {"name": "进货查验", "contents": [{"content": "查验供货者许可证"}]}]}');
SELECT code AS main_code FROM supervision.catalog_item WHERE department_code = '101' \gset
SELECT code, version_no, status FROM supervision.catalog_draft(jsonb_build_object(
    'parent_code', :'main_code', 'sub_item_name', '对食品生产者生产条件的检查', 'reason', '初次编制'));
SELECT code, kind, parent_code, supervision.catalog_code_valid(code) AS valid FROM supervision.catalog_item ORDER BY code;
-- a sub-item inherits the elements of its main item
SELECT version_no, status, main_item_name, sub_item_name, method, object, levels, item_type, scope, author
  FROM supervision.catalog_version ORDER BY item_code, version_no;
SELECT code, name, check_type, penalty_basis FROM supervision.catalog_check c
  JOIN supervision.catalog_version v ON v.id = c.version_id WHERE v.item_code = :'main_code' ORDER BY code;

-- bad drafts, one problem each
SELECT supervision.catalog_draft(NULL);
SELECT supervision.catalog_draft('[]');
SELECT supervision.catalog_draft('{"main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "  ", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"article": "第一条"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": "食品安全法", "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}]}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "levels": [0, 3]}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "levels": ["3"]}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "scope": "town"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "mehtod": "typo"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": 5, "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft(jsonb_build_object('department', '101', 'main_item_name', repeat('名', 201), 'method', 'm', 'object', 'o', 'legal_basis', '[{"law": "l"}]'::jsonb, 'reason', 'r'));
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "sub_item_name": "y", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "checks": [{"contents": []}]}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "checks": [{"name": "c", "contents": [{"content": "x", "check_type": "weekly"}]}]}');
SELECT supervision.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r", "national_item_code": "国家001"}');
SELECT supervision.catalog_draft('{"parent_code": "32101999900003", "sub_item_name": "y", "reason": "r"}');
SELECT supervision.catalog_draft(jsonb_build_object('parent_code', :'main_code', 'reason', 'r'));
SELECT supervision.catalog_draft(jsonb_build_object('parent_code', :'main_code', 'sub_item_name', 'y', 'department', '102', 'reason', 'r'));
-- another department's items are not this officer's to draft
SELECT supervision.catalog_draft('{"department": "102", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT supervision.catalog_draft('{"department": "999", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
-- nothing half-written by the failures above: still two items, and no code was consumed by a failed draft's item
SELECT count(*) AS items FROM supervision.catalog_item;
RESET ROLE;

-- the workflow
SELECT id AS main_v1 FROM supervision.catalog_version WHERE item_code = :'main_code' \gset
SELECT id AS sub_v1, item_code AS sub_code FROM supervision.catalog_version WHERE item_code <> :'main_code' \gset
SET ROLE cat_off_102;
SELECT supervision.catalog_submit(:main_v1);             -- not visible to another department
UPDATE supervision.catalog_version SET method = 'x' WHERE id = :main_v1;   -- RLS: no row
RESET ROLE;
SET ROLE cat_off_101;
SELECT supervision.catalog_publish(:main_v1);            -- officers do not publish
SELECT supervision.catalog_edit_draft(:main_v1, '{"measures": "现场检查、抽样检验、信用约束"}');
SELECT (supervision.catalog_submit(:main_v1)).status;
SELECT (supervision.catalog_submit(:main_v1)).status;    -- twice
SELECT supervision.catalog_edit_draft(:main_v1, '{"measures": "x"}');   -- under review: no edits
UPDATE supervision.catalog_version SET status = 'published' WHERE id = :main_v1;
SELECT (supervision.catalog_submit(:sub_v1)).status;
RESET ROLE;
-- administrator A was not the author: publishes; the sub-item cannot go before its main item
SET ROLE cat_admin_a;
SELECT supervision.catalog_publish(:sub_v1);
\set VERBOSITY terse
SELECT supervision.catalog_publish(:main_v1, current_date - 1);
\set VERBOSITY default
SELECT supervision.catalog_return(:main_v1, NULL);
SELECT (supervision.catalog_publish(:main_v1)).status;
SELECT (supervision.catalog_publish(:sub_v1)).status;
SELECT status, submitted_by, reviewed_by, effective_from = current_date AS effective_today, published_at IS NOT NULL AS published
  FROM supervision.catalog_version WHERE id IN (:main_v1, :sub_v1) ORDER BY id;
-- published versions are immutable, even for administrators
UPDATE supervision.catalog_version SET method = '专项检查' WHERE id = :main_v1;
UPDATE supervision.catalog_version SET status = 'draft' WHERE id = :main_v1;
UPDATE supervision.catalog_version SET status = 'review' WHERE id = :main_v1;
DELETE FROM supervision.catalog_version WHERE id = :main_v1;
UPDATE supervision.catalog_check SET name = 'changed' WHERE version_id = :main_v1;
DELETE FROM supervision.catalog_check WHERE version_id = :main_v1;
RESET ROLE;

-- the author may not publish his own version (four eyes)
SET ROLE cat_admin_a;
SELECT code AS admin_code FROM supervision.catalog_draft('{"department": "102", "main_item_name": "对排污单位的检查", "method": "双随机抽查", "object": "排污单位", "legal_basis": [{"law": "排污许可管理条例", "article": "第二十五条"}], "reason": "初次编制", "item_type": "行政检查"}') \gset
SELECT (supervision.catalog_submit(id)).status FROM supervision.catalog_version WHERE item_code = :'admin_code';
SELECT supervision.catalog_publish(id) FROM supervision.catalog_version WHERE item_code = :'admin_code';
RESET ROLE;
SET ROLE cat_admin_b;
SELECT (supervision.catalog_publish(id, current_date + 10)).status FROM supervision.catalog_version WHERE item_code = :'admin_code';
RESET ROLE;

-- a revision is a new version; the old one stays as it was
SET ROLE cat_off_101;
SELECT code, version_no, status FROM supervision.catalog_revise(:'main_code', '{"method": "重点检查", "reason": "调整监管方式"}');
SELECT supervision.catalog_revise(:'main_code', '{"method": "again", "reason": "second open draft"}');
SELECT supervision.catalog_revise(:'main_code', '{"method": "no reason"}');
SELECT supervision.catalog_revise(:'main_code', '{"department": "102", "reason": "move"}');
SELECT supervision.catalog_revise('32101999900003', '{"reason": "unknown"}');
SELECT (supervision.catalog_submit(id)).status FROM supervision.catalog_version WHERE item_code = :'main_code' AND status = 'draft';
RESET ROLE;
SET ROLE cat_admin_a;
SELECT (supervision.catalog_publish(id, current_date + 30)).status FROM supervision.catalog_version WHERE item_code = :'main_code' AND status = 'review';
RESET ROLE;
-- check items were carried over with their codes
SELECT v.version_no, count(c.*) AS checks, min(c.code) AS first_code
  FROM supervision.catalog_version v JOIN supervision.catalog_check c ON c.version_id = v.id
 WHERE v.item_code = :'main_code' GROUP BY 1 ORDER BY 1;

-- the catalog as it stood: today, in 10 days, in 30 days, yesterday
SELECT d - current_date AS day, a.item_code = :'main_code' AS is_main, a.version_no, a.method
  FROM unnest(ARRAY[current_date - 1, current_date, current_date + 10, current_date + 30]) d,
       LATERAL supervision.catalog_as_of(d) a
 ORDER BY d, a.item_code;

-- retirement: an administrator retires the main item and its sub-item from a date; codes are never reused
SET ROLE cat_off_101;
SELECT supervision.catalog_retire(:'main_code', 'not allowed');
RESET ROLE;
SET ROLE cat_admin_b;
SELECT supervision.catalog_retire(:'main_code', NULL);
\set VERBOSITY terse
SELECT supervision.catalog_retire(:'main_code', '法律修订，事项取消', current_date - 1);
\set VERBOSITY default
SELECT supervision.catalog_retire(:'main_code', '法律修订，事项取消', current_date + 60) AS retired;
SELECT supervision.catalog_retire(:'admin_code', 'not yet in force but published: retires too', current_date + 60) AS retired;
RESET ROLE;
SELECT count(*) AS in_force_day_59 FROM supervision.catalog_as_of(current_date + 59);
SELECT count(*) AS in_force_day_60 FROM supervision.catalog_as_of(current_date + 60);
SET ROLE cat_off_101;
SELECT supervision.catalog_revise(:'main_code', '{"method": "x", "reason": "revive"}');
SELECT code AS new_code FROM supervision.catalog_draft('{"department": "101", "main_item_name": "对食品生产活动的监督检查", "method": "双随机抽查", "object": "食品生产者", "legal_basis": [{"law": "中华人民共和国食品安全法"}], "reason": "重新编制"}') \gset
RESET ROLE;
SELECT :'new_code' <> :'main_code' AS new_code_differs, :'new_code' > :'main_code' AS code_grows;
SELECT count(*) AS registered, count(DISTINCT code) AS distinct_codes FROM supervision.code_registry;

-- row-level security seen from each role
SET ROLE cat_off_101;
SELECT item_code = :'new_code' AS is_new, status FROM supervision.catalog_version WHERE status = 'draft' ORDER BY 1;
RESET ROLE;
SET ROLE cat_off_102;
SELECT count(*) FILTER (WHERE status = 'draft') AS drafts_of_others_seen, count(*) FILTER (WHERE status = 'published') AS published_seen
  FROM supervision.catalog_version WHERE department_code = '101';
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES (:'new_code', 'main', '101');
RESET ROLE;
SET ROLE supervision_api_anon;
SELECT status, count(*) FROM supervision.catalog_version GROUP BY 1 ORDER BY 1;
SELECT count(*) AS items_seen_by_anon FROM supervision.catalog_item;
SELECT count(*) AS draft_checks_reachable FROM supervision.catalog_check c
  WHERE NOT EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.id = c.version_id AND v.status IN ('published', 'retired'));
INSERT INTO supervision.department (code, name) VALUES ('555', 'x');
SELECT supervision.catalog_draft('{}');
RESET ROLE;
SET ROLE cat_auditor;
SELECT status, count(*) FROM supervision.catalog_version GROUP BY 1 ORDER BY 1;
SELECT supervision.catalog_draft('{"department": "101"}');
RESET ROLE;

-- HTTP clients: an API user drafts for the department of its claims; anon reads the catalog
SET ROLE cat_app;
SELECT set_config('request.jwt.claims', '{"sub": "web-user-1", "department": "102"}', false) IS NOT NULL;
SELECT supervision_api.catalog_draft('{"department": "102", "main_item_name": "对建设项目环评执行情况的检查", "method": "重点检查", "object": "建设单位", "legal_basis": [{"law": "环境影响评价法"}], "reason": "初次编制"}') ->> 'status' AS api_draft;
SELECT supervision_api.catalog_draft('{"department": "101", "main_item_name": "x", "method": "m", "object": "o", "legal_basis": [{"law": "l"}], "reason": "r"}');
SELECT author FROM supervision.catalog_version WHERE main_item_name = '对建设项目环评执行情况的检查';
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL;
RESET ROLE;
SET ROLE supervision_api_anon;
SELECT jsonb_array_length(supervision_api.catalog(current_date + 10) -> 'items') AS items_day_10,
       supervision_api.catalog(current_date + 10, NULL, '食品') -> 'total' AS food_items;
SELECT supervision_api.catalog_item(:'main_code', current_date + 10) ->> 'method' AS method_day_10;
\set VERBOSITY terse
SELECT supervision_api.catalog_item('00000000000000');
\set VERBOSITY default
SELECT supervision_api.catalog(lim => 0);
SELECT supervision_api.catalog_draft('{}');
RESET ROLE;

-- implementation lists: agency credit code + level + sequence
SET ROLE cat_off_101;
SELECT supervision.catalog_implement(:'main_code', '11320200MB0000019L') AS impl_nj;
SELECT supervision.catalog_implement(:'main_code', '11320300MB0000027L', '食品生产日常检查', NULL, '其他') AS impl_sz;
SELECT supervision.catalog_implement(:'main_code', '11320200MB0000019L') AS impl_nj_2;
SELECT supervision.catalog_implement(:'admin_code', '11320200MB0000019L');        -- item not in force yet
SELECT supervision.catalog_implement(:'main_code', '91350100M000100Y43');        -- unknown agency
RESET ROLE;
SET ROLE cat_off_102;
SELECT supervision.catalog_implement(:'main_code', '11320200MB0000019L');        -- not this department's agency
RESET ROLE;

-- national catalog: import JSON, bad rows reported, re-import changes nothing
SET ROLE cat_admin_a;
SELECT supervision.catalog_import_national('[
  {"code": "N001", "name": "对食品生产活动的监督检查", "department_name": "市场监管总局", "item_type": "其他行政权力"},
  {"code": "N002", "name": "对网络交易的监督检查", "department_name": "市场监管总局", "item_type": "行政检查"},
  {"code": "", "name": "no code"},
  {"code": "N 3", "name": "bad code"},
  {"code": "N004"},
  "not an object"]', 'b1');
SELECT supervision.catalog_import_national('[{"code": "N001", "name": "对食品生产活动的监督检查", "department_name": "市场监管总局", "item_type": "其他行政权力"}]', 'b2') - 'batch';
SELECT supervision.catalog_import_national('[{"code": "N001", "name": "对食品生产活动的监督检查（修订）", "department_name": "市场监管总局", "item_type": "其他行政权力"}]', 'b3') - 'batch';
SELECT supervision.catalog_import_national('{"code": "N001"}');
-- from a CSV file: load the staging table (\copy in psql), then import
INSERT INTO supervision.national_item_staging (code, name, department_name, item_type) VALUES ('N005', '对广告发布的检查', '市场监管总局', '行政检查');
SELECT supervision.catalog_import_national_staged('csv1') - 'batch';
SELECT count(*) AS staged_left FROM supervision.national_item_staging;
RESET ROLE;
SET ROLE cat_off_101;
SELECT supervision.catalog_import_national('[]');
RESET ROLE;

-- consistency findings
SELECT finding, code = :'main_code' AS is_main, detail FROM supervision.catalog_consistency()
 WHERE finding NOT IN ('same_name_different_codes') OR detail LIKE '%食品%'
 ORDER BY 1, 3;

-- export for exchange: one JSON document of the catalog in force
SELECT e ->> 'format' AS format, e -> 'source' ->> 'province' AS province, (e ->> 'item_count')::int AS items,
       jsonb_path_query_array(e, '$.items[*].code') @> to_jsonb(ARRAY[:'main_code']) AS has_main,
       jsonb_array_length(e #> '{items,0,checks}') AS checks_of_first
  FROM supervision.catalog_export(current_date + 10) e;

-- the audit trail holds the whole history of the catalog, intact
SELECT table_name, operation, count(*) > 0 AS logged FROM supervision.audit_log
 WHERE table_name LIKE 'supervision.catalog%' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM supervision.audit_verify();

-- four eyes by person, not by role: a login that switches to the group role is still the author
\c - cat_admin_a
SET client_min_messages = warning;
SELECT code AS fe_code, version_id AS fe_v FROM supervision.catalog_draft('{"department": "102", "main_item_name": "对机动车排放的检查", "method": "重点检查", "object": "机动车所有人", "legal_basis": [{"law": "大气污染防治法"}], "reason": "初次编制"}') \gset
SELECT (supervision.catalog_submit(:fe_v)).status;
SET ROLE supervision_admin;
SELECT supervision.catalog_publish(:fe_v);
RESET ROLE;
\c - postgres
SET client_min_messages = warning;
-- an administrator who rewrites a draft may not publish it either
SET ROLE cat_off_102;
SELECT version_id AS ed_v FROM supervision.catalog_draft('{"department": "102", "main_item_name": "对危险废物的检查", "method": "重点检查", "object": "产废单位", "legal_basis": [{"law": "固体废物污染环境防治法"}], "reason": "初次编制"}') \gset
RESET ROLE;
SET ROLE cat_admin_b;
SELECT supervision.catalog_edit_draft(:ed_v, '{"main_item_name": "对危险废物产生单位的检查"}');
SELECT (supervision.catalog_submit(:ed_v)).status;
SELECT supervision.catalog_publish(:ed_v);
RESET ROLE;
SET ROLE cat_admin_a;
SELECT (supervision.catalog_publish(:ed_v)).status AS published_by_another;
-- effective dates move forward only
SELECT code AS eff_code FROM supervision.catalog_item i JOIN supervision.catalog_version v ON v.item_code = i.code WHERE v.id = :ed_v \gset
RESET ROLE;
SET ROLE cat_off_102;
SELECT version_id AS eff_v2 FROM supervision.catalog_revise(:'eff_code', '{"method": "双随机抽查", "reason": "调整"}') \gset
SELECT (supervision.catalog_submit(:eff_v2)).status;
RESET ROLE;
SET ROLE cat_admin_a;
SELECT (supervision.catalog_publish(:eff_v2, current_date + 30)).status;
RESET ROLE;
SET ROLE cat_off_102;
SELECT version_id AS eff_v3 FROM supervision.catalog_revise(:'eff_code', '{"method": "专项检查", "reason": "更正"}') \gset
SELECT (supervision.catalog_submit(:eff_v3)).status;
RESET ROLE;
SET ROLE cat_admin_a;
\set VERBOSITY terse
SELECT supervision.catalog_publish(:eff_v3, current_date + 1);
\set VERBOSITY default
-- an item with an open version is not retired; a retired item's versions are not published
SELECT supervision.catalog_retire(:'eff_code', '取消');
SELECT (supervision.catalog_return(:eff_v3, '撤回')).status;
RESET ROLE;
SET ROLE cat_off_102;
DELETE FROM supervision.catalog_version WHERE id = :eff_v3;
SELECT version_id AS eff_v4 FROM supervision.catalog_revise(:'eff_code', '{"method": "专项检查", "reason": "更正"}') \gset
SELECT (supervision.catalog_submit(:eff_v4)).status;
RESET ROLE;
SET ROLE cat_admin_a;
SELECT supervision.catalog_retire(:'eff_code', '取消');
SELECT (supervision.catalog_return(:eff_v4, '先退回')).status;
RESET ROLE;
SET ROLE cat_off_102;
DELETE FROM supervision.catalog_version WHERE id = :eff_v4;
RESET ROLE;
SET ROLE cat_admin_a;
SELECT supervision.catalog_retire(:'eff_code', '取消') AS retired;
RESET ROLE;
-- items are what their codes were allocated for
SET ROLE cat_off_102;
INSERT INTO supervision.catalog_item (code, kind, parent_code, department_code) VALUES (:'eff_code', 'sub', :'main_code', '102');
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES ('32102999900008', 'main', '102');
SELECT supervision.catalog_allocate_code('102');
RESET ROLE;
SET ROLE cat_admin_a;
UPDATE supervision.catalog_item SET department_code = '101' WHERE code = :'eff_code';
DELETE FROM supervision.catalog_item WHERE code = :'eff_code';
-- the built-in coding scheme is frozen
UPDATE supervision.code_segment SET width = 3 WHERE scheme = 'JS2019' AND position = 3;
RESET ROLE;
UPDATE supervision.code_segment SET width = 3 WHERE scheme = 'JS2019' AND position = 3;
SELECT * FROM supervision.audit_verify();
