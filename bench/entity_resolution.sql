-- Entity-resolution benchmark, part 3: the runs (bench/entity_resolution.sh
-- feeds er_metrics.sql and this file on stdin after er_generate.sql).
--   :n        records in er.recs
--   :trgm_n   records in the sample both engines run on for the comparison
--   :trgm_min lowest pg_trgm threshold of the sweep
--   :train    1: also run resolve_entities with train => true
-- Results go to er.result and er.sweep; the script prints them as key|value
-- lines and rows for the shell script to format.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET jit = off;
-- pg_trgm's join is given both cores (a parallel scan of the outer side);
-- resolve_entities runs in one backend whatever these say.
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;

CREATE TABLE er.result (
    run       int PRIMARY KEY,
    engine    text NOT NULL,
    records   bigint NOT NULL,
    threshold text NOT NULL,
    prec      float8,
    recall    float8,
    f1        float8,
    seconds   float8 NOT NULL,
    true_pairs numeric,
    predicted_pairs numeric,
    largest   bigint          -- records in the largest predicted entity
);

-- ---------------------------------------------------------------------------
-- 1. resolve_entities on every record

SET client_min_messages = notice;   -- the engine's notice on skipped blocking keys
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE er.pred_engine AS
SELECT record_id, entity_id FROM supervision.resolve_entities('er.recs');
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
SET client_min_messages = warning;
INSERT INTO er.result
SELECT 1, 'resolve_entities', records, 'default model', prec, recall, f1, :secs, true_pairs, predicted_pairs,
       er.largest('er.pred_engine')
  FROM er.pair_metrics('er.recs', 'er.pred_engine');

\if :train
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE er.pred_trained AS
SELECT record_id, entity_id FROM supervision.resolve_entities('er.recs', train => true);
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO er.result
SELECT 2, 'resolve_entities train', records, 'fitted (EM)', prec, recall, f1, :secs, true_pairs, predicted_pairs,
       er.largest('er.pred_trained')
  FROM er.pair_metrics('er.recs', 'er.pred_trained');
DROP TABLE er.pred_trained;
\endif

-- ---------------------------------------------------------------------------
-- 2. The comparison sample: every record of a hashed sample of the true
-- entities (so that duplicates stay together), about :trgm_n records; and a
-- fifth of it to see how pg_trgm's time grows with the size.

CREATE TABLE er.sample AS
SELECT r.* FROM er.recs r JOIN er.truth t USING (id)
 WHERE er.u(t.eid, 900) < :trgm_n::float8 / :n;
CREATE TABLE er.sample5 AS
SELECT r.* FROM er.recs r JOIN er.truth t USING (id)
 WHERE er.u(t.eid, 900) < :trgm_n::float8 / :n / 5;
ANALYZE er.sample, er.sample5;

SELECT clock_timestamp() AS t0 \gset
CREATE TABLE er.pred_engine_sample AS
SELECT record_id, entity_id FROM supervision.resolve_entities('er.sample');
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO er.result
SELECT 3, 'resolve_entities', records, 'default model', prec, recall, f1, :secs, true_pairs, predicted_pairs,
       er.largest('er.pred_engine_sample')
  FROM er.pair_metrics('er.sample', 'er.pred_engine_sample');

-- ---------------------------------------------------------------------------
-- 3. pg_trgm: the threshold sweep on the sample itself (the threshold that is
-- best for this very sample: the baseline's best case), er.trgm_tune.

CREATE INDEX sample_name_trgm ON er.sample USING gin (name gin_trgm_ops);
CREATE TABLE er.sweep AS SELECT * FROM er.trgm_tune('er.sample', :trgm_min);
SELECT threshold AS best_t FROM er.sweep ORDER BY f1 DESC NULLS LAST, threshold LIMIT 1 \gset
SELECT min(threshold) AS sweep_min, min(join_seconds) AS sweep_join_secs FROM er.sweep \gset
DROP INDEX er.sample_name_trgm;

-- ---------------------------------------------------------------------------
-- 4. pg_trgm end to end at the best threshold: index, self-join, connected
-- components (supervision.cluster_pairs, union-find), on the sample and on
-- its fifth.

SELECT clock_timestamp() AS t0 \gset
CREATE INDEX sample_name_trgm ON er.sample USING gin (name gin_trgm_ops);
SET pg_trgm.similarity_threshold = :best_t;
CREATE TABLE er.trgm_pairs AS
SELECT a.id AS id_a, b.id AS id_b, similarity(a.name, b.name) AS s
  FROM er.sample a JOIN er.sample b ON a.name % b.name AND a.id < b.id;
CREATE TABLE er.pred_trgm AS SELECT * FROM er.components('er.trgm_pairs', :best_t);
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO er.result
SELECT 4, 'pg_trgm', records, :'best_t', prec, recall, f1, :secs, true_pairs, predicted_pairs,
       er.largest('er.pred_trgm')
  FROM er.pair_metrics('er.sample', 'er.pred_trgm');

SELECT clock_timestamp() AS t0 \gset
CREATE INDEX sample5_name_trgm ON er.sample5 USING gin (name gin_trgm_ops);
CREATE TABLE er.trgm_pairs5 AS
SELECT a.id AS id_a, b.id AS id_b, similarity(a.name, b.name) AS s
  FROM er.sample5 a JOIN er.sample5 b ON a.name % b.name AND a.id < b.id;
CREATE TABLE er.pred_trgm5 AS SELECT * FROM er.components('er.trgm_pairs5', :best_t);
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS secs \gset
INSERT INTO er.result
SELECT 5, 'pg_trgm', records, :'best_t', prec, recall, f1, :secs, true_pairs, predicted_pairs,
       er.largest('er.pred_trgm5')
  FROM er.pair_metrics('er.sample5', 'er.pred_trgm5');

-- ---------------------------------------------------------------------------
-- 5. Where resolve_entities loses, on every record (diagnostics: these
-- enumerate the true pairs and the predicted pairs, a few hundred thousand).
-- Recall by the noise of the two records of a true pair; false merges by
-- how the two true entities are related.

SET work_mem = '256MB';
CREATE TABLE er.j AS
SELECT t.id, t.eid, t.noise, p.entity_id FROM er.truth t JOIN er.pred_engine p ON p.record_id = t.id;
CREATE TABLE er.diag_recall AS
SELECT tag, count(*) AS pairs, count(*) FILTER (WHERE found) AS found
  FROM (SELECT a.entity_id = b.entity_id AS found,
               string_to_array(a.noise, ',') || string_to_array(b.noise, ',')
                 || CASE WHEN e.head_eid IS NOT NULL THEN ARRAY['branch'] ELSE ARRAY[]::text[] END AS tags
          FROM er.j a JOIN er.j b ON a.eid = b.eid AND a.id < b.id
          JOIN er.entity_full e ON e.eid = a.eid) p,
       LATERAL (SELECT DISTINCT unnest(p.tags) AS tag) u
 WHERE tag NOT IN ('uscc_kept', 'division_county', 'person_same')
 GROUP BY tag;
CREATE TABLE er.diag_false AS
SELECT CASE WHEN e1.head_eid = e2.eid OR e2.head_eid = e1.eid THEN 'a branch and its head office'
            WHEN e1.head_eid = e2.head_eid THEN 'two branches of one head office'
            WHEN e1.trade = e2.trade AND e1.industry = e2.industry THEN 'same trade name and industry, other city'
            WHEN e1.city_code = e2.city_code AND e1.industry = e2.industry
                 AND char_length(e1.trade) = char_length(e2.trade)
                 AND (SELECT count(*) FROM generate_series(1, char_length(e1.trade)) i
                       WHERE substr(e1.trade, i, 1) <> substr(e2.trade, i, 1)) = 1
            THEN 'same city and industry, trade names one character apart'
            WHEN e1.city_code = e2.city_code AND e1.industry = e2.industry
            THEN 'same city and industry, other trade names'
            ELSE 'other' END AS kind,
       count(*) AS pairs,
       count(*) FILTER (WHERE e1.county_code = e2.county_code AND e1.street = e2.street) AS same_street
  FROM er.j a JOIN er.j b ON a.entity_id = b.entity_id AND a.id < b.id AND a.eid <> b.eid
  JOIN er.entity_full e1 ON e1.eid = a.eid
  JOIN er.entity_full e2 ON e2.eid = b.eid
 GROUP BY 1;
DROP TABLE er.j;

-- ---------------------------------------------------------------------------
-- Output

\pset format unaligned
\pset tuples_only on
\pset fieldsep '|'
SELECT 'records', count(*) FROM er.recs;
SELECT 'entities', count(*) FROM er.entity_full;
SELECT 'branch_entities', count(*) FROM er.entity_full WHERE head_eid IS NOT NULL;
SELECT 'neighbour_entities', count(*) FROM er.entity_full WHERE is_neighbour;
SELECT 'entities_2', count(*) FROM (SELECT 1 FROM er.truth GROUP BY eid HAVING count(*) = 2) x;
SELECT 'entities_3', count(*) FROM (SELECT 1 FROM er.truth GROUP BY eid HAVING count(*) = 3) x;
SELECT 'duplicate_share', round(1 - (SELECT count(*) FROM er.entity_full)::numeric / count(*), 4) FROM er.recs;
SELECT 'table_mb', round(pg_total_relation_size('er.recs') / 1048576.0, 1);
SELECT 'sample_records', count(*) FROM er.sample;
SELECT 'sweep_join_s', round(:sweep_join_secs::numeric, 1);
SELECT 'best_t', :best_t;
SELECT 'sweep_min', :sweep_min;
SELECT 'best_is_lowest', (:best_t = :sweep_min::float8);
SELECT 'result', run, engine, records, threshold, round(prec::numeric, 4), round(recall::numeric, 4),
       round(f1::numeric, 4), round(seconds::numeric, 2), true_pairs, predicted_pairs, largest
  FROM er.result ORDER BY run;
SELECT 'recall_by', tag, pairs, found, round(found::numeric / pairs, 4) FROM er.diag_recall ORDER BY found::numeric / pairs, tag;
SELECT 'false_merge', kind, pairs, same_street FROM er.diag_false ORDER BY pairs DESC;
SELECT 'sweep', threshold, pairs_kept, round(prec::numeric, 4), round(recall::numeric, 4), round(f1::numeric, 4)
  FROM er.sweep ORDER BY threshold;
