-- Evaluation, numeric functions (extension/evaluate.c, sql/evaluation.sql,
-- docs/evaluation.md): normalize_minmax, entropy_weights, topsis, ahp_weights.
-- Reference numbers come from test/evaluation/reference.py (standard-library
-- Python written from the formulas, AHP by the characteristic polynomial rather
-- than power iteration) or by hand, as the comment above each query says.
-- Values are compared rounded to 6 decimals. One malformed input per line.
SET search_path = supervision, public;
\pset null '<null>'

CREATE FUNCTION pg_temp.r6(v float8[]) RETURNS numeric[] LANGUAGE sql IMMUTABLE
RETURN (SELECT array_agg(round(e::numeric, 6) ORDER BY o) FROM unnest(v) WITH ORDINALITY AS u(e, o));
-- one row per matrix row, rounded (unnest flattens a 2-D array in row-major order)
CREATE FUNCTION pg_temp.rows6(m float8[]) RETURNS TABLE (r int, v numeric[]) LANGUAGE sql IMMUTABLE
AS $$
    SELECT i, array_agg(round(m[i][j]::numeric, 6) ORDER BY j)
      FROM generate_subscripts(m, 1) i, generate_subscripts(m, 2) j
     GROUP BY i ORDER BY i
$$;

-- The worked example: five cities, four indicators (invented numbers):
-- inspection completion rate % (benefit), complaints per 10,000 subjects
-- (cost), public rating (benefit), major accidents (cost).
CREATE TEMP TABLE ex (x float8[], benefit boolean[]);
INSERT INTO ex VALUES ('{{96,3.2,88,2},{91,2.5,90,1},{85,4.1,82,4},{93,2.9,86,0},{98,3.6,91,3}}',
                       '{true,false,true,false}');

--
-- normalize_minmax
--
-- reference.py: rows 0.846154 0.5625 0.666667 0.5 | 0.461538 1 0.888889 0.75 |
-- 0 0 0 0 | 0.615385 0.75 0.444444 1 | 1 0.3125 1 0.25
SELECT n.* FROM ex, pg_temp.rows6(normalize_minmax(x, benefit)) n;
-- by hand: benefit column 10, 20, 30 -> 0, 0.5, 1; cost column 5, 1, 3 -> 0, 1, 0.5
SELECT normalize_minmax('{{10,5},{20,1},{30,3}}', '{t,f}');
-- negative values are fine: (x - min)/(max - min) of -2, 0, 2 is 0, 0.5, 1
SELECT normalize_minmax('{{-2},{0},{2}}', '{t}');
-- the subscripts of x are kept
SELECT array_dims(normalize_minmax('[0:2][5:6]={{10,5},{20,1},{30,3}}', '{t,f}')) AS dims,
       normalize_minmax('[0:2][5:6]={{10,5},{20,1},{30,3}}', '{t,f}') AS result;
-- benefit is matched to the columns by position, whatever its own subscripts
SELECT normalize_minmax('{{10,5},{20,1},{30,3}}', '[7:8]={t,f}');
-- strict: NULL in, NULL out
SELECT normalize_minmax(NULL, '{t}') IS NULL AS x_null, normalize_minmax('{{1},{2}}', NULL) IS NULL AS benefit_null;
-- bad input, one per line
SELECT normalize_minmax('{}', '{}');
SELECT normalize_minmax('{1,2,3}', '{t,t,t}');
SELECT normalize_minmax('{{{1,2}},{{3,4}}}', '{t,t}');
SELECT normalize_minmax('{{1,2},{NULL,4}}', '{t,t}');
SELECT normalize_minmax('{{1,2},{NaN,4}}', '{t,t}');
SELECT normalize_minmax('{{1,Infinity},{3,4}}', '{t,t}');
SELECT normalize_minmax('{{1,2},{3,-Infinity}}', '{t,t}');
SELECT normalize_minmax('{{1,2},{3,4}}', '{t}');
SELECT normalize_minmax('{{1,2},{3,4}}', '{t,f,t}');
SELECT normalize_minmax('{{1,2},{3,4}}', '{}');
SELECT normalize_minmax('{{1,2},{3,4}}', '{{t,f}}');
SELECT normalize_minmax('{{1,2},{3,4}}', '{t,NULL}');
SELECT normalize_minmax('{{1,2}}', '{t,t}');
SELECT normalize_minmax('{{1,7},{3,7},{2,7}}', '{t,f}');
SELECT normalize_minmax('[0:1][5:6]={{1,7},{3,7}}', '{t,f}');
SELECT normalize_minmax('{{-1e308,1},{1e308,2}}', '{t,t}');

--
-- entropy_weights
--
-- reference.py: 0.22775 0.259006 0.229076 0.284169
SELECT pg_temp.r6(entropy_weights(normalize_minmax(x, benefit))) FROM ex;
-- reference.py, on the raw values (allowed: all non-negative): 0.003445 0.041637 0.001953 0.952965
SELECT pg_temp.r6(entropy_weights(x)) FROM ex;
-- by hand, with m = 3 rows: column 1 has shares (1/2, 1/2, 0), e = ln 2 / ln 3 = 0.630930,
-- d = 0.369070; column 2 has shares (1, 0, 0), e = 0, d = 1; column 3 is constant,
-- e = 1, d = 0; w = d / 1.369070 = 0.269577, 0.730423, 0
SELECT pg_temp.r6(entropy_weights('{{1,1,2},{1,0,2},{0,0,2}}'));
-- by hand: two units, one indicator that splits them completely and one that is equal
SELECT entropy_weights('{{1,1},{0,1}}');
-- the result has the column subscripts of x
SELECT array_dims(entropy_weights('[3:4][-1:0]={{1,1},{0,1}}'));
-- bad input, one per line
SELECT entropy_weights('{}');
SELECT entropy_weights('{0.5,0.5}');
SELECT entropy_weights('{{1,2},{3,NULL}}');
SELECT entropy_weights('{{1,2},{3,NaN}}');
SELECT entropy_weights('{{1,2,3}}');
SELECT entropy_weights('{{1,2},{3,-0.5}}');
SELECT entropy_weights('{{1,0},{3,0}}');
SELECT entropy_weights('{{1,5},{1,5},{1,5}}');
SELECT entropy_weights('{{1e308,1},{1e308,2}}');

--
-- topsis
--
-- reference.py: 0.511326 0.757922 0 0.908604 0.285672
SELECT pg_temp.r6(topsis(x, '{0.3,0.2,0.3,0.2}', benefit)) FROM ex;
-- the same with entropy weights; reference.py: 0.506116 0.759666 0 0.929208 0.264166
SELECT pg_temp.r6(topsis(x, entropy_weights(normalize_minmax(x, benefit)), benefit)) FROM ex;
-- weights need not sum to 1: only their ratios matter (same as the first query)
SELECT pg_temp.r6(topsis(x, '{30,20,30,20}', benefit)) FROM ex;
-- by hand: one benefit column 1, 2, 3 gives C = (x - 1)/(3 - 1) = 0, 0.5, 1; as a cost column 1, 0.5, 0
SELECT topsis('{{1},{2},{3}}', '{1}', '{t}') AS benefit, topsis('{{1},{2},{3}}', '{1}', '{f}') AS cost;
-- by hand: two units that mirror each other with equal weights are equally close
SELECT topsis('{{3,4},{4,3}}', '{0.5,0.5}', '{t,t}');
-- a zero weight leaves its column out: the varying second column decides
SELECT topsis('{{1,10},{2,20},{3,30}}', '{0,1}', '{t,f}');
-- the result has the row subscripts of x
SELECT array_dims(topsis('[0:2][1:1]={{1},{2},{3}}', '{1}', '{t}'));
-- bad input, one per line
SELECT topsis('{}', '{}', '{}');
SELECT topsis('{1,2}', '{1,1}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{1}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{1,2,3}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{{1,2}}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{1,NULL}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{1,NaN}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{0.6,-0.1}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{0,0}', '{t,t}');
SELECT topsis('{{1,2},{3,4}}', '{0.5,0.5}', '{t}');
SELECT topsis('{{1,2},{3,4}}', '{0.5,0.5}', '{t,NULL}');
SELECT topsis('{{1,2}}', '{0.5,0.5}', '{t,t}');
SELECT topsis('{{1,0},{3,0}}', '{0.5,0.5}', '{t,t}');
SELECT topsis('{{2,5},{2,5},{2,5}}', '{0.5,0.5}', '{t,f}');
SELECT topsis('{{2,5},{2,6},{2,7}}', '{1,0}', '{t,f}');

--
-- ahp_weights
--
-- The widely reproduced textbook 3 x 3 example; published: weights 0.637,
-- 0.258, 0.105, lambda_max 3.039, CR 0.033. reference.py: 0.636986 0.258285
-- 0.104729, lambda_max 3.038511, CI 0.019256, CR 0.033199
SELECT pg_temp.r6(weights) AS weights, round(lambda_max::numeric, 6) AS lambda_max,
       round(ci::numeric, 6) AS ci, round(cr::numeric, 6) AS cr, consistent
  FROM ahp_weights(ARRAY[[1, 3, 5], [1/3.0, 1, 3], [1/5.0, 1/3.0, 1]]::float8[]);
-- the same judgements with their reciprocals typed as 0.33: same result (the
-- larger entry of a pair is the judgement, the smaller its exact reciprocal),
-- wherever the reciprocal stands
SELECT pg_temp.r6(weights) AS weights, round(cr::numeric, 6) AS cr
  FROM ahp_weights('{{1,3,5},{0.33,1,3},{0.2,0.33,1}}');
-- the criteria in reverse order, so the 0.33s stand above the diagonal: reversed weights
SELECT pg_temp.r6(weights) AS weights, round(cr::numeric, 6) AS cr
  FROM ahp_weights('{{1,0.33,0.2},{3,1,0.33},{5,3,1}}');
-- 4 x 4, acceptable; reference.py: 0.057596 0.266324 0.454626 0.221453,
-- lambda_max 4.187347, CI 0.062449, CR 0.069388
SELECT pg_temp.r6(weights) AS weights, round(lambda_max::numeric, 6) AS lambda_max,
       round(ci::numeric, 6) AS ci, round(cr::numeric, 6) AS cr, consistent
  FROM ahp_weights(ARRAY[[1, 1/3.0, 1/9.0, 1/5.0], [3, 1, 1, 1], [9, 1, 1, 3], [5, 1, 1/3.0, 1]]::float8[], strict => true);
-- 4 x 4, not acceptable; reference.py: 0.350582 0.115996 0.373135 0.160287,
-- lambda_max 6.209526, CI 0.736509, CR 0.818343
SELECT pg_temp.r6(weights) AS weights, round(lambda_max::numeric, 6) AS lambda_max,
       round(ci::numeric, 6) AS ci, round(cr::numeric, 6) AS cr, consistent
  FROM ahp_weights(ARRAY[[1, 5, 1/3.0, 7], [1/5.0, 1, 1/7.0, 3], [3, 7, 1, 1/2.0], [1/7.0, 1/3.0, 2, 1]]::float8[]);
-- by hand: orders 1 and 2 are always consistent; a12 = 3 gives weights 3/4, 1/4
SELECT * FROM ahp_weights('{{1}}');
SELECT * FROM ahp_weights('{{1,3},{0.3333333333333333,1}}', true);
-- by hand: all judgements equal gives equal weights and lambda_max = n
SELECT pg_temp.r6(weights) AS weights, lambda_max, ci, cr, consistent FROM ahp_weights(array_fill(1::float8, '{5,5}'));
-- the weights have the row subscripts of pairwise
SELECT array_dims(weights) FROM ahp_weights('[0:1][0:1]={{1,3},{0.3333333333333333,1}}');
-- order 16: Saaty's RI is not tabulated, so cr and consistent are null
SELECT array_length(weights, 1) AS n, lambda_max, ci, cr, consistent FROM ahp_weights(array_fill(1::float8, '{16,16}'));
-- strict: NULL in, NULL out
SELECT (ahp_weights(NULL)).weights IS NULL AS null_in;
-- bad input, one per line
SELECT * FROM ahp_weights('{}');
SELECT * FROM ahp_weights('{1}');
SELECT * FROM ahp_weights('{{1,2,3},{0.5,1,2}}');
SELECT * FROM ahp_weights('{{1,2},{NULL,1}}');
SELECT * FROM ahp_weights('{{1,2},{Infinity,1}}');
SELECT * FROM ahp_weights('{{1,0},{0,1}}');
SELECT * FROM ahp_weights('{{1,-2},{-0.5,1}}');
SELECT * FROM ahp_weights('{{1,2},{0.5,2}}');
SELECT * FROM ahp_weights('{{1,3,5},{0.3333333333333333,1,3},{0.2,3,1}}');
SELECT * FROM ahp_weights('{{1,9},{0.125,1}}');
SELECT * FROM ahp_weights('[0:2][0:2]={{1,3,5},{0.3333333333333333,1,3},{0.5,0.3333333333333333,1}}');
SELECT * FROM ahp_weights(ARRAY[[1, 5, 1/3.0, 7], [1/5.0, 1, 1/7.0, 3], [3, 7, 1, 1/2.0], [1/7.0, 1/3.0, 2, 1]]::float8[], strict => true);
SELECT * FROM ahp_weights(array_fill(1::float8, '{16,16}'), strict => true);

--
-- Properties over random matrices (setseed: reproducible on one server version;
-- the output is only counts and truth values)
--
CREATE FUNCTION pg_temp.random_matrix(m int, n int) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    r float8[] := array_fill(0::float8, ARRAY[m, n]);
BEGIN
    FOR i IN 1..m LOOP
        FOR j IN 1..n LOOP
            -- about one value in five is exactly 0, the others spread over 6 orders of magnitude
            r[i][j] := CASE WHEN random() < 0.2 THEN 0 ELSE 10 ^ (6 * random() - 3) END;
        END LOOP;
    END LOOP;
    RETURN r;
END
$$;
CREATE FUNCTION pg_temp.random_booleans(n int) RETURNS boolean[] LANGUAGE plpgsql AS $$
DECLARE
    r boolean[] := '{}';
BEGIN
    FOR j IN 1..n LOOP
        r := r || (random() < 0.5);
    END LOOP;
    RETURN r;
END
$$;
-- a reciprocal matrix of random judgements on Saaty's scale
CREATE FUNCTION pg_temp.random_pairwise(n int) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    scale float8[] := ARRAY[1/9.0, 1/7.0, 1/5.0, 1/3.0, 1, 2, 3, 5, 7, 9];
    r float8[] := array_fill(1::float8, ARRAY[n, n]);
BEGIN
    FOR i IN 1..n LOOP
        FOR j IN i + 1..n LOOP
            r[i][j] := scale[1 + floor(random() * 10)::int];
            r[j][i] := 1 / r[i][j];
        END LOOP;
    END LOOP;
    RETURN r;
END
$$;
-- the perfectly consistent matrix a_ij = v_i / v_j of a weight vector
CREATE FUNCTION pg_temp.consistent_pairwise(v float8[]) RETURNS float8[] LANGUAGE sql IMMUTABLE
AS $$
    SELECT array_agg(ARRAY(SELECT v[i] / v[j] FROM generate_subscripts(v, 1) j ORDER BY j) ORDER BY i)
      FROM generate_subscripts(v, 1) i
$$;

SELECT setseed(0.5);
CREATE TEMP TABLE rnd AS
SELECT k, pg_temp.random_matrix(2 + (random() * 30)::int, n) AS x, pg_temp.random_booleans(n) AS b
  FROM (SELECT k, 1 + (random() * 8)::int AS n FROM generate_series(1, 300) k) s;
-- keep the matrices every function accepts: every column takes two values at least
DELETE FROM rnd WHERE EXISTS (SELECT 1 FROM generate_subscripts(x, 2) j
                               WHERE (SELECT count(DISTINCT x[i][j]) FROM generate_subscripts(x, 1) i) < 2);
SELECT count(*) >= 250 AS enough_matrices FROM rnd;
-- min-max: every column runs from exactly 0 to exactly 1
SELECT bool_and(lo = 0 AND hi = 1) AS minmax_spans_0_1
  FROM rnd, LATERAL (SELECT normalize_minmax(x, b) AS z) n,
       LATERAL (SELECT j, min(z[i][j]) AS lo, max(z[i][j]) AS hi
                  FROM generate_subscripts(z, 1) i, generate_subscripts(z, 2) j GROUP BY j) c;
-- entropy weights are in [0, 1] and sum to 1, on raw and on normalised matrices
SELECT bool_and(abs(s - 1) < 1e-12) AS sums_to_1, bool_and(lo >= 0 AND hi <= 1) AS in_0_1
  FROM rnd, LATERAL (VALUES (entropy_weights(x)), (entropy_weights(normalize_minmax(x, b)))) e(w),
       LATERAL (SELECT sum(v) AS s, min(v) AS lo, max(v) AS hi FROM unnest(e.w) v) a;
-- TOPSIS closeness is in [0, 1], and scaling the weights changes nothing (but rounding)
SELECT bool_and(lo >= 0 AND hi <= 1) AS in_0_1, bool_and(diff < 1e-12) AS scale_free
  FROM rnd, LATERAL (SELECT entropy_weights(normalize_minmax(x, b)) AS w) e,
       LATERAL (SELECT topsis(x, e.w, b) AS c, topsis(x, ARRAY(SELECT 7 * v FROM unnest(e.w) v), b) AS c7) t,
       LATERAL (SELECT min(v) AS lo, max(v) AS hi FROM unnest(t.c) v) a,
       LATERAL (SELECT max(abs(p - q)) AS diff FROM unnest(t.c, t.c7) u(p, q)) d;
-- a unit added that is best on every indicator scores exactly 1, one that is
-- worst on every indicator exactly 0
SELECT bool_and(c[m + 1] = 1 AND c[m + 2] = 0) AS best_1_worst_0
  FROM rnd,
       LATERAL (SELECT array_length(x, 1) AS m,
                       ARRAY(SELECT CASE WHEN b[j] THEN max(x[i][j]) ELSE min(x[i][j]) END
                               FROM generate_subscripts(x, 2) j, generate_subscripts(x, 1) i GROUP BY j ORDER BY j) AS best,
                       ARRAY(SELECT CASE WHEN b[j] THEN min(x[i][j]) ELSE max(x[i][j]) END
                               FROM generate_subscripts(x, 2) j, generate_subscripts(x, 1) i GROUP BY j ORDER BY j) AS worst) bw,
       LATERAL (SELECT topsis(x || bw.best || bw.worst, ARRAY(SELECT 0.1 + random() FROM unnest(b)), b) AS c) t;
-- AHP on perfectly consistent matrices built from random weights v: the
-- weights come back, lambda_max = n, CI = CR = 0
CREATE TEMP TABLE rv AS
SELECT k, ARRAY(SELECT 0.05 + random() FROM generate_series(1, 2 + (k % 12))) AS v
  FROM generate_series(1, 100) k;
SELECT count(*) AS matrices, bool_and(w_ok) AS weights_recovered, bool_and(abs(lambda_max - n) < 1e-9) AS lambda_n,
       bool_and(ci < 1e-9 AND cr < 1e-9) AS ci_cr_0, bool_and(consistent) AS consistent
  FROM (SELECT array_length(v, 1) AS n, a.*,
               (SELECT bool_and(abs(a.weights[i] - v[i] / (SELECT sum(e) FROM unnest(v) e)) < 1e-12)
                  FROM generate_subscripts(v, 1) i) AS w_ok
          FROM rv, LATERAL ahp_weights(pg_temp.consistent_pairwise(v), strict => true) a) t;
-- AHP on random matrices of Saaty's judgements: weights positive, summing to 1,
-- lambda_max >= n, and A w = lambda_max w (an eigenvector, not an approximation)
CREATE TEMP TABLE rp AS
SELECT k, pg_temp.random_pairwise(3 + (k % 8)) AS a FROM generate_series(1, 100) k;
SELECT count(*) AS matrices, bool_and(lo > 0) AS positive, bool_and(abs(s - 1) < 1e-12) AS sums_to_1,
       bool_and(lambda_max >= n) AS lambda_ge_n, bool_and(resid < 1e-9) AS eigenvector,
       count(*) FILTER (WHERE consistent) BETWEEN 1 AND 99 AS some_consistent_some_not
  FROM (SELECT array_length(a, 1) AS n, w.lambda_max, w.consistent,
               (SELECT min(e) FROM unnest(w.weights) e) AS lo, (SELECT sum(e) FROM unnest(w.weights) e) AS s,
               (SELECT max(abs((SELECT sum(a[i][j] * w.weights[j]) FROM generate_subscripts(a, 2) j)
                               - w.lambda_max * w.weights[i]) / w.weights[i])
                  FROM generate_subscripts(a, 1) i) AS resid
          FROM rp, LATERAL ahp_weights(a) w) t;
