/*
 * sampling.c: the hot path of double-random inspections (双随机).
 *
 * A draw is verifiable: every ranking key is SHA-256 over public inputs.
 *
 *   target key     = SHA-256(seed || '|' || target_key)
 *   inspector key  = SHA-256(seed || '|' || target_key || '|' || certificate_no)
 *
 * both read as 256-bit unsigned big-endian numbers, i.e. compared as bytes.
 *
 *   draw_key(VARIADIC parts)            SHA-256 of the parts joined by '|'
 *   sampling_freeze(draw_id)            draw_open: reads the eligible subjects,
 *                                       their credit classes and the exclusion
 *                                       window in three streams, sorts the
 *                                       population into the canonical list,
 *                                       stores it in blocks, returns its digest
 *   sampling_population_digest(id)      the digest of the stored blocks (NULL
 *                                       when a block is not canonical)
 *   sampling_block_targets(...)         one row per target of a stored block
 *   sampling_select(id, seed)           the k smallest target keys per stratum
 *                                       (a bounded max-heap per stratum)
 *   sampling_draw(id, seed, exclusions) the selection and a team (or the reason
 *                                       there is none) for every drawn target
 *
 * The stored population (supervision.draw_population_block) holds, per
 * stratum, blocks of up to SAMPLING_BLOCK targets: the canonical lines
 * "stratum|target_key\n" in byte order, which concatenated over the blocks are
 * exactly the file whose SHA-256 is the population digest, plus the subject id
 * and the division of every target.
 *
 * SHA-256 is computed by sampling_sha256.c (x86 SHA extensions when present).
 * Data is read with SPI: small results with SPI_execute_with_args, the three
 * population streams of draw_open through sv_stream (stream.c) so that ten million
 * rows are not copied into a tuple table first.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "sampling_sha256.h"
#include "stream.h"

#define SAMPLING_KEYLEN SAMPLING_SHA256_LEN
#define SAMPLING_BLOCK 65536	/* targets per stored population block */
#define SAMPLING_NSTRATA 4		/* credit classes A, B, C, D */
#define SAMPLING_FETCH 4		/* population blocks per cursor fetch */

static const char sampling_strata[SAMPLING_NSTRATA] = {'A', 'B', 'C', 'D'};

static inline int
sampling_stratum_index(char c)
{
	return (c >= 'A' && c <= 'D') ? c - 'A' : -1;
}

/* ---------------------------------------------------------------- helpers */

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

/* The first 8 bytes of a key as an unsigned integer: orders like the bytes. */
static inline uint64
sampling_be64(const uint8 *p)
{
	uint64		v;

	memcpy(&v, p, sizeof(v));
	return pg_ntoh64(v);
}

static void
sampling_check_1d(ArrayType *a, Oid elemtype, const char *what)
{
	if (ARR_NDIM(a) > 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != elemtype)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
						errmsg("%s must be a one-dimensional array without nulls", what)));
}

/* ----------------------------------------------------------------- draw_key */

/* draw_key(VARIADIC parts text[]) -> bytea */
PG_FUNCTION_INFO_V1(sampling_draw_key);
Datum
sampling_draw_key(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *d;
	bool	   *nulls;
	int			n,
				i;
	SamplingSha256 c;
	uint8		digest[SAMPLING_KEYLEN];

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("parts must be a one-dimensional array")));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, &n);
	sampling_sha256_init(&c);
	for (i = 0; i < n; i++)
	{
		text	   *t;

		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("parts must not contain nulls"),
							errdetail("Element %d is null.", i + 1)));
		t = DatumGetTextPP(d[i]);
		if (i > 0)
			sampling_sha256_update(&c, "|", 1);
		sampling_sha256_update(&c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	sampling_sha256_final(&c, digest);
	PG_RETURN_BYTEA_P(sampling_bytea(digest));
}

/* Runs a read-only query with parameters; the rows are in SPI_tuptable. */
static uint64
sampling_query(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

static Datum
sampling_col(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* --------------------------------------------------- interned strings */

/*
 * Interned strings (division codes, certificate numbers, target keys): a
 * string gets the next number the first time it is seen. Open addressing over
 * hash_bytes; the slot table doubles at half load.
 */
typedef struct SamplingIntern
{
	MemoryContext cxt;
	int			n;				/* strings */
	int			cap;			/* room in the string arrays */
	int			nslots;			/* power of two */
	int		   *slots;			/* string number + 1, 0 = empty */
	char	  **str;
	int		   *len;
	uint32	   *hash;
} SamplingIntern;

static void
sampling_intern_init(SamplingIntern *t, MemoryContext cxt)
{
	t->cxt = cxt;
	t->n = 0;
	t->cap = 64;
	t->nslots = 128;
	t->slots = MemoryContextAllocZero(cxt, sizeof(int) * t->nslots);
	t->str = MemoryContextAlloc(cxt, sizeof(char *) * t->cap);
	t->len = MemoryContextAlloc(cxt, sizeof(int) * t->cap);
	t->hash = MemoryContextAlloc(cxt, sizeof(uint32) * t->cap);
}

/* The number of a string, or -1; *slot = where it is or would go. */
static inline int
sampling_intern_lookup(const SamplingIntern *t, const char *s, int len, uint32 h, int *slot)
{
	int			mask = t->nslots - 1;
	int			i;

	for (i = h & mask; t->slots[i] != 0; i = (i + 1) & mask)
	{
		int			e = t->slots[i] - 1;

		if (t->hash[e] == h && t->len[e] == len && memcmp(t->str[e], s, len) == 0)
		{
			*slot = i;
			return e;
		}
	}
	*slot = i;
	return -1;
}

/* The number of a string already interned, or -1. */
static int
sampling_intern_find(const SamplingIntern *t, const char *s, int len)
{
	int			slot;

	return sampling_intern_lookup(t, s, len, hash_bytes((const unsigned char *) s, len), &slot);
}

/* The number of a string, interning it when new. */
static int
sampling_intern(SamplingIntern *t, const char *s, int len)
{
	uint32		h = hash_bytes((const unsigned char *) s, len);
	int			slot;
	int			e = sampling_intern_lookup(t, s, len, h, &slot);

	if (e >= 0)
		return e;
	if (t->n == t->cap)
	{
		t->cap *= 2;
		t->str = repalloc_huge(t->str, sizeof(char *) * t->cap);
		t->len = repalloc_huge(t->len, sizeof(int) * t->cap);
		t->hash = repalloc_huge(t->hash, sizeof(uint32) * t->cap);
	}
	t->str[t->n] = MemoryContextAlloc(t->cxt, len + 1);
	memcpy(t->str[t->n], s, len);
	t->str[t->n][len] = '\0';
	t->len[t->n] = len;
	t->hash[t->n] = h;
	t->slots[slot] = ++t->n;
	if (t->n * 2 > t->nslots)
	{
		int			j,
					i,
					mask;

		pfree(t->slots);
		t->nslots *= 2;
		mask = t->nslots - 1;
		t->slots = MemoryContextAllocHuge(t->cxt, sizeof(int) * t->nslots);
		memset(t->slots, 0, sizeof(int) * t->nslots);
		for (j = 0; j < t->n; j++)
		{
			for (i = t->hash[j] & mask; t->slots[i] != 0; i = (i + 1) & mask)
				;
			t->slots[i] = j + 1;
		}
	}
	return t->n - 1;
}

/* -------------------------------------------- freezing the population */

/* Per subject id: credit class and whether the exclusion window drops it. */
typedef struct SamplingFlag
{
	int64		id;
	char		cls;			/* 'A'..'D', 0 = no class (counts as B) */
	bool		excluded;
} SamplingFlag;

#define ST_SORT sampling_sort_flags
#define ST_ELEMENT_TYPE SamplingFlag
#define ST_COMPARE(a, b) (((a)->id > (b)->id) - ((a)->id < (b)->id))
#define ST_SCOPE static
#define ST_CHECK_FOR_INTERRUPTS
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct SamplingFlags
{
	MemoryContext cxt;
	SamplingFlag *a;
	size_t		n;
	size_t		cap;
	size_t		pos;			/* where the last lookup ended */
} SamplingFlags;

static void
sampling_flags_add(SamplingFlags *f, int64 id, char cls, bool excluded)
{
	if (f->n == f->cap)
	{
		f->cap *= 2;
		f->a = repalloc_huge(f->a, sizeof(SamplingFlag) * f->cap);
	}
	f->a[f->n].id = id;
	f->a[f->n].cls = cls;
	f->a[f->n].excluded = excluded;
	f->n++;
}

static void
sampling_flags_class_row(TupleTableSlot *slot, void *arg)
{
	SamplingFlags *f = arg;
	text	   *c;				/* char(1): a varlena like text */

	slot_getsomeattrs(slot, 2);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	c = DatumGetTextPP(slot->tts_values[1]);
	if (VARSIZE_ANY_EXHDR(c) < 1 || sampling_stratum_index(*VARDATA_ANY(c)) < 0)
		return;
	sampling_flags_add(f, DatumGetInt64(slot->tts_values[0]), *VARDATA_ANY(c), false);
}

static void
sampling_flags_recent_row(TupleTableSlot *slot, void *arg)
{
	slot_getsomeattrs(slot, 1);
	if (!slot->tts_isnull[0])
		sampling_flags_add(arg, DatumGetInt64(slot->tts_values[0]), 0, true);
}

/* Sorts by id and merges the rows of one id. */
static void
sampling_flags_finish(SamplingFlags *f)
{
	size_t		i,
				j = 0;

	sampling_sort_flags(f->a, f->n);
	for (i = 0; i < f->n; i++)
	{
		if (j > 0 && f->a[j - 1].id == f->a[i].id)
		{
			if (f->a[i].cls != 0)
				f->a[j - 1].cls = f->a[i].cls;
			f->a[j - 1].excluded |= f->a[i].excluded;
		}
		else
			f->a[j++] = f->a[i];
	}
	f->n = j;
	f->pos = 0;
}

/* Merges the sorted flags of b into the sorted flags of a. */
static void
sampling_flags_merge(SamplingFlags *a, SamplingFlags *b)
{
	SamplingFlag *m;
	size_t		i = 0,
				j = 0,
				n = 0;

	if (b->n == 0)
		return;
	m = MemoryContextAllocHuge(a->cxt, sizeof(SamplingFlag) * (a->n + b->n));
	while (i < a->n || j < b->n)
	{
		if (j >= b->n || (i < a->n && a->a[i].id < b->a[j].id))
			m[n++] = a->a[i++];
		else if (i >= a->n || b->a[j].id < a->a[i].id)
			m[n++] = b->a[j++];
		else
		{
			m[n] = a->a[i++];
			if (b->a[j].cls != 0)
				m[n].cls = b->a[j].cls;
			m[n].excluded |= b->a[j].excluded;
			n++;
			j++;
		}
	}
	pfree(a->a);
	a->a = m;
	a->n = a->cap = n;
	a->pos = 0;
}

/*
 * The flags of an id, or NULL. Subjects usually arrive in about the order of
 * their ids, so the search starts where the last one ended and walks a few
 * steps before it falls back to bisection.
 */
static const SamplingFlag *
sampling_flags_find(SamplingFlags *f, int64 id)
{
	size_t		lo,
				hi,
				i;

	if (f->n == 0)
		return NULL;
	i = f->pos;
	if (f->a[i].id <= id)
	{
		int			steps;

		for (steps = 0; steps < 8 && i < f->n && f->a[i].id < id; steps++)
			i++;
		if (i < f->n && f->a[i].id >= id)
		{
			f->pos = i;
			return f->a[i].id == id ? &f->a[i] : NULL;
		}
		if (i >= f->n)
		{
			f->pos = f->n - 1;
			return NULL;
		}
		lo = i;
		hi = f->n;
	}
	else
	{
		lo = 0;
		hi = i;
	}
	/* first position in [lo, hi) with a[pos].id >= id */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (f->a[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	f->pos = Min(lo, f->n - 1);
	return (lo < f->n && f->a[lo].id == id) ? &f->a[lo] : NULL;
}

/*
 * One eligible target while the population is being frozen. The key is kept
 * in the row (sorting then reads no other memory): zero padded when it is at
 * most SAMPLING_INLINE_KEY bytes (a credit code has 18); a longer key keeps
 * its first 16 bytes and then a pointer to all of it.
 */
#define SAMPLING_INLINE_KEY 24

typedef struct SamplingRow
{
	char		key[SAMPLING_INLINE_KEY];
	int64		subject_id;
	int32		division;		/* interned division, -1 = none */
	uint16		len;			/* key length */
	char		stratum;
} SamplingRow;

static inline const char *
sampling_row_key(const SamplingRow *r)
{
	const char *p;

	if (r->len <= SAMPLING_INLINE_KEY)
		return r->key;
	memcpy(&p, r->key + 16, sizeof(p));
	return p;
}

static inline int
sampling_row_cmp(const SamplingRow *a, const SamplingRow *b)
{
	uint64		x = sampling_be64((const uint8 *) a->key),
				y = sampling_be64((const uint8 *) b->key);

	if (x != y)
		return x < y ? -1 : 1;
	x = sampling_be64((const uint8 *) a->key + 8);
	y = sampling_be64((const uint8 *) b->key + 8);
	if (x != y)
		return x < y ? -1 : 1;
	/* equal first 16 bytes (zero padded): both keys are longer, or equally long */
	if (a->len > 16 && b->len > 16)
	{
		int			c = memcmp(sampling_row_key(a) + 16, sampling_row_key(b) + 16, Min(a->len, b->len) - 16);

		if (c != 0)
			return c;
	}
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->subject_id > b->subject_id) - (a->subject_id < b->subject_id);
}

static inline bool
sampling_row_same_key(const SamplingRow *a, const SamplingRow *b)
{
	return a->len == b->len && memcmp(a->key, b->key, 16) == 0 &&
		memcmp(sampling_row_key(a), sampling_row_key(b), a->len) == 0;
}

#define ST_SORT sampling_sort_rows
#define ST_ELEMENT_TYPE SamplingRow
#define ST_COMPARE(a, b) sampling_row_cmp(a, b)
#define ST_SCOPE static
#define ST_CHECK_FOR_INTERRUPTS
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct SamplingFreeze
{
	MemoryContext cxt;
	SamplingFlags flags;
	SamplingIntern divisions;
	SamplingRow *rows;
	size_t		n;
	size_t		cap;
} SamplingFreeze;

static void
sampling_freeze_row(TupleTableSlot *slot, void *arg)
{
	SamplingFreeze *fz = arg;
	const SamplingFlag *fl;
	int64		id;
	text	   *key;
	const char *k;
	int			len;
	SamplingRow *r;

	slot_getsomeattrs(slot, 3);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	id = DatumGetInt64(slot->tts_values[0]);
	fl = sampling_flags_find(&fz->flags, id);
	if (fl != NULL && fl->excluded)
		return;
	key = DatumGetTextPP(slot->tts_values[1]);
	k = VARDATA_ANY(key);
	len = VARSIZE_ANY_EXHDR(key);
	if (len < 1 || len > PG_UINT16_MAX || memchr(k, '\n', len) != NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("target key \"%.*s\" of subject %lld cannot be a line of the population list",
							   Min(len, 64), k, (long long) id),
						errdetail("A target key is a non-empty text without line breaks.")));
	if (fz->n == fz->cap)
	{
		fz->cap *= 2;
		fz->rows = repalloc_huge(fz->rows, sizeof(SamplingRow) * fz->cap);
	}
	r = &fz->rows[fz->n++];
	memset(r->key, 0, SAMPLING_INLINE_KEY);
	if (len <= SAMPLING_INLINE_KEY)
		memcpy(r->key, k, len);
	else
	{
		char	   *whole = MemoryContextAlloc(fz->cxt, len);

		memcpy(whole, k, len);
		memcpy(r->key, k, 16);
		memcpy(r->key + 16, &whole, sizeof(whole));
	}
	r->len = len;
	r->subject_id = id;
	r->stratum = (fl != NULL && fl->cls != 0) ? fl->cls : 'B';
	if (slot->tts_isnull[2])
		r->division = -1;
	else
	{
		text	   *dv = DatumGetTextPP(slot->tts_values[2]);

		r->division = sampling_intern(&fz->divisions, VARDATA_ANY(dv), VARSIZE_ANY_EXHDR(dv));
	}
}

/* An empty one-dimensional array without nulls of n elements; *data = its elements. */
static ArrayType *
sampling_new_array(Oid elemtype, int elemsize, int n, void **data)
{
	Size		size = ARR_OVERHEAD_NONULLS(1) + (Size) elemsize * n;
	ArrayType  *a = palloc0(size);

	SET_VARSIZE(a, size);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = elemtype;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	*data = (char *) a + ARR_OVERHEAD_NONULLS(1);
	return a;
}

/*
 * The planner's idea of the number of rows of a table, for a first allocation
 * (arrays grow when it is short; the pages of an allocation too large for a
 * small draw are never touched).
 */
static size_t
sampling_estimate_rows(const char *table)
{
	Oid			argtype = TEXTOID;
	Datum		arg = CStringGetTextDatum(table);
	bool		isnull;
	double		n = 0;

	if (sampling_query("SELECT c.reltuples FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass", 1, &argtype, &arg) == 1)
		n = DatumGetFloat4(sampling_col(0, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return (size_t) Max(Min(n * 1.05, 64e6), 65536);
}

/*
 * sampling_freeze(draw_id bigint) -> text
 *
 * Freezes the population of an open draw: the rows of
 * supervision.draw_candidates(draw_id), minus the subjects of
 * supervision.draw_recent_subjects(draw_id) (the exclusion window), one target
 * per target key (the smallest subject id), each in the stratum of its credit
 * class (supervision.subject_credit_class; none = B). Writes the canonical list
 * in blocks to supervision.draw_population_block and returns its SHA-256 (hex).
 */
PG_FUNCTION_INFO_V1(sampling_freeze);
Datum
sampling_freeze(PG_FUNCTION_ARGS)
{
	Datum		draw = PG_GETARG_DATUM(0);
	Oid			argtype = INT8OID;
	MemoryContext callcxt,
				oldcxt;
	SamplingFreeze fz;
	SamplingFlags recent = {0};
	uint32	   *order[SAMPLING_NSTRATA];
	size_t		count[SAMPLING_NSTRATA] = {0};
	size_t		i,
				kept;
	SamplingSha256 digest;
	uint8		out[SAMPLING_KEYLEN];
	SPIPlanPtr	insert;
	Oid			instypes[8] = {INT8OID, TEXTOID, INT4OID, INT4OID, TEXTOID, INT8ARRAYOID, TEXTARRAYOID, INT4ARRAYOID};
	Oid			filtertypes[6] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLOID};
	Datum		filter[6];
	bool		filternull[6];
	text	   *lines;
	Size		linescap;
	Datum	   *divtexts,
			   *blockdivs;
	int		   *divstamp,
			   *divlocal;
	int			s,
				blockno = 0;
	text	   *result;

	callcxt = AllocSetContextCreate(CurrentMemoryContext, "sampling_freeze", ALLOCSET_DEFAULT_SIZES);
	memset(&fz, 0, sizeof(fz));
	fz.cxt = callcxt;
	fz.flags.cxt = callcxt;
	sampling_intern_init(&fz.divisions, callcxt);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* classes and the exclusion window, by subject id */
	fz.flags.cap = sampling_estimate_rows("supervision.subject_credit_class");
	fz.flags.a = MemoryContextAllocHuge(callcxt, sizeof(SamplingFlag) * fz.flags.cap);
	sv_stream("SELECT cc.subject_id, cc.class FROM supervision.subject_credit_class cc",
			  0, NULL, NULL, NULL, sampling_flags_class_row, &fz.flags);
	recent.cxt = callcxt;
	recent.cap = 65536;
	recent.a = MemoryContextAllocHuge(callcxt, sizeof(SamplingFlag) * recent.cap);
	sv_stream("SELECT r.subject_id FROM supervision.draw_recent_subjects($1) r",
			  1, &argtype, &draw, NULL, sampling_flags_recent_row, &recent);
	/* each sorted (the classes usually come sorted already), then merged */
	sampling_flags_finish(&fz.flags);
	sampling_flags_finish(&recent);
	sampling_flags_merge(&fz.flags, &recent);

	/* the plan's filter, then the eligible subjects (the filter as constants: what does not apply folds away) */
	if (sampling_query("SELECT f.departments, f.items, f.kinds, f.industries, f.divisions, f.open_scope"
					   "  FROM supervision.draw_filter($1) f", 1, &argtype, &draw) != 1)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("draw %lld does not exist", (long long) DatumGetInt64(draw))));
	oldcxt = MemoryContextSwitchTo(callcxt);
	for (i = 0; i < 6; i++)
	{
		filter[i] = sampling_col(0, i + 1, &filternull[i]);
		if (!filternull[i] && i < 5)
			filter[i] = PointerGetDatum(DatumGetArrayTypePCopy(filter[i]));
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_freetuptable(SPI_tuptable);
	fz.cap = sampling_estimate_rows("supervision.subject");
	fz.rows = MemoryContextAllocHuge(callcxt, sizeof(SamplingRow) * fz.cap);
	sv_stream("SELECT c.subject_id, c.target_key, c.division_code"
			  "  FROM supervision.draw_candidates($1, $2, $3, $4, $5, $6) c",
			  6, filtertypes, filter, filternull, sampling_freeze_row, &fz);

	/* canonical order: by key; one target per key (the smallest subject id) */
	sampling_sort_rows(fz.rows, fz.n);
	kept = 0;
	for (i = 0; i < fz.n; i++)
	{
		if (kept > 0 && sampling_row_same_key(&fz.rows[kept - 1], &fz.rows[i]))
			continue;
		fz.rows[kept++] = fz.rows[i];
	}
	fz.n = kept;

	/* per stratum, in key order */
	for (i = 0; i < fz.n; i++)
		count[sampling_stratum_index(fz.rows[i].stratum)]++;
	for (s = 0; s < SAMPLING_NSTRATA; s++)
		order[s] = MemoryContextAllocHuge(callcxt, sizeof(uint32) * (count[s] + 1));
	memset(count, 0, sizeof(count));
	for (i = 0; i < fz.n; i++)
	{
		s = sampling_stratum_index(fz.rows[i].stratum);
		order[s][count[s]++] = i;
	}

	/* blocks: lines, subject ids, division dictionary and index */
	insert = SPI_prepare("INSERT INTO supervision.draw_population_block"
						 " (draw_id, stratum, block, targets, lines, subject_ids, divisions, division_of)"
						 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, instypes);
	if (insert == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	oldcxt = MemoryContextSwitchTo(callcxt);
	linescap = 1024 * 1024;
	lines = palloc(VARHDRSZ + linescap);
	divtexts = palloc(sizeof(Datum) * (fz.divisions.n + 1));
	blockdivs = palloc(sizeof(Datum) * (fz.divisions.n + 1));
	divstamp = palloc0(sizeof(int) * (fz.divisions.n + 1));
	divlocal = palloc0(sizeof(int) * (fz.divisions.n + 1));
	for (i = 0; i < (size_t) fz.divisions.n; i++)
		divtexts[i] = PointerGetDatum(cstring_to_text_with_len(fz.divisions.str[i], fz.divisions.len[i]));
	MemoryContextSwitchTo(oldcxt);
	sampling_sha256_init(&digest);
	for (s = 0; s < SAMPLING_NSTRATA; s++)
	{
		size_t		start;
		int			block = 0;

		for (start = 0; start < count[s]; start += SAMPLING_BLOCK)
		{
			int			n = (int) Min(count[s] - start, (size_t) SAMPLING_BLOCK);
			int			ndiv = 0,
						j,
						rc;
			Size		need = 0;
			char	   *w;
			int64	   *ids;
			int32	   *divof;
			ArrayType  *idarr,
					   *divofarr,
					   *divarr;
			Datum		values[8];
			char		stratum[2] = {sampling_strata[s], '\0'};

			CHECK_FOR_INTERRUPTS();
			blockno++;
			for (j = 0; j < n; j++)
				need += fz.rows[order[s][start + j]].len + 3;
			if (need > linescap)
			{
				linescap = need;
				lines = repalloc(lines, VARHDRSZ + linescap);
			}
			oldcxt = MemoryContextSwitchTo(callcxt);
			idarr = sampling_new_array(INT8OID, sizeof(int64), n, (void **) &ids);
			divofarr = sampling_new_array(INT4OID, sizeof(int32), n, (void **) &divof);
			MemoryContextSwitchTo(oldcxt);
			w = VARDATA(lines);
			for (j = 0; j < n; j++)
			{
				const SamplingRow *r = &fz.rows[order[s][start + j]];

				*w++ = sampling_strata[s];
				*w++ = '|';
				memcpy(w, sampling_row_key(r), r->len);
				w += r->len;
				*w++ = '\n';
				ids[j] = r->subject_id;
				divof[j] = 0;
				if (r->division >= 0)
				{
					if (divstamp[r->division] != blockno)
					{
						divstamp[r->division] = blockno;
						blockdivs[ndiv] = divtexts[r->division];
						divlocal[r->division] = ++ndiv;
					}
					divof[j] = divlocal[r->division];
				}
			}
			SET_VARSIZE(lines, VARHDRSZ + (w - VARDATA(lines)));
			sampling_sha256_update(&digest, VARDATA(lines), w - VARDATA(lines));
			divarr = construct_array(blockdivs, ndiv, TEXTOID, -1, false, TYPALIGN_INT);
			values[0] = draw;
			values[1] = CStringGetTextDatum(stratum);
			values[2] = Int32GetDatum(++block);
			values[3] = Int32GetDatum(n);
			values[4] = PointerGetDatum(lines);
			values[5] = PointerGetDatum(idarr);
			values[6] = PointerGetDatum(divarr);
			values[7] = PointerGetDatum(divofarr);
			rc = SPI_execute_plan(insert, values, NULL, false, 0);
			if (rc != SPI_OK_INSERT)
				elog(ERROR, "inserting a population block failed: %s", SPI_result_code_string(rc));
			pfree(DatumGetPointer(values[1]));
			pfree(idarr);
			pfree(divofarr);
			pfree(divarr);
		}
	}
	sampling_sha256_final(&digest, out);
	SPI_finish();
	result = sampling_hex(out);
	MemoryContextDelete(callcxt);
	PG_RETURN_TEXT_P(result);
}

/* ------------------------------------------- reading the stored population */

/* A stored block, detoasted and checked. */
typedef struct SamplingBlock
{
	char		stratum;
	int			targets;
	text	   *lines;
	ArrayType  *ids;
	ArrayType  *divof;
	Datum	   *divisions;		/* text datums */
	int			ndivisions;
	const int64 *id;			/* into ids */
	const int32 *div;			/* into divof: 0 = none, else 1-based into divisions */
} SamplingBlock;

/*
 * Reads and checks a block from its columns: every line "S|key" with S the
 * block's stratum and a non-empty key, as many lines and array elements as
 * targets, division numbers in range. Returns false (or raises, when strict)
 * when something does not hold.
 */
static bool
sampling_block_open(SamplingBlock *b, char stratum, int targets, Datum lines, Datum ids, Datum divisions,
					Datum divof, bool strict)
{
	const char *p,
			   *end;
	int			n = 0,
				i;
	bool	   *nulls;

	b->stratum = stratum;
	b->targets = targets;
	b->lines = DatumGetTextPP(lines);
	b->ids = DatumGetArrayTypeP(ids);
	b->divof = DatumGetArrayTypeP(divof);
	sampling_check_1d(b->ids, INT8OID, "subject_ids");
	sampling_check_1d(b->divof, INT4OID, "division_of");
	deconstruct_array(DatumGetArrayTypeP(divisions), TEXTOID, -1, false, TYPALIGN_INT,
					  &b->divisions, &nulls, &b->ndivisions);
	/* no nulls (checked): the data follow the fixed header */
	b->id = (const int64 *) ((const char *) b->ids + ARR_OVERHEAD_NONULLS(ARR_NDIM(b->ids)));
	b->div = (const int32 *) ((const char *) b->divof + ARR_OVERHEAD_NONULLS(ARR_NDIM(b->divof)));
	p = VARDATA_ANY(b->lines);
	end = p + VARSIZE_ANY_EXHDR(b->lines);
	while (p < end)
	{
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL || nl - p < 3 || p[0] != stratum || p[1] != '|')
			goto bad;
		n++;
		p = nl + 1;
	}
	if (n != targets || ArrayGetNItems(ARR_NDIM(b->ids), ARR_DIMS(b->ids)) != targets
		|| ArrayGetNItems(ARR_NDIM(b->divof), ARR_DIMS(b->divof)) != targets)
		goto bad;
	for (i = 0; i < b->ndivisions; i++)
		if (nulls[i])
			goto bad;
	for (i = 0; i < targets; i++)
		if (b->div[i] < 0 || b->div[i] > b->ndivisions)
			goto bad;
	return true;
bad:
	if (strict)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
						errmsg("a stored population block of stratum %c is not in canonical form", stratum),
						errhint("Check the draw with supervision.draw_verify().")));
	return false;
}

static void
sampling_block_close(SamplingBlock *b, Datum lines, Datum ids, Datum divof)
{
	if (PointerGetDatum(b->lines) != lines)
		pfree(b->lines);
	if (PointerGetDatum(b->ids) != ids)
		pfree(b->ids);
	if (PointerGetDatum(b->divof) != divof)
		pfree(b->divof);
	pfree(b->divisions);
}

/*
 * sampling_block_targets(lines text, subject_ids bigint[], divisions text[], division_of int[])
 *   RETURNS TABLE (target_key text, subject_id bigint, division_code text)
 * The targets of one stored block (for the view supervision.draw_population).
 */
PG_FUNCTION_INFO_V1(sampling_block_targets);
Datum
sampling_block_targets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *lines = PG_GETARG_TEXT_PP(0);
	SamplingBlock b;
	const char *p,
			   *end;
	int			i = 0,
				n = 0;

	InitMaterializedSRF(fcinfo, 0);
	/* count the lines; the stratum is whatever the first line says */
	p = VARDATA_ANY(lines);
	end = p + VARSIZE_ANY_EXHDR(lines);
	for (; p < end; p++)
		n += (*p == '\n');
	(void) sampling_block_open(&b, VARSIZE_ANY_EXHDR(lines) > 0 ? *VARDATA_ANY(lines) : 'B', n,
							   PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2), PG_GETARG_DATUM(3), true);
	p = VARDATA_ANY(b.lines);
	end = p + VARSIZE_ANY_EXHDR(b.lines);
	while (p < end)
	{
		const char *nl = memchr(p, '\n', end - p);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(p + 2, nl - p - 2));
		values[1] = Int64GetDatum(b.id[i]);
		if (b.div[i] == 0)
		{
			values[2] = (Datum) 0;
			nulls[2] = true;
		}
		else
			values[2] = b.divisions[b.div[i] - 1];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		p = nl + 1;
		i++;
	}
	return (Datum) 0;
}

#define SAMPLING_BLOCKS_SQL \
	"SELECT b.stratum::text, b.targets, b.lines, b.subject_ids, b.divisions, b.division_of" \
	"  FROM supervision.draw_population_block b WHERE b.draw_id = $1 ORDER BY b.stratum, b.block"

/*
 * sampling_population_digest(draw_id bigint) -> text (hex)
 * SHA-256 of the stored population: the lines of its blocks in order, which
 * is the canonical list (lines "stratum|target_key\n" in byte order) when the
 * blocks are canonical. NULL when they are not: a malformed block, lines out
 * of order or repeated, blocks not numbered 1, 2, ... in each stratum.
 */
PG_FUNCTION_INFO_V1(sampling_population_digest);
Datum
sampling_population_digest(PG_FUNCTION_ARGS)
{
	Datum		draw = PG_GETARG_DATUM(0);
	Oid			argtype = INT8OID;
	SamplingSha256 c;
	uint8		digest[SAMPLING_KEYLEN];
	Portal		portal;
	bool		ok = true;
	char	   *prev = NULL;
	int			prevlen = 0;
	char		prevstratum = 0;
	int			expect = 0;
	text	   *result = NULL;
	MemoryContext callcxt = CurrentMemoryContext;

	sampling_sha256_init(&c);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_open_with_args(NULL,
									   "SELECT b.stratum::text, b.targets, b.lines, b.subject_ids, b.divisions, b.division_of, b.block"
									   "  FROM supervision.draw_population_block b WHERE b.draw_id = $1 ORDER BY b.stratum, b.block",
									   1, &argtype, &draw, NULL, true, 0);
	while (ok)
	{
		uint64		r;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SAMPLING_FETCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed && ok; r++)
		{
			bool		isnull;
			text	   *st = DatumGetTextPP(sampling_col(r, 1, &isnull));
			char		stratum = *VARDATA_ANY(st);
			int			targets = DatumGetInt32(sampling_col(r, 2, &isnull));
			Datum		lines = sampling_col(r, 3, &isnull);
			Datum		ids = sampling_col(r, 4, &isnull);
			Datum		divs = sampling_col(r, 5, &isnull);
			Datum		divof = sampling_col(r, 6, &isnull);
			int			block = DatumGetInt32(sampling_col(r, 7, &isnull));
			SamplingBlock b;
			const char *p,
					   *end;

			if (stratum != prevstratum)
				expect = 1;
			else
				expect++;
			prevstratum = stratum;
			if (block != expect || !sampling_block_open(&b, stratum, targets, lines, ids, divs, divof, false))
			{
				ok = false;
				break;
			}
			p = VARDATA_ANY(b.lines);
			end = p + VARSIZE_ANY_EXHDR(b.lines);
			sampling_sha256_update(&c, p, end - p);
			/* strictly increasing lines, across blocks too */
			while (p < end)
			{
				const char *nl = memchr(p, '\n', end - p);
				int			len = nl - p;

				if (prev != NULL)
				{
					int			cmp = memcmp(prev, p, Min(prevlen, len));

					if (cmp > 0 || (cmp == 0 && prevlen >= len))
					{
						ok = false;
						break;
					}
				}
				prev = (char *) p;
				prevlen = len;
				p = nl + 1;
			}
			/* keep the last line for the next block */
			if (ok && prev != NULL)
			{
				MemoryContext old = MemoryContextSwitchTo(callcxt);

				prev = pnstrdup(prev, prevlen);
				MemoryContextSwitchTo(old);
			}
			sampling_block_close(&b, lines, ids, divof);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	if (!ok)
		PG_RETURN_NULL();
	sampling_sha256_final(&c, digest);
	result = sampling_hex(digest);
	PG_RETURN_TEXT_P(result);
}

/* ------------------------------------------------------- target selection */

typedef struct SamplingPick
{
	uint64		k0;				/* key bytes 0-7 as an integer */
	uint8		key[SAMPLING_KEYLEN];
	char	   *target;
	int			targetlen;
	int			targetcap;		/* bytes allocated at target */
	int32		division;		/* interned, -1 = none */
	int64		subject_id;
	char		stratum;
	int			rank;			/* within the stratum, from 1 */
	int			index;			/* among all picks, by stratum and rank */
} SamplingPick;

static inline int
sampling_pick_cmp(const SamplingPick *a, const SamplingPick *b)
{
	int			c;

	if (a->k0 != b->k0)
		return a->k0 < b->k0 ? -1 : 1;
	c = memcmp(a->key + 8, b->key + 8, SAMPLING_KEYLEN - 8);
	if (c != 0)
		return c;
	/* equal keys would need equal targets (SHA-256); order them anyway */
	c = memcmp(a->target, b->target, Min(a->targetlen, b->targetlen));
	return c != 0 ? c : (a->targetlen > b->targetlen) - (a->targetlen < b->targetlen);
}

static int
sampling_pick_qsort(const void *a, const void *b)
{
	return sampling_pick_cmp((const SamplingPick *) a, (const SamplingPick *) b);
}

static int
sampling_pickp_qsort(const void *a, const void *b)
{
	return sampling_pick_cmp(*(SamplingPick *const *) a, *(SamplingPick *const *) b);
}

/*
 * The bounded max-heap of a stratum holds small entries (the first 8 bytes of
 * the key and the pick they stand for), so that sifting moves 16 bytes, not a
 * whole pick; a pick stays in its slot until a smaller key evicts it.
 */
typedef struct SamplingHeapEntry
{
	uint64		k0;
	int32		slot;
} SamplingHeapEntry;

static inline bool
sampling_heap_above(const SamplingHeapEntry *a, const SamplingHeapEntry *b, const SamplingPick *slots)
{
	if (a->k0 != b->k0)
		return a->k0 > b->k0;
	return sampling_pick_cmp(&slots[a->slot], &slots[b->slot]) > 0;
}

static void
sampling_sift_up(SamplingHeapEntry *h, int i, const SamplingPick *slots)
{
	SamplingHeapEntry x = h[i];

	while (i > 0)
	{
		int			p = (i - 1) / 2;

		if (!sampling_heap_above(&x, &h[p], slots))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static void
sampling_sift_down(SamplingHeapEntry *h, int n, int i, const SamplingPick *slots)
{
	SamplingHeapEntry x = h[i];

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && sampling_heap_above(&h[c + 1], &h[c], slots))
			c++;
		if (!sampling_heap_above(&h[c], &x, slots))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

typedef struct SamplingSelection
{
	MemoryContext cxt;
	SamplingIntern divisions;
	int			k[SAMPLING_NSTRATA];
	int			n[SAMPLING_NSTRATA];	/* picks kept */
	int64		seen[SAMPLING_NSTRATA];
	SamplingPick *picks[SAMPLING_NSTRATA];	/* slots; in the end sorted by rank */
	SamplingHeapEntry *heap[SAMPLING_NSTRATA];
	int			total;			/* picks of all strata */
} SamplingSelection;

/*
 * The k smallest target keys of every stratum of a draw (k from
 * supervision.draw_stratum), read block by block from the stored population.
 * Call inside SPI. Raises when the stored population is not canonical.
 */
static void
sampling_run_selection(SamplingSelection *sel, Datum draw, const char *seed, int seedlen)
{
	Oid			argtype = INT8OID;
	Portal		portal;
	SamplingSha256 prefix;
	uint64		r,
				nstrata;
	int			s;

	for (s = 0; s < SAMPLING_NSTRATA; s++)
		sel->k[s] = -1;
	nstrata = sampling_query("SELECT ds.stratum::text, ds.k FROM supervision.draw_stratum ds WHERE ds.draw_id = $1",
							 1, &argtype, &draw);
	for (r = 0; r < nstrata; r++)
	{
		bool		isnull;
		text	   *st = DatumGetTextPP(sampling_col(r, 1, &isnull));
		int			k = DatumGetInt32(sampling_col(r, 2, &isnull));

		s = sampling_stratum_index(*VARDATA_ANY(st));
		if (s < 0 || k < 0)
			elog(ERROR, "draw_stratum holds stratum %c with k = %d", *VARDATA_ANY(st), k);
		sel->k[s] = k;
		sel->picks[s] = MemoryContextAllocHuge(sel->cxt, sizeof(SamplingPick) * (k + 1));
		sel->heap[s] = MemoryContextAllocHuge(sel->cxt, sizeof(SamplingHeapEntry) * (k + 1));
	}
	SPI_freetuptable(SPI_tuptable);

	sampling_sha256_init(&prefix);
	sampling_sha256_update(&prefix, seed, seedlen);
	sampling_sha256_update(&prefix, "|", 1);

	portal = SPI_cursor_open_with_args(NULL, SAMPLING_BLOCKS_SQL, 1, &argtype, &draw, NULL, true, 0);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SAMPLING_FETCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			text	   *st = DatumGetTextPP(sampling_col(r, 1, &isnull));
			char		stratum = *VARDATA_ANY(st);
			int			targets = DatumGetInt32(sampling_col(r, 2, &isnull));
			Datum		lines = sampling_col(r, 3, &isnull);
			Datum		ids = sampling_col(r, 4, &isnull);
			Datum		divs = sampling_col(r, 5, &isnull);
			Datum		divof = sampling_col(r, 6, &isnull);
			SamplingBlock b;
			const char *p,
					   *end;
			int			i = 0,
						k;
			int		   *divmap;
			SamplingHeapEntry *heap;
			SamplingPick *picks;

			s = sampling_stratum_index(stratum);
			if (s < 0 || sel->k[s] < 0)
				ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
								errmsg("the population holds stratum %c, which the draw does not list", stratum)));
			(void) sampling_block_open(&b, stratum, targets, lines, ids, divs, divof, true);
			sel->seen[s] += targets;
			k = sel->k[s];
			heap = sel->heap[s];
			picks = sel->picks[s];
			divmap = palloc(sizeof(int) * (b.ndivisions + 1));
			for (i = 0; i <= b.ndivisions; i++)
				divmap[i] = -2;	/* not interned yet */
			divmap[0] = -1;
			p = VARDATA_ANY(b.lines);
			end = p + VARSIZE_ANY_EXHDR(b.lines);
			for (i = 0; p < end; i++)
			{
				const char *nl = memchr(p, '\n', end - p);
				const char *key = p + 2;
				int			keylen = nl - key;
				SamplingSha256 c;
				uint8		digest[SAMPLING_KEYLEN];
				uint64		k0;
				SamplingPick *e;
				int			slot;

				p = nl + 1;
				if (k == 0)
					continue;
				c = prefix;
				sampling_sha256_update(&c, key, keylen);
				sampling_sha256_final(&c, digest);
				k0 = sampling_be64(digest);
				if (sel->n[s] == k)
				{
					/* full: keep only a key below the largest kept one */
					if (k0 > heap[0].k0 ||
						(k0 == heap[0].k0 && memcmp(digest, picks[heap[0].slot].key, SAMPLING_KEYLEN) >= 0))
						continue;
					slot = heap[0].slot;
				}
				else
				{
					slot = sel->n[s];
					picks[slot].target = NULL;
					picks[slot].targetcap = 0;
				}
				e = &picks[slot];
				e->k0 = k0;
				memcpy(e->key, digest, SAMPLING_KEYLEN);
				if (e->targetcap < keylen + 1)
				{
					if (e->target != NULL)
						pfree(e->target);
					e->targetcap = Max(keylen + 1, 32);
					e->target = MemoryContextAlloc(sel->cxt, e->targetcap);
				}
				memcpy(e->target, key, keylen);
				e->target[keylen] = '\0';
				e->targetlen = keylen;
				e->subject_id = b.id[i];
				if (divmap[b.div[i]] == -2)
				{
					text	   *dv = DatumGetTextPP(b.divisions[b.div[i] - 1]);

					divmap[b.div[i]] = sampling_intern(&sel->divisions, VARDATA_ANY(dv), VARSIZE_ANY_EXHDR(dv));
				}
				e->division = divmap[b.div[i]];
				e->stratum = stratum;
				e->rank = 0;
				if (sel->n[s] < k)
				{
					heap[sel->n[s]].k0 = k0;
					heap[sel->n[s]].slot = slot;
					sampling_sift_up(heap, sel->n[s], picks);
					sel->n[s]++;
				}
				else
				{
					heap[0].k0 = k0;
					sampling_sift_down(heap, k, 0, picks);
				}
			}
			pfree(divmap);
			sampling_block_close(&b, lines, ids, divof);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);

	sel->total = 0;
	for (s = 0; s < SAMPLING_NSTRATA; s++)
	{
		int			i;

		if (sel->k[s] <= 0)
			continue;
		qsort(sel->picks[s], sel->n[s], sizeof(SamplingPick), sampling_pick_qsort);
		for (i = 0; i < sel->n[s]; i++)
		{
			sel->picks[s][i].rank = i + 1;
			sel->picks[s][i].index = sel->total++;
		}
	}
}

static void
sampling_selection_init(SamplingSelection *sel, MemoryContext cxt)
{
	memset(sel, 0, sizeof(*sel));
	sel->cxt = cxt;
	sampling_intern_init(&sel->divisions, cxt);
}

/*
 * sampling_select(draw_id bigint, seed text)
 *   RETURNS TABLE (stratum text, target_key text, subject_id bigint, rank int, ranking_key bytea)
 */
PG_FUNCTION_INFO_V1(sampling_select);
Datum
sampling_select(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *seed = PG_GETARG_TEXT_PP(1);
	MemoryContext callcxt;
	SamplingSelection sel;
	int			s,
				i;

	InitMaterializedSRF(fcinfo, 0);
	callcxt = AllocSetContextCreate(CurrentMemoryContext, "sampling_select", ALLOCSET_DEFAULT_SIZES);
	sampling_selection_init(&sel, callcxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	sampling_run_selection(&sel, PG_GETARG_DATUM(0), VARDATA_ANY(seed), VARSIZE_ANY_EXHDR(seed));
	SPI_finish();
	for (s = 0; s < SAMPLING_NSTRATA; s++)
		for (i = 0; i < sel.n[s]; i++)
		{
			SamplingPick *e = &sel.picks[s][i];
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};
			char		st[2] = {e->stratum, '\0'};

			values[0] = CStringGetTextDatum(st);
			values[1] = PointerGetDatum(cstring_to_text_with_len(e->target, e->targetlen));
			values[2] = Int64GetDatum(e->subject_id);
			values[3] = Int32GetDatum(e->rank);
			values[4] = PointerGetDatum(sampling_bytea(e->key));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}

/* --------------------------------------------------- inspector assignment */

/* A candidate inspector of one target. */
typedef struct SamplingCand
{
	uint64		k0;
	uint8		key[SAMPLING_KEYLEN];
	int			insp;			/* 0-based pool position */
} SamplingCand;

static inline bool
sampling_cand_less(const SamplingCand *a, const SamplingCand *b)
{
	int			c;

	if (a->k0 != b->k0)
		return a->k0 < b->k0;
	c = memcmp(a->key, b->key, SAMPLING_KEYLEN);
	return c != 0 ? c < 0 : a->insp < b->insp;
}

/* Per drawn target: what the assignment decided. */
typedef struct SamplingTeam
{
	int		   *members;		/* pool positions in key order, NULL = shortfall */
	int			nmembers;
	char	   *problem;
	int			exstart;		/* exclusions: [exstart, exend) of the exclusion arrays */
	int			exend;
} SamplingTeam;

#define SAMPLING_EXCLUDE_RECUSAL 1
#define SAMPLING_EXCLUDE_ROTATION 2

/* An inspector excluded from a drawn target. */
typedef struct SamplingExclusion
{
	int			target;			/* pick position (stratum, rank order) */
	int			insp;			/* pool position */
	int			code;			/* SAMPLING_EXCLUDE_* */
	char	   *reason;			/* relation, or rotation */
} SamplingExclusion;

static int
sampling_exclusion_qsort(const void *a, const void *b)
{
	const SamplingExclusion *x = a,
			   *y = b;

	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->insp != y->insp)
		return x->insp < y->insp ? -1 : 1;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

/*
 * sampling_draw(draw_id bigint, seed text, exclusions text)
 *   RETURNS TABLE (stratum text, target_key text, subject_id bigint, rank int, ranking_key bytea,
 *                  team text[], shortfall text, excluded text[], exclusion_reasons text[])
 *
 * The selection (as sampling_select) and, for every drawn target in the order
 * of its ranking key (all strata together), its team from the frozen pool
 * supervision.draw_inspector: eligible = jurisdiction (the inspector's
 * division is the target's or above it), not excluded, under the workload cap;
 * the team = for each plan department its smallest-key eligible inspector,
 * then the smallest remaining keys up to max(inspectors_per_target, number of
 * departments), listed in key order. A target that cannot get a full team gets
 * a shortfall (the counts and the departments missing) instead.
 *
 * exclusions = 'live': recusal and rotation as supervision.draw_conflicts()
 * finds them now (draw_reveal); 'recorded': as draw_selection recorded them
 * (draw_verify).
 */
PG_FUNCTION_INFO_V1(sampling_draw);
Datum
sampling_draw(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		draw = PG_GETARG_DATUM(0);
	text	   *seedt = PG_GETARG_TEXT_PP(1);
	char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(2));
	const char *seed = VARDATA_ANY(seedt);
	int			seedlen = VARSIZE_ANY_EXHDR(seedt);
	bool		live;
	MemoryContext callcxt,
				rowcxt,
				oldcxt;
	SamplingSelection sel;
	SamplingPick **picks,
			  **order;
	SamplingTeam *teams;
	Datum		args[2];
	Oid			argtypes[2];
	uint64		r,
				nrows;
	bool		isnull;
	int			per_target,
				cap,
				ndepts,
				need,
				npool,
				ngroups,
				nt,
				t,
				s,
				i;
	char	  **depts;
	char	  **certs;
	int		   *certlens;
	int		   *idept;
	int		   *goff,
			   *gmem,
			   *pooldiv,
			   *pdoff,
			   *pdmem;
	SamplingIntern certidx,
				ididx,
				pooldivs;
	SamplingExclusion *ex;
	int			nex;
	int		   *load,
			   *mark,
			   *why,
			   *chosen,
			   *taken;
	SamplingCand *best,
			   *top,
			   *ck;
	SamplingSha256 prefix;
	ArrayType  *deptarr;

	if (strcmp(mode, "live") == 0)
		live = true;
	else if (strcmp(mode, "recorded") == 0)
		live = false;
	else
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("exclusions must be \"live\" or \"recorded\""),
						errdetail("The value given was \"%s\".", mode)));

	InitMaterializedSRF(fcinfo, 0);
	callcxt = AllocSetContextCreate(CurrentMemoryContext, "sampling_draw", ALLOCSET_DEFAULT_SIZES);
	sampling_selection_init(&sel, callcxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the plan */
	argtypes[0] = INT8OID;
	args[0] = draw;
	if (sampling_query("SELECT p.departments, p.inspectors_per_target, p.workload_cap"
					   "  FROM supervision.draw d JOIN supervision.inspection_plan p ON p.id = d.plan_id WHERE d.id = $1",
					   1, argtypes, args) != 1)
		ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
						errmsg("draw %lld does not exist", (long long) DatumGetInt64(draw))));
	oldcxt = MemoryContextSwitchTo(callcxt);
	deptarr = DatumGetArrayTypePCopy(sampling_col(0, 1, &isnull));
	MemoryContextSwitchTo(oldcxt);
	per_target = DatumGetInt32(sampling_col(0, 2, &isnull));
	cap = DatumGetInt32(sampling_col(0, 3, &isnull));
	SPI_freetuptable(SPI_tuptable);
	{
		Datum	   *d;
		bool	   *dn;

		oldcxt = MemoryContextSwitchTo(callcxt);
		deconstruct_array(deptarr, TEXTOID, -1, false, TYPALIGN_INT, &d, &dn, &ndepts);
		depts = palloc(sizeof(char *) * (ndepts + 1));
		for (i = 0; i < ndepts; i++)
			depts[i] = TextDatumGetCString(d[i]);
		MemoryContextSwitchTo(oldcxt);
	}
	if (per_target < 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("inspectors per target must be at least 2"),
						errdetail("The value given was %d.", per_target)));
	if (cap < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("workload cap must not be negative"),
						errdetail("The value given was %d.", cap)));
	need = Max(per_target, ndepts);

	/* the selection */
	sampling_run_selection(&sel, draw, seed, seedlen);
	nt = sel.total;
	picks = MemoryContextAllocHuge(callcxt, sizeof(SamplingPick *) * (nt + 1));
	t = 0;
	for (s = 0; s < SAMPLING_NSTRATA; s++)
		for (i = 0; i < sel.n[s]; i++)
			picks[t++] = &sel.picks[s][i];

	/*
	 * The pool: ordinal i + 1 at position i. Everything else is matched to it
	 * here by certificate number, inspector id or division: the queries below
	 * never join the pool, whose rows (written a moment ago) no statistics know.
	 */
	argtypes[1] = TEXTARRAYOID;
	args[1] = PointerGetDatum(deptarr);
	npool = sampling_query("SELECT di.ordinal, di.certificate_no, array_position($2, di.department_code),"
						   "       di.inspector_id, di.division_code"
						   "  FROM supervision.draw_inspector di WHERE di.draw_id = $1 ORDER BY di.ordinal",
						   2, argtypes, args);
	certs = MemoryContextAlloc(callcxt, sizeof(char *) * (npool + 1));
	certlens = MemoryContextAlloc(callcxt, sizeof(int) * (npool + 1));
	idept = MemoryContextAlloc(callcxt, sizeof(int) * (npool + 1));
	pooldiv = MemoryContextAlloc(callcxt, sizeof(int) * (npool + 1));
	sampling_intern_init(&certidx, callcxt);
	sampling_intern_init(&ididx, callcxt);
	sampling_intern_init(&pooldivs, callcxt);
	for (i = 0; i < npool; i++)
	{
		Datum		dpos;
		int64		iid;
		text	   *dv;

		if (DatumGetInt32(sampling_col(i, 1, &isnull)) != i + 1)
			elog(ERROR, "the inspector pool of draw %lld is not numbered 1..%d", (long long) DatumGetInt64(draw), npool);
		oldcxt = MemoryContextSwitchTo(callcxt);
		certs[i] = TextDatumGetCString(sampling_col(i, 2, &isnull));
		MemoryContextSwitchTo(oldcxt);
		certlens[i] = strlen(certs[i]);
		dpos = sampling_col(i, 3, &isnull);
		if (isnull)
			elog(ERROR, "inspector %s of the pool is in no department of the plan", certs[i]);
		idept[i] = DatumGetInt32(dpos) - 1;
		iid = DatumGetInt64(sampling_col(i, 4, &isnull));
		if (sampling_intern(&certidx, certs[i], certlens[i]) != i ||
			sampling_intern(&ididx, (const char *) &iid, sizeof(iid)) != i)
			elog(ERROR, "the inspector pool of draw %lld holds inspector %s twice", (long long) DatumGetInt64(draw), certs[i]);
		dv = DatumGetTextPP(sampling_col(i, 5, &isnull));
		pooldiv[i] = sampling_intern(&pooldivs, VARDATA_ANY(dv), VARSIZE_ANY_EXHDR(dv));
	}
	SPI_freetuptable(SPI_tuptable);
	/* pool positions by division */
	pdoff = MemoryContextAllocZero(callcxt, sizeof(int) * (pooldivs.n + 2));
	pdmem = MemoryContextAlloc(callcxt, sizeof(int) * (npool + 1));
	for (i = 0; i < npool; i++)
		pdoff[pooldiv[i] + 1]++;
	for (i = 0; i < pooldivs.n; i++)
		pdoff[i + 1] += pdoff[i];
	{
		int		   *fill = MemoryContextAlloc(callcxt, sizeof(int) * (pooldivs.n + 1));

		memcpy(fill, pdoff, sizeof(int) * (pooldivs.n + 1));
		for (i = 0; i < npool; i++)
			pdmem[fill[pooldiv[i]]++] = i;
	}

	/* jurisdiction: per division of a target, the pool inspectors at it or above it */
	ngroups = sel.divisions.n;
	goff = MemoryContextAllocZero(callcxt, sizeof(int) * (ngroups + 2));
	{
		Datum	   *codes = palloc(sizeof(Datum) * (ngroups + 1));
		int		   *anc,
					ng = 0;

		for (i = 0; i < ngroups; i++)
			codes[i] = PointerGetDatum(cstring_to_text_with_len(sel.divisions.str[i], sel.divisions.len[i]));
		argtypes[1] = TEXTARRAYOID;
		args[1] = PointerGetDatum(construct_array(codes, ngroups, TEXTOID, -1, false, TYPALIGN_INT));
		nrows = sampling_query("SELECT d.n::integer, an.code"
							   "  FROM unnest($2::text[]) WITH ORDINALITY d(code, n)"
							   " CROSS JOIN LATERAL supervision.division_ancestors(d.code) an",
							   2, argtypes, args);
		/* (group, pool division) pairs, then the members of each group */
		anc = palloc(sizeof(int) * 2 * (nrows + 1));
		for (r = 0; r < nrows; r++)
		{
			int			g = DatumGetInt32(sampling_col(r, 1, &isnull)) - 1;
			text	   *code = DatumGetTextPP(sampling_col(r, 2, &isnull));
			int			pd = sampling_intern_find(&pooldivs, VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code));

			if (g < 0 || g >= ngroups)
				elog(ERROR, "jurisdiction row out of range");
			if (pd < 0)
				continue;
			anc[2 * ng] = g;
			anc[2 * ng + 1] = pd;
			ng++;
			goff[g + 1] += pdoff[pd + 1] - pdoff[pd];
		}
		SPI_freetuptable(SPI_tuptable);
		for (i = 0; i < ngroups; i++)
			goff[i + 1] += goff[i];
		gmem = MemoryContextAllocHuge(callcxt, sizeof(int) * (goff[ngroups] + 1));
		{
			int		   *fill = palloc(sizeof(int) * (ngroups + 1));

			memcpy(fill, goff, sizeof(int) * (ngroups + 1));
			for (i = 0; i < ng; i++)
			{
				int			m;

				for (m = pdoff[anc[2 * i + 1]]; m < pdoff[anc[2 * i + 1] + 1]; m++)
					gmem[fill[anc[2 * i]]++] = pdmem[m];
			}
			pfree(fill);
		}
		pfree(anc);
	}

	/*
	 * Exclusions: (target, pool position, reason) triples, live from
	 * draw_conflicts (recusal by inspector id, rotation by certificate
	 * number, targets by position in the array of subject ids) or as recorded
	 * in draw_selection (by target key and certificate number).
	 */
	teams = MemoryContextAllocHuge(callcxt, sizeof(SamplingTeam) * (nt + 1));
	memset(teams, 0, sizeof(SamplingTeam) * (nt + 1));
	if (live)
	{
		Datum	   *ids = MemoryContextAllocHuge(callcxt, sizeof(Datum) * (nt + 1));

		for (t = 0; t < nt; t++)
			ids[t] = Int64GetDatum(picks[t]->subject_id);
		argtypes[1] = INT8ARRAYOID;
		args[1] = PointerGetDatum(construct_array(ids, nt, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		nrows = sampling_query("SELECT x.target, x.inspector_id, x.certificate_no, x.reason"
							   "  FROM supervision.draw_conflicts($1, $2) x", 2, argtypes, args);
	}
	else
		nrows = sampling_query("SELECT s.target_key, NULL::bigint, e.certificate_no, e.reason"
							   "  FROM supervision.draw_selection s"
							   " CROSS JOIN LATERAL unnest(s.excluded, s.exclusion_reasons) e(certificate_no, reason)"
							   " WHERE s.draw_id = $1 AND cardinality(s.excluded) > 0", 1, argtypes, args);
	ex = MemoryContextAllocHuge(callcxt, sizeof(SamplingExclusion) * (nrows + 1));
	nex = 0;
	{
		SamplingIntern keys;

		if (!live)
		{
			/* target keys -> pick positions */
			sampling_intern_init(&keys, callcxt);
			for (t = 0; t < nt; t++)
				if (sampling_intern(&keys, picks[t]->target, picks[t]->targetlen) != t)
					elog(ERROR, "the selection holds target %s twice", picks[t]->target);
		}
		for (r = 0; r < nrows; r++)
		{
			SamplingExclusion *x = &ex[nex];
			Datum		d;

			if (live)
				x->target = DatumGetInt32(sampling_col(r, 1, &isnull)) - 1;
			else
			{
				text	   *k = DatumGetTextPP(sampling_col(r, 1, &isnull));

				x->target = sampling_intern_find(&keys, VARDATA_ANY(k), VARSIZE_ANY_EXHDR(k));
				if (x->target < 0)
					continue;	/* a recorded target the draw does not select: verify sees it */
			}
			if (x->target < 0 || x->target >= nt)
				elog(ERROR, "exclusion row out of range");
			d = sampling_col(r, 2, &isnull);
			if (!isnull)
			{
				int64		iid = DatumGetInt64(d);

				x->insp = sampling_intern_find(&ididx, (const char *) &iid, sizeof(iid));
			}
			else
			{
				text	   *c = DatumGetTextPP(sampling_col(r, 3, &isnull));

				x->insp = isnull ? -1 : sampling_intern_find(&certidx, VARDATA_ANY(c), VARSIZE_ANY_EXHDR(c));
			}
			if (x->insp < 0)
				continue;		/* not in the pool */
			oldcxt = MemoryContextSwitchTo(callcxt);
			x->reason = TextDatumGetCString(sampling_col(r, 4, &isnull));
			MemoryContextSwitchTo(oldcxt);
			x->code = strcmp(x->reason, "rotation") == 0 ? SAMPLING_EXCLUDE_ROTATION : SAMPLING_EXCLUDE_RECUSAL;
			nex++;
		}
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_finish();

	/* by target and inspector; one reason per pair: recusal before rotation */
	qsort(ex, nex, sizeof(SamplingExclusion), sampling_exclusion_qsort);
	{
		int			n = 0;

		for (i = 0; i < nex; i++)
		{
			if (n > 0 && ex[n - 1].target == ex[i].target && ex[n - 1].insp == ex[i].insp)
				continue;
			ex[n++] = ex[i];
		}
		nex = n;
		for (i = 0; i < nex; i++)
		{
			if (i == 0 || ex[i - 1].target != ex[i].target)
				teams[ex[i].target].exstart = i;
			teams[ex[i].target].exend = i + 1;
		}
	}
	/* teams, targets in the order of their ranking keys */
	order = MemoryContextAllocHuge(callcxt, sizeof(SamplingPick *) * (nt + 1));
	memcpy(order, picks, sizeof(SamplingPick *) * nt);
	qsort(order, nt, sizeof(SamplingPick *), sampling_pickp_qsort);
	load = MemoryContextAllocZero(callcxt, sizeof(int) * (npool + 1));
	mark = MemoryContextAllocZero(callcxt, sizeof(int) * (npool + 1));
	why = MemoryContextAllocZero(callcxt, sizeof(int) * (npool + 1));
	best = MemoryContextAlloc(callcxt, sizeof(SamplingCand) * (ndepts + 1));
	top = MemoryContextAlloc(callcxt, sizeof(SamplingCand) * (need + 1));
	chosen = MemoryContextAlloc(callcxt, sizeof(int) * (need + 1));
	ck = MemoryContextAlloc(callcxt, sizeof(SamplingCand) * (need + 1));
	taken = MemoryContextAllocZero(callcxt, sizeof(int) * (npool + 1));
	sampling_sha256_init(&prefix);
	sampling_sha256_update(&prefix, seed, seedlen);
	sampling_sha256_update(&prefix, "|", 1);
	for (t = 0; t < nt; t++)
	{
		SamplingPick *pk = order[t];
		SamplingTeam *tm = &teams[pk->index];
		SamplingSha256 tprefix;
		int			ncand = 0,
					n_jur = 0,
					n_rec = 0,
					n_rot = 0,
					n_cap = 0,
					ntop = 0,
					nchosen = 0,
					e,
					d,
					m;
		bool		missing = false;

		if ((t & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = tm->exstart; e < tm->exend; e++)
		{
			mark[ex[e].insp] = t + 1;
			why[ex[e].insp] = ex[e].code;
		}
		for (d = 0; d < ndepts; d++)
			best[d].insp = -1;
		tprefix = prefix;
		sampling_sha256_update(&tprefix, pk->target, pk->targetlen);
		sampling_sha256_update(&tprefix, "|", 1);
		for (m = pk->division >= 0 ? goff[pk->division] : 0;
			 pk->division >= 0 && m < goff[pk->division + 1]; m++)
		{
			int			in = gmem[m];
			SamplingSha256 c;
			SamplingCand cd;

			n_jur++;
			if (mark[in] == t + 1)
			{
				if (why[in] == SAMPLING_EXCLUDE_ROTATION)
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
			ncand++;
			c = tprefix;
			sampling_sha256_update(&c, certs[in], certlens[in]);
			sampling_sha256_final(&c, cd.key);
			cd.k0 = sampling_be64(cd.key);
			cd.insp = in;
			d = idept[in];
			if (best[d].insp < 0 || sampling_cand_less(&cd, &best[d]))
				best[d] = cd;
			/* the need smallest keys, kept in order */
			if (ntop < need || sampling_cand_less(&cd, &top[ntop - 1]))
			{
				int			j = ntop < need ? ntop++ : ntop - 1;

				while (j > 0 && sampling_cand_less(&cd, &top[j - 1]))
				{
					top[j] = top[j - 1];
					j--;
				}
				top[j] = cd;
			}
		}

		/*
		 * Per department its smallest key, then the smallest remaining keys:
		 * every inspector chosen is in best[] or top[], which hold the need
		 * smallest keys.
		 */
		for (d = 0; d < ndepts; d++)
		{
			if (best[d].insp < 0)
			{
				missing = true;
				continue;
			}
			chosen[nchosen++] = d;
			taken[best[d].insp] = t + 1;
		}
		if (nchosen < need && !missing)
		{
			/* chosen[] holds department numbers so far; add top[] positions as -(i + 1) */
			for (i = 0; i < ntop && nchosen < need; i++)
				if (taken[top[i].insp] != t + 1)
				{
					chosen[nchosen++] = -(i + 1);
					taken[top[i].insp] = t + 1;
				}
		}

		if (nchosen < need || missing)
		{
			StringInfoData msg;

			oldcxt = MemoryContextSwitchTo(callcxt);
			initStringInfo(&msg);
			appendStringInfo(&msg, "%d eligible inspectors, %d needed (%d in jurisdiction, %d recused, %d excluded by rotation, %d at workload cap)",
							 ncand, need, n_jur, n_rec, n_rot, n_cap);
			for (d = 0; d < ndepts; d++)
				if (best[d].insp < 0)
					appendStringInfo(&msg, "; no eligible inspector of department %s", depts[d]);
			MemoryContextSwitchTo(oldcxt);
			tm->problem = msg.data;
			tm->members = NULL;
		}
		else
		{
			/* the team in key order (insertion sort: a handful of members) */
			int			j;

			for (i = 0; i < nchosen; i++)
			{
				SamplingCand x = chosen[i] >= 0 ? best[chosen[i]] : top[-chosen[i] - 1];

				for (j = i; j > 0 && sampling_cand_less(&x, &ck[j - 1]); j--)
					ck[j] = ck[j - 1];
				ck[j] = x;
			}
			tm->members = MemoryContextAlloc(callcxt, sizeof(int) * nchosen);
			tm->nmembers = nchosen;
			for (i = 0; i < nchosen; i++)
			{
				tm->members[i] = ck[i].insp;
				load[ck[i].insp]++;
			}
		}
	}

	/* rows, by stratum and rank */
	rowcxt = AllocSetContextCreate(callcxt, "sampling_draw row", ALLOCSET_DEFAULT_SIZES);
	for (t = 0; t < nt; t++)
	{
		SamplingPick *e = picks[t];
		SamplingTeam *tm = &teams[t];
		Datum		values[9];
		bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
		char		st[2] = {e->stratum, '\0'};
		int			nx = tm->exend - tm->exstart;
		Datum	   *xs,
				   *xr;

		if ((t & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		oldcxt = MemoryContextSwitchTo(rowcxt);
		xs = palloc(sizeof(Datum) * (Max(nx, tm->nmembers) + 1));
		xr = palloc(sizeof(Datum) * (nx + 1));
		values[0] = CStringGetTextDatum(st);
		values[1] = PointerGetDatum(cstring_to_text_with_len(e->target, e->targetlen));
		values[2] = Int64GetDatum(e->subject_id);
		values[3] = Int32GetDatum(e->rank);
		values[4] = PointerGetDatum(sampling_bytea(e->key));
		if (tm->members != NULL)
		{
			for (i = 0; i < tm->nmembers; i++)
				xs[i] = CStringGetTextDatum(certs[tm->members[i]]);
			values[5] = PointerGetDatum(construct_array(xs, tm->nmembers, TEXTOID, -1, false, TYPALIGN_INT));
			values[6] = (Datum) 0;
			nulls[6] = true;
		}
		else
		{
			values[5] = (Datum) 0;
			nulls[5] = true;
			values[6] = CStringGetTextDatum(tm->problem);
		}
		for (i = 0; i < nx; i++)
		{
			xs[i] = CStringGetTextDatum(certs[ex[tm->exstart + i].insp]);
			xr[i] = CStringGetTextDatum(ex[tm->exstart + i].reason);
		}
		values[7] = PointerGetDatum(construct_array(xs, nx, TEXTOID, -1, false, TYPALIGN_INT));
		values[8] = PointerGetDatum(construct_array(xr, nx, TEXTOID, -1, false, TYPALIGN_INT));
		MemoryContextSwitchTo(oldcxt);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(callcxt);
	return (Datum) 0;
}
