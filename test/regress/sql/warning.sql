-- Early warning: the numbers (EWMA, Poisson tail, spike test) against values
-- computed independently, bad input, rules as data (validation, versions),
-- warnings raised from penalties and internet reports, the same evidence
-- never twice, re-opening on new evidence, escalation, the workflow with its
-- deadlines and forbidden steps, departments kept apart, warnings from the
-- national system, and the HTTP functions. Every scan passes as_of, so no
-- output depends on today's date; queries are scoped to this test's rows
-- (departments 501/502, sources warn_*, names with (预警测试)).
SET client_min_messages = warning;
\set SHOW_CONTEXT never

--
-- The numbers. Reference values: test/reference/warning_poisson.py (Python
-- standard library, decimal arithmetic at 60 digits, summing the Poisson
-- probabilities term by term); C results must agree to 1e-12 relative.
--
SELECT round(s::numeric, 10) AS ewma FROM unnest(supervision.ewma('{2,1,3,0,2}', 0.3)) s;   -- 2, 1.7, 2.09, 1.463, 1.6241
SELECT supervision.ewma('{4,0,7}', 1) AS alpha_1_keeps_the_counts, supervision.ewma('{5}', 0.5) AS one_count;
SELECT k, lambda, to_char(supervision.poisson_tail(k, lambda), '9.999999999EEEE') AS p,
       abs(supervision.poisson_tail(k, lambda) / ref - 1) < 1e-12 AS agrees
  FROM (VALUES (1, 2.5, 9.17915001376101204830e-1),     -- 1 - exp(-2.5)
               (5, 1, 3.65984682734371234546e-3),
               (10, 2, 4.64980750172638082514e-5),
               (20, 3.2, 2.50215894066151254960e-10),
               (7, 7, 5.50288944151301153258e-1),
               (60, 0.5, 6.37458845710689668966e-101),    -- a tail far below 1e-100, no underflow
               (1000000, 1e6, 5.00132980760872591244e-1),   -- lambda = 1e6: no overflow
               (1000100, 1e6, 4.60305138513883601960e-1),
               (1005000, 1e6, 2.93403404803164109883e-7),
               (999000, 1e6, 8.41465751603325036730e-1)) v(k, lambda, ref);
SELECT supervision.poisson_tail(0, 3) AS k_0, supervision.poisson_tail(0, 0) AS k_0_lambda_0,
       supervision.poisson_tail(1, 0) AS lambda_0, supervision.poisson_tail(3, 500) AS almost_sure,
       supervision.poisson_tail(1000, 1) AS below_double_range;   -- 9.15e-2569: 0 in float8
-- the tail never rises with k and never falls with lambda
SELECT bool_and(supervision.poisson_tail(k, 4.5) >= supervision.poisson_tail(k + 1, 4.5)) AS falls_with_k,
       bool_and(supervision.poisson_tail(6, l / 10.0) <= supervision.poisson_tail(6, l / 10.0 + 0.1)) AS rises_with_lambda
  FROM generate_series(0, 40) k, generate_series(0, 200) l;
-- spike: baseline = EWMA(0.3) of {2,1,3,1,2,1} = 1.58387; P(X >= 9 | 1.58387) = 4.20169364490554843668e-5 (reference script)
SELECT observed, baseline, abs(p_value / 4.20169364490554843668e-5 - 1) < 1e-12 AS p_agrees
  FROM supervision.spike('{2,1,3,1,2,1,9}', 0.3);
SELECT observed, baseline, p_value FROM supervision.spike('{0,0,0,4}', 0.5);            -- baseline 0: any event is a spike
SELECT observed, baseline, round(p_value::numeric, 12) AS p FROM supervision.spike('{0,0,0,4}', 0.5, 1);  -- min_baseline 1
-- bad input, one per line
SELECT supervision.ewma('{}', 0.5);
SELECT supervision.ewma('{1,-1}', 0.5);
SELECT supervision.ewma('{1,2.5}', 0.5);
SELECT supervision.ewma('{1,NaN}', 0.5);
SELECT supervision.ewma('{1,Infinity}', 0.5);
SELECT supervision.ewma('{1,NULL}', 0.5);
SELECT supervision.ewma('{{1,2},{3,4}}', 0.5);
SELECT supervision.ewma('{1,2}', 0);
SELECT supervision.ewma('{1,2}', 1.5);
SELECT supervision.ewma('{1,2}', 'NaN');
SELECT supervision.ewma('{1,2}', NULL) IS NULL AS strict;
SELECT supervision.poisson_tail(-1, 1);
SELECT supervision.poisson_tail(1.5, 1);
SELECT supervision.poisson_tail('NaN', 1);
SELECT supervision.poisson_tail('Infinity', 1);
SELECT supervision.poisson_tail(1, -0.5);
SELECT supervision.poisson_tail(1, 'NaN');
SELECT supervision.poisson_tail(1, 'Infinity');
SELECT supervision.spike('{3}', 0.5);
SELECT supervision.spike('{1,2,-3}', 0.5);
SELECT supervision.spike('{1,2,3}', 0);
SELECT supervision.spike('{1,2,3}', 0.5, -1);
SELECT supervision.spike('{1,2,3}', 0.5, 'Infinity');
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
 WHERE pronamespace = 'supervision'::regnamespace AND proname IN ('ewma', 'poisson_tail', 'spike') ORDER BY 1;

--
-- Fixtures: two departments, their officers, an administrator, an auditor, an
-- API client; a catalog item of 501; a penalty system that belongs to 502 and
-- an internet monitor; three subjects.
--
INSERT INTO supervision.department (code, name, national_code) VALUES
    ('501', '市场监管局(预警测试)', 'GJ-SC-501'), ('502', '生态环境局(预警测试)', NULL);
CREATE ROLE warn_off_501 LOGIN IN ROLE supervision_officer;
CREATE ROLE warn_off_502 LOGIN IN ROLE supervision_officer;
CREATE ROLE warn_admin LOGIN IN ROLE supervision_admin;
CREATE ROLE warn_auditor LOGIN IN ROLE supervision_auditor;
CREATE ROLE warn_app LOGIN IN ROLE supervision_api_user;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('warn_off_501', '501'), ('warn_off_502', '502'), ('warn_admin', NULL);
SELECT supervision.catalog_allocate_code('501') AS item501 \gset
INSERT INTO supervision.catalog_item (code, kind, department_code) VALUES (:'item501', 'main', '501');
INSERT INTO supervision.source_system (code, name, department_code) VALUES
    ('warn_pen', '处罚系统(预警测试)', '502'), ('warn_inet', '舆情监测(预警测试)', NULL);
INSERT INTO supervision.subject (uscc, name, division_code, industry_code) VALUES
    ('913201025010001131', '甲食品厂(预警测试)', '320102', 'C1311'),
    ('913201025010002287', '乙食品厂(预警测试)', '320102', 'C13'),
    ('91320102501000332B', '丙餐馆(预警测试)', '320111', 'H62');
SELECT id AS subj_a FROM supervision.subject WHERE name = '甲食品厂(预警测试)' \gset
SELECT id AS subj_b FROM supervision.subject WHERE name = '乙食品厂(预警测试)' \gset
SELECT id AS subj_c FROM supervision.subject WHERE name = '丙餐馆(预警测试)' \gset
INSERT INTO supervision.ingest_batch (source_code, kind, batch_no, channel) VALUES
    ('warn_pen', 'behaviour', 'WARN1', 'bulk'), ('warn_inet', 'internet', 'WARN1', 'bulk');
CREATE TEMP SEQUENCE warn_row;
-- a penalty of the subject at a time; with_item = given under 501's catalog item
CREATE FUNCTION pg_temp.penalty(p_subject bigint, p_at timestamptz, p_with_item boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_raw bigint; v_n bigint := nextval('warn_row'); v_key text := 'WP-' || v_n;
BEGIN
    INSERT INTO supervision.ingest_raw (batch_id, row_no, source_code, kind, source_key, payload, payload_hash)
    SELECT b.id, v_n, 'warn_pen', 'behaviour', v_key, '{}', sha256(convert_to(v_key, 'UTF8'))
      FROM supervision.ingest_batch b WHERE b.source_code = 'warn_pen' AND b.batch_no = 'WARN1'
    RETURNING id INTO v_raw;
    INSERT INTO supervision.behaviour (kind, behaviour_no, behaviour_name, catalog_item_code, subject_id, counterpart_name,
                                       division_code, check_time, source_code, source_key, raw_id)
    SELECT 'penalty', v_key, '行政处罚(预警测试)', CASE WHEN p_with_item THEN (SELECT c.code FROM supervision.catalog_item c
                                                                         WHERE c.department_code = '501' LIMIT 1) END,
           s.id, s.name, s.division_code, p_at, 'warn_pen', v_key, v_raw
      FROM supervision.subject s WHERE s.id = p_subject;
END
$$;
CREATE FUNCTION pg_temp.report(p_subject bigint, p_at timestamptz, p_sentiment integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_raw bigint; v_n bigint := nextval('warn_row'); v_key text := 'WI-' || v_n;
BEGIN
    INSERT INTO supervision.ingest_raw (batch_id, row_no, source_code, kind, source_key, payload, payload_hash)
    SELECT b.id, v_n, 'warn_inet', 'internet', v_key, '{}', sha256(convert_to(v_key, 'UTF8'))
      FROM supervision.ingest_batch b WHERE b.source_code = 'warn_inet' AND b.batch_no = 'WARN1'
    RETURNING id INTO v_raw;
    INSERT INTO supervision.internet_info (subject_id, channel, title, published_at, sentiment, source_code, source_key, raw_id)
    VALUES (p_subject, 'weibo', '网帖(预警测试)' || v_n, p_at, p_sentiment, 'warn_inet', v_key, v_raw);
END
$$;
-- what a target key names, for output that does not depend on ids
CREATE FUNCTION pg_temp.tgt(p_kind text, p_key text) RETURNS text LANGUAGE sql STABLE
RETURN CASE WHEN p_kind = 'subject' THEN (SELECT s.name FROM supervision.subject s WHERE s.id = p_key::bigint) ELSE p_key END;
-- runs a statement and shows its result, or its error with the SQLSTATE and the detail; warning ids,
-- which depend on what ran before, show as <id>
CREATE FUNCTION pg_temp.try(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_result text; v_state text; v_msg text; v_detail text;
BEGIN
    EXECUTE p_sql INTO v_result;
    RETURN v_result;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    RETURN regexp_replace(format('ERROR %s: %s%s', v_state, v_msg, coalesce(' DETAIL: ' || nullif(v_detail, ''), '')),
                          '([Ww]arning) [0-9]+', '\1 <id>', 'g');
END
$$;

-- penalties (Beijing time). A: one in Oct, Dec, Jan, Feb, six in March; B: two in March without
-- a catalog item (so the sending system's department, 502); C: one in March (Pukou).
SELECT pg_temp.penalty(:subj_a, t) FROM unnest(ARRAY['2023-10-10 10:00+08', '2023-12-12 10:00+08', '2024-01-15 10:00+08',
    '2024-02-20 10:00+08', '2024-03-04 10:00+08', '2024-03-06 10:00+08', '2024-03-08 10:00+08', '2024-03-12 10:00+08',
    '2024-03-15 10:00+08', '2024-03-20 10:00+08']::timestamptz[]) t;
SELECT pg_temp.penalty(:subj_b, t, false) FROM unnest(ARRAY['2024-03-05 10:00+08', '2024-03-18 10:00+08']::timestamptz[]) t;
SELECT pg_temp.penalty(:subj_c, '2024-03-10 10:00+08');
-- the event view: department from the catalog item, else the sending system's; a subject's divisions and industry
SELECT pg_temp.tgt('subject', subject_id::text) AS subject, count(*) AS penalties, department_code, division_code, industry_code
  FROM supervision.warning_event_penalty WHERE attrs @> '{"source": "warn_pen"}' GROUP BY 1, 3, 4, 5 ORDER BY 1, 3;

--
-- Rules as data
--
SELECT code, relation, has_department, builtin FROM supervision.warning_source ORDER BY code;
SELECT level, severity, name, verify_days, handle_days, close_days
  FROM supervision.warning_level JOIN supervision.warning_deadline USING (level) WHERE scheme = 'default' ORDER BY severity DESC;
INSERT INTO supervision.warning_rule (code, name, source, event_filter, target, period, method, levels)
VALUES ('WARN-T-PEN', '企业处罚次数预警(预警测试)', 'penalty', '{"source": "warn_pen"}', 'subject', 'month', 'threshold',
        '{"yellow": 3, "orange": 5}');
SELECT id AS r1 FROM supervision.warning_rule WHERE code = 'WARN-T-PEN' \gset
-- a change of what the rule computes is a new version; a new name is not
UPDATE supervision.warning_rule SET name = '企业月度处罚次数预警(预警测试)' WHERE id = :r1;
UPDATE supervision.warning_rule SET levels = '{"yellow": 3, "orange": 5, "red": 8}' WHERE id = :r1;
SELECT version, (SELECT array_agg(v.version ORDER BY v.version) FROM supervision.warning_rule_version v WHERE v.rule_id = :r1) AS versions,
       (SELECT v.definition -> 'levels' FROM supervision.warning_rule_version v WHERE v.rule_id = :r1 AND v.version = 1) AS levels_v1
  FROM supervision.warning_rule WHERE id = :r1;
INSERT INTO supervision.warning_rule (code, name, source, event_filter, target, period, method, params, levels)
VALUES ('WARN-S-COUNTY', '区县处罚激增预警(预警测试)', 'penalty', '{"source": "warn_pen"}', 'county', 'month', 'spike',
        '{"alpha": 0.3, "history": 6, "min_count": 3}', '{"blue": 0.05, "yellow": 0.01, "orange": 0.001, "red": 0.00001}');
INSERT INTO supervision.warning_rule (code, name, source, event_filter, target, period, method, params, levels, department_code)
VALUES ('WARN-R-INET', '行业负面舆情增速预警(预警测试)', 'internet', '{"source": "warn_inet", "negative": true}',
        'industry_division', 'week', 'rate', '{"min_count": 3}', '{"yellow": 2, "orange": 4}', '502');
SELECT id AS r2 FROM supervision.warning_rule WHERE code = 'WARN-S-COUNTY' \gset
SELECT id AS r3 FROM supervision.warning_rule WHERE code = 'WARN-R-INET' \gset
-- bad rules, one per line
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'median', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'fortnight', 'threshold', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'weather', 'subject', 'month', 'threshold', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'town', 'month', 'threshold', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"purple": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"yellow": 5, "orange": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"red": 2.5}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"red": "3"}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"alpha": 0.3}', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'rate', '{"red": 0.5}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'rate', '{"min_count": 0}', '{"red": 2}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'spike', '{"history": 6}', '{"red": 0.01}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'spike', '{"alpha": 1.5, "history": 6}', '{"red": 0.01}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'spike', '{"alpha": 0.3}', '{"red": 0.01}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'spike', '{"alpha": 0.3, "history": 6}', '{"red": 0.01, "yellow": 0.001}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, params, levels) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'spike', '{"alpha": 0.3, "history": 6}', '{"red": 1}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels) VALUES ('WARN-BAD', '坏', 'internet', 'subject', 'month', 'threshold', '{"red": 3}');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels, deadline_scheme) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"red": 3}', 'nope');
INSERT INTO supervision.warning_rule (code, name, source, target, period, method, levels, division_scope) VALUES ('WARN-BAD', '坏', 'penalty', 'subject', 'month', 'threshold', '{"red": 3}', '329999');
-- sources must be views of the common shape
INSERT INTO supervision.warning_source (code, relation, has_department, description) VALUES ('complaint', 'supervision.warning_event_complaint', true, '投诉举报');
INSERT INTO supervision.warning_source (code, relation, has_department, description) VALUES ('subjects', 'supervision.subject', false, '主体');
-- officers read rules but do not write them; administrators do not change shipped sources
SET ROLE warn_off_501;
SELECT count(*) AS rules_seen FROM supervision.warning_rule WHERE code LIKE 'WARN-%';
UPDATE supervision.warning_rule SET active = false WHERE id = :r1;
RESET ROLE;
SET ROLE warn_admin;
UPDATE supervision.warning_source SET has_department = true WHERE code = 'internet';
SELECT has_department FROM supervision.warning_source WHERE code = 'internet';
RESET ROLE;

--
-- Threshold: penalties per subject per month
--
SELECT rule_code, target_kind, pg_temp.tgt(target_kind, target_key) AS target, period_start, observed, level, action
  FROM supervision.warning_scan(:r1, '2024-03-25 12:00+08');
SELECT id AS wa FROM supervision.warning WHERE rule_id = :r1 AND subject_id = :subj_a \gset
SELECT title, level, status, department_code, target_kind, division_code, industry_code, period_start, observed,
       received_on, verify_due, handle_due, close_due
  FROM supervision.warning WHERE id = :wa;
-- the evidence: the rule and its version, the period, the counts, the cut-offs, the events
SELECT evidence -> 'rule' ->> 'version' AS rule_version, evidence -> 'period' ->> 'start' AS period_start,
       evidence -> 'period' ->> 'end' AS period_end, evidence -> 'counts' AS counts, evidence ->> 'threshold' AS threshold,
       evidence ->> 'level_cutoff' AS level_cutoff, jsonb_array_length(evidence -> 'events') AS events
  FROM supervision.warning WHERE id = :wa;
SELECT e.evidence_key = format('rule:%s/subject:%s/period:2024-03-01/count:6', :r1, :subj_a) AS evidence_key_as_documented,
       e.rule_version, e.level FROM supervision.warning_evidence e WHERE e.warning_id = :wa;
-- idempotent: the same evidence again raises nothing
SELECT pg_temp.tgt(target_kind, target_key) AS target, observed, action FROM supervision.warning_scan(:r1, '2024-03-25 12:00+08');
SELECT pg_temp.tgt(target_kind, target_key) AS target, observed, action FROM supervision.warning_scan(:r1, '2024-03-25 18:00+08');
-- older evidence (an earlier as_of: 3 penalties, yellow) does not replace newer evidence
SELECT pg_temp.tgt(target_kind, target_key) AS target, observed, level, action FROM supervision.warning_scan(:r1, '2024-03-10 12:00+08');
SELECT (SELECT count(*) FROM supervision.warning WHERE rule_id = :r1) AS warnings,
       (SELECT count(*) FROM supervision.warning_evidence WHERE warning_id = :wa) AS evidence,
       (SELECT level FROM supervision.warning WHERE id = :wa) AS level;
-- a scan at the start of April: March is over, April has no penalty yet
SELECT count(*) AS april_targets FROM supervision.warning_scan(:r1, '2024-04-01 08:00+08');

--
-- Spike: penalties per county per month against the EWMA of the six months before.
-- 320102: counts Sep..Feb {0,1,0,1,1,1}, March 8 (A 6, B 2); EWMA(0.3) = 0.72903;
-- P(X >= 8 | 0.72903) = 1.03797874189318196910e-06 (reference script) < 1e-5: red.
-- 320111 has one penalty: below min_count. Department: most March events are 501's.
--
SELECT rule_code, target_kind, target_key, period_start, observed, level, action
  FROM supervision.warning_scan(:r2, '2024-03-25 12:00+08');
SELECT title, department_code, division_code, evidence -> 'counts' AS counts, evidence -> 'periods' ->> 0 AS first_period,
       evidence -> 'baseline' AS baseline, abs((evidence ->> 'p_value')::float8 / 1.03797874189318196910e-06 - 1) < 1e-12 AS p_agrees,
       evidence -> 'threshold' AS threshold, evidence -> 'alpha' AS alpha
  FROM supervision.warning WHERE rule_id = :r2;

--
-- Rate of change: negative internet reports per industry (GB/T 4754 division) per week.
-- C13 (A and B): 1 in the week of 11 March, 4 in the week of 18 March: ratio 4, orange.
-- H62 (C): 3 in the week of 18 March, none before: ratio 3/max(0,1) = 3, yellow.
-- Positive reports and a report about no subject do not count.
--
SELECT pg_temp.report(:subj_a, '2024-03-12 09:00+08', -1), pg_temp.report(:subj_a, '2024-03-13 09:00+08', 1);
SELECT pg_temp.report(s, t, -2) FROM (VALUES (:subj_a, timestamptz '2024-03-18 09:00+08'), (:subj_a, '2024-03-19 09:00+08'),
    (:subj_b, '2024-03-19 10:00+08'), (:subj_b, '2024-03-20 10:00+08'), (:subj_c, '2024-03-18 11:00+08'),
    (:subj_c, '2024-03-19 11:00+08'), (:subj_c, '2024-03-20 11:00+08'), (NULL, '2024-03-20 11:00+08')) v(s, t);
SELECT pg_temp.report(:subj_b, '2024-03-21 09:00+08', 2);
SELECT rule_code, target_kind, target_key, period_start, observed, level, action
  FROM supervision.warning_scan(:r3, '2024-03-21 12:00+08');
SELECT target_key, title, level, department_code, evidence -> 'previous' AS previous, evidence -> 'ratio' AS ratio
  FROM supervision.warning WHERE rule_id = :r3 ORDER BY target_key;

--
-- The workflow of A's warning: received -> verified -> handled -> closed
--
SET ROLE warn_off_502;
SELECT count(*) AS warnings_502_sees FROM supervision.warning WHERE rule_id IN (:r1, :r2, :r3);
SELECT pg_temp.try(format('SELECT supervision.warning_transition(%s, ''verified'')', :wa)) AS other_department;
RESET ROLE;
SET ROLE warn_auditor;
SELECT count(*) AS warnings_auditor_sees FROM supervision.warning WHERE rule_id IN (:r1, :r2, :r3);
SELECT supervision.warning_transition(:wa, 'verified');
RESET ROLE;
SET ROLE warn_off_501;
SELECT count(*) AS warnings_501_sees, count(*) FILTER (WHERE department_code = '501') AS of_501
  FROM supervision.warning WHERE rule_id IN (:r1, :r2, :r3);
SELECT count(*) AS evidence_501_sees FROM supervision.warning_evidence WHERE rule_id IN (:r1, :r2, :r3);
SELECT pg_temp.try(format('SELECT supervision.warning_transition(%s, ''handled'', ''责令改正'')', :wa)) AS skip_a_step;
SELECT supervision.warning_transition(:wa, 'received');
SELECT supervision.warning_transition(:wa, 'done');
SELECT supervision.warning_transition(-1, 'verified');
SELECT (supervision.warning_transition(:wa, 'verified')).status;
SELECT pg_temp.try(format('SELECT supervision.warning_transition(%s, ''handled'')', :wa)) AS handled_without_note;
SELECT (supervision.warning_transition(:wa, 'handled', '责令改正，罚款五千元')).status;
SELECT pg_temp.try(format('SELECT supervision.warning_transition(%s, ''verified'')', :wa)) AS backwards;
SELECT (supervision.warning_transition(:wa, 'closed')).status;
SELECT pg_temp.try(format('SELECT supervision.warning_transition(%s, ''closed'')', :wa)) AS closed_again;
-- officers write only through the workflow
UPDATE supervision.warning SET status = 'received' WHERE id = :wa;
INSERT INTO supervision.warning_history (warning_id, action, to_status, level, actor) VALUES (:wa, 'closed', 'closed', 'red', 'x');
SELECT supervision.warning_scan(:r1, '2024-03-25 12:00+08');
RESET ROLE;
-- not even the owner skips a step, deletes a warning or rewrites its history
SELECT pg_temp.try(format('UPDATE supervision.warning SET status = ''verified'' WHERE id = %s', :wa)) AS owner_skips;
SELECT pg_temp.try(format('DELETE FROM supervision.warning WHERE id = %s', :wa)) AS owner_deletes;
UPDATE supervision.warning_history SET note = 'x' WHERE warning_id = :wa;
DELETE FROM supervision.warning_evidence WHERE warning_id = :wa;

--
-- Re-opening: the closed warning stays closed on the same evidence, and re-opens
-- on new evidence (a seventh penalty in March); new deadlines from the new receipt
--
SELECT pg_temp.tgt(target_kind, target_key) AS target, observed, action FROM supervision.warning_scan(:r1, '2024-03-26 12:00+08');
SELECT status FROM supervision.warning WHERE id = :wa;
SELECT pg_temp.penalty(:subj_a, '2024-03-27 15:00+08');
SELECT pg_temp.tgt(target_kind, target_key) AS target, observed, level, action FROM supervision.warning_scan(:r1, '2024-03-28 12:00+08');
SELECT status, level, observed, reopen_count, received_on, verify_due, handle_due, close_due FROM supervision.warning WHERE id = :wa;
-- April, warning open: three penalties are new evidence of a newer period (yellow: the level stays orange) ...
SELECT pg_temp.penalty(:subj_a, t) FROM unnest(ARRAY['2024-04-02 10:00+08', '2024-04-08 10:00+08', '2024-04-09 10:00+08']::timestamptz[]) t;
SELECT pg_temp.tgt(target_kind, target_key) AS target, period_start, observed, level, action FROM supervision.warning_scan(:r1, '2024-04-10 12:00+08');
SELECT level, period_start, observed, verify_due FROM supervision.warning WHERE id = :wa;
-- ... and five more make eight: red; a deadline is never extended (the earlier of the old one and red's from today)
SELECT pg_temp.penalty(:subj_a, timestamptz '2024-04-10 14:00+08' + n * interval '1 hour') FROM generate_series(1, 5) n;
SELECT pg_temp.tgt(target_kind, target_key) AS target, period_start, observed, level, action FROM supervision.warning_scan(:r1, '2024-04-11 12:00+08');
SELECT status, level, observed, received_on, verify_due, handle_due, close_due FROM supervision.warning WHERE id = :wa;
-- the whole story
SELECT action, from_status, to_status, level, actor, department_code, note
  FROM supervision.warning_history WHERE warning_id = :wa ORDER BY id;
SELECT period_start, observed, level, rule_version FROM supervision.warning_evidence WHERE warning_id = :wa ORDER BY id;
-- overdue as of a day: the next step of each open warning past its date
SELECT w.title, o.status, o.step, o.due, o.days_late
  FROM supervision.warning_overdue('2024-04-20') o JOIN supervision.warning w ON w.id = o.warning_id
 WHERE w.rule_id IN (:r1, :r2, :r3) ORDER BY w.title;

-- rules: unknown, inactive, bad as_of; an administrator may scan
SELECT supervision.warning_scan(-1, '2024-04-11 12:00+08');
UPDATE supervision.warning_rule SET active = false WHERE id = :r3;
SELECT supervision.warning_scan(:r3, '2024-04-11 12:00+08');
SELECT version FROM supervision.warning_rule WHERE id = :r3;
SELECT supervision.warning_scan(:r1, 'infinity');
SET ROLE warn_admin;
SELECT count(*) AS admin_scan FROM supervision.warning_scan(:r1, '2024-04-11 12:00+08');
RESET ROLE;

--
-- Warnings from the national system: idempotent on the national id
--
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-0001", "title": "食品安全风险提示(预警测试)", "level": "orange",
    "issued_at": "2024-05-06T10:00:00+08:00", "department": "GJ-SC-501",
    "target": {"kind": "subject", "uscc": "913201025010001131", "name": "甲食品厂(预警测试)"},
    "content": "抽检不合格", "evidence": {"batches": 3}}') - 'warning_id' AS first;
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-0001", "title": "食品安全风险提示(预警测试)", "level": "orange",
    "issued_at": "2024-05-06T10:00:00+08:00", "department": "GJ-SC-501",
    "target": {"kind": "subject", "uscc": "913201025010001131", "name": "甲食品厂(预警测试)"},
    "content": "抽检不合格", "evidence": {"batches": 3}}') - 'warning_id' AS same_again;
SELECT id AS wn FROM supervision.warning WHERE national_id = 'GJYJ-TEST-0001' \gset
SELECT count(*) AS rows_for_the_national_id, min(origin) AS origin, min(department_code) AS department,
       bool_and(subject_id = :subj_a) AS subject_found, min(received_on) AS received_on, min(verify_due) AS verify_due
  FROM supervision.warning WHERE national_id = 'GJYJ-TEST-0001';
-- a changed payload is new evidence (the national level is taken as sent)
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-0001", "title": "食品安全风险提示(预警测试)", "level": "red",
    "issued_at": "2024-05-06T10:00:00+08:00", "department": "501",
    "target": {"kind": "subject", "uscc": "913201025010001131"}, "evidence": {"batches": 5}}') - 'warning_id' AS changed;
SELECT level, (SELECT count(*) FROM supervision.warning_evidence e WHERE e.warning_id = :wn) AS evidence FROM supervision.warning WHERE id = :wn;
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-0002", "title": "区域风险(预警测试)", "level": "blue",
    "issued_at": "2024-05-07T09:00:00+08:00", "department": "502", "target": {"kind": "division", "code": "3201"}}') - 'warning_id' AS division_target;
SELECT target_kind, target_key, target_name FROM supervision.warning WHERE national_id = 'GJYJ-TEST-0002';
-- bad payloads, one per line
SELECT supervision.warning_receive('[]');
SELECT supervision.warning_receive('{"title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "a b", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "purple", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "yesterday-ish", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "department": "501"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "999"}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501", "urgency": 1}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501", "target": {"kind": "planet"}}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501", "target": {"kind": "subject", "uscc": "913201025010001132"}}');
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501", "target": {"kind": "industry", "code": "13"}}');
SELECT count(*) AS nothing_kept FROM supervision.warning WHERE national_id = 'GJYJ-TEST-9';
SET ROLE warn_off_501;
SELECT supervision.warning_receive('{"national_id": "GJYJ-TEST-9", "title": "x", "level": "red", "issued_at": "2024-05-06T10:00:00+08:00", "department": "501"}');
RESET ROLE;

--
-- Over HTTP: a client of department 501 lists its open warnings and moves one
--
SET ROLE warn_app;
SELECT set_config('request.jwt.claims', '{"sub": "web-501", "department": "501"}', false) IS NOT NULL AS claims_set;
SELECT r ->> 'department' AS department, r ->> 'as_of' AS as_of, r ->> 'total' AS total
  FROM supervision_api.warnings(as_of => '2024-05-08') r;
SELECT w ->> 'title' AS title, w ->> 'level' AS level, w ->> 'status' AS status, w ->> 'due' AS due, w ->> 'overdue' AS overdue
  FROM supervision_api.warnings(as_of => '2024-05-08') r, jsonb_array_elements(r -> 'warnings') w;
SELECT supervision_api.warning_transition(:wn, 'verified', '已核实') - 'id' AS moved;
SELECT jsonb_array_length(d -> 'history') AS history, d -> 'history' -> -1 ->> 'actor' AS last_actor,
       jsonb_array_length(d -> 'evidence_history') AS evidence FROM supervision_api.warning(:wn) d;
SELECT supervision_api.warnings(status => 'open');
SELECT supervision_api.warnings(lim => 0);
SELECT set_config('request.jwt.claims', '{"sub": "web-502", "department": "502"}', false) IS NOT NULL AS claims_set;
SELECT pg_temp.try(format('SELECT supervision_api.warning_transition(%s, ''handled'', ''已处置'')', :wn)) AS other_department;
SELECT pg_temp.try(format('SELECT supervision_api.warning(%s)', :wn)) AS other_department;
SELECT w ->> 'title' AS title, w ->> 'level' AS level
  FROM supervision_api.warnings(as_of => '2024-05-08') r, jsonb_array_elements(r -> 'warnings') w ORDER BY 1;
SELECT set_config('request.jwt.claims', '{"sub": "web-0"}', false) IS NOT NULL AS claims_set;
SELECT supervision_api.warnings();
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS claims_cleared;
RESET ROLE;

-- an administrator gives a warning to another department; the officers' views follow
SELECT (supervision.warning_assign(:wn, '502', '涉及环境监测数据')).department_code;
SELECT supervision.warning_assign(:wn, '999', 'x');
SELECT action, from_status, to_status, actor, note FROM supervision.warning_history WHERE warning_id = :wn ORDER BY id;
SET ROLE warn_off_501;
SELECT count(*) AS sees_national FROM supervision.warning WHERE id = :wn;
RESET ROLE;
SET ROLE warn_off_502;
SELECT count(*) AS sees_national FROM supervision.warning WHERE id = :wn;
RESET ROLE;

-- the daily scan is a job the DBA registers on request
SELECT name, schedule, command, builtin FROM supervision.job_definition WHERE name = 'supervision-warning-scan';
