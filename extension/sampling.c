/*
 * sampling.c: the hot path of double-random inspections (双随机).
 *
 * A draw is verifiable: every ranking key is SHA-256 over public inputs,
 * computed by sampling_sha256.c (the x86 SHA extensions when the CPU has them).
 *
 *   target key     = SHA-256(seed || '|' || target_key)
 *   inspector key  = SHA-256(seed || '|' || target_key || '|' || certificate_no)
 *
 * both read as 256-bit unsigned big-endian numbers, i.e. compared as bytes.
 *
 *   draw_key(VARIADIC parts)        SHA-256 of the parts joined by '|'
 *   sampling_population_digest(id)  SHA-256 of the canonical frozen list
 *   sampling_select(id, seed, strata, ks)
 *                                   the k smallest keys per stratum, read from
 *                                   the frozen population through an SPI cursor,
 *                                   kept in a bounded max-heap (no full sort)
 *   sampling_assign(...)            inspectors for every selected target
 *
 * The SQL layer (sql/sampling.sql) freezes populations and inspector pools,
 * and calls these functions from draw_reveal() and draw_verify().
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "sampling_sha256.h"

#define SAMPLING_KEYLEN SAMPLING_SHA256_LEN
#define SAMPLING_FETCH 10000

/* ---------------------------------------------------------------- hashing */

/* SHA-256 of the n parts joined by '|' into out (32 bytes). */
static void
sampling_hash(int n, const char *const *parts, const int *lens, uint8 *out)
{
	SamplingSha256 c;
	int			i;

	sampling_sha256_init(&c);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			sampling_sha256_update(&c, "|", 1);
		sampling_sha256_update(&c, parts[i], lens[i]);
	}
	sampling_sha256_final(&c, out);
}

static text *
sampling_hex(const uint8 *digest)
{
	static const char hx[] = "0123456789abcdef";
	char		buf[SAMPLING_KEYLEN * 2 + 1];
	int			i;

	for (i = 0; i < SAMPLING_KEYLEN; i++)
	{
		buf[2 * i] = hx[digest[i] >> 4];
		buf[2 * i + 1] = hx[digest[i] & 15];
	}
	buf[SAMPLING_KEYLEN * 2] = '\0';
	return cstring_to_text(buf);
}

static bytea *
sampling_bytea(const uint8 *digest)
{
	bytea	   *b = palloc(VARHDRSZ + SAMPLING_KEYLEN);

	SET_VARSIZE(b, VARHDRSZ + SAMPLING_KEYLEN);
	memcpy(VARDATA(b), digest, SAMPLING_KEYLEN);
	return b;
}

/* Text array elements as C strings (NULL elements rejected). */
static int
sampling_text_array(ArrayType *a, const char *what, char ***strs, int **lens)
{
	Datum	   *d;
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, &n);
	*strs = palloc(sizeof(char *) * (n + 1));
	*lens = palloc(sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s must not contain nulls", what),
							errdetail("Element %d is null.", i + 1)));
		(*strs)[i] = text_to_cstring(DatumGetTextPP(d[i]));
		(*lens)[i] = strlen((*strs)[i]);
	}
	return n;
}

static int
sampling_int_array(ArrayType *a, const char *what, int **vals)
{
	Datum	   *d;
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, INT4OID, 4, true, TYPALIGN_INT, &d, &nulls, &n);
	*vals = palloc(sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s must not contain nulls", what),
							errdetail("Element %d is null.", i + 1)));
		(*vals)[i] = DatumGetInt32(d[i]);
	}
	return n;
}

/* draw_key(VARIADIC parts text[]) -> bytea */
PG_FUNCTION_INFO_V1(sampling_draw_key);
Datum
sampling_draw_key(PG_FUNCTION_ARGS)
{
	char	  **parts;
	int		   *lens;
	int			n = sampling_text_array(PG_GETARG_ARRAYTYPE_P(0), "parts", &parts, &lens);
	uint8		digest[SAMPLING_KEYLEN];

	sampling_hash(n, (const char *const *) parts, lens, digest);
	PG_RETURN_BYTEA_P(sampling_bytea(digest));
}

/* ------------------------------------------------- population digest */

/*
 * sampling_population_digest(draw_id bigint) -> text (hex)
 * SHA-256 over the lines "stratum|target_key\n" of the frozen population,
 * sorted by their bytes (LC_ALL=C sort).
 */
PG_FUNCTION_INFO_V1(sampling_population_digest);
Datum
sampling_population_digest(PG_FUNCTION_ARGS)
{
	Datum		arg = PG_GETARG_DATUM(0);
	Oid			argtype = INT8OID;
	SamplingSha256 c;
	uint8		digest[SAMPLING_KEYLEN];
	SPIPlanPtr	plan;
	Portal		portal;
	text	   *result;

	sampling_sha256_init(&c);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare("SELECT p.stratum::text || '|' || p.target_key COLLATE \"C\" AS line"
					   "  FROM supervision.draw_population p WHERE p.draw_id = $1 ORDER BY 1",
					   1, &argtype);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, &arg, NULL, true);
	for (;;)
	{
		uint64		r;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SAMPLING_FETCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			text	   *t;

			if (isnull)
				continue;
			t = DatumGetTextPP(d);
			sampling_sha256_update(&c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			sampling_sha256_update(&c, "\n", 1);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	sampling_sha256_final(&c, digest);
	result = sampling_hex(digest);
	PG_RETURN_TEXT_P(result);
}

/* ------------------------------------------------------ target selection */

typedef struct SamplingEntry
{
	uint8		key[SAMPLING_KEYLEN];
	char	   *target;
	int64		subject_id;
} SamplingEntry;

typedef struct SamplingStratum
{
	char	   *name;
	int			namelen;
	int			k;
	int			n;				/* entries in the heap */
	int64		seen;			/* population rows read */
	SamplingEntry *heap;		/* max-heap: heap[0] is the largest kept key */
} SamplingStratum;

static inline int
sampling_entry_cmp(const SamplingEntry *a, const SamplingEntry *b)
{
	int			c = memcmp(a->key, b->key, SAMPLING_KEYLEN);

	return c != 0 ? c : strcmp(a->target, b->target);
}

static int
sampling_entry_qsort(const void *a, const void *b)
{
	return sampling_entry_cmp((const SamplingEntry *) a, (const SamplingEntry *) b);
}

static void
sampling_sift_up(SamplingEntry *h, int i)
{
	while (i > 0)
	{
		int			p = (i - 1) / 2;
		SamplingEntry tmp;

		if (sampling_entry_cmp(&h[p], &h[i]) >= 0)
			break;
		tmp = h[p];
		h[p] = h[i];
		h[i] = tmp;
		i = p;
	}
}

static void
sampling_sift_down(SamplingEntry *h, int n, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i;
		SamplingEntry tmp;

		if (l < n && sampling_entry_cmp(&h[l], &h[m]) > 0)
			m = l;
		if (r < n && sampling_entry_cmp(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			break;
		tmp = h[m];
		h[m] = h[i];
		h[i] = tmp;
		i = m;
	}
}

/*
 * sampling_select(draw_id bigint, seed text, strata text[], ks int[])
 *   RETURNS TABLE (stratum text, target_key text, subject_id bigint, rank int, ranking_key bytea)
 */
PG_FUNCTION_INFO_V1(sampling_select);
Datum
sampling_select(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		drawarg = PG_GETARG_DATUM(0);
	text	   *seedt = PG_GETARG_TEXT_PP(1);
	MemoryContext callcxt,
				oldcxt;
	char	  **names;
	int		   *namelens;
	int		   *ks;
	int			nstrata,
				nk,
				s;
	SamplingStratum *strata;
	char	   *seed;
	int			seedlen;
	Oid			argtype = INT8OID;
	SPIPlanPtr	plan;
	Portal		portal;

	InitMaterializedSRF(fcinfo, 0);
	callcxt = AllocSetContextCreate(CurrentMemoryContext, "sampling_select", ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(callcxt);

	seed = text_to_cstring(seedt);
	seedlen = strlen(seed);
	nstrata = sampling_text_array(PG_GETARG_ARRAYTYPE_P(2), "strata", &names, &namelens);
	nk = sampling_int_array(PG_GETARG_ARRAYTYPE_P(3), "ks", &ks);
	if (nk != nstrata)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("strata and ks must have the same length"),
						errdetail("strata has %d elements, ks has %d.", nstrata, nk)));
	strata = palloc0(sizeof(SamplingStratum) * (nstrata + 1));
	for (s = 0; s < nstrata; s++)
	{
		if (ks[s] < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("k of stratum \"%s\" must not be negative", names[s]),
							errdetail("The value given was %d.", ks[s])));
		strata[s].name = names[s];
		strata[s].namelen = namelens[s];
		strata[s].k = ks[s];
		strata[s].heap = palloc(sizeof(SamplingEntry) * (ks[s] > 0 ? ks[s] : 1));
	}
	MemoryContextSwitchTo(oldcxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare("SELECT p.stratum::text, p.target_key, p.subject_id"
					   "  FROM supervision.draw_population p WHERE p.draw_id = $1",
					   1, &argtype);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, &drawarg, NULL, true);
	for (;;)
	{
		uint64		r;
		TupleDesc	td;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SAMPLING_FETCH);
		if (SPI_processed == 0)
			break;
		td = SPI_tuptable->tupdesc;
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			bool		isnull;
			text	   *st,
					   *tk;
			const char *parts[2];
			int			lens[2];
			SamplingEntry e;
			SamplingStratum *S = NULL;
			int			stlen;

			st = DatumGetTextPP(SPI_getbinval(tup, td, 1, &isnull));
			stlen = VARSIZE_ANY_EXHDR(st);
			for (s = 0; s < nstrata; s++)
				if (strata[s].namelen == stlen && memcmp(strata[s].name, VARDATA_ANY(st), stlen) == 0)
				{
					S = &strata[s];
					break;
				}
			if (S == NULL)
				ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								errmsg("the population has a stratum \"%.*s\" that strata does not list", stlen, VARDATA_ANY(st))));
			S->seen++;
			if (S->k == 0)
				continue;
			tk = DatumGetTextPP(SPI_getbinval(tup, td, 2, &isnull));
			parts[0] = seed;
			lens[0] = seedlen;
			parts[1] = VARDATA_ANY(tk);
			lens[1] = VARSIZE_ANY_EXHDR(tk);
			sampling_hash(2, parts, lens, e.key);
			if (S->n == S->k)
			{
				/* full: keep only if smaller than the largest kept key */
				int			c = memcmp(e.key, S->heap[0].key, SAMPLING_KEYLEN);

				/* equal keys mean equal target keys, which the frozen list cannot hold */
				if (c >= 0)
					continue;
			}
			oldcxt = MemoryContextSwitchTo(callcxt);
			e.target = pnstrdup(parts[1], lens[1]);
			MemoryContextSwitchTo(oldcxt);
			e.subject_id = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
			if (isnull)
				e.subject_id = 0;
			if (S->n < S->k)
			{
				S->heap[S->n] = e;
				sampling_sift_up(S->heap, S->n);
				S->n++;
			}
			else
			{
				pfree(S->heap[0].target);
				S->heap[0] = e;
				sampling_sift_down(S->heap, S->n, 0);
			}
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();

	for (s = 0; s < nstrata; s++)
	{
		SamplingStratum *S = &strata[s];
		int			i;

		qsort(S->heap, S->n, sizeof(SamplingEntry), sampling_entry_qsort);
		for (i = 0; i < S->n; i++)
		{
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			values[0] = PointerGetDatum(cstring_to_text_with_len(S->name, S->namelen));
			values[1] = PointerGetDatum(cstring_to_text(S->heap[i].target));
			values[2] = Int64GetDatum(S->heap[i].subject_id);
			nulls[2] = S->heap[i].subject_id == 0;
			values[3] = Int32GetDatum(i + 1);
			values[4] = PointerGetDatum(sampling_bytea(S->heap[i].key));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}

/* --------------------------------------------------- inspector assignment */

typedef struct SamplingCand
{
	uint8		key[SAMPLING_KEYLEN];
	int			insp;			/* 0-based inspector index */
	bool		chosen;
} SamplingCand;

static int
sampling_cand_qsort(const void *a, const void *b)
{
	const SamplingCand *x = a,
			   *y = b;
	int			c = memcmp(x->key, y->key, SAMPLING_KEYLEN);

	return c != 0 ? c : (x->insp > y->insp) - (x->insp < y->insp);
}

/*
 * sampling_assign(seed text, target_keys text[], target_groups int[],
 *                 group_offsets int[], group_members int[],
 *                 insp_certs text[], insp_depts int[], dept_codes text[],
 *                 per_target int, cap int,
 *                 ex_targets int[], ex_insps int[], ex_reasons int[])
 *   RETURNS TABLE (target_index int, inspector_index int, seq int, problem text)
 *
 * Targets (1-based, in the order given: their ranking-key order) belong to a
 * jurisdiction group; group g holds the inspectors
 * group_members[group_offsets[g-1] .. group_offsets[g]-1] (0-based positions,
 * 1-based inspector numbers). Exclusions are (target, inspector, reason)
 * triples, reason 1 = recusal, 2 = rotation. Each department listed in
 * dept_codes (insp_depts are 1-based positions in it) gets its smallest-key
 * eligible inspector into the team, then the smallest remaining keys fill the
 * team to per_target. cap = 0 means no workload cap.
 */
PG_FUNCTION_INFO_V1(sampling_assign);
Datum
sampling_assign(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callcxt,
				oldcxt;
	char	   *seed;
	int			seedlen;
	char	  **tkeys,
			  **certs,
			  **depts;
	int		   *tklens,
			   *certlens,
			   *deptlens;
	int		   *tgroups,
			   *goffsets,
			   *gmembers,
			   *idepts,
			   *ext,
			   *exi,
			   *exr;
	int			nt,
				ng,
				ngo,
				ngm,
				ni,
				nid,
				nd,
				nex,
				n2,
				n3;
	int			per_target = PG_GETARG_INT32(8);
	int			cap = PG_GETARG_INT32(9);
	int			need;
	int		   *load,
			   *mark,
			   *why,
			   *exhead,
			   *exnext;
	SamplingCand *cand;
	int			maxgroup = 0,
				t,
				i,
				g;

	InitMaterializedSRF(fcinfo, 0);
	callcxt = AllocSetContextCreate(CurrentMemoryContext, "sampling_assign", ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(callcxt);

	seed = text_to_cstring(PG_GETARG_TEXT_PP(0));
	seedlen = strlen(seed);
	nt = sampling_text_array(PG_GETARG_ARRAYTYPE_P(1), "target_keys", &tkeys, &tklens);
	ng = sampling_int_array(PG_GETARG_ARRAYTYPE_P(2), "target_groups", &tgroups);
	ngo = sampling_int_array(PG_GETARG_ARRAYTYPE_P(3), "group_offsets", &goffsets);
	ngm = sampling_int_array(PG_GETARG_ARRAYTYPE_P(4), "group_members", &gmembers);
	ni = sampling_text_array(PG_GETARG_ARRAYTYPE_P(5), "insp_certs", &certs, &certlens);
	nid = sampling_int_array(PG_GETARG_ARRAYTYPE_P(6), "insp_depts", &idepts);
	nd = sampling_text_array(PG_GETARG_ARRAYTYPE_P(7), "dept_codes", &depts, &deptlens);
	nex = sampling_int_array(PG_GETARG_ARRAYTYPE_P(10), "ex_targets", &ext);
	n2 = sampling_int_array(PG_GETARG_ARRAYTYPE_P(11), "ex_insps", &exi);
	n3 = sampling_int_array(PG_GETARG_ARRAYTYPE_P(12), "ex_reasons", &exr);

	if (ng != nt || nid != ni || n2 != nex || n3 != nex || ngo < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("sampling_assign: array lengths do not match"),
						errdetail("%d targets, %d groups, %d offsets, %d inspectors, %d departments of inspectors, %d/%d/%d exclusions.",
								  nt, ng, ngo, ni, nid, nex, n2, n3)));
	if (per_target < 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("inspectors per target must be at least 2"),
						errdetail("The value given was %d.", per_target)));
	if (cap < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("workload cap must not be negative"),
						errdetail("The value given was %d.", cap)));
	for (g = 1; g < ngo; g++)
	{
		if (goffsets[g] < goffsets[g - 1] || goffsets[g] > ngm || goffsets[g - 1] < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("sampling_assign: group_offsets must rise within group_members")));
		maxgroup = Max(maxgroup, goffsets[g] - goffsets[g - 1]);
	}
	for (i = 0; i < ngm; i++)
		if (gmembers[i] < 1 || gmembers[i] > ni)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("sampling_assign: group member %d is not an inspector number", gmembers[i])));
	for (i = 0; i < ni; i++)
		if (idepts[i] < 1 || idepts[i] > nd)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("sampling_assign: inspector %d has department number %d of %d", i + 1, idepts[i], nd)));
	need = Max(per_target, nd);

	load = palloc0(sizeof(int) * (ni + 1));
	mark = palloc0(sizeof(int) * (ni + 1));
	why = palloc0(sizeof(int) * (ni + 1));
	exhead = palloc(sizeof(int) * (nt + 1));
	exnext = palloc(sizeof(int) * (nex + 1));
	for (t = 0; t < nt; t++)
		exhead[t] = -1;
	for (i = nex - 1; i >= 0; i--)
	{
		if (ext[i] < 1 || ext[i] > nt || exi[i] < 1 || exi[i] > ni)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("sampling_assign: exclusion %d names target %d, inspector %d", i + 1, ext[i], exi[i])));
		exnext[i] = exhead[ext[i] - 1];
		exhead[ext[i] - 1] = i;
	}
	cand = palloc(sizeof(SamplingCand) * (maxgroup + 1));

	for (t = 0; t < nt; t++)
	{
		int			ncand = 0,
					n_jur = 0,
					n_rec = 0,
					n_rot = 0,
					n_cap = 0,
					chosen = 0,
					e,
					d,
					c;
		int			grp = tgroups[t];
		StringInfoData missing;

		CHECK_FOR_INTERRUPTS();
		for (e = exhead[t]; e >= 0; e = exnext[e])
		{
			mark[exi[e] - 1] = t + 1;
			why[exi[e] - 1] = exr[e];
		}
		if (grp >= 1 && grp < ngo)
		{
			for (i = goffsets[grp - 1]; i < goffsets[grp]; i++)
			{
				int			in = gmembers[i] - 1;
				const char *parts[3];
				int			lens[3];

				n_jur++;
				if (mark[in] == t + 1)
				{
					if (why[in] == 2)
						n_rot++;
					else
						n_rec++;
					continue;
				}
				if (cap > 0 && load[in] >= cap)
				{
					n_cap++;
					continue;
				}
				parts[0] = seed;
				lens[0] = seedlen;
				parts[1] = tkeys[t];
				lens[1] = tklens[t];
				parts[2] = certs[in];
				lens[2] = certlens[in];
				sampling_hash(3, parts, lens, cand[ncand].key);
				cand[ncand].insp = in;
				cand[ncand].chosen = false;
				ncand++;
			}
		}
		qsort(cand, ncand, sizeof(SamplingCand), sampling_cand_qsort);

		/* one per department, the smallest key of each */
		initStringInfo(&missing);
		for (d = 1; d <= nd; d++)
		{
			for (c = 0; c < ncand; c++)
				if (idepts[cand[c].insp] == d)
					break;
			if (c < ncand)
			{
				cand[c].chosen = true;
				chosen++;
			}
			else
				appendStringInfo(&missing, "; no eligible inspector of department %s", depts[d - 1]);
		}
		/* then the smallest remaining keys */
		for (c = 0; c < ncand && chosen < need; c++)
			if (!cand[c].chosen)
			{
				cand[c].chosen = true;
				chosen++;
			}

		if (chosen < need || missing.len > 0)
		{
			Datum		values[4];
			bool		nulls[4] = {false, true, true, false};
			char	   *msg;

			msg = psprintf("%d eligible inspectors, %d needed (%d in jurisdiction, %d recused, %d excluded by rotation, %d at workload cap)%s",
						   ncand, need, n_jur, n_rec, n_rot, n_cap, missing.data);
			values[0] = Int32GetDatum(t + 1);
			values[1] = values[2] = (Datum) 0;
			values[3] = PointerGetDatum(cstring_to_text(msg));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		else
		{
			int			seq = 0;

			for (c = 0; c < ncand; c++)
			{
				Datum		values[4];
				bool		nulls[4] = {false, false, false, true};

				if (!cand[c].chosen)
					continue;
				load[cand[c].insp]++;
				values[0] = Int32GetDatum(t + 1);
				values[1] = Int32GetDatum(cand[c].insp + 1);
				values[2] = Int32GetDatum(++seq);
				values[3] = (Datum) 0;
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
		pfree(missing.data);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}
