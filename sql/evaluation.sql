-- Supervision-effectiveness evaluation (监管效能评估, issue 5): the pure
-- numeric functions (min-max normalisation, entropy weights, TOPSIS, AHP).
-- C functions in extension/evaluate.c; docs/evaluation.md.
--
-- A matrix is a two-dimensional float8 array: one row per evaluated unit (a
-- region, a department), one column per indicator. Every function raises an
-- error where its formula would divide by zero instead of inventing a value.

CREATE FUNCTION supervision.normalize_minmax(x double precision[][], benefit boolean[])
    RETURNS double precision[][]
    AS 'MODULE_PATHNAME', 'evaluate_normalize_minmax'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.normalize_minmax(double precision[], boolean[]) IS
    'Min-max normalisation by direction of a matrix (rows = units, columns = indicators): (x - min)/(max - min) in a benefit column (benefit[j] true), (max - x)/(max - min) in a cost column, so 1 is the best value of a column and 0 the worst. Needs at least two rows; a column with the same value in every row is an error (22023). Keeps the subscripts of x.';

CREATE FUNCTION supervision.entropy_weights(x double precision[][])
    RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'evaluate_entropy_weights'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.entropy_weights(double precision[]) IS
    'Entropy weight of each column of a non-negative matrix with m >= 2 rows: p_ij = x_ij / sum_i x_ij, e_j = -(1/ln m) sum_i p_ij ln p_ij (0 ln 0 = 0), w_j = (1 - e_j) / sum_k (1 - e_k). Normalise by direction first: entropy_weights(normalize_minmax(x, benefit)). A column that is 0 in every row is an error (22023); one with the same value in every row gets weight 0. The result has the column subscripts of x.';

CREATE FUNCTION supervision.topsis(x double precision[][], w double precision[], benefit boolean[])
    RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'evaluate_topsis'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.topsis(double precision[], double precision[], boolean[]) IS
    'TOPSIS closeness C_i = D-/(D+ + D-) of each row of a matrix (rows = units, columns = indicators), in [0, 1], 1 best: r_ij = x_ij / sqrt(sum_i x_ij^2), v_ij = w_j r_ij, D+ and D- the Euclidean distances to the best and worst v of each column by direction (benefit[j]). Weights must be non-negative and not all 0; only their ratios matter (they need not sum to 1). The result has the row subscripts of x.';

CREATE FUNCTION supervision.ahp_weights(pairwise double precision[][], strict boolean DEFAULT false,
                                        OUT weights double precision[], OUT lambda_max double precision,
                                        OUT ci double precision, OUT cr double precision, OUT consistent boolean)
    RETURNS record
    AS 'MODULE_PATHNAME', 'evaluate_ahp_weights'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.ahp_weights(double precision[], boolean) IS
    'AHP weights of a pairwise comparison matrix (pairwise[i][j] = importance of criterion i over j; square, positive, diagonal 1, reciprocal within 5%; of each pair the larger entry is used and the smaller taken as its exact reciprocal): the principal eigenvector scaled to sum 1, lambda_max, CI = (lambda_max - n)/(n - 1), CR = CI/RI(n) with Saaty''s random index (n <= 15; null above), consistent = CR < 0.1. Orders 1 and 2 are always consistent. With strict => true a CR of 0.1 or more is an error (22023).';
