-- Entity-resolution benchmark, part 2: pairwise metrics, the pg_trgm
-- baseline's clustering and threshold sweep (functions in schema er, which
-- bench/er_generate.sql creates; bench/entity_resolution.sql uses them).

-- Pairwise precision, recall and F1 of a predicted clustering of the records
-- of table recs against er.truth. pred: (record_id text, entity_id any type);
-- a record missing from pred is an entity alone. Counted by GROUP BY (n·(n−1)/2
-- pairs in a group), never by enumerating pairs.
CREATE FUNCTION er.pair_metrics(recs regclass, pred regclass,
    OUT records bigint, OUT true_pairs numeric, OUT predicted_pairs numeric, OUT true_positives numeric,
    OUT prec float8, OUT recall float8, OUT f1 float8)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$
        WITH j AS (
            SELECT t.eid, coalesce(p.entity_id::text, 'alone:' || r.id) AS pid
              FROM %s r
              JOIN er.truth t ON t.id = r.id
              LEFT JOIN %s p ON p.record_id = r.id
        )
        SELECT (SELECT count(*) FROM j),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) AS c FROM j GROUP BY eid) x),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) AS c FROM j GROUP BY pid) x),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) AS c FROM j GROUP BY eid, pid) x)
    $q$, recs, pred) INTO records, true_pairs, predicted_pairs, true_positives;
    prec := CASE WHEN predicted_pairs > 0 THEN true_positives::float8 / predicted_pairs::float8 END;
    recall := CASE WHEN true_pairs > 0 THEN true_positives::float8 / true_pairs::float8 END;
    f1 := CASE WHEN true_positives > 0 THEN 2 * true_positives::float8 / (predicted_pairs + true_pairs)::float8 ELSE 0 END;
END
$$;

-- Records in the largest predicted entity of a result table (record_id, entity_id).
CREATE FUNCTION er.largest(pred regclass) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE m bigint;
BEGIN
    EXECUTE format('SELECT max(c) FROM (SELECT count(*) AS c FROM %s GROUP BY entity_id) x', pred) INTO m;
    RETURN coalesce(m, 1);
END
$$;

-- The pg_trgm baseline's clustering: connected components of the pairs
-- (id_a, id_b) whose similarity is at least t, by supervision.cluster_pairs
-- (union-find); records in no pair are entities alone (pair_metrics).
CREATE FUNCTION er.components(pairs regclass, t float8)
RETURNS TABLE (record_id text, entity_id text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT c.id, c.cluster_root
          FROM (SELECT array_agg(id_a) AS a, array_agg(id_b) AS b, array_agg(s) AS s
                  FROM %s WHERE s >= $1) p,
               supervision.cluster_pairs(p.a, p.b, p.s) c
    $q$, pairs) USING t;
END
$$;

-- Metrics of the pg_trgm clustering at each threshold, from pairs found at
-- the lowest one (columns id_a, id_b, s = similarity).
CREATE FUNCTION er.trgm_sweep(recs regclass, pairs regclass, thresholds float8[])
RETURNS TABLE (threshold float8, pairs_kept bigint, prec float8, recall float8, f1 float8)
LANGUAGE plpgsql AS $$
DECLARE
    t float8;
    m record;
BEGIN
    FOREACH t IN ARRAY thresholds LOOP
        DROP TABLE IF EXISTS pg_temp.sweep_pred;
        CREATE TEMP TABLE sweep_pred AS SELECT * FROM er.components(pairs, t);
        SELECT * INTO m FROM er.pair_metrics(recs, 'pg_temp.sweep_pred');
        threshold := t;
        EXECUTE format('SELECT count(*) FROM %s WHERE s >= $1', pairs) INTO pairs_kept USING t;
        prec := m.prec;
        recall := m.recall;
        f1 := m.f1;
        RETURN NEXT;
    END LOOP;
    DROP TABLE IF EXISTS pg_temp.sweep_pred;
END
$$;

-- The threshold sweep of the pg_trgm baseline on recs (which has a GIN
-- trigram index on name): one self-join at the lowest threshold keeps every
-- pair with its similarity, then every threshold from there to 0.95 (by 0.025)
-- is clustered and scored. When the best F1 is at the lowest threshold, the
-- sweep starts again 0.1 lower (down to 0.3 at most): the best threshold is
-- then one with a worse one on each side. join_seconds: the last join's time.
CREATE FUNCTION er.trgm_tune(recs regclass, t_start float8)
RETURNS TABLE (threshold float8, pairs_kept bigint, prec float8, recall float8, f1 float8, join_seconds float8)
LANGUAGE plpgsql AS $$
DECLARE
    t_lo numeric := t_start;
    t0 timestamptz;
    secs float8;
    best float8;
BEGIN
    LOOP
        DROP TABLE IF EXISTS pg_temp.tune_pairs;
        PERFORM set_config('pg_trgm.similarity_threshold', t_lo::text, true);
        t0 := clock_timestamp();
        EXECUTE format('CREATE TEMP TABLE tune_pairs AS
                        SELECT a.id AS id_a, b.id AS id_b, similarity(a.name, b.name) AS s
                          FROM %1$s a JOIN %1$s b ON a.name %% b.name AND a.id < b.id', recs);
        secs := extract(epoch FROM clock_timestamp() - t0);
        DROP TABLE IF EXISTS pg_temp.tune_sweep;
        CREATE TEMP TABLE tune_sweep AS
        SELECT * FROM er.trgm_sweep(recs, 'pg_temp.tune_pairs',
                                    ARRAY(SELECT generate_series(t_lo, 0.95, 0.025)::float8));
        SELECT s.threshold INTO best FROM pg_temp.tune_sweep s ORDER BY s.f1 DESC NULLS LAST, s.threshold LIMIT 1;
        EXIT WHEN best > t_lo::float8 OR t_lo - 0.1 < 0.3;
        t_lo := t_lo - 0.1;
    END LOOP;
    RETURN QUERY SELECT s.threshold, s.pairs_kept, s.prec, s.recall, s.f1, secs FROM pg_temp.tune_sweep s ORDER BY s.threshold;
    DROP TABLE pg_temp.tune_pairs, pg_temp.tune_sweep;
END
$$;
