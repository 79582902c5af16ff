-- Supervision data center: ingestion that loses nothing, the data-quality
-- pipeline, linking records into subjects, golden records with lineage,
-- review decisions that stick, search.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- fixtures: one department, three sources of different trust, an officer of another department
INSERT INTO supervision.department (code, name) VALUES ('201', '数据中心测试厅'), ('202', '别的厅')
ON CONFLICT DO NOTHING;
INSERT INTO supervision.source_system (code, name, department_code, trust) VALUES
    ('dc_registry', '登记系统', '201', 90), ('dc_tax', '税务系统', '201', 60), ('dc_city', '市级平台', '201', 40);
CREATE ROLE dc_officer LOGIN IN ROLE supervision_officer;
CREATE ROLE dc_other LOGIN IN ROLE supervision_officer;
CREATE ROLE dc_admin LOGIN IN ROLE supervision_admin;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('dc_officer', '201'), ('dc_other', '202'), ('dc_admin', NULL);

-- cleaning and parsing, value by value
SELECT t, v, (supervision.dq_clean(t, 200, v)).*
  FROM (VALUES ('code', '" 9135 0100m000100y43 "'::jsonb), ('enum', '" Active "'), ('name', '"  南京  某某  科技有限公司 "'),
               ('address', '"南京市玄武区中山路１２３号"'), ('phone', '"+86 138-1234-5678"'), ('phone', '"(025) 8345-6789"'),
               ('date', '"2019年4月11日"'), ('date', '"2019/4/1"'), ('date', '"20190411"'), ('date', '"2019-02-30"'),
               ('timestamp', '"2024-05-02 10:00"'), ('timestamp', '"2024-05-02T10:00:00+08:00"'), ('timestamp', '"yesterday"'),
               ('number', '"118.78"'), ('number', '"abc"'), ('text_array', '"食品、特种设备,药品"'), ('text_array', '["a", 1]'),
               ('json_array', '[{"name": "张三"}]'), ('json_array', '"张三"'), ('name', '{"a": 1}'), ('name', 'null')) x(t, v);

-- one record at a time: kept as received, cleaned, validated, linked
SET ROLE dc_officer;
SELECT supervision.ingest_record('subject', 'dc_registry', 'R-1', '{"uscc": "91350100M000100Y43", "name": "南京某某科技有限公司",
    "legal_representative": "张三", "address": "南京市玄武区中山路１号", "division_code": "320102",
    "established_on": "2019年4月11日", "phone": "+86 138 1234 5678", "industry_code": "I65"}') - 'batch_id' - 'raw_id' - 'record_id' - 'match';
-- the same record again changes nothing
SELECT s ->> 'status' AS status, s -> 'warnings' -> 0 ->> 'rule' AS why
  FROM supervision.ingest_record('subject', 'dc_registry', 'R-1', '{"uscc": "91350100M000100Y43", "name": "南京某某科技有限公司",
    "legal_representative": "张三", "address": "南京市玄武区中山路１号", "division_code": "320102",
    "established_on": "2019年4月11日", "phone": "+86 138 1234 5678", "industry_code": "I65"}') s;
SELECT count(*) AS records FROM supervision.subject_record WHERE source_code = 'dc_registry';

-- bad records: each kept with every reason, one per line
SELECT n, s ->> 'status' AS status, jsonb_path_query_array(s, '$.reasons[*].message') AS reasons
  FROM (VALUES
    (1, supervision.ingest_record('subject', 'dc_registry', 'B-1', '[1, 2]')),
    (2, supervision.ingest_record('subject', 'dc_registry', 'B-2', '"just a string"')),
    (3, supervision.ingest_record('subject', 'dc_registry', 'B-3', '{}')),
    (4, supervision.ingest_record('subject', 'dc_registry', 'B-4', '{"name": "某公司", "nmae": "typo"}')),
    (5, supervision.ingest_record('subject', 'dc_registry', 'B-5', '{"name": {"zh": "某公司"}}')),
    (6, supervision.ingest_record('subject', 'dc_registry', 'B-6', jsonb_build_object('name', repeat('长', 201)))),
    (7, supervision.ingest_record('subject', 'dc_registry', 'B-7', '{"name": "某公司", "uscc": "91350100M000100Y44"}')),
    (8, supervision.ingest_record('subject', 'dc_registry', 'B-8', '{"name": "某公司", "division_code": "329999"}')),
    (9, supervision.ingest_record('subject', 'dc_registry', 'B-9', '{"name": "某公司", "established_on": "2019-02-30"}')),
    (10, supervision.ingest_record('subject', 'dc_registry', 'B-10', '{"name": "某公司", "established_on": "2999-01-01"}')),
    (11, supervision.ingest_record('subject', 'dc_registry', 'B-11', '{"name": "某公司", "lon": "118.7", "lat": "95"}')),
    (12, supervision.ingest_record('subject', 'dc_registry', 'B-12', '{"name": "某公司", "status": "closed", "kind": "shop"}')),
    (13, supervision.ingest_record('subject', 'dc_registry', NULL, '{"name": "某公司"}')),
    (14, supervision.ingest_record('subject', 'dc_registry', 'B-14', '{"name": "某公司"}', 'x')),
    (15, supervision.ingest_record('subject', 'dc_registry', repeat('k', 201), '{"name": "某公司"}')),
    (16, supervision.ingest_record('subject', 'dc_registry', 'B-16', NULL)),
    (17, supervision.ingest_record('behaviour', 'dc_registry', 'BH-1', '{"kind": "inspection", "behaviour_no": "X1",
           "behaviour_name": "日常检查", "counterpart_name": "南京某某科技有限公司", "counterpart_code": "91350100M000100Y43",
           "check_time": "2024-05-01 10:00", "report_time": "2024-05-01 09:00"}')),
    (18, supervision.ingest_record('behaviour', 'dc_registry', 'BH-2', '{"kind": "audit", "behaviour_no": "X2",
           "behaviour_name": "检查", "counterpart_name": "某公司", "counterpart_code": "123", "inspectors": "张三"}')),
    (19, supervision.ingest_record('inspector', 'dc_registry', 'I-1', '{"certificate_no": "3201 0001", "name": "李四",
           "id_number": "110105194902300020", "department_code": "999", "division_code": "320100"}')),
    (20, supervision.ingest_record('credit', 'dc_registry', 'C-1', '{"counterpart_name": "某公司", "kind": "serious_violation",
           "listed_on": "2024-05-01", "removed_on": "2024-04-01"}'))
  ) t(n, s) ORDER BY n;
-- problems with the call itself are errors, and nothing is kept
SELECT supervision.ingest_record('subject', 'no_such_source', 'K', '{"name": "x"}');
SELECT supervision.ingest_record('complaint', 'dc_registry', 'K', '{"name": "x"}');
RESET ROLE;
SET ROLE dc_other;
SELECT supervision.ingest_record('subject', 'dc_registry', 'K', '{"name": "x"}');
RESET ROLE;

-- other kinds go to their libraries
SET ROLE dc_officer;
SELECT s ->> 'status' AS behaviour FROM supervision.ingest_record('behaviour', 'dc_registry', 'BH-3', '{"kind": "inspection",
    "behaviour_no": "JC-2024-001", "behaviour_name": "双随机抽查", "counterpart_name": "南京某某科技有限公司",
    "counterpart_code": "91350100M000100Y43", "division_code": "320102", "check_time": "2024-05-01 10:00",
    "report_time": "2024-05-02T10:00:00+08:00", "result": "未发现问题",
    "inspectors": [{"name": "王五", "certificate_no": "32010001"}, {"name": "赵六", "certificate_no": "32010002"}]}') s;
SELECT s ->> 'status' AS inspector FROM supervision.ingest_record('inspector', 'dc_registry', 'I-2', '{"certificate_no": "32010001",
    "name": "王五", "id_number": "11010519491231002X", "phone": "13912345678", "department_code": "201",
    "division_code": "320100", "specialties": "食品、特种设备"}') s;
SELECT s ->> 'status' AS credit FROM supervision.ingest_record('credit', 'dc_registry', 'C-2', '{"counterpart_name": "南京某某科技有限公司",
    "counterpart_code": "91350100M000100Y43", "kind": "abnormal_listing", "reason": "未按时报送年度报告", "listed_on": "2024/7/1"}') s;
SELECT kind, behaviour_no, check_time AT TIME ZONE 'Asia/Shanghai' AS check_time_beijing,
       report_time AT TIME ZONE 'Asia/Shanghai' AS report_time_beijing, jsonb_array_length(inspectors) AS inspectors
  FROM supervision.behaviour;
-- officers see inspectors through the directory, with personal data masked
SELECT certificate_no, name, id_number, phone, specialties FROM supervision.inspector_directory WHERE certificate_no = '32010001';
SELECT count(*) FROM supervision.inspector WHERE certificate_no = '32010001';
RESET ROLE;
SELECT certificate_no, id_number, phone FROM supervision.inspector_directory WHERE certificate_no = '32010001';

-- raw rows are immutable
UPDATE supervision.ingest_raw SET source_key = 'changed';
DELETE FROM supervision.ingest_raw;
DELETE FROM supervision.ingest_outcome;

-- bulk: COPY into staging, then one call; malformed JSON kept with its reason
SET ROLE dc_officer;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload) VALUES
    ('dc_tax', 'subject', '2024050100001', 'T-1', 'i', '{"name": "江苏南京某某科技有限责任公司", "address": "玄武区中山路1号", "uscc": "91350100M000100Y43", "phone": "025-83456789"}'),
    ('dc_tax', 'subject', '2024050100001', 'T-2', 'i', '{"name": "broken json'),
    ('dc_tax', 'subject', '2024050100001', 'T-3', 'i', '{"name": "苏州某某贸易有限公司", "status": "1", "division_code": "320505"}');
INSERT INTO supervision.ingest_staging_subject (source_code, batch_no, source_key, name, address, division_code, established_on, legal_representative) VALUES
    ('dc_tax', '2024050100001', 'T-4', '南京某某科技有限公司', '南京市玄武区中山路1号', '320102', '20190411', '张三');
RESET ROLE;
-- the tax system's local status code 1 means active
INSERT INTO supervision.dq_code_map (source_code, kind, field, local_value, standard_value) VALUES ('dc_tax', 'subject', 'status', '1', 'active');
SET ROLE dc_officer;
SELECT supervision.ingest_process('dc_tax', 'subject', '2024050100001') - 'batch_id';
-- the same batch again changes nothing
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload) VALUES
    ('dc_tax', 'subject', '2024050100001', 'T-1', 'i', '{"name": "something else"}');
SELECT supervision.ingest_process('dc_tax', 'subject', '2024050100001') - 'batch_id';
SELECT count(*) AS staged_left FROM supervision.ingest_staging;
SELECT r.source_key, r.row_no, o.status, jsonb_path_query_array(o.reasons, '$[*].rule') AS reasons,
       jsonb_path_query_array(o.warnings, '$[*].rule') AS warnings
  FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id
 WHERE r.source_code = 'dc_tax' ORDER BY r.row_no;
RESET ROLE;
SELECT source_key, status, cleaning ->> 'status' AS status_mapping FROM supervision.subject_record WHERE source_key = 'T-3';
-- another department's officer cannot stage rows for these sources
SET ROLE dc_other;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, payload) VALUES ('dc_tax', 'subject', 'X', 'K', '{}');
RESET ROLE;

-- rules are data: a new rule rejects, an inactive one no longer does
INSERT INTO supervision.dq_rule (kind, field, check_type, params, severity, message)
VALUES ('subject', 'name', 'regex', '{"pattern": "^[^0-9]*$"}', 'reject', 'a name has no digits');
SET ROLE dc_officer;
SELECT s ->> 'status' AS status, s -> 'reasons' -> 0 ->> 'message' AS reason
  FROM supervision.ingest_record('subject', 'dc_city', 'CITY-9', '{"name": "某某123有限公司"}') s;
RESET ROLE;
UPDATE supervision.dq_rule SET active = false WHERE message = 'a name has no digits';
SET ROLE dc_officer;
SELECT s ->> 'status' AS status FROM supervision.ingest_record('subject', 'dc_city', 'CITY-10', '{"name": "某某123有限公司"}') s;

-- the quality report of the bulk batch
SELECT jsonb_pretty(supervision.dq_report_batch(b.id) - 'batch_id') FROM supervision.ingest_batch b WHERE b.batch_no = '2024050100001';
RESET ROLE;
SELECT source_code, kind, rows_total, rows_accepted, rows_rejected, rows_duplicate, accept_rate
  FROM supervision.dq_source_quality ORDER BY 1, 2;

-- linking: the records of one company from three sources become one subject
SET ROLE dc_officer;
SELECT s ->> 'status' AS city_record FROM supervision.ingest_record('subject', 'dc_city', 'CITY-1', '{"name": "南京某某科技有限公司",
    "address": "江苏省南京市玄武区中山路1号", "division_code": "320102", "legal_representative": "张三", "phone": "13812345678"}') s;
RESET ROLE;
SET ROLE dc_admin;
SELECT supervision.dc_resolve() - 'seconds' - 'model_id';
RESET ROLE;
SELECT r.source_code, r.source_key, r.name, s.id = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1') AS same_subject
  FROM supervision.subject_record r JOIN supervision.subject s ON s.id = r.entity_id
 WHERE r.source_key IN ('R-1', 'T-1', 'T-4', 'CITY-1', 'T-3') ORDER BY r.source_code, r.source_key;
-- the golden record takes each value from the most trusted source that has it, and says so
SELECT l.field, l.value, l.source, l.survivorship_rule, l.cleaning_rule, l.value_as_received #>> '{}' AS as_received
  FROM supervision.subject_lineage((SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')) l
 ORDER BY l.field;
-- and each value of a cleaned record: the raw row, the batch and the rule
SELECT l.field, l.value, l.value_as_received #>> '{}' AS as_received, l.rule, l.source, l.batch_no, l.row_no
  FROM supervision.subject_record_lineage((SELECT id FROM supervision.subject_record WHERE source_key = 'T-3')) l;
-- 比对: where the sources disagree
SELECT field, distinct_values, values_by_source
  FROM supervision.subject_comparison((SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1'));

-- a human says two records are not the same: they split, and stay split through later runs
SELECT d ->> 'same' AS same, (d ->> 'subject_a') <> (d ->> 'subject_b') AS apart
  FROM supervision.match_decide((SELECT id FROM supervision.subject_record WHERE source_key = 'R-1'),
                                (SELECT id FROM supervision.subject_record WHERE source_key = 'CITY-1'), false, '不同主体') d;
SELECT (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')
    <> (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'CITY-1') AS split;
SET ROLE dc_admin;
SELECT (supervision.dc_resolve() ->> 'records')::int > 0 AS resolved_again;
RESET ROLE;
SELECT (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')
    <> (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'CITY-1') AS still_split;
-- and "the same" joins records the model keeps apart
SELECT d ->> 'same' AS same, (d ->> 'subject_a') = (d ->> 'subject_b') AS together
  FROM supervision.match_decide((SELECT id FROM supervision.subject_record WHERE source_key = 'R-1'),
                                (SELECT id FROM supervision.subject_record WHERE source_key = 'T-3'), true, '同一主体') d;
SET ROLE dc_admin;
SELECT (supervision.dc_resolve() ->> 'records')::int > 0 AS resolved_again;
RESET ROLE;
SELECT (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')
     = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'T-3') AS still_joined;
SELECT record_a < record_b AS ordered, same, decided_by FROM supervision.match_decision ORDER BY same;
SELECT supervision.match_decide(1, 1, true);
SELECT supervision.match_decide(1, NULL, true);
SELECT supervision.match_decide(999999, 1, true);

-- incremental: a new record joins the subject it belongs to, without a full run
SET ROLE dc_officer;
SELECT s -> 'match' ->> 'decision' AS decision,
       (s -> 'match' ->> 'subject_id')::bigint = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1') AS joined
  FROM supervision.ingest_record('subject', 'dc_city', 'CITY-2', '{"name": "南京某某科技有限公司", "uscc": "91350100M000100Y43",
       "address": "南京市玄武区中山路1号"}') s;
SELECT s -> 'match' ->> 'decision' AS decision
  FROM supervision.ingest_record('subject', 'dc_city', 'CITY-3', '{"name": "无锡完全不同贸易有限公司", "division_code": "320200"}') s;
RESET ROLE;

-- search: region prefixes, traditional characters and credit codes find the subject
SET ROLE dc_officer;
SELECT q, (SELECT string_agg(name, ' | ' ORDER BY score DESC, subject_id) FROM supervision.subject_search(q, 2)) AS found
  FROM unnest(ARRAY['某某科技', '江苏省南京市某某科技有限公司', '南京某某科技有限責任公司', '91350100M000100Y43']) q;
SELECT * FROM supervision.subject_search('', 5);
SELECT * FROM supervision.subject_search('某某', 0);
RESET ROLE;
SET ROLE supervision_api_anon;
SELECT * FROM supervision.subject_search('某某', 5);
RESET ROLE;

-- withdrawing a record (operation d, the key is enough) keeps it, marked; its subject keeps its id, with no live record
SET ROLE dc_officer;
SELECT s -> 'match' ->> 'decision' AS decision FROM supervision.ingest_record('subject', 'dc_city', 'CITY-3', '{}', 'd') s;
SELECT s ->> 'status' AS status, s -> 'reasons' -> 0 ->> 'rule' AS why FROM supervision.ingest_record('subject', 'dc_city', 'NO-SUCH-KEY', '{}', 'd') s;
RESET ROLE;
SELECT r.deleted, r.name, s.record_count, s.merged_into IS NULL AS not_merged
  FROM supervision.subject_record r JOIN supervision.subject s ON s.id = r.entity_id WHERE r.source_key = 'CITY-3';
SELECT count(*) AS raw_rows_kept FROM supervision.ingest_raw WHERE source_key = 'CITY-3';
SET ROLE dc_officer;
SELECT count(*) AS found_after_withdrawal FROM supervision.subject_search('无锡完全不同贸易有限公司', 5);
-- sent again, it comes back to the same subject
SELECT (s -> 'match' ->> 'subject_id')::bigint = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'CITY-3') AS same_subject_again
  FROM supervision.ingest_record('subject', 'dc_city', 'CITY-3', '{"name": "无锡完全不同贸易有限公司", "division_code": "320200"}') s;
RESET ROLE;

-- a bulk batch applies its rows in the order they were staged: insert, then withdraw
SET ROLE dc_officer;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload) VALUES
    ('dc_tax', 'subject', '2024050100009', 'ORD-1', 'i', '{"name": "顺序测试有限公司", "division_code": "320102"}'),
    ('dc_tax', 'subject', '2024050100009', 'ORD-1', 'd', '{}'),
    ('dc_tax', 'subject', '2024050100009', 'ORD-2', 'i', '{"name": "重复行有限公司"}'),
    ('dc_tax', 'subject', '2024050100009', 'ORD-2', 'i', '{"name": "重复行有限公司"}');
SELECT supervision.ingest_process('dc_tax', 'subject', '2024050100009') - 'batch_id';
RESET ROLE;
SELECT source_key, deleted FROM supervision.subject_record WHERE source_key LIKE 'ORD-%' ORDER BY 1;
-- a bulk batch may link its records one by one as it goes, like single records
SET ROLE dc_officer;
INSERT INTO supervision.ingest_staging (source_code, kind, batch_no, source_key, op, payload) VALUES
    ('dc_tax', 'subject', '2024050100010', 'LNK-1', 'i', '{"name": "南京某某科技有限公司", "uscc": "91350100M000100Y43", "division_code": "320102"}'),
    ('dc_tax', 'subject', '2024050100010', 'LNK-2', 'i', '{"name": "连云港全新水产有限公司", "division_code": "320700"}'),
    ('dc_tax', 'subject', '2024050100010', 'LNK-3', 'i', '{"name": "连云港全新水产有限公司", "division_code": "320700"}'),
    ('dc_tax', 'subject', '2024050100010', 'LNK-4', 'i', '{"name": "bad", "division_code": "999999"}');
SELECT s -> 'linked' AS linked, s ->> 'accepted' AS accepted, s ->> 'rejected' AS rejected
  FROM supervision.ingest_process('dc_tax', 'subject', '2024050100010', p_link => true) s;
RESET ROLE;
SELECT r.source_key, r.entity_id = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1') AS with_r1,
       r.entity_id = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'LNK-2') AS with_lnk2
  FROM supervision.subject_record r WHERE r.source_key LIKE 'LNK-%' ORDER BY 1;

-- an update may change the credit code; the record stays one record
SET ROLE dc_officer;
SELECT s ->> 'status' AS status FROM supervision.ingest_record('subject', 'dc_tax', 'ORD-2',
    '{"name": "重复行有限公司", "uscc": "91350100M000100Y43"}', 'u') s;
RESET ROLE;
SELECT count(*) AS records, min(uscc) AS uscc FROM supervision.subject_record WHERE source_key = 'ORD-2';

-- a source writes only its own department's inspectors
INSERT INTO supervision.source_system (code, name, department_code) VALUES ('dc_other_src', '别的厅系统', '202');
SET ROLE dc_other;
SELECT s ->> 'status' AS status, s -> 'reasons' -> 0 ->> 'message' AS reason
  FROM supervision.ingest_record('inspector', 'dc_other_src', 'X', '{"certificate_no": "32010001", "name": "冒名",
       "department_code": "202", "division_code": "320100"}') s;
SELECT s ->> 'status' AS status FROM supervision.ingest_record('inspector', 'dc_other_src', '32010001', '{}', 'd') s;
RESET ROLE;
SELECT name, department_code, status, id_number IS NOT NULL AS personal_data_kept FROM supervision.inspector WHERE certificate_no = '32010001';

-- officers read subjects without phone numbers; the API shows them masked
SET ROLE dc_officer;
SELECT phone FROM supervision.subject LIMIT 1;
SELECT payload FROM supervision.ingest_raw LIMIT 1;
SELECT value, value_as_received FROM supervision.subject_lineage((SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')) WHERE field = 'phone';
SELECT value, value_as_received FROM supervision.subject_record_lineage((SELECT id FROM supervision.subject_record WHERE source_key = 'R-1')) WHERE field = 'phone';
SELECT values_by_source FROM supervision.subject_comparison((SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')) WHERE field = 'phone';
SELECT supervision_api.subject((SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1')) -> 'subject' ->> 'phone' AS api_phone;
RESET ROLE;
SET ROLE dc_other;
SELECT count(*) AS other_departments_batches_seen FROM supervision.dq_source_quality WHERE source_code LIKE 'dc\_%' AND source_code <> 'dc_other_src';
SELECT supervision.dq_report_batch((SELECT id FROM supervision.ingest_batch WHERE batch_no = '2024050100001')) IS NULL AS report_hidden;
-- nor decide on other departments' records
SELECT supervision.match_decide((SELECT id FROM supervision.subject_record WHERE source_key = 'R-1'),
                                (SELECT id FROM supervision.subject_record WHERE source_key = 'T-1'), false);
RESET ROLE;

-- decisions hold in incremental linking too, and contradicting decisions are refused
SET ROLE dc_officer;
-- T-3 is with R-1 by decision, and R-1 is not CITY-1: T-3 cannot be CITY-1
SELECT supervision.match_decide((SELECT id FROM supervision.subject_record WHERE source_key = 'T-3'),
                                (SELECT id FROM supervision.subject_record WHERE source_key = 'CITY-1'), true);
SELECT (s -> 'match' ->> 'decision') AS decision, s -> 'match' ->> 'error' AS error,
       (s -> 'match' ->> 'subject_id')::bigint <> (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1') AS kept_apart
  FROM supervision.ingest_record('subject', 'dc_city', 'CITY-1', '{"name": "南京某某科技有限公司",
    "address": "江苏省南京市玄武区中山路1号", "division_code": "320102", "legal_representative": "张三", "phone": "13812345679"}', 'u') s;
SELECT (s -> 'match' ->> 'decision') AS decision, s -> 'match' ->> 'error' AS error,
       (s -> 'match' ->> 'subject_id')::bigint = (SELECT entity_id FROM supervision.subject_record WHERE source_key = 'R-1') AS joined_by_decision
  FROM supervision.ingest_record('subject', 'dc_tax', 'T-3', '{"name": "苏州某某贸易有限公司", "status": "active", "division_code": "320505"}', 'u') s;
RESET ROLE;

SELECT * FROM supervision.audit_verify();
