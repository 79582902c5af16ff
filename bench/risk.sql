-- Credit-risk scoring benchmark (run by bench/risk.sh with -v n=<subjects>).
-- :n subjects, 20 indicators over a facts table (10 sparse ones, returning 5-20 %
-- of subjects, like penalties or listings; 10 dense ones), two forced rules.
-- Times supervision.risk_compute (C) and the same model computed by PL/pgSQL
-- (bench_risk_plpgsql below: the sources read into a table, each value
-- transformed by a PL/pgSQL function, scores, top three, classes, forced rules
-- by SQL), checks that both agree, then times risk_run (scores stored, class
-- changes, classes for the draws).
\timing off
SET client_min_messages = warning;
SELECT setseed(0.42);
-- the same memory for both engines: enough that the baseline's sorts need not spill to disk
SET work_mem = '256MB';
ALTER TABLE supervision.subject DISABLE TRIGGER USER;
INSERT INTO supervision.subject (name) SELECT 'B' || i FROM generate_series(1, :n) i;
ALTER TABLE supervision.subject ENABLE TRIGGER USER;
CREATE TABLE bench_fact AS
SELECT id AS subject_id,
       CASE WHEN random() < 0.05 THEN floor(random() * 6) END AS s1,
       CASE WHEN random() < 0.10 THEN floor(random() * 4) END AS s2,
       CASE WHEN random() < 0.20 THEN floor(random() * 10) END AS s3,
       CASE WHEN random() < 0.05 THEN 1 END AS s4,
       CASE WHEN random() < 0.08 THEN 1 END AS s5,
       CASE WHEN random() < 0.15 THEN floor(random() * 30) END AS s6,
       CASE WHEN random() < 0.12 THEN floor(random() * 3) END AS s7,
       CASE WHEN random() < 0.06 THEN 1 END AS s8,
       CASE WHEN random() < 0.10 THEN floor(random() * 8) END AS s9,
       CASE WHEN random() < 0.01 THEN 1 END AS s10,
       random() * 30 AS d1, random() AS d2, random() * 100 AS d3, floor(random() * 5) AS d4, random() * 2 AS d5,
       random() * 1000 AS d6, random() AS d7, floor(random() * 12) AS d8, random() * 50 AS d9, random() AS d10
  FROM supervision.subject;
ALTER TABLE bench_fact ADD PRIMARY KEY (subject_id);
ANALYZE bench_fact;
INSERT INTO supervision.risk_source (code, name, query)
SELECT 'bench_' || c, 'bench ' || c,
       format('SELECT subject_id, %I AS value FROM public.bench_fact', c) || CASE WHEN c LIKE 's%' THEN format(' WHERE %I IS NOT NULL', c) ELSE '' END
  FROM unnest(ARRAY['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10',
                    'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'd10']) c;
INSERT INTO supervision.risk_model (name, version, class_cuts) VALUES ('bench', 1, '{"A": 10, "B": 30, "C": 55}')
RETURNING id AS model \gset
INSERT INTO supervision.risk_indicator (model_id, code, name, weight) VALUES
    (:model, 'A', 'a', 15), (:model, 'B', 'b', 15), (:model, 'C', 'c', 40), (:model, 'D', 'd', 10), (:model, 'E', 'e', 20),
    (:model, 'A01', 'a1', 1), (:model, 'A02', 'a2', 2), (:model, 'B01', 'b1', 1), (:model, 'B02', 'b2', 1),
    (:model, 'C01', 'c1', 3), (:model, 'C02', 'c2', 2), (:model, 'D01', 'd1', 1), (:model, 'D02', 'd2', 1),
    (:model, 'E01', 'e1', 2), (:model, 'E02', 'e2', 1);
INSERT INTO supervision.risk_indicator (model_id, code, name, weight, source, direction, transform, missing)
SELECT :model, c, 'leaf ' || c, w, 'bench_' || s, d, t::jsonb, m FROM (VALUES
    ('A0101', 1, 'd1', 'protective', '{"bins": [1, 3, 5, 10]}', 0), ('A0102', 2, 's4', 'risk', '{"flag": true}', 0),
    ('A0201', 1, 'd2', 'risk', NULL, 0), ('A0202', 1, 'd7', 'protective', NULL, 0.5),
    ('B0101', 1, 's5', 'risk', '{"flag": true}', 0), ('B0102', 1, 'd4', 'risk', '{"cap": 4}', 0),
    ('B0201', 1, 'd5', 'risk', '{"cap": 2}', 0), ('B0202', 1, 'd8', 'risk', '{"bins": [2, 4, 6, 8, 10]}', 0),
    ('C0101', 2, 's1', 'risk', '{"cap": 3}', 0), ('C0102', 1, 's3', 'risk', '{"cap": 10, "log": true}', 0),
    ('C0201', 1, 's2', 'risk', '{"cap": 3}', 0), ('C0202', 1, 's7', 'risk', '{"cap": 2}', 0),
    ('D0101', 1, 's9', 'risk', '{"cap": 3}', 0), ('D0102', 1, 'd3', 'risk', '{"cap": 100, "log": true}', 0),
    ('D0201', 1, 'd6', 'risk', '{"bins": [100, 500, 900]}', 0), ('D0202', 1, 'd9', 'risk', '{"cap": 50}', 0),
    ('E0101', 2, 's6', 'risk', '{"cap": 20, "log": true}', 0), ('E0102', 1, 'd10', 'risk', NULL, 0),
    ('E0201', 1, 's8', 'protective', '{"flag": true}', 0), ('E0202', 1, 's10', 'protective', '{"flag": true}', 0)
  ) v(c, w, s, d, t, m);
INSERT INTO supervision.risk_forced_rule (model_id, code, name, source, class, priority) VALUES
    (:model, 'F01', 'serious', 'bench_s10', 'D', 10), (:model, 'F02', 'listed', 'bench_s4', 'C', 20);
SELECT count(*) AS leaves FROM supervision.risk_leaf_weight WHERE model_id = :model;

-- The baseline: the same model in PL/pgSQL.
CREATE FUNCTION bench_transform(v float8, t jsonb, direction text) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    r float8;
    c float8;
    k int := 0;
    b float8;
BEGIN
    IF t IS NULL THEN
        r := least(greatest(v, 0), 1);
    ELSIF t ? 'flag' THEN
        r := CASE WHEN v > 0 THEN 1 ELSE 0 END;
    ELSIF t ? 'bins' THEN
        FOR b IN SELECT x::float8 FROM jsonb_array_elements_text(t -> 'bins') x LOOP
            EXIT WHEN b > v;
            k := k + 1;
        END LOOP;
        r := k::float8 / jsonb_array_length(t -> 'bins');
    ELSE
        c := (t ->> 'cap')::float8;
        IF t ? 'log' THEN
            r := ln(1 + least(greatest(v, 0), c)) / ln(1 + c);
        ELSE
            r := least(greatest(v, 0), c) / c;
        END IF;
    END IF;
    RETURN CASE WHEN direction = 'protective' THEN 1 - r ELSE r END;
END
$$;

CREATE FUNCTION bench_risk_plpgsql(p_model bigint, p_as_of date)
RETURNS TABLE (subject_id bigint, score float8, score_class char(1), class char(1), forced_by text,
               top_codes text[], top_points float8[])
LANGUAGE plpgsql AS $$
DECLARE
    l record;
    m supervision.risk_model;
BEGIN
    SELECT * INTO m FROM supervision.risk_model WHERE id = p_model;
    CREATE TEMP TABLE IF NOT EXISTS bench_val (subject_id bigint, code text, value float8) ON COMMIT DROP;
    TRUNCATE bench_val;
    FOR l IN SELECT w.code, s.query FROM supervision.risk_leaf_weight w JOIN supervision.risk_source s ON s.code = w.source
              WHERE w.model_id = p_model LOOP
        EXECUTE format('INSERT INTO bench_val SELECT q.subject_id, %L, q.value FROM (%s) q', l.code, l.query) USING p_as_of;
    END LOOP;
    CREATE TEMP TABLE IF NOT EXISTS bench_forced (subject_id bigint, code text, class char(1), priority int) ON COMMIT DROP;
    TRUNCATE bench_forced;
    FOR l IN SELECT f.code, f.class, f.priority, s.query FROM supervision.risk_forced_rule f
               JOIN supervision.risk_source s ON s.code = f.source WHERE f.model_id = p_model LOOP
        EXECUTE format('INSERT INTO bench_forced SELECT q.subject_id, %L, %L, %s FROM (%s) q WHERE q.value > 0',
                       l.code, l.class, l.priority, l.query) USING p_as_of;
    END LOOP;
    CREATE INDEX ON bench_val (subject_id, code);
    ANALYZE bench_val;
    RETURN QUERY
    WITH c AS (
        SELECT s.id, w.code, 100 * w.weight * bench_transform(coalesce(v.value, w.missing), w.transform, w.direction) AS p
          FROM supervision.subject s
         CROSS JOIN supervision.risk_leaf_weight w
          LEFT JOIN bench_val v ON v.subject_id = s.id AND v.code = w.code
         WHERE s.merged_into IS NULL AND w.model_id = p_model
    ), agg AS (
        SELECT c.id, least(greatest(sum(c.p), 0), 100) AS score,
               (array_agg(c.code ORDER BY c.p DESC, c.code) FILTER (WHERE c.p > 1e-9))[1:3] AS codes,
               (array_agg(c.p ORDER BY c.p DESC, c.code) FILTER (WHERE c.p > 1e-9))[1:3] AS points
          FROM c GROUP BY c.id
    )
    SELECT a.id, a.score, sc.cls, coalesce(f.class, sc.cls), f.code, coalesce(a.codes, '{}'), coalesce(a.points, '{}')
      FROM agg a
     CROSS JOIN LATERAL (SELECT (CASE WHEN a.score < (m.class_cuts ->> 'A')::float8 THEN 'A'
                                      WHEN a.score < (m.class_cuts ->> 'B')::float8 THEN 'B'
                                      WHEN a.score < (m.class_cuts ->> 'C')::float8 THEN 'C' ELSE 'D' END)::char(1) AS cls) sc
      LEFT JOIN LATERAL (SELECT bf.code, bf.class FROM bench_forced bf WHERE bf.subject_id = a.id
                          ORDER BY bf.priority, bf.class DESC, bf.code LIMIT 1) f ON true;
    DROP TABLE bench_val;
    DROP TABLE bench_forced;
END
$$;

SELECT count(*) AS subjects, pg_size_pretty(pg_total_relation_size('bench_fact')) AS facts FROM bench_fact;
\timing on
CREATE TEMP TABLE c_result AS SELECT * FROM supervision.risk_compute(:model, '2024-06-30');
\if :baseline
BEGIN;
CREATE TEMP TABLE p_result AS SELECT * FROM bench_risk_plpgsql(:model, '2024-06-30');
COMMIT;
\timing off
SELECT count(*) AS c_rows, (SELECT count(*) FROM p_result) AS plpgsql_rows,
       count(*) FILTER (WHERE abs(c.score - p.score) > 1e-9 OR c.class <> p.class OR c.score_class <> p.score_class
                          OR c.forced_by IS DISTINCT FROM p.forced_by) AS disagreements,
       count(*) FILTER (WHERE c.top_codes <> p.top_codes) AS top_code_disagreements
  FROM c_result c JOIN p_result p USING (subject_id);
\else
\timing off
\echo 'baseline: not run at this size (BENCH_BASELINE_UPTO)'
\endif
SELECT class, count(*) FROM c_result GROUP BY class ORDER BY class;
UPDATE supervision.risk_model SET status = 'retired' WHERE status = 'active';
\timing on
SELECT (supervision.risk_model_activate(:model)).status;
SELECT subjects, class_counts FROM supervision.risk_run(NULL, '2024-06-30');
\timing off
