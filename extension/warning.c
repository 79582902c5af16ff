/*
 * warning.c: the numbers behind early warning (风险预警).
 *
 *   ewma(counts float8[], alpha float8) -> float8[]
 *       exponentially weighted moving average of a series of counts:
 *       s[1] = x[1], s[t] = alpha * x[t] + (1 - alpha) * s[t-1].
 *
 *   poisson_tail(k float8, lambda float8) -> float8
 *       P(X >= k) for X ~ Poisson(lambda), k a whole number >= 0.
 *
 *   spike(counts float8[], alpha float8, min_baseline float8 DEFAULT 0,
 *         OUT observed float8, OUT baseline float8, OUT p_value float8)
 *       the last count against the EWMA of the counts before it:
 *       baseline = max(ewma(x[1..n-1])[n-1], min_baseline),
 *       p_value  = poisson_tail(x[n], baseline).
 *
 * The tail is summed in log space around the Poisson probability at one end
 * of the sum, which is computed without overflow for any size of k and lambda
 * (Stirling's series for log k! and a cancellation-free form of
 * k log(k/lambda) + lambda - k, as in Loader's method for binomial and Poisson
 * probabilities):
 *
 *   lambda < k + 1:   P(X >= k)     = p(k)   * sum_{n>=0} prod_{j=1..n} lambda / (k + j)
 *   otherwise:        P(X <= k - 1) = p(k-1) * sum_{n>=0} prod_{j=0..n-1} (k - 1 - j) / lambda
 *                     P(X >= k)     = 1 - P(X <= k - 1)
 *
 * Both sums have terms that shrink, so each side is summed where it is the
 * smaller probability (no cancellation where the answer is tiny), and the
 * number of terms grows like sqrt(k), not k.
 *
 * All three functions are pure: IMMUTABLE STRICT PARALLEL SAFE.
 * sql/warning.sql uses them in supervision.warning_scan().
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* terms of a sum are added until they fall below this share of the sum */
#define WARNING_SUM_EPS (DBL_EPSILON / 4.0)
/* how often the long sums look for a cancel request */
#define WARNING_INTERRUPT_EVERY 4096

/* ------------------------------------------------------------ validation */

static inline void
CheckAlpha(double alpha)
{
	if (isnan(alpha) || !(alpha > 0.0 && alpha <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be greater than 0 and at most 1"),
				 errdetail("alpha is %g.", alpha),
				 errhint("alpha is the weight of the newest count: 1 keeps only the newest count, values near 0 smooth strongly.")));
}

static inline void
CheckLambda(double lambda)
{
	if (isnan(lambda) || isinf(lambda) || lambda < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lambda must be a finite number of 0 or more"),
				 errdetail("lambda is %g.", lambda),
				 errhint("lambda is the expected count per period (the baseline).")));
}

static inline void
CheckCount(double k, const char *what, int position)
{
	if (isnan(k) || isinf(k) || k < 0.0 || k != floor(k))
	{
		if (position > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be whole numbers of 0 or more", what),
					 errdetail("Element %d is %g.", position, k),
					 errhint("Counts of events per period are whole numbers; give 0 for a period without events.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be a whole number of 0 or more", what),
					 errdetail("%s is %g.", what, k),
					 errhint("k is the observed count of events in the period.")));
	}
}

/*
 * The elements of a one-dimensional float8 array of counts, checked: not
 * empty, no NULLs, whole numbers >= 0.
 */
static double *
warning_counts(ArrayType *a, int min_length, int *n_out)
{
	Datum	   *d;
	bool	   *nulls;
	int			n,
				i;
	double	   *x;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("counts must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(a)),
				 errhint("Give the counts of consecutive periods, oldest first.")));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &d, &nulls, &n);
	if (n < min_length)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("counts must have at least %d element%s", min_length, min_length == 1 ? "" : "s"),
				 errdetail("The array has %d.", n),
				 errhint(min_length == 1
						 ? "Give the counts of consecutive periods, oldest first."
						 : "Give the counts of the earlier periods (the baseline) followed by the count of the period tested.")));
	x = palloc(sizeof(double) * n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("counts must not contain nulls"),
					 errdetail("Element %d is null.", i + 1),
					 errhint("Give 0 for a period without events.")));
		x[i] = DatumGetFloat8(d[i]);
		CheckCount(x[i], "counts", i + 1);
	}
	*n_out = n;
	return x;
}

/* ------------------------------------------------------------------- EWMA */

/* s[0] = x[0], s[t] = alpha x[t] + (1 - alpha) s[t-1], written in place. */
static void
warning_ewma_series(double *x, int n, double alpha)
{
	int			t;

	for (t = 1; t < n; t++)
	{
		if ((t % WARNING_INTERRUPT_EVERY) == 0)
			CHECK_FOR_INTERRUPTS();
		x[t] = alpha * x[t] + (1.0 - alpha) * x[t - 1];
	}
}

/* ewma(counts float8[], alpha float8) -> float8[] */
PG_FUNCTION_INFO_V1(warning_ewma);
Datum
warning_ewma(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double	   *x;
	Datum	   *out;
	int			n,
				i;

	CheckAlpha(alpha);
	x = warning_counts(a, 1, &n);
	warning_ewma_series(x, n, alpha);
	out = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		out[i] = Float8GetDatum(x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* --------------------------------------------------------- Poisson tail */

/*
 * stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n), the error of Stirling's
 * formula: directly for small n, by its asymptotic series for larger n.
 */
static double
warning_stirlerr(double n)
{
	double		nn;

	if (n <= 15.0)
		return lgamma(n + 1.0) - (n + 0.5) * log(n) + n - 0.5 * log(2.0 * M_PI);
	nn = n * n;
	/* 1/12n - 1/360n^3 + 1/1260n^5 - 1/1680n^7 + 1/1188n^9 */
	return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - (1.0 / 1188.0) / nn) / nn) / nn) / nn) / n;
}

/*
 * bd0(x, m) = x log(x/m) + m - x >= 0, without the cancellation of the direct
 * formula when x is close to m: with v = (x - m)/(x + m),
 * bd0 = (x - m) v + 2x (v^3/3 + v^5/5 + ...).
 */
static double
warning_bd0(double x, double m)
{
	if (fabs(x - m) < 0.1 * (x + m))
	{
		double		v = (x - m) / (x + m);
		double		s = (x - m) * v;
		double		ej = 2.0 * x * v;
		double		v2 = v * v;
		int			j;

		for (j = 1; j < 1000; j++)
		{
			double		s1;

			ej *= v2;
			s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				return s1;
			s = s1;
		}
		return s;
	}
	return x * log(x / m) + m - x;
}

/* log P(X = k) for X ~ Poisson(lambda), lambda > 0, k >= 0 whole. */
static double
warning_log_pmf(double k, double lambda)
{
	if (k == 0.0)
		return -lambda;
	return -warning_stirlerr(k) - warning_bd0(k, lambda) - 0.5 * log(2.0 * M_PI * k);
}

/* P(X >= k) for X ~ Poisson(lambda); arguments already checked. */
static double
warning_poisson_tail(double k, double lambda)
{
	double		sum,
				term;
	long		n;

	if (k <= 0.0)
		return 1.0;
	if (lambda == 0.0)
		return 0.0;
	if (lambda < k + 1.0)
	{
		/* upper tail from p(k) upwards */
		sum = 1.0;
		term = 1.0;
		for (n = 1;; n++)
		{
			if ((n % WARNING_INTERRUPT_EVERY) == 0)
				CHECK_FOR_INTERRUPTS();
			term *= lambda / (k + (double) n);
			sum += term;
			if (term < sum * WARNING_SUM_EPS)
				break;
		}
		return exp(warning_log_pmf(k, lambda) + log(sum));
	}
	else
	{
		/* lower tail from p(k-1) downwards, a finite sum of k terms */
		double		lower;

		sum = 1.0;
		term = 1.0;
		for (n = 1; (double) n < k; n++)
		{
			if ((n % WARNING_INTERRUPT_EVERY) == 0)
				CHECK_FOR_INTERRUPTS();
			term *= (k - (double) n) / lambda;
			sum += term;
			if (term < sum * WARNING_SUM_EPS)
				break;
		}
		lower = exp(warning_log_pmf(k - 1.0, lambda) + log(sum));
		return lower >= 1.0 ? 0.0 : 1.0 - lower;
	}
}

/* poisson_tail(k float8, lambda float8) -> float8 */
PG_FUNCTION_INFO_V1(warning_poisson_tail_sql);
Datum
warning_poisson_tail_sql(PG_FUNCTION_ARGS)
{
	double		k = PG_GETARG_FLOAT8(0);
	double		lambda = PG_GETARG_FLOAT8(1);

	CheckCount(k, "k", 0);
	CheckLambda(lambda);
	PG_RETURN_FLOAT8(warning_poisson_tail(k, lambda));
}

/* ------------------------------------------------------------------ spike */

/*
 * spike(counts float8[], alpha float8, min_baseline float8,
 *       OUT observed float8, OUT baseline float8, OUT p_value float8)
 */
PG_FUNCTION_INFO_V1(warning_spike);
Datum
warning_spike(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	double		alpha = PG_GETARG_FLOAT8(1);
	double		floor_ = PG_GETARG_FLOAT8(2);
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	double	   *x;
	double		observed,
				baseline;
	int			n;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "spike must be called in a context that accepts a record");
	CheckAlpha(alpha);
	if (isnan(floor_) || isinf(floor_) || floor_ < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_baseline must be a finite number of 0 or more"),
				 errdetail("min_baseline is %g.", floor_),
				 errhint("min_baseline is the smallest expected count per period; 0 leaves the baseline as computed.")));
	x = warning_counts(a, 2, &n);
	observed = x[n - 1];
	warning_ewma_series(x, n - 1, alpha);
	baseline = Max(x[n - 2], floor_);

	values[0] = Float8GetDatum(observed);
	values[1] = Float8GetDatum(baseline);
	values[2] = Float8GetDatum(warning_poisson_tail(observed, baseline));
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
