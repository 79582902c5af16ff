/*
 * risk.c: credit-risk scoring of every subject in one pass.
 *
 * A model (sql/risk.sql) is a tree of indicators whose leaves read raw values
 * per subject from a source query.  For subject i and leaf l:
 *
 *   t(i,l)  = transform_l(raw value, or the leaf's missing value)   in [0, 1]
 *             (1 - that when the leaf is protective)
 *   score_i = 100 * sum_l w_l * t(i,l)                              in [0, 100]
 *
 * where w_l is the leaf's effective weight (product of its weight shares
 * among siblings at the three levels, view risk_leaf_weight; they add up to
 * 1).  Classes come from thresholds on the score or from quantiles of the
 * scores; forced rules then override them; the three largest w_l * t(i,l)
 * are kept as the reasons.
 *
 *   risk_transform(value, transform, direction)   one value (for SQL and tests)
 *   risk_compute(model, as_of)                     every subject (SRF)
 *
 * Each source query is run once, its rows handed to the scoring as they come
 * (sv_stream, so the planner may run it with parallel workers).  A subject's score
 * is accumulated leaf by leaf and its three largest contributions are kept as
 * it goes, so memory is about 50 bytes per subject whatever the number of
 * indicators.  Subjects are found by their position in the sorted population
 * (a direct table over the id range when it is dense enough, binary search
 * otherwise).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "stream.h"

#define RISK_MAX_BINS	100
#define RISK_TOP		3

/* ------------------------------------------------------------ transforms */

typedef enum RiskTransformKind
{
	RT_CLAMP,					/* no transform: min(max(v, 0), 1) */
	RT_FLAG,					/* v > 0 */
	RT_CAP,						/* min(max(v, 0), c) / c */
	RT_LOGCAP,					/* ln(1 + min(max(v, 0), c)) / ln(1 + c) */
	RT_BINS						/* share of bin edges <= v */
} RiskTransformKind;

typedef struct RiskTransform
{
	RiskTransformKind kind;
	bool		protective;
	double		cap;
	int			nbins;
	double		bins[RISK_MAX_BINS];
} RiskTransform;

static double
risk_apply(const RiskTransform *t, double v)
{
	double		r;

	switch (t->kind)
	{
		case RT_FLAG:
			r = v > 0 ? 1.0 : 0.0;
			break;
		case RT_CAP:
			r = Min(Max(v, 0.0), t->cap) / t->cap;
			break;
		case RT_LOGCAP:
			r = log1p(Min(Max(v, 0.0), t->cap)) / log1p(t->cap);
			break;
		case RT_BINS:
			{
				int			k = 0;

				while (k < t->nbins && t->bins[k] <= v)
					k++;
				r = (double) k / t->nbins;
				break;
			}
		default:
			r = Min(Max(v, 0.0), 1.0);
			break;
	}
	return t->protective ? 1.0 - r : r;
}

static JsonbValue *
risk_jb_get(Jsonb *jb, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
}

static double
risk_jb_number(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

#define RISK_TRANSFORM_HINT \
	"Use {\"flag\": true}, {\"cap\": c} with c > 0, {\"cap\": c, \"log\": true}, or {\"bins\": [ascending numbers]}."

static void
risk_bad_transform(const char *what, Jsonb *jb, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("transform of %s is not valid: %s", what, why),
			 errdetail("It is %s.", JsonbToCString(NULL, &jb->root, VARSIZE(jb))),
			 errhint(RISK_TRANSFORM_HINT)));
}

/* Reads a transform (NULL: none) and a direction into t; errors name "what". */
static void
risk_parse_transform(Jsonb *jb, const char *direction, const char *what, RiskTransform *t)
{
	JsonbValue *v;
	int			nkeys;

	memset(t, 0, sizeof(RiskTransform));
	if (direction != NULL && strcmp(direction, "protective") == 0)
		t->protective = true;
	else if (direction != NULL && strcmp(direction, "risk") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("direction of %s must be \"risk\" or \"protective\", not \"%s\"", what, direction)));
	t->kind = RT_CLAMP;
	if (jb == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(jb))
		risk_bad_transform(what, jb, "not a JSON object");
	nkeys = JB_ROOT_COUNT(jb);

	if ((v = risk_jb_get(jb, "flag")) != NULL)
	{
		if (v->type != jbvBool || !v->val.boolean || nkeys != 1)
			risk_bad_transform(what, jb, "flag takes only {\"flag\": true}");
		t->kind = RT_FLAG;
	}
	else if ((v = risk_jb_get(jb, "bins")) != NULL)
	{
		JsonbIterator *it;
		JsonbValue	e;
		JsonbIteratorToken tok;

		if (nkeys != 1 || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
			risk_bad_transform(what, jb, "bins takes only {\"bins\": [numbers]}");
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (e.type != jbvNumeric)
				risk_bad_transform(what, jb, "bin edges must be numbers");
			if (t->nbins >= RISK_MAX_BINS)
				risk_bad_transform(what, jb, "at most 100 bin edges");
			t->bins[t->nbins] = risk_jb_number(&e);
			if (t->nbins > 0 && !(t->bins[t->nbins] > t->bins[t->nbins - 1]))
				risk_bad_transform(what, jb, "bin edges must ascend");
			t->nbins++;
		}
		if (t->nbins == 0)
			risk_bad_transform(what, jb, "no bin edges");
		t->kind = RT_BINS;
	}
	else if ((v = risk_jb_get(jb, "cap")) != NULL)
	{
		JsonbValue *lg = risk_jb_get(jb, "log");

		if (v->type != jbvNumeric)
			risk_bad_transform(what, jb, "cap must be a number");
		t->cap = risk_jb_number(v);
		if (!(t->cap > 0) || isinf(t->cap))
			risk_bad_transform(what, jb, "cap must be a positive number");
		if (nkeys != (lg != NULL ? 2 : 1))
			risk_bad_transform(what, jb, "cap takes only \"cap\" and \"log\"");
		if (lg != NULL && (lg->type != jbvBool || !lg->val.boolean))
			risk_bad_transform(what, jb, "log must be true when given");
		t->kind = lg != NULL ? RT_LOGCAP : RT_CAP;
	}
	else
		risk_bad_transform(what, jb, "unknown kind of transform");
}

PG_FUNCTION_INFO_V1(risk_transform);
Datum
risk_transform(PG_FUNCTION_ARGS)
{
	RiskTransform t;
	double		v;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	v = PG_GETARG_FLOAT8(0);
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a risk value cannot be NaN")));
	risk_parse_transform(PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1),
						 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
						 "the risk value", &t);
	PG_RETURN_FLOAT8(risk_apply(&t, v));
}

/* ------------------------------------------------------------ the model */

typedef struct RiskLeaf
{
	char	   *code;
	char	   *source;
	char	   *query;
	double		weight;
	double		missing;
	RiskTransform tr;
} RiskLeaf;

/* What is kept per subject while leaves are read. */
typedef struct RiskAcc
{
	double		score;			/* sum of weight * t so far */
	float8		pts[RISK_TOP];	/* largest contributions (points), descending */
	int16		top[RISK_TOP];			/* their leaves */
	int16		ntop;
	int16		forced;			/* winning forced rule, or -1 */
} RiskAcc;

/* Adds leaf l's share t to a subject. */
static inline void
risk_add(RiskAcc *a, int l, double weight, double t)
{
	double		p = 100.0 * weight * t;
	int			k;

	a->score += weight * t;
	if (!(p > 1e-9))
		return;
	if (a->ntop == RISK_TOP && p <= a->pts[RISK_TOP - 1])
		return;					/* ties keep the earlier code */
	k = a->ntop < RISK_TOP ? a->ntop++ : RISK_TOP - 1;
	while (k > 0 && a->pts[k - 1] < p)
	{
		a->pts[k] = a->pts[k - 1];
		a->top[k] = a->top[k - 1];
		k--;
	}
	a->pts[k] = p;
	a->top[k] = (int16) l;
}

typedef struct RiskRule
{
	char	   *code;
	char	   *source;
	char	   *query;
	char		cls;
} RiskRule;

typedef struct RiskPopulation
{
	int64	   *ids;			/* ascending */
	int			n;
	int32	   *direct;			/* id - min -> position, or -1; NULL: binary search */
	int64		min;
	int64		span;
} RiskPopulation;

static int
risk_position(const RiskPopulation *p, int64 id)
{
	if (p->n == 0)
		return -1;
	if (p->direct != NULL)
	{
		if (id < p->min || id - p->min >= p->span)
			return -1;
		return p->direct[id - p->min];
	}
	else
	{
		int			lo = 0,
					hi = p->n - 1;

		while (lo <= hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (p->ids[mid] == id)
				return mid;
			if (p->ids[mid] < id)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		return -1;
	}
}

static char *
risk_getstr(HeapTuple tup, TupleDesc desc, int col)
{
	char	   *s = SPI_getvalue(tup, desc, col);

	return s;
}

static double
risk_getfloat(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, col, isnull);

	return *isnull ? 0.0 : DatumGetFloat8(d);
}

/* Error context: which source query failed. */
typedef struct RiskSourceContext
{
	const char *what;
	const char *code;
	const char *source;
} RiskSourceContext;

static void
risk_source_callback(void *arg)
{
	RiskSourceContext *c = (RiskSourceContext *) arg;

	errcontext("risk source \"%s\" of %s %s", c->source, c->what, c->code);
}

/*
 * Runs a source query for the as-of date; calls back with each row's
 * position in the population and value (NaN for NULL).  Subjects outside the
 * population (merged, or unknown ids) are skipped.
 */
typedef void (*RiskRowFn) (void *arg, int pos, int64 id, double value);

typedef struct RiskSourceRead
{
	const RiskPopulation *pop;
	const char *source;
	RiskRowFn	fn;
	void	   *arg;
} RiskSourceRead;

static void
risk_source_slot(TupleTableSlot *slot, void *arg)
{
	RiskSourceRead *s = (RiskSourceRead *) arg;
	bool		isnull;
	int64		id;
	double		v;
	int			pos;
	Datum		d;

	d = slot_getattr(slot, 1, &isnull);
	if (isnull)
		return;
	id = DatumGetInt64(d);
	pos = risk_position(s->pop, id);
	if (pos < 0)
		return;
	d = slot_getattr(slot, 2, &isnull);
	if (isnull)
		v = NAN;
	else
	{
		v = DatumGetFloat8(d);
		if (isnan(v) || isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("risk source \"%s\" returned %s for subject " INT64_FORMAT, s->source,
							isnan(v) ? "NaN" : "an infinite value", id),
					 errhint("A source returns finite numbers, or NULL for no value.")));
	}
	s->fn(s->arg, pos, id, v);
}

static void
risk_read_source(const RiskPopulation *pop, const char *query, DateADT as_of,
				 const char *what, const char *code, const char *source,
				 RiskRowFn fn, void *arg)
{
	StringInfoData q;
	Oid			argtypes[1] = {DATEOID};
	Datum		values[1];
	ErrorContextCallback cb;
	RiskSourceContext ctx = {what, code, source};
	RiskSourceRead read = {pop, source, fn, arg};

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT q.subject_id::bigint, q.value::float8 FROM (%s\n) q", query);
	values[0] = DateADTGetDatum(as_of);

	cb.callback = risk_source_callback;
	cb.arg = &ctx;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	sv_stream(q.data, 1, argtypes, values, NULL, risk_source_slot, &read);
	error_context_stack = cb.previous;
	pfree(q.data);
}

/* The population, read in id order into a growing array. */
typedef struct RiskPopulationRead
{
	RiskPopulation *pop;
	int			cap;
} RiskPopulationRead;

static void
risk_population_slot(TupleTableSlot *slot, void *arg)
{
	RiskPopulationRead *r = (RiskPopulationRead *) arg;
	bool		isnull;
	Datum		d = slot_getattr(slot, 1, &isnull);

	if (r->pop->n == r->cap)
	{
		if (r->cap >= (INT_MAX - 1) / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("risk_compute scores at most %d subjects in one run", r->cap)));
		r->cap *= 2;
		r->pop->ids = repalloc_huge(r->pop->ids, sizeof(int64) * r->cap);
	}
	r->pop->ids[r->pop->n++] = DatumGetInt64(d);
}

typedef struct RiskLeafFill
{
	RiskLeaf   *leaf;
	int			index;
	RiskAcc    *acc;
	uint8	   *seen;
} RiskLeafFill;

static void
risk_leaf_row(void *arg, int pos, int64 id, double v)
{
	RiskLeafFill *f = (RiskLeafFill *) arg;

	if (f->seen[pos >> 3] & (1 << (pos & 7)))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("risk source \"%s\" returned subject " INT64_FORMAT " more than once", f->leaf->source, id),
				 errhint("A source returns at most one row per subject: aggregate with GROUP BY subject_id.")));
	f->seen[pos >> 3] |= 1 << (pos & 7);
	risk_add(&f->acc[pos], f->index, f->leaf->weight, risk_apply(&f->leaf->tr, isnan(v) ? f->leaf->missing : v));
}

typedef struct RiskRuleFill
{
	RiskAcc    *acc;
	int			rule;
} RiskRuleFill;

static void
risk_rule_row(void *arg, int pos, int64 id, double v)
{
	RiskRuleFill *f = (RiskRuleFill *) arg;

	(void) id;
	if (!isnan(v) && v > 0 && f->acc[pos].forced < 0)
		f->acc[pos].forced = (int16) f->rule;
}

/* For quantile classes: positions ordered by score. */
static const RiskAcc *risk_sort_acc;

static int
risk_cmp_pos(const void *a, const void *b)
{
	double		x = risk_sort_acc[*(const int32 *) a].score;
	double		y = risk_sort_acc[*(const int32 *) b].score;

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return (*(const int32 *) a > *(const int32 *) b) - (*(const int32 *) a < *(const int32 *) b);
}

static char
risk_class_of(double x, const double cuts[3])
{
	if (x < cuts[0])
		return 'A';
	if (x < cuts[1])
		return 'B';
	if (x < cuts[2])
		return 'C';
	return 'D';
}

/*
 * risk_compute(model bigint, as_of date) RETURNS TABLE (subject_id bigint,
 *     score float8, score_class char(1), class char(1), forced_by text,
 *     top_codes text[], top_points float8[])
 */
PG_FUNCTION_INFO_V1(risk_compute);
Datum
risk_compute(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		model_id;
	DateADT		as_of;
	MemoryContext work,
				rowcxt,
				old;
	RiskPopulation pop;
	RiskLeaf   *leaves;
	int			nleaves;
	int64		declared;
	RiskRule   *rules;
	int			nrules;
	double		cuts[3];
	bool		quantile;
	RiskAcc    *acc;
	char	   *cls;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	int			ret;
	Datum		class_datum[4];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("risk_compute needs a model and an as-of date")));
	model_id = PG_GETARG_INT64(0);
	as_of = PG_GETARG_DATEADT(1);
	if (DATE_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the as-of date of a risk run must be a finite date")));

	InitMaterializedSRF(fcinfo, 0);
	work = AllocSetContextCreate(CurrentMemoryContext, "risk_compute", ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "risk_compute row", ALLOCSET_SMALL_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	args[0] = Int64GetDatum(model_id);

	/* the model */
	ret = SPI_execute_with_args("SELECT class_method, (class_cuts->>'A')::float8, (class_cuts->>'B')::float8,"
								" (class_cuts->>'C')::float8 FROM supervision.risk_model WHERE id = $1",
								1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the risk model failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("risk model " INT64_FORMAT " does not exist", model_id)));
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *method = risk_getstr(tup, desc, 1);

		quantile = strcmp(method, "quantile") == 0;
		for (int i = 0; i < 3; i++)
		{
			cuts[i] = risk_getfloat(tup, desc, i + 2, &isnull);
			if (isnull || isnan(cuts[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("class_cuts of risk model " INT64_FORMAT " must give numbers for A, B and C", model_id)));
		}
		if (!(cuts[0] >= 0 && cuts[0] <= cuts[1] && cuts[1] <= cuts[2] && cuts[2] <= (quantile ? 1.0 : 100.0)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("class_cuts of risk model " INT64_FORMAT " must ascend within %s", model_id,
							quantile ? "0 .. 1 (shares)" : "0 .. 100 (scores)")));
	}

	/* the leaves, with their effective weights (a leaf without parents has none) */
	ret = SPI_execute_with_args("SELECT count(*) FROM supervision.risk_indicator WHERE model_id = $1 AND source IS NOT NULL",
								1, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "counting the risk indicators failed");
	{
		bool		isnull;

		declared = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	ret = SPI_execute_with_args("SELECT l.code, l.source, s.query, l.weight, l.missing, l.transform, l.direction"
								" FROM supervision.risk_leaf_weight l JOIN supervision.risk_source s ON s.code = l.source"
								" WHERE l.model_id = $1 ORDER BY l.code",
								1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the risk indicators failed");
	nleaves = (int) SPI_processed;
	if (declared != nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("risk model " INT64_FORMAT " has leaves without their parents", model_id),
				 errhint("Check the model with supervision.risk_model_check.")));
	if (nleaves == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("risk model " INT64_FORMAT " has no indicators", model_id),
				 errhint("Leaves are five-character codes (A0101) with a source.")));
	old = MemoryContextSwitchTo(work);
	leaves = palloc0(sizeof(RiskLeaf) * nleaves);
	for (int l = 0; l < nleaves; l++)
	{
		HeapTuple	tup = SPI_tuptable->vals[l];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		tr;
		char	   *what;

		leaves[l].code = risk_getstr(tup, desc, 1);
		leaves[l].source = risk_getstr(tup, desc, 2);
		leaves[l].query = risk_getstr(tup, desc, 3);
		leaves[l].weight = risk_getfloat(tup, desc, 4, &isnull);
		if (isnull || isnan(leaves[l].weight))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator %s of risk model " INT64_FORMAT " has no effective weight", leaves[l].code, model_id),
					 errdetail("Its siblings, or those of a parent, all weigh 0, or a parent is missing."),
					 errhint("Check the model with supervision.risk_model_check.")));
		leaves[l].missing = risk_getfloat(tup, desc, 5, &isnull);
		tr = SPI_getbinval(tup, desc, 6, &isnull);
		what = psprintf("indicator %s", leaves[l].code);
		risk_parse_transform(isnull ? NULL : DatumGetJsonbP(tr), risk_getstr(tup, desc, 7), what, &leaves[l].tr);
	}

	/* the forced rules, the winning one first */
	MemoryContextSwitchTo(old);
	ret = SPI_execute_with_args("SELECT f.code, f.source, s.query, f.class FROM supervision.risk_forced_rule f"
								" JOIN supervision.risk_source s ON s.code = f.source"
								" WHERE f.model_id = $1 ORDER BY f.priority, f.class DESC, f.code",
								1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the forced rules failed");
	nrules = (int) SPI_processed;
	MemoryContextSwitchTo(work);
	rules = palloc0(sizeof(RiskRule) * Max(nrules, 1));
	for (int r = 0; r < nrules; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		rules[r].code = risk_getstr(tup, desc, 1);
		rules[r].source = risk_getstr(tup, desc, 2);
		rules[r].query = risk_getstr(tup, desc, 3);
		rules[r].cls = risk_getstr(tup, desc, 4)[0];
	}
	MemoryContextSwitchTo(old);

	/* the population: subjects not merged into another */
	{
		RiskPopulationRead read = {&pop, 1024};

		pop.ids = MemoryContextAllocHuge(work, sizeof(int64) * read.cap);
		pop.n = 0;
		sv_stream("SELECT id FROM supervision.subject WHERE merged_into IS NULL ORDER BY id",
				  0, NULL, NULL, NULL, risk_population_slot, &read);
		pop.direct = NULL;
		if (pop.n > 0)
		{
			pop.min = pop.ids[0];
			pop.span = pop.ids[pop.n - 1] - pop.min + 1;
			if (pop.span <= (int64) pop.n * 4 + 1024)
			{
				pop.direct = MemoryContextAllocHuge(work, sizeof(int32) * pop.span);
				memset(pop.direct, 0xff, sizeof(int32) * pop.span);
				for (int i = 0; i < pop.n; i++)
					pop.direct[pop.ids[i] - pop.min] = i;
			}
		}
	}

	/* each leaf's values, read once, added to every subject's score */
	acc = MemoryContextAllocHuge(work, sizeof(RiskAcc) * Max(pop.n, 1));
	for (int i = 0; i < pop.n; i++)
	{
		acc[i].score = 0;
		acc[i].ntop = 0;
		acc[i].forced = -1;
	}
	{
		uint8	   *seen = MemoryContextAllocHuge(work, pop.n / 8 + 1);

		for (int l = 0; l < nleaves; l++)
		{
			RiskLeafFill fill;
			double		dflt = risk_apply(&leaves[l].tr, leaves[l].missing);

			memset(seen, 0, pop.n / 8 + 1);
			fill.leaf = &leaves[l];
			fill.index = l;
			fill.acc = acc;
			fill.seen = seen;
			risk_read_source(&pop, leaves[l].query, as_of, "indicator", leaves[l].code, leaves[l].source,
							 risk_leaf_row, &fill);
			/* subjects the source did not return take the missing value */
			for (int i = 0; i < pop.n; i++)
				if (!(seen[i >> 3] & (1 << (i & 7))))
					risk_add(&acc[i], l, leaves[l].weight, dflt);
			CHECK_FOR_INTERRUPTS();
		}
	}

	/* forced classes */
	for (int r = 0; r < nrules; r++)
	{
		RiskRuleFill fill = {acc, r};

		risk_read_source(&pop, rules[r].query, as_of, "forced rule", rules[r].code, rules[r].source,
						 risk_rule_row, &fill);
	}

	/* scores on the 0 .. 100 scale, classes by score */
	cls = MemoryContextAllocHuge(work, Max(pop.n, 1));
	for (int i = 0; i < pop.n; i++)
		acc[i].score = Min(Max(100.0 * acc[i].score, 0.0), 100.0);
	if (!quantile)
	{
		for (int i = 0; i < pop.n; i++)
			cls[i] = risk_class_of(acc[i].score, cuts);
	}
	else if (pop.n > 0)
	{
		int32	   *order = MemoryContextAllocHuge(work, sizeof(int32) * pop.n);
		int			first = 0;

		for (int i = 0; i < pop.n; i++)
			order[i] = i;
		risk_sort_acc = acc;
		qsort(order, pop.n, sizeof(int32), risk_cmp_pos);
		risk_sort_acc = NULL;
		/* a subject's share: of the subjects, those with a strictly lower score */
		for (int k = 0; k < pop.n; k++)
		{
			if (k > 0 && acc[order[k]].score != acc[order[k - 1]].score)
				first = k;
			cls[order[k]] = risk_class_of((double) first / pop.n, cuts);
		}
	}

	/* the rows */
	for (int c = 0; c < 4; c++)
	{
		char		b = 'A' + c;

		class_datum[c] = PointerGetDatum(cstring_to_text_with_len(&b, 1));
	}
	for (int i = 0; i < pop.n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};
		int			ntop;
		char		final;
		Datum		codes[RISK_TOP];
		Datum		points[RISK_TOP];

		old = MemoryContextSwitchTo(rowcxt);
		for (int k = 0; k < acc[i].ntop; k++)
		{
			codes[k] = PointerGetDatum(cstring_to_text(leaves[acc[i].top[k]].code));
			points[k] = Float8GetDatum(acc[i].pts[k]);
		}
		ntop = acc[i].ntop;
		final = acc[i].forced >= 0 ? rules[acc[i].forced].cls : cls[i];
		values[0] = Int64GetDatum(pop.ids[i]);
		values[1] = Float8GetDatum(acc[i].score);
		values[2] = class_datum[cls[i] - 'A'];
		values[3] = class_datum[final - 'A'];
		if (acc[i].forced >= 0)
			values[4] = PointerGetDatum(cstring_to_text(rules[acc[i].forced].code));
		else
			nulls[4] = true;
		values[5] = PointerGetDatum(construct_array(codes, ntop, TEXTOID, -1, false, TYPALIGN_INT));
		values[6] = PointerGetDatum(construct_array(points, ntop, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	SPI_finish();
	MemoryContextDelete(work);
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
