-- Security base: roles, who is acting (claims vs mapping), RLS on reference tables.
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- the five roles exist and cannot log in
SELECT rolname, rolcanlogin, rolsuper FROM pg_roles WHERE rolname LIKE 'supervision\_%' ORDER BY 1;
-- authenticated API users may do what officers and anonymous clients may
SELECT pg_has_role('supervision_api_user', 'supervision_officer', 'MEMBER') AS api_user_is_officer,
       pg_has_role('supervision_api_user', 'supervision_api_anon', 'MEMBER') AS api_user_is_anon,
       pg_has_role('supervision_api_anon', 'supervision_officer', 'MEMBER') AS anon_is_officer;

-- fixtures
INSERT INTO supervision.department (code, name) VALUES ('012', '江苏省市场监督管理局'), ('015', '江苏省生态环境厅');
CREATE ROLE sec_officer_012 LOGIN IN ROLE supervision_officer;
CREATE ROLE sec_officer_none LOGIN IN ROLE supervision_officer;
CREATE ROLE sec_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE sec_app LOGIN IN ROLE supervision_api_user;
INSERT INTO supervision.actor_map (db_role, department_code, division_code) VALUES ('sec_officer_012', '012', '320100');

-- a direct SQL user is identified by the mapping
SET ROLE sec_officer_012;
SELECT * FROM supervision.actor();
-- claims set by a direct SQL user are ignored: anyone can set them
SELECT set_config('request.jwt.claims', '{"sub": "mallory", "department": "015"}', false) IS NOT NULL AS claims_set;
SELECT user_id, department_code, source FROM supervision.actor();
RESET ROLE;

-- an unmapped officer acts for no department
SET ROLE sec_officer_none;
SELECT user_id, department_code, source FROM supervision.actor();
SELECT supervision.actor_require_department();
RESET ROLE;

-- an API role is identified by the request's claims (PostgREST sets them per request)
SET ROLE sec_app;
SELECT set_config('request.jwt.claims', '{"sub": "mallory", "department": "015"}', false) IS NOT NULL AS same_claims;
SELECT * FROM supervision.actor();
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS claims_cleared;
SELECT user_id, department_code, source FROM supervision.actor();
SELECT set_config('request.jwt.claims', '{not json', false) IS NOT NULL AS claims_broken;
SELECT * FROM supervision.actor();
SELECT set_config('request.jwt.claims', '{"sub": "app-user-7", "department": "015", "division": "320500"}', false) IS NOT NULL;
SELECT supervision_api.whoami();
RESET ROLE;
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS reset;

-- administrators and superusers are never identified by claims
SET ROLE sec_admin;
SELECT set_config('request.jwt.claims', '{"sub": "x", "department": "012"}', false) IS NOT NULL;
SELECT user_id, department_code, source FROM supervision.actor();
SELECT supervision.actor_is_admin();
RESET ROLE;
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS reset;

-- reference tables: everybody reads, only administrators write
SET ROLE sec_officer_012;
SELECT count(*) AS departments_seen FROM supervision.department;
INSERT INTO supervision.department (code, name) VALUES ('099', 'not allowed');
UPDATE supervision.department SET name = 'renamed' WHERE code = '012';
SELECT * FROM supervision.actor_map;
RESET ROLE;
SET ROLE supervision_api_anon;
SELECT count(*) AS departments_seen_by_anon FROM supervision.department;
RESET ROLE;
SET ROLE sec_admin;
INSERT INTO supervision.department (code, name) VALUES ('021', '江苏省应急管理厅');
RESET ROLE;

-- bad department rows (terse: the failing row would show today's timestamp)
\set VERBOSITY terse
INSERT INTO supervision.department (code, name) VALUES ('12', 'two digits');
INSERT INTO supervision.department (code, name) VALUES ('0123', 'four digits');
INSERT INTO supervision.department (code, name) VALUES ('０１２', 'full-width digits');
INSERT INTO supervision.department (code, name) VALUES ('030', '   ');
INSERT INTO supervision.department (code, name) VALUES (NULL, 'no code');
-- agencies need a valid credit code, a known department and division, a level 1-5
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
VALUES ('11320100MB17959259', '南京市市场监督管理局', '012', '320100', 3);
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
VALUES ('11320100MB17959258', 'wrong check character', '012', '320100', 3);
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
VALUES ('113205000141601444', 'unknown division', '012', '329999', 3);
INSERT INTO supervision.agency (uscc, name, department_code, division_code, level)
VALUES ('113205000141601444', 'level 6', '012', '320500', 6);

\set VERBOSITY default
-- SECURITY DEFINER functions pin search_path
SELECT p.oid::regprocedure AS security_definer_without_search_path
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('supervision', 'supervision_api') AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
-- every table of the extension has row-level security on
SELECT c.relname AS table_without_rls
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'supervision' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND NOT c.relispartition
 ORDER BY 1;
-- no table is writable by PUBLIC
SELECT c.relname, a.privilege_type
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
 WHERE n.nspname IN ('supervision', 'supervision_api') AND a.grantee = 0
 ORDER BY 1, 2;
-- audit partitions are reached through the parent only: nobody but the owner holds rights on them
SELECT count(*) AS partitions_with_grants
  FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid, aclexplode(c.relacl) a
 WHERE i.inhparent = 'supervision.audit_log'::regclass AND a.grantee <> c.relowner;
-- nobody but the owner may truncate a table (bypassing triggers and the audit trail) or add triggers
SELECT c.relname, a.privilege_type, a.grantee::regrole
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
 WHERE n.nspname = 'supervision' AND a.grantee <> c.relowner AND a.privilege_type IN ('TRUNCATE', 'TRIGGER', 'REFERENCES')
 ORDER BY 1, 2;
SET ROLE sec_admin;
TRUNCATE supervision.department;
RESET ROLE;
-- the audit trigger cannot be borrowed for a table of one's own
SET ROLE sec_officer_012;
CREATE TEMP TABLE borrowed (x int);
CREATE TRIGGER t AFTER INSERT ON borrowed FOR EACH ROW EXECUTE FUNCTION supervision.audit_row();
RESET ROLE;
-- every table, view and function of the extension is documented (COMMENT ON)
SELECT 'function ' || p.oid::regprocedure AS undocumented
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('supervision', 'supervision_api') AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'relation ' || c.oid::regclass
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'supervision' AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
   AND obj_description(c.oid, 'pg_class') IS NULL;
-- personal data is masked for roles that must not see it
SELECT v, supervision.mask_id_number(v) AS id_masked, supervision.mask_phone(v) AS phone_masked
  FROM unnest(ARRAY['11010519491231002X', '13812345678', '025-83456789', '1234', '', NULL]) v;
CREATE ROLE sec_auditor LOGIN IN ROLE supervision_auditor;
SET ROLE sec_admin;
SELECT current_user, supervision.personal_data('11010519491231002X', 'id_number') AS seen_id;
SET ROLE sec_auditor;
SELECT current_user, supervision.personal_data('11010519491231002X', 'id_number') AS seen_id;
SET ROLE sec_officer_012;
SELECT current_user, supervision.personal_data('11010519491231002X', 'id_number') AS seen_id;
SET ROLE sec_app;
SELECT current_user, supervision.personal_data('11010519491231002X', 'id_number') AS seen_id;
SET ROLE supervision_api_anon;
SELECT current_user, supervision.personal_data('11010519491231002X', 'id_number') AS seen_id;
RESET ROLE;
SET ROLE sec_officer_012;
SELECT supervision.personal_data('13812345678', 'phone') AS officer_sees_phone;
SELECT supervision.personal_data('13812345678', 'email');
RESET ROLE;
