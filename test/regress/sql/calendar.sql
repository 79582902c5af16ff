-- Working-day calendar: the shipped schedule checked against the State
-- Council's notices (国务院办公厅关于20XX年部分节假日安排的通知), deadline
-- arithmetic (workdays_add, workdays_between) on examples and against a
-- day-by-day reference over 2019-2025, bad inputs, and who may change the
-- calendar. Nothing here depends on the current date.
\set SHOW_CONTEXT never
-- ISO dates (pg_regress defaults to Postgres, MDY).
SET DateStyle = 'ISO, YMD';

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

-- Every day from a to b: weekday, working or not, and the stored row if any.
CREATE FUNCTION pg_temp.days(a date, b date)
RETURNS TABLE (day date, dow text, working boolean, kind text, name text)
LANGUAGE sql AS $$
    SELECT a + i, to_char(a + i, 'Dy'), supervision.is_workday(a + i), c.kind, c.name
      FROM generate_series(0, b - a) AS i
      LEFT JOIN supervision.calendar_day c ON c.day = a + i
     ORDER BY 1
$$;

-- ---------------------------------------------------------------- the data
SELECT * FROM supervision.calendar_coverage();
-- Per year: days of the holiday periods (those on Monday-Friday) and adjusted
-- working days; all rows shipped, from one source.
SELECT extract(year FROM day)::int AS year,
       count(*) FILTER (WHERE kind = 'holiday') AS holiday_days,
       count(*) FILTER (WHERE kind = 'holiday' AND extract(isodow FROM day) < 6) AS on_weekdays,
       count(*) FILTER (WHERE kind = 'workday') AS adjusted_workdays,
       bool_and(builtin) AS builtin, min(source) = max(source) AS one_source
  FROM supervision.calendar_day GROUP BY 1 ORDER BY 1;
SELECT DISTINCT source FROM supervision.calendar_day;
-- Working days per year (2024: 251, as widely reported when the schedule came out).
SELECT y AS year, count(*) FILTER (WHERE supervision.is_workday(make_date(y, 1, 1) + i)) AS working_days
  FROM generate_series(2019, 2026) AS y,
       LATERAL generate_series(0, make_date(y, 12, 31) - make_date(y, 1, 1)) AS i
 GROUP BY y ORDER BY y;

-- ------------------------------------------------- known holiday periods
-- 2019 Labour Day, as revised in March 2019 (国务院办公厅关于调整2019年劳动节
-- 假期安排的通知): May 1-4 off; Sunday April 28 and Sunday May 5 working.
SELECT * FROM pg_temp.days('2019-04-27', '2019-05-06');
-- 2020 Spring Festival: Jan 24-30 off, Sunday Jan 19 and Saturday Feb 1
-- working; then extended to Feb 2 (国务院办公厅关于延长2020年春节假期的通知,
-- January 2020): Jan 31 off and Saturday Feb 1 no longer a working day.
SELECT * FROM pg_temp.days('2020-01-18', '2020-02-03');
-- 2024 Spring Festival: Feb 10-17 off; Sunday Feb 4 and Sunday Feb 18 working.
SELECT * FROM pg_temp.days('2024-02-03', '2024-02-19');
-- 2024 National Day: Oct 1-7 off; Sunday Sep 29 and Saturday Oct 12 working.
-- (Mid-Autumn Festival Sep 15-17 off, Saturday Sep 14 working, just before.)
SELECT * FROM pg_temp.days('2024-09-13', '2024-10-13');
-- 2025 Spring Festival (four statutory days from 2025): Jan 28-Feb 4 off;
-- Sunday Jan 26 and Saturday Feb 8 working.
SELECT * FROM pg_temp.days('2025-01-25', '2025-02-09');
-- 2025 National Day and Mid-Autumn Festival together: Oct 1-8 off; Sunday
-- Sep 28 and Saturday Oct 11 working.
SELECT * FROM pg_temp.days('2025-09-27', '2025-10-12');
-- 2026 New Year: Jan 1-3 off, Sunday Jan 4 working.
SELECT * FROM pg_temp.days('2025-12-27', '2026-01-05');
-- 2026 Spring Festival: Feb 15-23 off (nine days); Saturday Feb 14 and
-- Saturday Feb 28 working.
SELECT * FROM pg_temp.days('2026-02-13', '2026-03-01');

-- ------------------------------------------------------------ workdays_add
-- Results published 20 working days after a check ending Friday 2024-09-20:
-- Sep 23-27 (5), Sun Sep 29 (6), Sep 30 (7), Oct 1-7 off, Oct 8-11 (11),
-- Sat Oct 12 (12), Oct 14-18 (17), Oct 21-23 (20).
SELECT supervision.workdays_add('2024-09-20', 20);
-- A 12345 complaint received Monday 2025-01-20, 13 working days: Jan 21-24 (4),
-- Sun Jan 26 (5), Jan 27 (6), Jan 28-Feb 4 off, Feb 5-7 (9), Sat Feb 8 (10),
-- Feb 10-12 (13).
SELECT supervision.workdays_add('2025-01-20', 13);
-- Across year ends. From Fri 2025-12-26, 5: Dec 29-31 (3), Jan 1-3 off,
-- Sun Jan 4 (4), Mon Jan 5 (5). From Fri 2023-12-22, 10: Dec 25-29 (5),
-- Jan 1 off, Jan 2-5 (9), Jan 8 (10).
SELECT supervision.workdays_add('2025-12-26', 5) AS into_2026, supervision.workdays_add('2023-12-22', 10) AS into_2024;
-- 2019 has 250 working days and starts with a holiday: the 250th working day
-- after Jan 1 is Dec 31; the next is Jan 2, 2020 (Jan 1 off).
SELECT supervision.workdays_add('2019-01-01', 250) AS d250, supervision.workdays_add('2019-01-01', 251) AS d251;
-- From a holiday, the count starts at the next working day; a result can be
-- an adjusted working day (Sun 2024-09-29).
SELECT supervision.workdays_add('2024-10-01', 1) AS after_holiday, supervision.workdays_add('2024-09-27', 1) AS onto_sunday;
-- n = 0: d itself when it is a working day, else the next working day.
SELECT d, to_char(d, 'Dy') AS dow, supervision.workdays_add(d, 0) AS n0
  FROM unnest('{2024-09-23, 2024-09-21, 2024-09-28, 2024-09-29, 2024-10-03}'::date[]) AS d;
-- n < 0: the |n|-th working day before d (d itself never counts).
-- Tue Oct 8 -1: Mon Sep 30 (Oct 1-7 off); -2: Sun Sep 29 (adjusted working day).
-- Sun Oct 13 -1: Sat Oct 12 (adjusted working day). Feb 12, 2025 -13: back to Jan 20.
SELECT supervision.workdays_add('2024-10-08', -1) AS m1, supervision.workdays_add('2024-10-08', -2) AS m2,
       supervision.workdays_add('2024-10-13', -1) AS sun_m1, supervision.workdays_add('2025-02-12', -13) AS m13;

-- -------------------------------------------------------- workdays_between
-- Working days in (a, b]: a excluded, b included; negative when b < a.
SELECT a, b, supervision.workdays_between(a, b)
  FROM (VALUES ('2024-06-07'::date, '2024-06-10'::date),  -- Fri -> Mon: 0, Mon Jun 10 is 端午
               ('2024-06-07', '2024-06-11'),               -- Fri -> Tue: 1
               ('2024-06-11', '2024-06-07'),               -- backwards: -1
               ('2024-06-11', '2024-06-11'),               -- same day: 0
               ('2024-09-30', '2024-10-08'),               -- across National Day: 1
               ('2024-10-08', '2024-09-30'),               -- -1
               ('2024-09-27', '2024-10-12'),               -- Sep 29, 30, Oct 8-11, Oct 12: 7
               ('2019-01-01', '2019-12-31'),               -- all of 2019: 250
               ('2019-01-01', '2026-12-31')) AS v (a, b);  -- 2019-2026: 1994 (the sum of the years above)

-- ------------------------------------------- properties, day by day, 2019-2025
-- Reference, worked out from the table and the day of the week only: every
-- day of 2019-2026, working or not, and the number of working days up to it.
CREATE TEMP TABLE ref AS
SELECT d.day, d.working, count(*) FILTER (WHERE d.working) OVER (ORDER BY d.day) AS ordinal
  FROM (SELECT date '2019-01-01' + i AS day,
               coalesce((SELECT c.kind = 'workday' FROM supervision.calendar_day c WHERE c.day = date '2019-01-01' + i),
                        extract(isodow FROM date '2019-01-01' + i) < 6) AS working
          FROM generate_series(0, date '2026-12-31' - date '2019-01-01') AS i) AS d;
-- is_workday agrees on every day.
SELECT count(*) AS days, count(*) FILTER (WHERE supervision.is_workday(day) IS DISTINCT FROM working) AS mismatches FROM ref;
-- workdays_add(d, n) is the working day numbered ordinal(d) + n (n > 0), or
-- ordinal(d - 1) + n + 1 (n <= 0), for every d from 2019-04-01 to 2025-12-31.
SELECT n, count(*) AS pairs, count(*) FILTER (WHERE supervision.workdays_add(r.day, n) IS DISTINCT FROM w.day) AS mismatches
  FROM ref r
 CROSS JOIN unnest('{-60, -13, -2, -1, 0, 1, 2, 13, 20, 240}'::int[]) AS n
  LEFT JOIN ref w ON w.working
                 AND w.ordinal = CASE WHEN n > 0 THEN r.ordinal + n ELSE r.ordinal - r.working::int + n + 1 END
 WHERE r.day BETWEEN '2019-04-01' AND '2025-12-31'
 GROUP BY n ORDER BY n;
-- workdays_between(a, b) = ordinal(b) - ordinal(a), for b = a + k.
SELECT k, count(*) AS pairs, count(*) FILTER (WHERE supervision.workdays_between(a.day, b.day) <> b.ordinal - a.ordinal) AS mismatches
  FROM ref a
 CROSS JOIN unnest('{-400, -31, -7, -1, 0, 1, 3, 7, 31, 400}'::int[]) AS k
  JOIN ref b ON b.day = a.day + k
 GROUP BY k ORDER BY k;
-- The two agree: workdays_between(d, workdays_add(d, n)) = n for n >= 1 from
-- every day, for n < 0 from every working day; for n = 0 it is 0 from a
-- working day and 1 from any other day (the next working day is counted).
SELECT n, count(*) AS pairs,
       count(*) FILTER (WHERE supervision.workdays_between(day, supervision.workdays_add(day, n))
                              <> CASE WHEN n = 0 AND NOT working THEN 1 ELSE n END) AS mismatches
  FROM ref CROSS JOIN unnest('{-20, -1, 0, 1, 13, 20}'::int[]) AS n
 WHERE day BETWEEN '2019-03-01' AND '2025-12-31' AND (n >= 0 OR working)
 GROUP BY n ORDER BY n;

-- --------------------------------------------------------------- bad input
-- NULL in, NULL out (the functions are STRICT).
SELECT supervision.is_workday(NULL) AS w, supervision.workdays_add(NULL, 1) AS a1, supervision.workdays_add('2024-01-02', NULL) AS a2,
       supervision.workdays_between(NULL, '2024-01-02') AS b1, supervision.workdays_between('2024-01-02', NULL) AS b2;
-- Outside the covered years: 22008 (datetime_field_overflow).
SELECT supervision.is_workday('2018-12-31');
SELECT supervision.is_workday('2027-01-01');
SELECT supervision.workdays_add('2026-12-30', 5);
SELECT supervision.workdays_add('2019-01-08', -5);
SELECT supervision.workdays_between('2018-12-31', '2019-01-02');
SELECT supervision.workdays_between('2024-01-02', '2030-01-01');
SELECT stmt, pg_temp.error_of(stmt) AS error
  FROM unnest(ARRAY[
    $$SELECT supervision.is_workday('2018-12-31')$$,
    $$SELECT supervision.is_workday('2027-01-01')$$,
    $$SELECT supervision.is_workday('infinity')$$,
    $$SELECT supervision.is_workday('-infinity')$$,
    $$SELECT supervision.workdays_add('2019-01-01', -1)$$,
    $$SELECT supervision.workdays_add('2026-12-31', 1)$$,
    $$SELECT supervision.workdays_add('2026-12-31', 0)$$,
    $$SELECT supervision.workdays_add('2024-06-03', 1000)$$,
    $$SELECT supervision.workdays_add('2024-06-03', 2147483647)$$,
    $$SELECT supervision.workdays_add('2024-06-03', -2147483648)$$,
    $$SELECT supervision.workdays_add('infinity', 1)$$,
    $$SELECT supervision.workdays_between('2019-01-01', 'infinity')$$,
    $$SELECT supervision.workdays_between('2027-01-01', '2026-12-31')$$,
    $$SELECT supervision.workdays_add('2024-06-03', 2147483648)$$]) AS stmt;
-- The first and last covered days still work (Jan 2, 2019 is the first
-- working day: the one before it is in 2018).
SELECT supervision.workdays_add('2026-12-30', 1) AS last_day, supervision.workdays_add('2019-01-03', -1) AS first_working_day,
       supervision.workdays_between('2019-01-01', '2019-01-01') AS zero;

-- ------------------------------------------------------ adding a next year
-- A DBA adds a year as rows with builtin = false (here two made-up days, not
-- a real schedule); coverage and arithmetic follow.
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source)
VALUES ('2027-01-01', 'holiday', '元旦', 'regression test, not a real schedule'),
       ('2027-01-09', 'workday', '元旦', 'regression test, not a real schedule');
SELECT * FROM supervision.calendar_coverage();
-- Fri Jan 1 off, weekend, Jan 4-8 (5), Sat Jan 9 (6).
SELECT supervision.workdays_add('2026-12-31', 6), supervision.is_workday('2027-01-09'), supervision.is_workday('2027-12-31');
SET CONSTRAINTS supervision.calendar_day_years_unbroken IMMEDIATE;
RESET ROLE;
ROLLBACK;
-- A year after a gap is refused (checked at commit; here at once).
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source)
VALUES ('2028-01-03', 'holiday', '元旦', 'regression test, not a real schedule');
SET CONSTRAINTS supervision.calendar_day_years_unbroken IMMEDIATE;
ROLLBACK;
-- An adjusted working day must fall on a weekend; a kind must be known; a name given.
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-04', 'workday', '元旦', 'test');
ROLLBACK;
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-04', 'rest', '元旦', 'test');
ROLLBACK;
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-04', 'holiday', ' ', 'test');
ROLLBACK;

-- ------------------------------------------------------ privileges and audit
-- Installing wrote no audit rows for the calendar.
SELECT count(*) AS audit_rows FROM supervision.audit_log WHERE table_name = 'supervision.calendar_day';
-- Readers read and use the functions; they cannot write.
SET ROLE supervision_api_anon;
SELECT supervision.workdays_add('2024-09-20', 20), count(*) FROM supervision.calendar_day;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-01', 'holiday', '元旦', 'test');
RESET ROLE;
SET ROLE supervision_officer;
DELETE FROM supervision.calendar_day WHERE day = '2024-10-01';
RESET ROLE;
-- supervision_admin changes its own rows, never the shipped ones.
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-01', 'holiday', '元旦', 'test');
UPDATE supervision.calendar_day SET name = '新年' WHERE day = '2027-01-01' RETURNING day, name;
UPDATE supervision.calendar_day SET kind = 'holiday' WHERE day = '2024-10-12' RETURNING day;
DELETE FROM supervision.calendar_day WHERE day = '2024-10-01' RETURNING day;
INSERT INTO supervision.calendar_day (day, kind, name, source, builtin) VALUES ('2027-01-02', 'holiday', '元旦', 'test', true);
ROLLBACK;
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-01', 'holiday', '元旦', 'test');
DELETE FROM supervision.calendar_day WHERE day = '2027-01-01' RETURNING day;
TRUNCATE supervision.calendar_day;
ROLLBACK;
BEGIN;
SET ROLE supervision_admin;
INSERT INTO supervision.calendar_day (day, kind, name, source) VALUES ('2027-01-01', 'holiday', '元旦', 'test');
DELETE FROM supervision.calendar_day WHERE day = '2027-01-01';
RESET ROLE;
-- Both changes are in the audit log (fire the deferred audit trigger now to see them).
SET CONSTRAINTS ALL IMMEDIATE;
SELECT operation, coalesce(new_row, old_row) ->> 'day' AS day
  FROM supervision.audit_log WHERE table_name = 'supervision.calendar_day' ORDER BY id;
ROLLBACK;
SELECT r.rolname,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'SELECT') AS sel,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'INSERT') AS ins,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'UPDATE') AS upd,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'DELETE') AS del,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'TRUNCATE') AS trunc,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'TRIGGER') AS trig,
       has_table_privilege(r.rolname, 'supervision.calendar_day', 'REFERENCES') AS refs
  FROM pg_roles r WHERE r.rolname LIKE 'supervision\_%' ORDER BY 1;
SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'supervision.calendar_day'::regclass AND NOT t.tgisinternal ORDER BY 1;
SELECT polname, polcmd, polroles::regrole[] AS roles FROM pg_policy WHERE polrelid = 'supervision.calendar_day'::regclass ORDER BY 1;
SELECT relrowsecurity FROM pg_class WHERE oid = 'supervision.calendar_day'::regclass;
-- pg_dump keeps the rows a DBA added, not the shipped ones.
SELECT x.condition
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x (reloid, condition)
 WHERE e.extname = 'supervision' AND x.reloid = 'supervision.calendar_day'::regclass;
-- Volatility, strictness, parallel safety and documentation of every calendar function.
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility, p.proisstrict AS strict, p.proparallel AS parallel,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS documented
  FROM pg_proc p
 WHERE p.pronamespace = 'supervision'::regnamespace
   AND (p.proname LIKE 'calendar%' OR p.proname IN ('is_workday', 'workdays_add', 'workdays_between'))
 ORDER BY p.oid::regprocedure::text;
SELECT obj_description('supervision.calendar_day'::regclass, 'pg_class') IS NOT NULL AS table_documented,
       count(*) FILTER (WHERE col_description('supervision.calendar_day'::regclass, a.attnum) IS NULL) AS undocumented_columns
  FROM pg_attribute a WHERE a.attrelid = 'supervision.calendar_day'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
