-- Early warning (风险预警): the numbers behind spike detection, an EWMA
-- baseline and a Poisson tail probability, in extension/warning.c.

---------------------------------------------------------------------------
-- The numbers (C)
---------------------------------------------------------------------------

CREATE FUNCTION supervision.ewma(counts float8[], alpha float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'warning_ewma'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.ewma(float8[], float8) IS
    'Exponentially weighted moving average of counts (oldest first): s1 = x1, st = alpha*xt + (1-alpha)*s(t-1); alpha in (0, 1], counts whole numbers >= 0';

CREATE FUNCTION supervision.poisson_tail(k float8, lambda float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'warning_poisson_tail_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.poisson_tail(float8, float8) IS
    'P(X >= k) for X ~ Poisson(lambda): k a whole number >= 0, lambda >= 0; summed in log space, accurate for tiny tails and for lambda up to 1e6 and beyond';

CREATE FUNCTION supervision.spike(counts float8[], alpha float8, min_baseline float8 DEFAULT 0,
                                  OUT observed float8, OUT baseline float8, OUT p_value float8)
    AS 'MODULE_PATHNAME', 'warning_spike'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.spike(float8[], float8, float8) IS
    'Spike test of the last count: baseline = max(last EWMA of the earlier counts, min_baseline), p_value = poisson_tail(last count, baseline)';
