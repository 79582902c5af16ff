/*
 * evaluate.c
 *	  Numeric functions of supervision-effectiveness evaluation (监管效能评估):
 *	  min-max normalisation by direction, entropy weights, TOPSIS closeness and
 *	  AHP weights with their consistency ratio.
 *
 * A matrix is an ordinary two-dimensional float8 array: one row per evaluated
 * unit (a region, a department), one column per indicator; for AHP, one row
 * and one column per criterion.  Messages name elements by their subscripts as
 * the caller wrote them, so arrays whose lower bounds are not 1 are reported
 * faithfully, and every result keeps the subscripts of the input dimension it
 * belongs to (per row: the row subscripts; per column: the column subscripts).
 *
 * A function raises an error where its formula is undefined (a zero
 * denominator) rather than substituting a value of its own choosing; the
 * cases and the reasons are listed in docs/evaluation.md.
 *
 * SQL objects: sql/evaluation.sql.  Documentation: docs/evaluation.md.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

/*
 * Largest |a_ij * a_ji - 1| accepted as reciprocal, and |a_ii - 1| as a unit
 * diagonal.  Two-digit decimals of Saaty's reciprocals pass (0.33 * 3 = 0.99,
 * 0.14 * 7 = 0.98, 0.17 * 6 = 1.02); every mismatch of two different scale
 * values fails (the closest, 8 against 1/9 or 9 against 1/8, is 11% off).
 */
#define AHP_RECIPROCAL_TOL	0.05

/* Power iteration stops when no weight moves by more than this share of itself. */
#define AHP_RELTOL			1e-12
#define AHP_MAX_ITERATIONS	10000

/* Consistency ratio below which a matrix is acceptable (Saaty). */
#define AHP_CR_LIMIT		0.1

/*
 * Saaty's random index RI(n) for n = 1..15 (index 0 unused).  n = 1..11 as in
 * docs/evaluation.md and the domain notes; n = 12..15 as usually reproduced
 * from Saaty (1980).  Published tables disagree in the second decimal for
 * n >= 12.
 */
#define AHP_RI_MAX			15
static const double ahp_random_index[AHP_RI_MAX + 1] = {
	0.0, 0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51,
	1.48, 1.56, 1.57, 1.59
};

/* A matrix read from a two-dimensional float8 array. */
typedef struct EvalMatrix
{
	const char *name;			/* the SQL argument, for messages */
	int			rows;
	int			cols;
	int			row_lb;			/* subscripts of the first row and column */
	int			col_lb;
	const float8 *v;			/* rows * cols finite values, row-major */
} EvalMatrix;

#define EVAL_AT(m, i, j)	((m)->v[(size_t) (i) * (m)->cols + (j)])

/* ------------------------------------------------------------- reading */

/* Is element k (in storage order) of the array null? */
static inline bool
eval_elem_is_null(ArrayType *a, int k)
{
	bits8	   *bitmap = ARR_NULLBITMAP(a);

	return bitmap != NULL && (bitmap[k / 8] & (1 << (k % 8))) == 0;
}

/*
 * The element storage of an array: ARR_DATA_PTR, written so that it builds
 * under -Wsign-compare (the macro mixes int32 and size_t in one ?:).
 */
static inline char *
eval_data(ArrayType *a)
{
	return (char *) a + (ARR_HASNULL(a) ? (Size) a->dataoffset : ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/* A float8 as float8out writes it (shortest exact form, "NaN", "Infinity"). */
static inline char *
eval_num(float8 v)
{
	return float8out_internal(v);
}

/*
 * Reads a matrix argument: two dimensions, no nulls, every value finite.
 * The values are read in place (the array is not modified).
 */
static void
eval_read_matrix(ArrayType *a, const char *name, EvalMatrix *m)
{
	int			i,
				j;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "%s: expected an array of float8", name);
	if (ARR_NDIM(a) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s is empty", name),
				 errdetail("A matrix needs at least one row and one column."),
				 errhint("Write one inner array per row: ARRAY[[x11, x12], [x21, x22]].")));
	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a two-dimensional array", name),
				 errdetail_plural("%s has %d dimension.", "%s has %d dimensions.",
								  ARR_NDIM(a), name, ARR_NDIM(a)),
				 errhint("Write one inner array per row: ARRAY[[x11, x12], [x21, x22]].")));

	m->name = name;
	m->rows = ARR_DIMS(a)[0];
	m->cols = ARR_DIMS(a)[1];
	m->row_lb = ARR_LBOUND(a)[0];
	m->col_lb = ARR_LBOUND(a)[1];

	if (ARR_HASNULL(a))
	{
		for (i = 0; i < m->rows; i++)
		{
			CHECK_FOR_INTERRUPTS();
			for (j = 0; j < m->cols; j++)
				if (eval_elem_is_null(a, i * m->cols + j))
					ereport(ERROR,
							(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							 errmsg("%s must not contain nulls", name),
							 errdetail("%s[%d][%d] is null.", name, m->row_lb + i, m->col_lb + j),
							 errhint("Every row needs a value in every column: fill in the missing value or leave the row or column out.")));
		}
	}
	m->v = (const float8 *) eval_data(a);

	for (i = 0; i < m->rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < m->cols; j++)
		{
			float8		v = EVAL_AT(m, i, j);

			if (isnan(v) || isinf(v))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s must contain only finite numbers", name),
						 errdetail("%s[%d][%d] is %s.", name, m->row_lb + i, m->col_lb + j, eval_num(v)),
						 errhint("NaN and Infinity have no place in an evaluation: correct or leave out the value.")));
		}
	}
}

/* Each column's smallest and largest value (the matrix has at least one row). */
static void
eval_column_range(const EvalMatrix *m, float8 *lo, float8 *hi)
{
	for (int j = 0; j < m->cols; j++)
		lo[j] = hi[j] = EVAL_AT(m, 0, j);
	for (int i = 1; i < m->rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < m->cols; j++)
		{
			float8		v = EVAL_AT(m, i, j);

			if (v < lo[j])
				lo[j] = v;
			if (v > hi[j])
				hi[j] = v;
		}
	}
}

/* At least min_rows rows (units), for the functions that compare rows. */
static void
eval_require_rows(const EvalMatrix *m, int min_rows, const char *func)
{
	if (m->rows < min_rows)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s needs at least %d rows", func, min_rows),
				 errdetail_plural("%s has %d row; each row is one evaluated unit.",
								  "%s has %d rows; each row is one evaluated unit.",
								  m->rows, m->name, m->rows),
				 errhint("Evaluation compares units with each other, so it needs at least two of them.")));
}

/*
 * Checks that a per-column vector argument is one-dimensional, has one element
 * per column of x and no nulls; returns its lower bound.
 */
static int
eval_check_vector(ArrayType *a, const char *name, Oid elemtype, const EvalMatrix *x,
				  const char *hint)
{
	int			n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	int			lb = ARR_NDIM(a) == 0 ? 1 : ARR_LBOUND(a)[0];
	int			k;

	if (ARR_ELEMTYPE(a) != elemtype)
		elog(ERROR, "%s: unexpected element type %u", name, ARR_ELEMTYPE(a));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name),
				 errdetail("%s has %d dimensions.", name, ARR_NDIM(a)),
				 errhint("%s", hint)));
	if (n != x->cols)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must have one element per column of %s", name, x->name),
				 errdetail("%s has %d element%s but %s has %d column%s.",
						   name, n, n == 1 ? "" : "s", x->name, x->cols, x->cols == 1 ? "" : "s"),
				 errhint("%s", hint)));
	if (ARR_HASNULL(a))
		for (k = 0; k < n; k++)
			if (eval_elem_is_null(a, k))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s must not contain nulls", name),
						 errdetail("%s[%d] is null.", name, lb + k),
						 errhint("%s", hint)));
	return lb;
}

#define BENEFIT_HINT "Element k of benefit is true when a larger value in column k is better (a benefit indicator) and false when a smaller one is (a cost indicator)."

/* The direction of each column. */
static const bool *
eval_read_benefit(ArrayType *a, const EvalMatrix *x)
{
	eval_check_vector(a, "benefit", BOOLOID, x, BENEFIT_HINT);
	return (const bool *) eval_data(a);
}

/*
 * The weight of each column, returned scaled to sum 1.  Weights must be
 * finite, non-negative and not all zero; their sum does not matter.
 */
static float8 *
eval_read_weights(ArrayType *a, const EvalMatrix *x)
{
	const char *hint = "Element k of w is the weight of column k: a finite number, 0 or more; weights need not sum to 1.";
	int			lb = eval_check_vector(a, "w", FLOAT8OID, x, hint);
	const float8 *w = (const float8 *) eval_data(a);
	float8	   *out = palloc(sizeof(float8) * x->cols);
	float8		wmax = 0,
				sum = 0;
	int			k;

	for (k = 0; k < x->cols; k++)
	{
		if (isnan(w[k]) || isinf(w[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("w must contain only finite numbers"),
					 errdetail("w[%d] is %s.", lb + k, eval_num(w[k])),
					 errhint("%s", hint)));
		if (w[k] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("w must not contain negative weights"),
					 errdetail("w[%d] is %s.", lb + k, eval_num(w[k])),
					 errhint("A weight says how much an indicator counts; whether more is better goes in benefit.")));
		if (w[k] > wmax)
			wmax = w[k];
	}
	if (wmax == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("w must have at least one positive weight"),
				 errdetail("Every element of w is 0."),
				 errhint("%s", hint)));
	/* divide by the largest first, so that huge weights cannot overflow the sum */
	for (k = 0; k < x->cols; k++)
	{
		out[k] = w[k] / wmax;
		sum += out[k];
	}
	for (k = 0; k < x->cols; k++)
		out[k] /= sum;
	return out;
}

/* ------------------------------------------------------------- results */

/* A new float8 array without nulls; *data receives its element storage. */
static ArrayType *
eval_new_array(int ndim, const int *dims, const int *lbs, float8 **data)
{
	int			nitems = ArrayGetNItems(ndim, dims);
	Size		size = ARR_OVERHEAD_NONULLS(ndim) + (Size) nitems * sizeof(float8);
	ArrayType  *r = (ArrayType *) palloc0(size);

	SET_VARSIZE(r, size);
	r->ndim = ndim;
	r->dataoffset = 0;
	r->elemtype = FLOAT8OID;
	memcpy(ARR_DIMS(r), dims, sizeof(int) * ndim);
	memcpy(ARR_LBOUND(r), lbs, sizeof(int) * ndim);
	*data = (float8 *) eval_data(r);
	return r;
}

/* A vector with the subscripts of the rows (which = 0) or columns (which = 1) of m. */
static ArrayType *
eval_new_vector(const EvalMatrix *m, int which, float8 **data)
{
	int			dim = which == 0 ? m->rows : m->cols;
	int			lb = which == 0 ? m->row_lb : m->col_lb;

	return eval_new_array(1, &dim, &lb, data);
}

/* ------------------------------------------------- min-max normalisation */

/*
 * normalize_minmax(x float8[][], benefit boolean[]) -> float8[][]
 *
 * Per column j with minimum lo and maximum hi: (x - lo) / (hi - lo) for a
 * benefit column, (hi - x) / (hi - lo) for a cost column, so 1 is always the
 * best value and 0 the worst.  A column with hi = lo is an error.
 */
PG_FUNCTION_INFO_V1(evaluate_normalize_minmax);
Datum
evaluate_normalize_minmax(PG_FUNCTION_ARGS)
{
	EvalMatrix	x;
	const bool *benefit;
	float8	   *lo,
			   *hi,
			   *out;
	int			dims[2],
				lbs[2];
	ArrayType  *result;
	int			i,
				j;

	eval_read_matrix(PG_GETARG_ARRAYTYPE_P(0), "x", &x);
	benefit = eval_read_benefit(PG_GETARG_ARRAYTYPE_P(1), &x);
	eval_require_rows(&x, 2, "normalize_minmax");

	lo = palloc(sizeof(float8) * x.cols);
	hi = palloc(sizeof(float8) * x.cols);
	eval_column_range(&x, lo, hi);
	for (j = 0; j < x.cols; j++)
	{
		if (hi[j] == lo[j])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column %d of x has the same value in every row", x.col_lb + j),
					 errdetail("Every row has %s in column %d, so max - min is 0 and min-max normalisation divides by zero.",
							   eval_num(lo[j]), x.col_lb + j),
					 errhint("Leave the indicator out: it cannot tell the units apart (its entropy weight would be 0).")));
		if (isinf(hi[j] - lo[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the range of column %d of x is too large for type double precision", x.col_lb + j),
					 errdetail("Column %d runs from %s to %s.", x.col_lb + j, eval_num(lo[j]), eval_num(hi[j])),
					 errhint("Rescale the indicator, e.g. to other units.")));
	}

	dims[0] = x.rows;
	dims[1] = x.cols;
	lbs[0] = x.row_lb;
	lbs[1] = x.col_lb;
	result = eval_new_array(2, dims, lbs, &out);
	for (i = 0; i < x.rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < x.cols; j++)
		{
			float8		v = EVAL_AT(&x, i, j);

			out[(size_t) i * x.cols + j] = benefit[j] ? (v - lo[j]) / (hi[j] - lo[j])
				: (hi[j] - v) / (hi[j] - lo[j]);
		}
	}
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ------------------------------------------------------- entropy weights */

/*
 * entropy_weights(x float8[][]) -> float8[]
 *
 * With m rows: p_ij = x_ij / sum_i x_ij, e_j = -(1 / ln m) sum_i p_ij ln p_ij
 * (0 ln 0 = 0), d_j = 1 - e_j, w_j = d_j / sum_k d_k.  A column with the same
 * value in every row has e_j = 1 exactly (d_j = 0), not 1 plus rounding.
 */
PG_FUNCTION_INFO_V1(evaluate_entropy_weights);
Datum
evaluate_entropy_weights(PG_FUNCTION_ARGS)
{
	EvalMatrix	x;
	float8	   *sum,
			   *plogp,
			   *d,
			   *out;
	bool	   *varies;
	float8		dsum = 0,
				k;
	ArrayType  *result;
	int			i,
				j;

	eval_read_matrix(PG_GETARG_ARRAYTYPE_P(0), "x", &x);
	eval_require_rows(&x, 2, "entropy_weights");

	sum = palloc0(sizeof(float8) * x.cols);
	plogp = palloc0(sizeof(float8) * x.cols);
	d = palloc(sizeof(float8) * x.cols);
	varies = palloc0(sizeof(bool) * x.cols);

	for (i = 0; i < x.rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < x.cols; j++)
		{
			float8		v = EVAL_AT(&x, i, j);

			if (v < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("x must not contain negative values"),
						 errdetail("x[%d][%d] is %s.", x.row_lb + i, x.col_lb + j, eval_num(v)),
						 errhint("Entropy weights read each column as shares of its total: normalise first, e.g. entropy_weights(normalize_minmax(x, benefit)).")));
			sum[j] += v;
			if (v != EVAL_AT(&x, 0, j))
				varies[j] = true;
		}
	}
	for (j = 0; j < x.cols; j++)
	{
		if (sum[j] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column %d of x is 0 in every row", x.col_lb + j),
					 errdetail("The shares p_ij = x_ij / sum_i x_ij of column %d are 0/0.", x.col_lb + j),
					 errhint("Leave the indicator out: it cannot tell the units apart.")));
		if (isinf(sum[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the sum of column %d of x is too large for type double precision", x.col_lb + j),
					 errhint("Normalise first, e.g. entropy_weights(normalize_minmax(x, benefit)).")));
	}

	for (i = 0; i < x.rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < x.cols; j++)
		{
			float8		v = EVAL_AT(&x, i, j);

			if (v > 0)
			{
				float8		p = v / sum[j];

				plogp[j] += p * log(p);
			}
		}
	}

	k = 1.0 / log((float8) x.rows);
	for (j = 0; j < x.cols; j++)
	{
		float8		e = -k * plogp[j];

		/* 0 <= e <= 1 in exact arithmetic; keep rounding from leaving it */
		d[j] = varies[j] ? 1.0 - e : 0.0;
		if (d[j] < 0)
			d[j] = 0;
		if (d[j] > 1)
			d[j] = 1;
		dsum += d[j];
	}
	if (dsum == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no column of x tells the units apart"),
				 errdetail("Every column has the same value in every row, so every entropy is 1 and the weights are 0/0."),
				 errhint("An evaluation needs at least one indicator on which the units differ.")));

	result = eval_new_vector(&x, 1, &out);
	for (j = 0; j < x.cols; j++)
		out[j] = d[j] / dsum;
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ---------------------------------------------------------------- TOPSIS */

/*
 * topsis(x float8[][], w float8[], benefit boolean[]) -> float8[]
 *
 * r_ij = x_ij / sqrt(sum_i x_ij^2), v_ij = w_j r_ij (weights applied before
 * the distance); ideal v+_j = the best v_ij of column j by direction, anti-ideal
 * v-_j = the worst; D+_i, D-_i Euclidean distances to them; C_i = D-/(D+ + D-).
 *
 * Since w_j / norm_j > 0 scales a column without reordering it, the ideal and
 * anti-ideal come from the column's maximum and minimum of x: v is never
 * stored.  Scaling every weight by the same factor scales every distance by
 * it and leaves C unchanged, so w is used scaled to sum 1.
 */
PG_FUNCTION_INFO_V1(evaluate_topsis);
Datum
evaluate_topsis(PG_FUNCTION_ARGS)
{
	EvalMatrix	x;
	float8	   *w;
	const bool *benefit;
	float8	   *lo,
			   *hi,
			   *maxabs,
			   *sq,
			   *scale,
			   *ideal,
			   *anti,
			   *out;
	ArrayType  *result;
	int			i,
				j;

	eval_read_matrix(PG_GETARG_ARRAYTYPE_P(0), "x", &x);
	w = eval_read_weights(PG_GETARG_ARRAYTYPE_P(1), &x);
	benefit = eval_read_benefit(PG_GETARG_ARRAYTYPE_P(2), &x);
	eval_require_rows(&x, 2, "topsis");

	lo = palloc(sizeof(float8) * x.cols);
	hi = palloc(sizeof(float8) * x.cols);
	maxabs = palloc(sizeof(float8) * x.cols);
	sq = palloc0(sizeof(float8) * x.cols);
	scale = palloc(sizeof(float8) * x.cols);
	ideal = palloc(sizeof(float8) * x.cols);
	anti = palloc(sizeof(float8) * x.cols);

	eval_column_range(&x, lo, hi);
	for (j = 0; j < x.cols; j++)
		maxabs[j] = Max(fabs(lo[j]), fabs(hi[j]));
	for (j = 0; j < x.cols; j++)
		if (maxabs[j] == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column %d of x is 0 in every row", x.col_lb + j),
					 errdetail("Vector normalisation divides column %d by its Euclidean norm, which is 0.", x.col_lb + j),
					 errhint("Leave the indicator out: it cannot tell the units apart.")));

	/* Euclidean norms, computed on x / maxabs so that squares cannot overflow */
	for (i = 0; i < x.rows; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < x.cols; j++)
		{
			float8		r = EVAL_AT(&x, i, j) / maxabs[j];

			sq[j] += r * r;
		}
	}
	for (j = 0; j < x.cols; j++)
	{
		/* v_ij = scale_j * (x_ij / maxabs_j) = w_j * x_ij / norm_j */
		scale[j] = w[j] / sqrt(sq[j]);
		ideal[j] = scale[j] * ((benefit[j] ? hi[j] : lo[j]) / maxabs[j]);
		anti[j] = scale[j] * ((benefit[j] ? lo[j] : hi[j]) / maxabs[j]);
	}

	result = eval_new_vector(&x, 0, &out);
	for (i = 0; i < x.rows; i++)
	{
		float8		dplus = 0,
					dminus = 0;

		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < x.cols; j++)
		{
			float8		v = scale[j] * (EVAL_AT(&x, i, j) / maxabs[j]);

			dplus += (v - ideal[j]) * (v - ideal[j]);
			dminus += (v - anti[j]) * (v - anti[j]);
		}
		dplus = sqrt(dplus);
		dminus = sqrt(dminus);
		if (dplus + dminus == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("topsis cannot rank the rows of x"),
					 errdetail("Row %d is at distance 0 from both the ideal and the anti-ideal solution, as is every row: no column with a positive weight has different values in different rows.",
							   x.row_lb + i),
					 errhint("An evaluation needs at least one indicator with a positive weight on which the units differ.")));
		out[i] = dminus / (dplus + dminus);
	}
	PG_RETURN_ARRAYTYPE_P(result);
}

/* ------------------------------------------------------------------- AHP */

static void ahp_out_of_range(void) pg_attribute_noreturn();

static void
ahp_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("the values in pairwise are too far apart for type double precision"),
			 errhint("Judgements are ratios on Saaty's scale 1/9 .. 9.")));
}

/*
 * ahp_weights(pairwise float8[][], strict boolean,
 *             OUT weights float8[], OUT lambda_max float8, OUT ci float8,
 *             OUT cr float8, OUT consistent boolean)
 *
 * pairwise[i][j] says how much more important criterion i is than j.  The
 * matrix must be square, positive, with 1 on the diagonal and reciprocal
 * within AHP_RECIPROCAL_TOL.  Of each pair, the larger entry is used as given
 * and the smaller one as its exact reciprocal, so 0.33 typed for 1/3 does not
 * disturb the result.
 *
 * weights: the principal (Perron) eigenvector, sum 1, by power iteration
 * started from the normalised row geometric means (exact for a consistent
 * matrix).  lambda_max = sum_i (A w)_i, CI = (lambda_max - n) / (n - 1),
 * CR = CI / RI(n); n <= 2 is always consistent (lambda_max = n, CI = CR = 0);
 * for n > 15 CR and consistent are null, RI being unknown.
 */
PG_FUNCTION_INFO_V1(evaluate_ahp_weights);
Datum
evaluate_ahp_weights(PG_FUNCTION_ARGS)
{
	EvalMatrix	a;
	bool		strict = PG_GETARG_BOOL(1);
	int			n,
				i,
				j,
				iter;
	float8	   *m,
			   *w,
			   *y,
			   *out;
	float8		lambda = 0,
				ci,
				cr = 0,
				gsum = 0;
	bool		cr_known;
	ArrayType  *weights;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ahp_weights: return type must be a row type");

	eval_read_matrix(PG_GETARG_ARRAYTYPE_P(0), "pairwise", &a);
	if (a.rows != a.cols)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("pairwise must be a square matrix"),
				 errdetail("pairwise has %d rows and %d columns.", a.rows, a.cols),
				 errhint("pairwise[i][j] says how much more important criterion i is than criterion j: one row and one column per criterion.")));
	n = a.rows;

	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < n; j++)
			if (EVAL_AT(&a, i, j) <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pairwise must contain only positive values"),
						 errdetail("pairwise[%d][%d] is %s.", a.row_lb + i, a.col_lb + j,
								   eval_num(EVAL_AT(&a, i, j))),
						 errhint("Judgements are ratios on Saaty's scale 1/9 .. 9: 1 equal, 3 moderate, 5 strong, 7 very strong, 9 extreme importance.")));
	}
	for (i = 0; i < n; i++)
		if (fabs(EVAL_AT(&a, i, i) - 1) > AHP_RECIPROCAL_TOL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the diagonal of pairwise must be 1"),
					 errdetail("pairwise[%d][%d] is %s.", a.row_lb + i, a.col_lb + i,
							   eval_num(EVAL_AT(&a, i, i))),
					 errhint("Every criterion is as important as itself.")));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (j = i + 1; j < n; j++)
		{
			float8		aij = EVAL_AT(&a, i, j),
						aji = EVAL_AT(&a, j, i);

			if (!(fabs(aij * aji - 1) <= AHP_RECIPROCAL_TOL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pairwise is not reciprocal"),
						 errdetail("pairwise[%d][%d] is %s, so pairwise[%d][%d] must be its reciprocal %.6g, but it is %s.",
								   a.row_lb + i, a.col_lb + j, eval_num(aij),
								   a.row_lb + j, a.col_lb + i, 1.0 / aij, eval_num(aji)),
						 errhint("pairwise[j][i] must be 1/pairwise[i][j]; a value within 5%% of it (such as 0.33 for 1/3) is accepted, and the smaller entry of the pair is then used as the exact reciprocal of the larger.")));
		}
	}

	/*
	 * The matrix used: of each pair, the entry of 1 or more is the judgement
	 * (people type 3, not 0.333...) and the other its exact reciprocal.
	 */
	m = palloc(sizeof(float8) * n * n);
	for (i = 0; i < n; i++)
	{
		m[(size_t) i * n + i] = 1.0;
		for (j = i + 1; j < n; j++)
		{
			float8		aij = EVAL_AT(&a, i, j),
						aji = EVAL_AT(&a, j, i);

			if (aij >= aji)
			{
				m[(size_t) i * n + j] = aij;
				m[(size_t) j * n + i] = 1.0 / aij;
			}
			else
			{
				m[(size_t) i * n + j] = 1.0 / aji;
				m[(size_t) j * n + i] = aji;
			}
		}
	}

	/* start: row geometric means, through logarithms so products cannot overflow */
	w = palloc(sizeof(float8) * n);
	y = palloc(sizeof(float8) * n);
	for (i = 0; i < n; i++)
	{
		float8		s = 0;

		for (j = 0; j < n; j++)
			s += log(m[(size_t) i * n + j]);
		w[i] = exp(s / n);
		gsum += w[i];
	}
	if (!isfinite(gsum))
		ahp_out_of_range();
	for (i = 0; i < n; i++)
		w[i] /= gsum;

	for (iter = 0;; iter++)
	{
		bool		converged = true;

		CHECK_FOR_INTERRUPTS();
		lambda = 0;
		for (i = 0; i < n; i++)
		{
			float8		s = 0;

			for (j = 0; j < n; j++)
				s += m[(size_t) i * n + j] * w[j];
			y[i] = s;
			lambda += s;
		}
		/* with sum(w) = 1, sum(A w) -> lambda_max as w -> the eigenvector */
		if (!isfinite(lambda))
			ahp_out_of_range();
		for (i = 0; i < n; i++)
		{
			float8		next = y[i] / lambda;

			if (fabs(next - w[i]) > AHP_RELTOL * next)
				converged = false;
			w[i] = next;
		}
		if (converged)
			break;
		if (iter >= AHP_MAX_ITERATIONS)
			elog(ERROR, "ahp_weights: power iteration did not converge in %d iterations", AHP_MAX_ITERATIONS);
	}

	if (n <= 2)
	{
		/* every positive reciprocal matrix of order 1 or 2 is consistent */
		lambda = n;
		ci = 0;
		cr = 0;
		cr_known = true;
	}
	else
	{
		/* lambda_max >= n in exact arithmetic; do not let rounding say otherwise */
		if (lambda < n)
			lambda = n;
		ci = (lambda - n) / (n - 1);
		cr_known = n <= AHP_RI_MAX;
		if (cr_known)
			cr = ci / ahp_random_index[n];
	}

	if (strict && !cr_known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the consistency ratio of a %d x %d matrix is not defined", n, n),
				 errdetail("Saaty's random index RI(n) is tabulated for n = 1 .. %d only.", AHP_RI_MAX),
				 errhint("Group the criteria into a hierarchy with at most %d per matrix (Saaty recommends at most 9), or call ahp_weights with strict => false.",
						 AHP_RI_MAX)));
	if (strict && cr >= AHP_CR_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pairwise comparisons are not consistent enough"),
				 errdetail("The consistency ratio CR = %.4f is not below %.1f (lambda_max = %.4f, CI = %.4f, RI(%d) = %.2f).",
						   cr, AHP_CR_LIMIT, lambda, ci, n, ahp_random_index[n]),
				 errhint("Revise the judgements, or call ahp_weights with strict => false to see the weights and the consistency ratio.")));

	weights = eval_new_vector(&a, 0, &out);
	memcpy(out, w, sizeof(float8) * n);

	values[0] = PointerGetDatum(weights);
	values[1] = Float8GetDatum(lambda);
	values[2] = Float8GetDatum(ci);
	if (cr_known)
	{
		values[3] = Float8GetDatum(cr);
		values[4] = BoolGetDatum(cr < AHP_CR_LIMIT);
	}
	else
	{
		values[3] = values[4] = (Datum) 0;
		nulls[3] = nulls[4] = true;
	}
	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
