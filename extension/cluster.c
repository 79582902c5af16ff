/*
 * cluster.c
 *	  Clustering of matched pairs into entities: union-find with cannot-link
 *	  constraints.
 *
 * Links are taken strongest first.  A link joins the clusters of its two
 * items unless a cannot-link pair would then lie inside one cluster.  Each
 * cluster keeps the set of items its members must not be joined with (their
 * cannot-link partners); when two clusters merge, the smaller set is appended
 * to the larger, so every entry moves O(log n) times.  Checking a union looks
 * at the smaller of the two sets only: cannot-links are recorded on both of
 * their items, so a conflicting pair shows up in either set.  A cluster with
 * an empty set can join anything.
 *
 * SQL objects: sql/matching.sql (cluster_pairs).  Used by match.c
 * (resolve_entities).  Documentation: docs/matching.md, "Clustering".
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "match.h"

/* The cannot-link partners of one cluster's members (entries may repeat). */
typedef struct CannotSet
{
	uint32		len;
	uint32		cap;
	uint32		items[FLEXIBLE_ARRAY_MEMBER];
} CannotSet;

typedef struct UnionFind
{
	uint32	   *parent;
	uint32	   *size;
	CannotSet **cannot;			/* per root; NULL when empty */
} UnionFind;

/* Strongest first; ties in item order, so the result never depends on input order. */
static inline int
link_cmp(const SvLink *x, const SvLink *y)
{
	if (x->score > y->score)
		return -1;
	if (x->score < y->score)
		return 1;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

#define ST_SORT sort_links
#define ST_ELEMENT_TYPE SvLink
#define ST_COMPARE(x, y) link_cmp(x, y)
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

static inline uint32
uf_find(UnionFind *uf, uint32 x)
{
	/* path halving */
	while (uf->parent[x] != x)
	{
		uf->parent[x] = uf->parent[uf->parent[x]];
		x = uf->parent[x];
	}
	return x;
}

static void
cannot_add(UnionFind *uf, uint32 item, uint32 partner)
{
	CannotSet  *s = uf->cannot[item];

	if (s == NULL)
	{
		s = palloc(offsetof(CannotSet, items) + 4 * sizeof(uint32));
		s->len = 0;
		s->cap = 4;
		uf->cannot[item] = s;
	}
	else if (s->len == s->cap)
	{
		s->cap *= 2;
		s = repalloc_huge(s, offsetof(CannotSet, items) + (Size) s->cap * sizeof(uint32));
		uf->cannot[item] = s;
	}
	s->items[s->len++] = partner;
}

/* Would joining the clusters of roots ra and rb put a cannot-link pair in one cluster? */
static bool
uf_conflict(UnionFind *uf, uint32 ra, uint32 rb)
{
	CannotSet  *sa = uf->cannot[ra];
	CannotSet  *sb = uf->cannot[rb];
	CannotSet  *small;
	uint32		other;

	if (sa == NULL || sb == NULL)
		return false;
	if (sa->len <= sb->len)
	{
		small = sa;
		other = rb;
	}
	else
	{
		small = sb;
		other = ra;
	}
	for (uint32 i = 0; i < small->len; i++)
		if (uf_find(uf, small->items[i]) == other)
			return true;
	return false;
}

/* Joins two roots: union by size, cannot-link sets merged small into large. */
static void
uf_union(UnionFind *uf, uint32 ra, uint32 rb)
{
	CannotSet  *big;
	CannotSet  *small;

	if (uf->size[ra] < uf->size[rb])
	{
		uint32		t = ra;

		ra = rb;
		rb = t;
	}
	uf->parent[rb] = ra;
	uf->size[ra] += uf->size[rb];

	big = uf->cannot[ra];
	small = uf->cannot[rb];
	uf->cannot[rb] = NULL;
	if (small == NULL)
		return;
	if (big == NULL || big->len < small->len)
	{
		CannotSet  *t = big;

		big = small;
		small = t;
	}
	if (small != NULL)
	{
		if (big->cap < big->len + small->len)
		{
			big->cap = Max(big->cap * 2, big->len + small->len);
			big = repalloc_huge(big, offsetof(CannotSet, items) + (Size) big->cap * sizeof(uint32));
		}
		memcpy(big->items + big->len, small->items, small->len * sizeof(uint32));
		big->len += small->len;
		pfree(small);
	}
	uf->cannot[ra] = big;
}

void
sv_cluster(uint32 n, SvLink *links, int64 nlinks,
		   const SvLink *cannot, int64 ncannot,
		   uint32 *root, SvClusterStats *stats)
{
	UnionFind	uf;
	uint32	   *smallest;

	memset(stats, 0, sizeof(*stats));
	uf.parent = palloc_extended((Size) Max(n, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	uf.size = palloc_extended((Size) Max(n, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	uf.cannot = palloc_extended((Size) Max(n, 1) * sizeof(CannotSet *), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (uint32 i = 0; i < n; i++)
	{
		uf.parent[i] = i;
		uf.size[i] = 1;
	}

	for (int64 i = 0; i < ncannot; i++)
	{
		Assert(cannot[i].a < n && cannot[i].b < n);
		if (cannot[i].a == cannot[i].b)
			continue;
		cannot_add(&uf, cannot[i].a, cannot[i].b);
		cannot_add(&uf, cannot[i].b, cannot[i].a);
	}

	sort_links(links, nlinks);

	for (int64 i = 0; i < nlinks; i++)
	{
		uint32		ra;
		uint32		rb;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		Assert(links[i].a < n && links[i].b < n);
		ra = uf_find(&uf, links[i].a);
		rb = uf_find(&uf, links[i].b);
		if (ra == rb)
			continue;
		if (uf_conflict(&uf, ra, rb))
		{
			stats->refused++;
			if (isinf(links[i].score) && links[i].score > 0)
				stats->refused_must++;
			continue;
		}
		uf_union(&uf, ra, rb);
		stats->unions++;
	}

	/* Items in ascending order: the first item seen of a cluster is its smallest. */
	smallest = uf.size;			/* reused: no longer needed as sizes */
	for (uint32 i = 0; i < n; i++)
		smallest[i] = PG_UINT32_MAX;
	for (uint32 i = 0; i < n; i++)
	{
		uint32		r = uf_find(&uf, i);

		if (smallest[r] == PG_UINT32_MAX)
			smallest[r] = i;
		root[i] = smallest[r];
	}

	for (uint32 i = 0; i < n; i++)
		if (uf.cannot[i] != NULL)
			pfree(uf.cannot[i]);
	pfree(uf.cannot);
	pfree(uf.size);
	pfree(uf.parent);
}

/* ------------------------------------------------------------------------
 * cluster_pairs(id_a text[], id_b text[], score float8[],
 *				 cannot_a text[], cannot_b text[])
 *	 RETURNS TABLE (id text, cluster_root text)
 */

/* One id found in one of the input arrays. */
typedef struct IdRef
{
	const char *s;
	int			len;
	int64		slot;			/* position in the concatenation of all arrays */
} IdRef;

static int
idref_cmp(const void *x, const void *y)
{
	const IdRef *a = (const IdRef *) x;
	const IdRef *b = (const IdRef *) y;
	int			c = memcmp(a->s, b->s, Min(a->len, b->len));

	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->slot > b->slot) - (a->slot < b->slot);
}

/* The elements of a one-dimensional array argument; NULL is an empty array. */
static Datum *
array_arg(FunctionCallInfo fcinfo, int argno, const char *argname, Oid elemtype, int *n)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("argument %s must be a one-dimensional array", argname)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of argument %s is null", i + 1, argname),
					 errdetail("Every id and score must be given.")));
	return elems;
}

PG_FUNCTION_INFO_V1(cluster_pairs);
Datum
cluster_pairs(PG_FUNCTION_ARGS)
{
	static const char *const argnames[5] = {"id_a", "id_b", "score", "cannot_a", "cannot_b"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *ids[4];
	int			nids[4];
	Datum	   *scores;
	int			nscores;
	int64		total;
	IdRef	   *refs;
	uint32	   *rank_of_slot;
	uint32		nitems = 0;
	IdRef	   *first_of_rank;
	SvLink	   *links;
	SvLink	   *cannot;
	int64		nlinks = 0;
	int64		ncannot = 0;
	uint32	   *root;
	SvClusterStats stats;
	int64		k;

	InitMaterializedSRF(fcinfo, 0);

	ids[0] = array_arg(fcinfo, 0, argnames[0], TEXTOID, &nids[0]);
	ids[1] = array_arg(fcinfo, 1, argnames[1], TEXTOID, &nids[1]);
	scores = array_arg(fcinfo, 2, argnames[2], FLOAT8OID, &nscores);
	ids[2] = array_arg(fcinfo, 3, argnames[3], TEXTOID, &nids[2]);
	ids[3] = array_arg(fcinfo, 4, argnames[4], TEXTOID, &nids[3]);

	if (nids[0] != nids[1] || nids[0] != nscores)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("id_a, id_b and score must have the same length"),
				 errdetail("Lengths are %d, %d and %d.", nids[0], nids[1], nscores)));
	if (nids[2] != nids[3])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot_a and cannot_b must have the same length"),
				 errdetail("Lengths are %d and %d.", nids[2], nids[3])));
	for (int i = 0; i < nscores; i++)
		if (isnan(DatumGetFloat8(scores[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element %d of argument score is NaN", i + 1),
					 errhint("Give +Infinity for a must-link.")));

	/* Number the distinct ids in byte order. */
	total = (int64) nids[0] + nids[1] + nids[2] + nids[3];
	refs = palloc_extended(Max(total, 1) * sizeof(IdRef), MCXT_ALLOC_HUGE);
	k = 0;
	for (int a = 0; a < 4; a++)
		for (int i = 0; i < nids[a]; i++)
		{
			text	   *t = DatumGetTextPP(ids[a][i]);

			refs[k].s = VARDATA_ANY(t);
			refs[k].len = VARSIZE_ANY_EXHDR(t);
			refs[k].slot = k;
			k++;
		}
	qsort(refs, total, sizeof(IdRef), idref_cmp);
	rank_of_slot = palloc_extended(Max(total, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	first_of_rank = palloc_extended(Max(total, 1) * sizeof(IdRef), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < total; i++)
	{
		if (i == 0 || refs[i].len != refs[i - 1].len ||
			memcmp(refs[i].s, refs[i - 1].s, refs[i].len) != 0)
			first_of_rank[nitems++] = refs[i];
		rank_of_slot[refs[i].slot] = nitems - 1;
	}

	links = palloc_extended(Max(nids[0], 1) * sizeof(SvLink), MCXT_ALLOC_HUGE);
	for (int i = 0; i < nids[0]; i++)
	{
		uint32		a = rank_of_slot[i];
		uint32		b = rank_of_slot[nids[0] + i];

		if (a == b)
			continue;
		links[nlinks].a = Min(a, b);
		links[nlinks].b = Max(a, b);
		links[nlinks].score = DatumGetFloat8(scores[i]);
		nlinks++;
	}
	cannot = palloc_extended(Max(nids[2], 1) * sizeof(SvLink), MCXT_ALLOC_HUGE);
	for (int i = 0; i < nids[2]; i++)
	{
		int64		base = (int64) nids[0] + nids[1];

		cannot[ncannot].a = rank_of_slot[base + i];
		cannot[ncannot].b = rank_of_slot[base + nids[2] + i];
		cannot[ncannot].score = 0;
		if (cannot[ncannot].a == cannot[ncannot].b)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot-link %d joins id \"%s\" with itself", i + 1,
							text_to_cstring(DatumGetTextPP(ids[2][i]))),
					 errdetail("An item is always in its own cluster.")));
		ncannot++;
	}

	root = palloc_extended(Max(nitems, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	sv_cluster(nitems, links, nlinks, cannot, ncannot, root, &stats);

	for (uint32 i = 0; i < nitems; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		const IdRef *r = &first_of_rank[root[i]];

		values[0] = PointerGetDatum(cstring_to_text_with_len(first_of_rank[i].s, first_of_rank[i].len));
		values[1] = PointerGetDatum(cstring_to_text_with_len(r->s, r->len));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
	}
	return (Datum) 0;
}
