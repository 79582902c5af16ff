/*
 * match.c
 *	  Record matching: comparison vectors, Fellegi-Sunter scoring, EM
 *	  training, blocking and candidate generation, and resolve_entities.
 *
 * A record is (id, name, uscc, address, division_code, legal_representative).
 * Each record is normalized once, through the text layer (textsim.h), into a
 * compact MatchRec whose strings are code-point arrays in one arena.  Two
 * records are compared field by field; each field falls into one level
 * (e.g. name: exact, pinyin, jw>=0.95, ...), and a level weighs
 * log2(m / u), m and u being the probabilities of that level among matching
 * and non-matching candidate pairs.  A pair's score is the sum of its
 * weights (a log2 likelihood ratio); a field missing on either side weighs 0.
 *
 * The levels are fixed here (FieldDef below); their m and u come from a model,
 * a row of supervision.match_model, either set by hand (the seeded default)
 * or fitted by EM over the candidate pairs of a table (match_train).
 *
 * Candidate pairs share a blocking key: a valid credit code, the name core,
 * the pinyin key of the name core, or the 6-digit division with a bigram or a
 * skip-bigram of the name core (each record keeps only its 3 rarest of
 * those).  Keys are hashed (64 bits) into a simplehash table that numbers the
 * blocks; blocks larger than max_block are skipped and reported.  A pair that
 * shares several blocks is visited once: in the first block (lowest number)
 * both records belong to.  Scoring stops early when a pair can no longer
 * reach the caller's threshold, so the costly address comparison is mostly
 * skipped.
 *
 * Records are kept in byte order of their ids, so blocks, pairs, tie-breaks
 * in clustering and entity numbers never depend on the order rows were read.
 *
 * SQL objects: sql/matching.sql.  Documentation: docs/matching.md.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "match.h"
#include "textsim.h"

/* From codes.c (SQL uscc_normalize and uscc_valid): one implementation of the code rules. */
extern Datum codes_uscc_normalize(PG_FUNCTION_ARGS);
extern Datum codes_uscc_valid(PG_FUNCTION_ARGS);

/* Longest text compared, in code points; longer names and addresses are cut. */
#define MAX_MATCH_CHARS 200
/* Characters of the name core that give division + bigram keys. */
#define MAX_GRAM_CHARS	24
#define MAX_KEYS		(3 + 2 * MAX_GRAM_CHARS)
/* Division + bigram blocks a record joins: its rarest ones. */
#define DIVGRAM_PER_RECORD 3
/* Rows fetched from a cursor at a time. */
#define FETCH_ROWS		10000

/* ------------------------------------------------------------------------
 * Fields and levels
 */

typedef enum MatchField
{
	F_USCC,
	F_NAME,
	F_BRANCH,
	F_ADDRESS,
	F_DIVISION,
	F_REP,
	NFIELDS
} MatchField;

#define MAX_LEVELS		7
#define LEVEL_MISSING	(-1)

typedef struct FieldDef
{
	const char *name;
	int			nlevels;
	const char *levels[MAX_LEVELS];
} FieldDef;

static const FieldDef fields[NFIELDS] = {
	[F_USCC] = {"uscc", 3, {"equal", "near", "different"}},
	[F_NAME] = {"name", 7, {"full", "exact", "pinyin", "jw>=0.95", "jw>=0.88", "jw>=0.75", "other"}},
	[F_BRANCH] = {"branch", 4, {"both_head", "same_branch", "different_branch", "one_branch"}},
	[F_ADDRESS] = {"address", 4, {"sim>=0.90", "sim>=0.75", "sim>=0.50", "other"}},
	[F_DIVISION] = {"division", 4, {"county", "city", "province", "different"}},
	[F_REP] = {"legal_representative", 3, {"exact", "jw>=0.90", "different"}},
};

/* Record columns, in the order records are read. */
typedef enum MatchColumn
{
	C_ID,
	C_NAME,
	C_USCC,
	C_ADDRESS,
	C_DIVISION,
	C_REP,
	NCOLUMNS
} MatchColumn;

static const char *const column_names[NCOLUMNS] = {
	"id", "name", "uscc", "address", "division_code", "legal_representative"
};

#define COLUMN_LIST "id, name, uscc, address, division_code, legal_representative"

/* ------------------------------------------------------------------------
 * Models
 */

typedef struct MatchModel
{
	int64		id;				/* 0: not stored (trained in memory) */
	double		m[NFIELDS][MAX_LEVELS];
	double		u[NFIELDS][MAX_LEVELS];
	double		w[NFIELDS][MAX_LEVELS]; /* log2(m / u) */
	double		maxw[NFIELDS];	/* the most a field can add: max(0, max w) */
	double		prior;			/* share of matches among candidate pairs */
	double		upper;			/* score >= upper: match */
	double		lower;			/* score < lower: non-match */
	double		log2_prior_odds;
} MatchModel;

static void
model_derive(MatchModel *mm)
{
	for (int f = 0; f < NFIELDS; f++)
	{
		mm->maxw[f] = 0;
		for (int l = 0; l < fields[f].nlevels; l++)
		{
			mm->w[f][l] = log2(mm->m[f][l] / mm->u[f][l]);
			mm->maxw[f] = Max(mm->maxw[f], mm->w[f][l]);
		}
	}
	mm->log2_prior_odds = log2(mm->prior / (1.0 - mm->prior));
}

/* P(match | score) with the model's prior. */
static inline double
model_probability(const MatchModel *mm, double score)
{
	double		x = score + mm->log2_prior_odds;

	if (isinf(x))
		return x > 0 ? 1.0 : 0.0;
	return 1.0 / (1.0 + exp2(-x));
}

static inline const char *
model_decision(const MatchModel *mm, double score)
{
	if (score >= mm->upper)
		return "match";
	if (score >= mm->lower)
		return "review";
	return "non-match";
}

/*
 * The threshold rule (docs/matching.md): upper is the score where
 * P(match) = 0.95, lower the score where P(match) = 0.5, under the model's
 * prior.
 */
static void
model_set_thresholds(MatchModel *mm)
{
	double		odds = (1.0 - mm->prior) / mm->prior;

	mm->upper = log2(19.0 * odds);
	mm->lower = log2(odds);
}

static const char *
jsonb_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
		default:
			return "value";
	}
}

static int
field_index(const char *name, int len)
{
	for (int f = 0; f < NFIELDS; f++)
		if ((int) strlen(fields[f].name) == len && memcmp(fields[f].name, name, len) == 0)
			return f;
	return -1;
}

static int
level_index(int f, const char *name, int len)
{
	for (int l = 0; l < fields[f].nlevels; l++)
		if ((int) strlen(fields[f].levels[l]) == len && memcmp(fields[f].levels[l], name, len) == 0)
			return l;
	return -1;
}

static char *
level_list(int f)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int l = 0; l < fields[f].nlevels; l++)
		appendStringInfo(&buf, "%s%s", l ? ", " : "", fields[f].levels[l]);
	return buf.data;
}

static char *
field_list(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int f = 0; f < NFIELDS; f++)
		appendStringInfo(&buf, "%s%s", f ? ", " : "", fields[f].name);
	return buf.data;
}

#define MODEL_HINT "comparisons is {\"<field>\": {\"<level>\": {\"m\": <probability>, \"u\": <probability>}, ...}, ...} with every field and level of docs/matching.md."

/* A probability of a level: a number in (0, 1]. */
static double
model_probability_value(JsonbValue *v, const char *field, const char *level, const char *which)
{
	double		x;

	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of level \"%s\" of field \"%s\" must be a number", which, level, field),
				 errdetail("It is a JSON %s.", jsonb_type_name(v))));
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!(x > 0 && x <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of level \"%s\" of field \"%s\" must be in (0, 1]", which, level, field),
				 errdetail("It is %s.", float8out_internal(x)),
				 errhint("A level that never occurs still needs a small positive probability, e.g. 0.0001.")));
	return x;
}

/*
 * Reads and checks a model's comparisons: every field and level present,
 * nothing else, m and u in (0, 1] and adding up to 1 per field (within 0.01).
 */
static void
model_parse_comparisons(Jsonb *jb, MatchModel *mm)
{
	bool		seen[NFIELDS][MAX_LEVELS];
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	memset(seen, 0, sizeof(seen));
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the comparisons of a match model must be a JSON object"),
				 errhint(MODEL_HINT)));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *fname;
		int			f;
		JsonbIterator *it2;
		JsonbValue	v2;
		JsonbIteratorToken tok2;

		if (tok != WJB_KEY)
			continue;
		fname = pnstrdup(v.val.string.val, v.val.string.len);
		f = field_index(v.val.string.val, v.val.string.len);
		if (f < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown field \"%s\" in the comparisons of a match model", fname),
					 errdetail("The fields are %s.", field_list())));
		tok = JsonbIteratorNext(&it, &v, true);
		if (v.type != jbvBinary || JsonContainerIsArray(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" of the comparisons of a match model must be a JSON object", fname),
					 errdetail("It is a JSON %s.", jsonb_type_name(&v)),
					 errhint(MODEL_HINT)));

		it2 = JsonbIteratorInit(v.val.binary.data);
		while ((tok2 = JsonbIteratorNext(&it2, &v2, true)) != WJB_DONE)
		{
			char	   *lname;
			int			l;
			JsonbValue *pm;
			JsonbValue *pu;
			JsonbContainer *lc;
			JsonbIterator *it3;
			JsonbValue	v3;
			JsonbIteratorToken tok3;

			if (tok2 != WJB_KEY)
				continue;
			lname = pnstrdup(v2.val.string.val, v2.val.string.len);
			l = level_index(f, v2.val.string.val, v2.val.string.len);
			if (l < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown level \"%s\" of field \"%s\" in the comparisons of a match model", lname, fname),
						 errdetail("The levels of %s are %s.", fname, level_list(f))));
			tok2 = JsonbIteratorNext(&it2, &v2, true);
			if (v2.type != jbvBinary || JsonContainerIsArray(v2.val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("level \"%s\" of field \"%s\" must be a JSON object with m and u", lname, fname),
						 errdetail("It is a JSON %s.", jsonb_type_name(&v2))));
			lc = v2.val.binary.data;
			/* only m and u */
			it3 = JsonbIteratorInit(lc);
			while ((tok3 = JsonbIteratorNext(&it3, &v3, true)) != WJB_DONE)
				if (tok3 == WJB_KEY &&
					!(v3.val.string.len == 1 && (v3.val.string.val[0] == 'm' || v3.val.string.val[0] == 'u')))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unknown key \"%s\" in level \"%s\" of field \"%s\"",
									pnstrdup(v3.val.string.val, v3.val.string.len), lname, fname),
							 errdetail("A level has exactly two keys, m and u.")));
			pm = getKeyJsonValueFromContainer(lc, "m", 1, NULL);
			pu = getKeyJsonValueFromContainer(lc, "u", 1, NULL);
			if (pm == NULL || pu == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("level \"%s\" of field \"%s\" lacks %s", lname, fname, pm == NULL ? "m" : "u"),
						 errdetail("A level has exactly two keys, m and u.")));
			mm->m[f][l] = model_probability_value(pm, fname, lname, "m");
			mm->u[f][l] = model_probability_value(pu, fname, lname, "u");
			seen[f][l] = true;
		}
	}

	for (int f = 0; f < NFIELDS; f++)
	{
		double		sm = 0;
		double		su = 0;
		bool		any = false;

		for (int l = 0; l < fields[f].nlevels; l++)
			any |= seen[f][l];
		if (!any)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the comparisons of a match model lack field \"%s\"", fields[f].name),
					 errdetail("The fields are %s.", field_list()),
					 errhint(MODEL_HINT)));
		for (int l = 0; l < fields[f].nlevels; l++)
		{
			if (!seen[f][l])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the comparisons of a match model lack level \"%s\" of field \"%s\"",
								fields[f].levels[l], fields[f].name),
						 errdetail("The levels of %s are %s.", fields[f].name, level_list(f)),
						 errhint(MODEL_HINT)));
			sm += mm->m[f][l];
			su += mm->u[f][l];
		}
		if (fabs(sm - 1) > 0.01 || fabs(su - 1) > 0.01)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s probabilities of field \"%s\" add up to %s, not 1",
							fabs(sm - 1) > 0.01 ? "m" : "u", fields[f].name,
							float8out_internal(fabs(sm - 1) > 0.01 ? sm : su)),
					 errdetail("m and u of a field are distributions over its levels (the missing case aside); each must add up to 1 within 0.01.")));
	}
}

/* Loads a stored model: by id, or the default one (the newest marked is_default). */
static void
model_load(bool by_id, int64 id, MatchModel *mm)
{
	int			ret;
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;

	memset(mm, 0, sizeof(*mm));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (by_id)
	{
		Oid			argtype = INT8OID;
		Datum		arg = Int64GetDatum(id);

		ret = SPI_execute_with_args("SELECT id, comparisons, prior, upper, lower"
									" FROM supervision.match_model WHERE id = $1",
									1, &argtype, &arg, NULL, true, 1);
	}
	else
		ret = SPI_execute("SELECT id, comparisons, prior, upper, lower"
						  " FROM supervision.match_model WHERE is_default ORDER BY id DESC LIMIT 1",
						  true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading supervision.match_model failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
	{
		if (by_id)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("match model %lld does not exist", (long long) id),
					 errhint("The models are the rows of supervision.match_model.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no default match model"),
				 errhint("Mark one: UPDATE supervision.match_model SET is_default = true WHERE id = ...;")));
	}
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	mm->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	model_parse_comparisons(DatumGetJsonbP(SPI_getbinval(tup, desc, 2, &isnull)), mm);
	mm->prior = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &isnull));
	mm->upper = DatumGetFloat8(SPI_getbinval(tup, desc, 4, &isnull));
	mm->lower = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
	SPI_finish();
	model_derive(mm);
}

static void
append_float(StringInfo buf, double x)
{
	if (isnan(x) || isinf(x))
		appendStringInfoString(buf, "null");
	else
		appendStringInfoString(buf, float8out_internal(x));
}

/* The comparisons of a model as JSON text (the format model_parse_comparisons reads). */
static char *
model_comparisons_json(const MatchModel *mm)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int f = 0; f < NFIELDS; f++)
	{
		appendStringInfo(&buf, "%s\"%s\": {", f ? ", " : "", fields[f].name);
		for (int l = 0; l < fields[f].nlevels; l++)
		{
			appendStringInfo(&buf, "%s\"%s\": {\"m\": ", l ? ", " : "", fields[f].levels[l]);
			append_float(&buf, mm->m[f][l]);
			appendStringInfoString(&buf, ", \"u\": ");
			append_float(&buf, mm->u[f][l]);
			appendStringInfoChar(&buf, '}');
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* ------------------------------------------------------------------------
 * Normalized records
 */

typedef enum UsccState
{
	USCC_MISSING = 0,			/* absent, or not 18 characters of the code set */
	USCC_VALID,
	USCC_INVALID				/* 18 characters of the code set, a check character wrong */
} UsccState;

typedef struct MatchRec
{
	const char *id;				/* server encoding, NUL-terminated */
	SvUStr		core;			/* name core */
	uint64		name_hash;		/* hash of the whole normalized name */
	SvUStr		addr;			/* address, normalized (sv_address_normalize) */
	SvUStr		rep;			/* legal representative, normalized */
	uint64		pinyin;			/* hash of the pinyin key of the core; 0: none */
	SvUStr		branch;			/* place of a branch (鼓楼 of 鼓楼区分公司), see branch_key */
	int8		branch_kind;	/* -1: head office; else which branch suffix (分公司, 支行...) */
	bool		has_name;		/* false when the name is empty or has an empty core */
	uint8		uscc_state;
	uint8		div_len;		/* 6, or 0 when missing */
	char		uscc[18];
	char		div[6];
} MatchRec;

/* What match_explain shows of a record (server encoding). */
typedef struct ExplainInfo
{
	char	   *uscc;
	char	   *core;
	bool		empty_core;		/* the name is only divisions and organisation forms */
	char	   *pinyin;
	char	   *branch;			/* the branch part as sv_name_parts found it; NULL for a head office */
	char	   *address;
	char	   *division;
	char	   *rep;
} ExplainInfo;

/* One record as read: each value NULL or a NUL-terminated string in the server encoding. */
typedef struct RawRecord
{
	const char *val[NCOLUMNS];
} RawRecord;

/* Bump allocator for the records' strings: few, large blocks. */
#define ARENA_BLOCK (1024 * 1024)

typedef struct Arena
{
	MemoryContext cxt;
	char	   *cur;
	Size		left;
} Arena;

static void *
arena_alloc(Arena *a, Size size)
{
	void	   *p;

	size = TYPEALIGN(sizeof(int32), size);
	if (size > a->left)
	{
		if (size > ARENA_BLOCK / 8)
			return MemoryContextAllocHuge(a->cxt, size);
		a->cur = MemoryContextAlloc(a->cxt, ARENA_BLOCK);
		a->left = ARENA_BLOCK;
	}
	p = a->cur;
	a->cur += size;
	a->left -= size;
	return p;
}

/* Pinyin keys by name core: Han-Latin is the costliest step, done once per distinct core. */
typedef struct PinyinEntry
{
	uint64		core_hash;
	uint64		pinyin;
	char		status;
} PinyinEntry;

#define SH_PREFIX pinyincache
#define SH_ELEMENT_TYPE PinyinEntry
#define SH_KEY_TYPE uint64
#define SH_KEY core_hash
#define SH_HASH_KEY(tb, key) ((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Everything one call works on; freed at once by deleting cxt. */
typedef struct MatchData
{
	MemoryContext cxt;			/* records, arena, blocking */
	MemoryContext tmp;			/* per-record scratch of the text layer */
	Arena		arena;
	MatchRec   *recs;
	uint32		n;
	uint32		cap;
	pinyincache_hash *pinyin;
	const char *relname;		/* for messages */
} MatchData;

static MatchData *
matchdata_create(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "supervision match",
											  ALLOCSET_DEFAULT_SIZES);
	MatchData  *md = MemoryContextAllocZero(cxt, sizeof(MatchData));

	md->cxt = cxt;
	md->tmp = AllocSetContextCreate(cxt, "supervision match record", ALLOCSET_DEFAULT_SIZES);
	md->arena.cxt = cxt;
	md->pinyin = pinyincache_create(cxt, 1024, NULL);
	return md;
}

static void
matchdata_free(MatchData *md)
{
	MemoryContextDelete(md->cxt);
}

static inline bool
ustr_eq(SvUStr a, SvUStr b)
{
	return a.len == b.len && memcmp(a.cp, b.cp, sizeof(int32) * a.len) == 0;
}

static inline uint64
ustr_hash(SvUStr s, uint64 seed)
{
	return hash_bytes_extended((const unsigned char *) s.cp, (int) (s.len * sizeof(int32)), seed);
}

static SvUStr
ustr_copy(Arena *a, SvUStr s)
{
	SvUStr		r;

	r.len = s.len;
	r.cp = arena_alloc(a, Max(s.len, 1) * sizeof(int32));
	memcpy(r.cp, s.cp, s.len * sizeof(int32));
	return r;
}

/* Server-encoding string to code points, cut at MAX_MATCH_CHARS. */
static SvUStr
ustr_from_server(const char *s)
{
	int			len = strlen(s);
	char	   *u = pg_server_to_any(s, len, PG_UTF8);
	SvUStr		r = sv_ustr_from_utf8(u, u == s ? len : (int) strlen(u));

	if (r.len > MAX_MATCH_CHARS)
		r.len = MAX_MATCH_CHARS;
	return r;
}

/* Code points to a server-encoding string (for messages and match_explain). */
static char *
ustr_to_server(SvUStr s)
{
	int			len;
	char	   *u = sv_ustr_to_utf8(s, &len);

	return pg_any_to_server(u, len, PG_UTF8);
}

/* Branch suffixes (分支机构): two branches are the same branch only with the same suffix. */
static const int32 branch_suffixes[][4] = {
	{3, 0x5206, 0x516C, 0x53F8},	/* 分公司 */
	{2, 0x5206, 0x5E97},		/* 分店 */
	{2, 0x5206, 0x5382},		/* 分厂 */
	{2, 0x5206, 0x884C},		/* 分行 */
	{2, 0x652F, 0x884C},		/* 支行 */
	{3, 0x5206, 0x7406, 0x5904},	/* 分理处 */
	{3, 0x8425, 0x4E1A, 0x90E8},	/* 营业部 */
	{3, 0x8425, 0x4E1A, 0x6240},	/* 营业所 */
	{3, 0x529E, 0x4E8B, 0x5904},	/* 办事处 */
	{2, 0x5206, 0x6240},		/* 分所 */
	{3, 0x5206, 0x4E2D, 0x5FC3},	/* 分中心 */
	{2, 0x5206, 0x90E8},		/* 分部 */
	{2, 0x5206, 0x9662},		/* 分院 */
	{2, 0x5206, 0x6821},		/* 分校 */
};

/*
 * The comparable form of a branch part (sv_name_parts: 南京市鼓楼区分公司):
 * its suffix kind (分公司; lengthof(branch_suffixes) for another one) and its
 * place, the rest without the characters 省, 市, 区, 县 (南京鼓楼), so that
 * 鼓楼区分公司 and 鼓楼分公司 agree.  The place is written into part.cp.
 */
static int8
branch_key(SvUStr *part)
{
	int8		kind = (int8) lengthof(branch_suffixes);
	int			k = 0;

	for (int i = 0; i < (int) lengthof(branch_suffixes); i++)
	{
		int			wl = branch_suffixes[i][0];

		if (part->len >= wl &&
			memcmp(part->cp + part->len - wl, &branch_suffixes[i][1], wl * sizeof(int32)) == 0)
		{
			kind = (int8) i;
			part->len -= wl;
			break;
		}
	}
	for (int i = 0; i < part->len; i++)
	{
		int32		c = part->cp[i];

		if (c != 0x7701 && c != 0x5E02 && c != 0x533A && c != 0x53BF)	/* 省市区县 */
			part->cp[k++] = c;
	}
	part->len = k;
	return kind;
}

/* Credit code: cleaned by uscc_normalize, then classified. */
static UsccState
prepare_uscc(const char *raw, char *out)
{
	text	   *t = (text *) DatumGetPointer(DirectFunctionCall1(codes_uscc_normalize,
																 CStringGetTextDatum(raw)));
	int			len = VARSIZE_ANY_EXHDR(t);
	const char *s = VARDATA_ANY(t);

	if (len != 18)
		return USCC_MISSING;
	for (int i = 0; i < 18; i++)
		if (s[i] == '\0' || strchr("0123456789ABCDEFGHJKLMNPQRTUWXY", s[i]) == NULL)
			return USCC_MISSING;
	memcpy(out, s, 18);
	if (DatumGetBool(DirectFunctionCall1(codes_uscc_valid, PointerGetDatum(t))))
		return USCC_VALID;
	return USCC_INVALID;
}

/*
 * Division code: digits only, 2, 4, 6, 9 or 12 of them; the first 6 are kept
 * (2 and 4 padded with zeros: a province or a city).  Anything else: missing.
 */
static int
prepare_division(const char *raw, char *out)
{
	int			len;

	while (*raw == ' ' || (*raw >= '\t' && *raw <= '\r'))
		raw++;
	len = strlen(raw);
	while (len > 0 && (raw[len - 1] == ' ' || (raw[len - 1] >= '\t' && raw[len - 1] <= '\r')))
		len--;
	if (len != 2 && len != 4 && len != 6 && len != 9 && len != 12)
		return 0;
	for (int i = 0; i < len; i++)
		if (raw[i] < '0' || raw[i] > '9')
			return 0;
	for (int i = 0; i < 6; i++)
		out[i] = i < len ? raw[i] : '0';
	return 6;
}

/*
 * Normalizes one record into rec (strings in md's arena).  With ex, also
 * fills in what match_explain shows.
 */
static void
prepare_record(MatchData *md, const RawRecord *raw, MatchRec *rec, ExplainInfo *ex)
{
	MemoryContext old = MemoryContextSwitchTo(md->tmp);

	memset(rec, 0, sizeof(MatchRec));
	rec->uscc_state = USCC_MISSING;
	rec->branch_kind = -1;

	if (raw->val[C_NAME] != NULL)
	{
		SvUStr		norm = sv_name_normalize(ustr_from_server(raw->val[C_NAME]));

		if (norm.len > 0)
		{
			SvUStr		core = sv_name_core(norm);
			SvNameParts parts;
			uint64		core_hash;
			PinyinEntry *pe;
			bool		found;

			/*
			 * A name that is only divisions and organisation forms (有限公司,
			 * 个体工商户) names nobody: the record compares as if it had no
			 * name, so that such names never link records.
			 */
			if (core.len == 0)
			{
				if (ex)
				{
					ex->core = ustr_to_server(norm);
					ex->empty_core = true;
				}
			}
			else
			{
				if (core.len > MAX_MATCH_CHARS)
					core.len = MAX_MATCH_CHARS;
				rec->has_name = true;
				rec->core = ustr_copy(&md->arena, core);
				rec->name_hash = ustr_hash(norm, 4);

				sv_name_parts(norm, &parts);
				if (parts.branch.len > 0)
				{
					if (ex)
						ex->branch = ustr_to_server(parts.branch);
					rec->branch_kind = branch_key(&parts.branch);
					rec->branch = ustr_copy(&md->arena, parts.branch);
				}

				/* pinyin, once per distinct core */
				core_hash = ustr_hash(core, 2);
				MemoryContextSwitchTo(md->cxt);
				pe = pinyincache_insert(md->pinyin, core_hash, &found);
				MemoryContextSwitchTo(md->tmp);
				if (!found || ex)
				{
					SvUStr		py = sv_pinyin_key(core);

					pe->pinyin = py.len > 0 ? (ustr_hash(py, 3) | 1) : 0;
					if (ex && py.len > 0)
						ex->pinyin = ustr_to_server(py);
				}
				rec->pinyin = pe->pinyin;
				if (ex)
					ex->core = ustr_to_server(core);
			}
		}
	}

	if (raw->val[C_USCC] != NULL)
	{
		rec->uscc_state = prepare_uscc(raw->val[C_USCC], rec->uscc);
		if (ex && rec->uscc_state != USCC_MISSING)
			ex->uscc = pnstrdup(rec->uscc, 18);
	}

	if (raw->val[C_ADDRESS] != NULL)
	{
		SvUStr		a = sv_address_normalize(ustr_from_server(raw->val[C_ADDRESS]));

		if (a.len > 0)
		{
			rec->addr = ustr_copy(&md->arena, a);
			if (ex)
				ex->address = ustr_to_server(a);
		}
	}

	if (raw->val[C_DIVISION] != NULL)
	{
		rec->div_len = prepare_division(raw->val[C_DIVISION], rec->div);
		if (ex && rec->div_len)
			ex->division = pnstrdup(rec->div, 6);
	}

	if (raw->val[C_REP] != NULL)
	{
		SvUStr		r = sv_name_normalize(ustr_from_server(raw->val[C_REP]));

		if (r.len > 0)
		{
			rec->rep = ustr_copy(&md->arena, r);
			if (ex)
				ex->rep = ustr_to_server(r);
		}
	}

	MemoryContextSwitchTo(old);
	if (!ex)
		MemoryContextReset(md->tmp);
}

/* ------------------------------------------------------------------------
 * Comparison
 */

static int
level_uscc(const MatchRec *a, const MatchRec *b)
{
	int			diff = 0;

	if (a->uscc_state == USCC_MISSING || b->uscc_state == USCC_MISSING)
		return LEVEL_MISSING;
	for (int i = 0; i < 18; i++)
		diff += a->uscc[i] != b->uscc[i];
	if (diff == 0)
		return 0;
	/* a typo: at most two characters differ (also a swap), and one code fails its check */
	if (diff <= 2 && (a->uscc_state == USCC_INVALID || b->uscc_state == USCC_INVALID))
		return 1;
	return 2;
}

static int
level_name(const MatchRec *a, const MatchRec *b, double *sim)
{
	double		jw;

	*sim = NAN;
	if (!a->has_name || !b->has_name)
		return LEVEL_MISSING;
	if (ustr_eq(a->core, b->core))
	{
		*sim = 1.0;
		return a->name_hash == b->name_hash ? 0 : 1;
	}
	if (a->pinyin != 0 && a->pinyin == b->pinyin)
		return 2;
	jw = sv_jaro_winkler(a->core, b->core);
	*sim = jw;
	if (jw >= 0.95)
		return 3;
	if (jw >= 0.88)
		return 4;
	if (jw >= 0.75)
		return 5;
	return 6;
}

/*
 * Two branches are the same branch when their suffixes agree and their
 * places are equal or one ends with the other (南京鼓楼 and 鼓楼), at least
 * two characters long.
 */
static bool
same_branch(const MatchRec *a, const MatchRec *b)
{
	SvUStr		x = a->branch;
	SvUStr		y = b->branch;

	if (a->branch_kind != b->branch_kind)
		return false;
	if (ustr_eq(x, y))
		return true;
	if (x.len > y.len)
	{
		SvUStr		t = x;

		x = y;
		y = t;
	}
	return x.len >= 2 &&
		memcmp(x.cp, y.cp + y.len - x.len, x.len * sizeof(int32)) == 0;
}

static int
level_branch(const MatchRec *a, const MatchRec *b)
{
	if (!a->has_name || !b->has_name)
		return LEVEL_MISSING;
	if (a->branch_kind < 0 && b->branch_kind < 0)
		return 0;
	if (a->branch_kind >= 0 && b->branch_kind >= 0)
		return same_branch(a, b) ? 1 : 2;
	return 3;
}

static int
level_address(const MatchRec *a, const MatchRec *b, double *sim)
{
	double		s;

	*sim = NAN;
	if (a->addr.len == 0 || b->addr.len == 0)
		return LEVEL_MISSING;
	s = ustr_eq(a->addr, b->addr) ? 1.0 : sv_address_similarity(a->addr, b->addr);
	*sim = s;
	if (s >= 0.90)
		return 0;
	if (s >= 0.75)
		return 1;
	if (s >= 0.50)
		return 2;
	return 3;
}

static int
level_division(const MatchRec *a, const MatchRec *b)
{
	if (a->div_len == 0 || b->div_len == 0)
		return LEVEL_MISSING;
	if (memcmp(a->div, b->div, 6) == 0)
		return 0;
	if (memcmp(a->div, b->div, 4) == 0)
		return 1;
	if (memcmp(a->div, b->div, 2) == 0)
		return 2;
	return 3;
}

static int
level_rep(const MatchRec *a, const MatchRec *b, double *sim)
{
	double		jw;

	*sim = NAN;
	if (a->rep.len == 0 || b->rep.len == 0)
		return LEVEL_MISSING;
	if (ustr_eq(a->rep, b->rep))
	{
		*sim = 1.0;
		return 0;
	}
	jw = sv_jaro_winkler(a->rep, b->rep);
	*sim = jw;
	return jw >= 0.90 ? 1 : 2;
}

static inline double
level_weight(const MatchModel *mm, int f, int l)
{
	return l == LEVEL_MISSING ? 0.0 : mm->w[f][l];
}

/* Every level of a pair (no shortcut). */
static void
compare_full(const MatchRec *a, const MatchRec *b, int *lv, double *sim)
{
	for (int f = 0; f < NFIELDS; f++)
		sim[f] = NAN;
	lv[F_USCC] = level_uscc(a, b);
	lv[F_NAME] = level_name(a, b, &sim[F_NAME]);
	lv[F_BRANCH] = level_branch(a, b);
	lv[F_ADDRESS] = level_address(a, b, &sim[F_ADDRESS]);
	lv[F_DIVISION] = level_division(a, b);
	lv[F_REP] = level_rep(a, b, &sim[F_REP]);
}

/*
 * The score of a pair, or -Infinity as soon as it cannot reach cutoff: the
 * cheap fields first, then the legal representative and the address only
 * when the best weights they could add would still make a difference.
 */
static double
score_pair(const MatchModel *mm, const MatchRec *a, const MatchRec *b, double cutoff)
{
	double		s;
	double		sim;

	s = level_weight(mm, F_USCC, level_uscc(a, b));
	s += level_weight(mm, F_DIVISION, level_division(a, b));
	s += level_weight(mm, F_BRANCH, level_branch(a, b));
	s += level_weight(mm, F_NAME, level_name(a, b, &sim));
	if (s + mm->maxw[F_REP] + mm->maxw[F_ADDRESS] < cutoff)
		return -INFINITY;
	s += level_weight(mm, F_REP, level_rep(a, b, &sim));
	if (s + mm->maxw[F_ADDRESS] < cutoff)
		return -INFINITY;
	s += level_weight(mm, F_ADDRESS, level_address(a, b, &sim));
	return s < cutoff ? -INFINITY : s;
}

/* ------------------------------------------------------------------------
 * Reading records
 */

static bool
text_like(Oid type)
{
	type = getBaseType(type);
	return type == TEXTOID || type == VARCHAROID || type == BPCHAROID;
}

static char *
qualified_relname(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

static void
check_relkind(Oid relid, const char *what)
{
	char		kind = get_rel_relkind(relid);

	if (kind != RELKIND_RELATION && kind != RELKIND_VIEW && kind != RELKIND_MATVIEW &&
		kind != RELKIND_FOREIGN_TABLE && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", get_rel_name(relid)),
				 errdetail("%s must be a table, view, materialized view or foreign table.", what)));
}

/*
 * A column of a records or decisions table: its number, or 0 when it is
 * optional and absent.  A required column that is absent, or a column of
 * the wrong type, is an error.
 */
static AttrNumber
find_column(Oid relid, const char *col, bool required, bool boolean, const char *columns)
{
	AttrNumber	att = get_attnum(relid, col);
	Oid			type;

	if (att == InvalidAttrNumber || att < 0)
	{
		if (!required)
			return 0;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column \"%s\"", get_rel_name(relid), col),
				 errdetail("The columns read are %s.", columns)));
	}
	type = get_atttype(relid, att);
	if (boolean ? getBaseType(type) != BOOLOID : !text_like(type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of table \"%s\" has type %s, not %s",
						col, get_rel_name(relid), format_type_be(type), boolean ? "boolean" : "text"),
				 errhint("Read the table through a view that casts the column, e.g. CREATE VIEW v AS SELECT %s::%s AS %s, ...",
						 col, boolean ? "boolean" : "text", col)));
	return att;
}

static int
matchrec_cmp(const void *x, const void *y)
{
	return strcmp(((const MatchRec *) x)->id, ((const MatchRec *) y)->id);
}

/*
 * Reads and normalizes every record of a table through a cursor, then sorts
 * the records by id and refuses duplicates.  Needs an SPI connection.
 */
static void
load_records(MatchData *md, Oid relid, bool read_only)
{
	AttrNumber	att[NCOLUMNS];
	StringInfoData q;
	Portal		portal;
	MemoryContext old;

	check_relkind(relid, "The records");
	md->relname = MemoryContextStrdup(md->cxt, get_rel_name(relid));
	for (int c = 0; c < NCOLUMNS; c++)
		att[c] = find_column(relid, column_names[c], c == C_ID || c == C_NAME, false,
							 COLUMN_LIST " (id and name required)");

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (int c = 0; c < NCOLUMNS; c++)
		appendStringInfo(&q, "%s%s::text", c ? ", " : "",
						 att[c] ? quote_identifier(column_names[c]) : "NULL");
	appendStringInfo(&q, " FROM %s", qualified_relname(relid));

	portal = SPI_cursor_open_with_args(NULL, q.data, 0, NULL, NULL, NULL, read_only,
									   CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(md->cxt);
		if (md->n + SPI_processed > md->cap)
		{
			uint64		cap = Max((uint64) md->cap * 2, md->n + SPI_processed);

			if (cap >= PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many records in table \"%s\"", md->relname),
						 errdetail("The engine handles fewer than 2^31 records at a time.")));
			md->recs = md->recs == NULL
				? MemoryContextAllocHuge(md->cxt, cap * sizeof(MatchRec))
				: repalloc_huge(md->recs, cap * sizeof(MatchRec));
			md->cap = (uint32) cap;
		}
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			RawRecord	raw;
			MatchRec   *rec = &md->recs[md->n];

			CHECK_FOR_INTERRUPTS();
			MemoryContextSwitchTo(md->tmp);
			for (int c = 0; c < NCOLUMNS; c++)
			{
				bool		isnull;
				Datum		d = SPI_getbinval(tup, desc, c + 1, &isnull);

				raw.val[c] = isnull ? NULL : TextDatumGetCString(d);
			}
			if (raw.val[C_ID] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a record of table \"%s\" has a null id", md->relname),
						 errdetail("Record with name \"%s\".", raw.val[C_NAME] ? raw.val[C_NAME] : "(null)"),
						 errhint("Every record needs a unique, non-null id.")));
			if (raw.val[C_NAME] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("record \"%s\" of table \"%s\" has a null name", raw.val[C_ID], md->relname),
						 errhint("Every record needs a name; the other columns may be null.")));
			MemoryContextSwitchTo(md->cxt);
			{
				char	   *id = arena_alloc(&md->arena, strlen(raw.val[C_ID]) + 1);

				strcpy(id, raw.val[C_ID]);
				prepare_record(md, &raw, rec, NULL);
				rec->id = id;
			}
			md->n++;
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextReset(md->tmp);

	if (md->n > 1)
		qsort(md->recs, md->n, sizeof(MatchRec), matchrec_cmp);
	for (uint32 i = 1; i < md->n; i++)
		if (strcmp(md->recs[i - 1].id, md->recs[i].id) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("duplicate record id \"%s\" in table \"%s\"", md->recs[i].id, md->relname),
					 errhint("Record ids must be unique.")));
}

/* The index of a record by id, or -1. */
static int64
find_record(MatchData *md, const char *id)
{
	int64		lo = 0;
	int64		hi = (int64) md->n - 1;

	while (lo <= hi)
	{
		int64		mid = (lo + hi) / 2;
		int			c = strcmp(md->recs[mid].id, id);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * Blocking
 */

typedef enum BlockKind
{
	K_USCC,
	K_CORE,
	K_PINYIN,
	K_DIVGRAM,
	NKINDS
} BlockKind;

static const char *const kind_names[NKINDS] = {
	"credit code", "name core", "pinyin key", "division + name bigram"
};

typedef struct BlockKeyEntry
{
	uint64		key;
	uint32		block;
	char		status;
} BlockKeyEntry;

#define SH_PREFIX blockkey
#define SH_ELEMENT_TYPE BlockKeyEntry
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) ((uint32) ((key) ^ ((key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct Blocking
{
	uint32		nrec;
	uint32		nactive;		/* blocks of 2 .. max_block records */
	uint32	   *blk_start;		/* nactive + 1 offsets into blk_members */
	uint32	   *blk_members;	/* record numbers, ascending within a block */
	uint32	   *rec_start;		/* nrec + 1 offsets into rec_blocks */
	uint32	   *rec_blocks;		/* active blocks of each record, ascending */
	int			max_block;
	int64		blocks[NKINDS]; /* blocks of 2 or more records */
	int64		skipped[NKINDS];	/* of which larger than max_block */
	int64		largest_skipped[NKINDS];
	int64		pairs;			/* distinct candidate pairs */
} Blocking;

typedef struct KeyKind
{
	uint64		key;
	uint8		kind;
} KeyKind;

static int
keykind_cmp(const void *x, const void *y)
{
	uint64		a = ((const KeyKind *) x)->key;
	uint64		b = ((const KeyKind *) y)->key;

	return (a > b) - (a < b);
}

/* The blocking keys of a record, distinct. */
static int
record_keys(const MatchRec *r, KeyKind *keys)
{
	int			n = 0;
	int			k = 0;

	if (r->uscc_state == USCC_VALID)
	{
		keys[n].key = hash_bytes_extended((const unsigned char *) r->uscc, 18, K_USCC);
		keys[n++].kind = K_USCC;
	}
	if (r->has_name)
	{
		int			glen = Min(r->core.len, MAX_GRAM_CHARS);

		keys[n].key = ustr_hash(r->core, K_CORE);
		keys[n++].kind = K_CORE;
		if (r->pinyin != 0)
		{
			keys[n].key = hash_combine64(K_PINYIN + 0x9e3779b97f4a7c15ULL, r->pinyin);
			keys[n++].kind = K_PINYIN;
		}
		if (r->div_len == 6)
			for (int i = 0; i + 1 < glen; i++)
				for (int gap = 1; gap <= 2 && i + gap < glen; gap++)
				{
					unsigned char buf[6 + 1 + 2 * sizeof(int32)];

					memcpy(buf, r->div, 6);
					buf[6] = (unsigned char) gap;
					memcpy(buf + 7, &r->core.cp[i], sizeof(int32));
					memcpy(buf + 7 + sizeof(int32), &r->core.cp[i + gap], sizeof(int32));
					keys[n].key = hash_bytes_extended(buf, sizeof(buf), K_DIVGRAM);
					keys[n++].kind = K_DIVGRAM;
				}
	}
	if (n > 1)
	{
		qsort(keys, n, sizeof(KeyKind), keykind_cmp);
		for (int i = 1; i < n; i++)
			if (keys[i].key != keys[k].key)
				keys[++k] = keys[i];
		n = k + 1;
	}
	return n;
}

static void
insertion_sort_u32(uint32 *a, uint32 n)
{
	for (uint32 i = 1; i < n; i++)
	{
		uint32		x = a[i];
		uint32		j = i;

		while (j > 0 && a[j - 1] > x)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32		a = *(const uint32 *) x;
	uint32		b = *(const uint32 *) y;

	return (a > b) - (a < b);
}

/*
 * Builds the blocks: every key gets a block number (simplehash), blocks of
 * 2 .. max_block records are kept (renumbered in order of first appearance),
 * larger ones are counted as skipped.
 */
static void
blocking_build(MatchData *md, int max_block, Blocking *bk)
{
	MemoryContext old = MemoryContextSwitchTo(md->cxt);
	uint32		n = md->n;
	blockkey_hash *ht;
	uint32	   *bsize;
	uint8	   *bkind;
	uint64		bcap = 1024;
	uint32		nb = 0;
	uint64		ecap = (uint64) Max(n, 16) * 8;
	uint64		ne = 0;
	uint32	   *newid;
	KeyKind		keys[MAX_KEYS];

	memset(bk, 0, sizeof(*bk));
	bk->nrec = n;
	bk->max_block = max_block;
	bk->rec_start = MemoryContextAllocHuge(md->cxt, ((Size) n + 1) * sizeof(uint32));
	bk->rec_blocks = MemoryContextAllocHuge(md->cxt, ecap * sizeof(uint32));
	bsize = MemoryContextAllocHuge(md->cxt, bcap * sizeof(uint32));
	bkind = MemoryContextAllocHuge(md->cxt, bcap);
	ht = blockkey_create(md->cxt, (uint32) Min(Max((uint64) n * 4, 1024), PG_INT32_MAX), NULL);

	for (uint32 i = 0; i < n; i++)
	{
		int			nk;

		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		nk = record_keys(&md->recs[i], keys);
		bk->rec_start[i] = (uint32) ne;
		if (ne + nk > ecap)
		{
			ecap *= 2;
			if (ecap > PG_UINT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many blocking keys")));
			bk->rec_blocks = repalloc_huge(bk->rec_blocks, ecap * sizeof(uint32));
		}
		for (int k = 0; k < nk; k++)
		{
			bool		found;
			BlockKeyEntry *e = blockkey_insert(ht, keys[k].key, &found);

			if (!found)
			{
				if (nb == bcap)
				{
					bcap *= 2;
					bsize = repalloc_huge(bsize, bcap * sizeof(uint32));
					bkind = repalloc_huge(bkind, bcap);
				}
				e->block = nb;
				bsize[nb] = 0;
				bkind[nb] = keys[k].kind;
				nb++;
			}
			bsize[e->block]++;
			bk->rec_blocks[ne++] = e->block;
		}
	}
	bk->rec_start[n] = (uint32) ne;
	blockkey_destroy(ht);

	/*
	 * A record joins only its DIVGRAM_PER_RECORD rarest division + bigram
	 * blocks (fewest records; ties: first seen).  Bigrams of industry words
	 * (科技, 贸易) are shared by hundreds of records of a county and say
	 * little; the rare ones, from the trade name, are what a typo leaves in
	 * common.  Then every block is counted again.
	 */
	{
		uint64		w = 0;

		for (uint32 i = 0; i < n; i++)
		{
			uint32		from = bk->rec_start[i];
			uint32		to = bk->rec_start[i + 1];
			uint32		chosen[DIVGRAM_PER_RECORD];
			int			nchosen = 0;

			bk->rec_start[i] = (uint32) w;
			for (uint32 e = from; e < to; e++)
			{
				uint32		b = bk->rec_blocks[e];
				int			pos;

				if (bkind[b] != K_DIVGRAM)
				{
					bk->rec_blocks[w++] = b;
					continue;
				}
				if (bsize[b] < 2)
					continue;
				/* insert into chosen, kept sorted by (size, block) */
				pos = nchosen;
				while (pos > 0 &&
					   (bsize[chosen[pos - 1]] > bsize[b] ||
						(bsize[chosen[pos - 1]] == bsize[b] && chosen[pos - 1] > b)))
					pos--;
				if (pos >= DIVGRAM_PER_RECORD)
					continue;
				if (nchosen < DIVGRAM_PER_RECORD)
					nchosen++;
				memmove(&chosen[pos + 1], &chosen[pos], sizeof(uint32) * (nchosen - 1 - pos));
				chosen[pos] = b;
			}
			for (int c = 0; c < nchosen; c++)
				bk->rec_blocks[w++] = chosen[c];
		}
		bk->rec_start[n] = (uint32) w;
		memset(bsize, 0, sizeof(uint32) * nb);
		for (uint64 e = 0; e < w; e++)
			bsize[bk->rec_blocks[e]]++;
	}

	/* keep blocks of 2 .. max_block records */
	newid = MemoryContextAllocHuge(md->cxt, (Size) Max(nb, 1) * sizeof(uint32));
	for (uint32 b = 0; b < nb; b++)
	{
		newid[b] = PG_UINT32_MAX;
		if (bsize[b] < 2)
			continue;
		bk->blocks[bkind[b]]++;
		if (bsize[b] > (uint32) max_block)
		{
			bk->skipped[bkind[b]]++;
			bk->largest_skipped[bkind[b]] = Max(bk->largest_skipped[bkind[b]], bsize[b]);
			continue;
		}
		bsize[bk->nactive] = bsize[b];	/* sizes by new number (new <= old) */
		newid[b] = bk->nactive++;
	}

	/* each record's active blocks, ascending, compacted in place */
	{
		uint64		w = 0;

		for (uint32 i = 0; i < n; i++)
		{
			uint32		from = bk->rec_start[i];
			uint32		to = bk->rec_start[i + 1];
			uint64		start = w;

			for (uint32 e = from; e < to; e++)
				if (newid[bk->rec_blocks[e]] != PG_UINT32_MAX)
					bk->rec_blocks[w++] = newid[bk->rec_blocks[e]];
			bk->rec_start[i] = (uint32) start;
			if (w - start > 16)
				qsort(bk->rec_blocks + start, w - start, sizeof(uint32), u32_cmp);
			else
				insertion_sort_u32(bk->rec_blocks + start, (uint32) (w - start));
		}
		bk->rec_start[n] = (uint32) w;
	}

	/* members of each active block, records ascending */
	bk->blk_start = MemoryContextAllocHuge(md->cxt, ((Size) bk->nactive + 1) * sizeof(uint32));
	{
		uint64		total = 0;

		for (uint32 b = 0; b < bk->nactive; b++)
		{
			bk->blk_start[b] = (uint32) total;
			total += bsize[b];
		}
		bk->blk_start[bk->nactive] = (uint32) total;
		bk->blk_members = MemoryContextAllocHuge(md->cxt, Max(total, 1) * sizeof(uint32));
		for (uint32 b = 0; b < bk->nactive; b++)
			bsize[b] = 0;		/* fill counters */
		for (uint32 i = 0; i < n; i++)
			for (uint32 e = bk->rec_start[i]; e < bk->rec_start[i + 1]; e++)
			{
				uint32		b = bk->rec_blocks[e];

				bk->blk_members[bk->blk_start[b] + bsize[b]++] = i;
			}
	}
	pfree(newid);
	pfree(bsize);
	pfree(bkind);
	MemoryContextSwitchTo(old);
}

/* Says which oversized blocks were skipped, if any. */
static void
blocking_report(const Blocking *bk)
{
	int64		total = 0;
	StringInfoData detail;

	initStringInfo(&detail);
	for (int k = 0; k < NKINDS; k++)
	{
		if (bk->skipped[k] == 0)
			continue;
		appendStringInfo(&detail, "%s%s: %lld of %lld (largest %lld records)",
						 total ? "; " : "", kind_names[k], (long long) bk->skipped[k],
						 (long long) bk->blocks[k], (long long) bk->largest_skipped[k]);
		total += bk->skipped[k];
	}
	if (total > 0)
		ereport(NOTICE,
				(errmsg("skipped %lld blocking %s of more than %d records",
						(long long) total, total == 1 ? "key" : "keys", bk->max_block),
				 errdetail("Skipped blocks by kind: %s. Records in them are still paired through their other keys.",
						   detail.data),
				 errhint("A larger max_block compares more pairs, at a cost that grows with the square of the block size.")));
}

static char *
blocking_json(const Blocking *bk)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"max_block\": %d", bk->max_block);
	for (int k = 0; k < NKINDS; k++)
		appendStringInfo(&buf, ", \"%s\": {\"blocks\": %lld, \"skipped\": %lld}",
						 kind_names[k], (long long) bk->blocks[k], (long long) bk->skipped[k]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

typedef void (*PairFn) (void *arg, uint32 a, uint32 b);

/*
 * Calls fn once for each distinct candidate pair (a < b): within a block,
 * a pair is visited only when that block is the first both records share.
 * Returns the number of pairs.
 */
static int64
blocking_pairs(const Blocking *bk, PairFn fn, void *arg)
{
	int64		npairs = 0;

	for (uint32 b = 0; b < bk->nactive; b++)
	{
		uint32		from = bk->blk_start[b];
		uint32		to = bk->blk_start[b + 1];

		for (uint32 p = from; p < to; p++)
		{
			uint32		i = bk->blk_members[p];
			const uint32 *xi = bk->rec_blocks + bk->rec_start[i];

			CHECK_FOR_INTERRUPTS();
			/* b is i's first block: every pair of i in b is new */
			for (uint32 q = p + 1; q < to; q++)
			{
				uint32		j = bk->blk_members[q];
				const uint32 *x = xi;
				const uint32 *y = bk->rec_blocks + bk->rec_start[j];

				/* the first block both records are in (b is one of them) */
				while (*x != *y)
				{
					if (*x < *y)
						x++;
					else
						y++;
				}
				if (*x != b)
					continue;
				npairs++;
				if (fn)
					fn(arg, i, j);
			}
		}
	}
	return npairs;
}

/* ------------------------------------------------------------------------
 * Scoring candidate pairs
 */

typedef struct ScoreCtx
{
	const MatchModel *mm;
	const MatchRec *recs;
	double		cutoff;
	MemoryContext cxt;
	SvLink	   *links;
	int64		n;
	int64		cap;
} ScoreCtx;

static void
score_fn(void *arg, uint32 a, uint32 b)
{
	ScoreCtx   *sc = (ScoreCtx *) arg;
	double		s = score_pair(sc->mm, &sc->recs[a], &sc->recs[b], sc->cutoff);

	if (s == -INFINITY && sc->cutoff > -INFINITY)
		return;
	if (sc->n == sc->cap)
	{
		sc->cap = Max(sc->cap * 2, 1024);
		sc->links = sc->links == NULL
			? MemoryContextAllocHuge(sc->cxt, sc->cap * sizeof(SvLink))
			: repalloc_huge(sc->links, sc->cap * sizeof(SvLink));
	}
	sc->links[sc->n].a = a;
	sc->links[sc->n].b = b;
	sc->links[sc->n].score = s;
	sc->n++;
}

/* The candidate pairs scoring at least cutoff (-Infinity: all of them). */
static void
score_candidates(MatchData *md, const Blocking *bk, const MatchModel *mm, double cutoff, ScoreCtx *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->mm = mm;
	sc->recs = md->recs;
	sc->cutoff = cutoff;
	sc->cxt = md->cxt;
	blocking_pairs(bk, score_fn, sc);
}

/* ------------------------------------------------------------------------
 * Training: EM over the comparison vectors of candidate pairs
 */

/* A comparison vector as one number: per field a digit 0 .. nlevels, nlevels = missing. */
static int
pattern_count(void)
{
	int			n = 1;

	for (int f = 0; f < NFIELDS; f++)
		n *= fields[f].nlevels + 1;
	return n;
}

static int
pattern_encode(const int *lv)
{
	int			p = 0;

	for (int f = 0; f < NFIELDS; f++)
		p = p * (fields[f].nlevels + 1) + (lv[f] == LEVEL_MISSING ? fields[f].nlevels : lv[f]);
	return p;
}

static void
pattern_decode(int p, int *lv)
{
	for (int f = NFIELDS - 1; f >= 0; f--)
	{
		int			d = p % (fields[f].nlevels + 1);

		lv[f] = d == fields[f].nlevels ? LEVEL_MISSING : d;
		p /= fields[f].nlevels + 1;
	}
}

/* splitmix64's finalizer: a pair's place in the deterministic sample */
static inline uint64
mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

typedef struct TrainCtx
{
	const MatchRec *recs;
	double	   *counts;			/* per pattern */
	uint64		limit;			/* a pair is used when its hash is below this */
	int64		used;
} TrainCtx;

static void
train_fn(void *arg, uint32 a, uint32 b)
{
	TrainCtx   *tc = (TrainCtx *) arg;
	int			lv[NFIELDS];
	double		sim[NFIELDS];

	if (tc->limit != PG_UINT64_MAX && mix64(((uint64) a << 32) | b) >= tc->limit)
		return;
	compare_full(&tc->recs[a], &tc->recs[b], lv, sim);
	tc->counts[pattern_encode(lv)] += 1;
	tc->used++;
}

/*
 * A level's probabilities from the expected counts acc, shrunk by EM_SHRINK
 * toward the starting model's (start): a level the data never shows keeps
 * the starting model's weight instead of an artefact of smoothing, and no
 * probability is 0.
 */
#define EM_SHRINK 0.01

static void
em_estimate(const double *acc, const double *start, int nlevels, double *out)
{
	double		total = 0;

	for (int l = 0; l < nlevels; l++)
		total += acc[l];
	for (int l = 0; l < nlevels; l++)
		out[l] = total > 0
			? (1 - EM_SHRINK) * acc[l] / total + EM_SHRINK * start[l]
			: start[l];
}

/*
 * Fits the model to the candidate pairs, starting from the model in mm (the
 * default model), and writes the result into mm and a description of the
 * run into training.
 *
 * Plain EM over candidate pairs is not identifiable here: blocking is an OR
 * of keys, so the pairs that share a name core form a large, coherent group
 * (the same trade name in other counties, mostly not the same company) that
 * EM readily takes for the match class.  So the two classes are anchored:
 *
 * 1. m of every field but uscc is counted on the pairs whose credit codes
 *    are equal (nearly always the same entity) and mixed with the starting
 *    model's m, which keeps a share of ANCHOR_PRIOR / (anchor pairs +
 *    ANCHOR_PRIOR), at least ANCHOR_MIN_SHARE: few anchor pairs or none
 *    leave m where it was, and a level the anchors never show (a homophone
 *    typo among clean duplicates) keeps part of its starting probability.
 * 2. EM over all the pairs then fits the prior, every u and m of uscc, with
 *    the other m held.
 */
#define ANCHOR_PRIOR 20.0
#define ANCHOR_MIN_SHARE 0.05
static void
train_model(MatchData *md, const Blocking *bk, MatchModel *mm, int64 max_pairs,
			int iterations, StringInfo training)
{
	MemoryContext old = MemoryContextSwitchTo(md->cxt);
	int			npat = pattern_count();
	TrainCtx	tc;
	int64		candidates;
	double		rate = 1.0;
	int		   *plv;
	double	   *pcnt;
	int			nused = 0;
	int			it;
	MatchModel	start = *mm;
	bool		converged = false;
	double		delta = 0;
	double		ll = 0;
	double		anchors = 0;

	candidates = blocking_pairs(bk, NULL, NULL);
	if (candidates == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("table \"%s\" has no candidate pairs to train on", md->relname),
				 errdetail("No two records share a credit code, a name core, a pinyin key, or a division and a name bigram."),
				 errhint("Train on a table with duplicates, or use the default model.")));

	memset(&tc, 0, sizeof(tc));
	tc.recs = md->recs;
	tc.counts = palloc0(sizeof(double) * npat);
	tc.limit = PG_UINT64_MAX;
	if (candidates > max_pairs)
	{
		rate = (double) max_pairs / (double) candidates;
		tc.limit = (uint64) (rate * 18446744073709551615.0);
	}
	blocking_pairs(bk, train_fn, &tc);
	if (tc.used == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_pairs = %lld leaves no pair to train on", (long long) max_pairs)));

	plv = palloc(sizeof(int) * NFIELDS * npat);
	pcnt = palloc(sizeof(double) * npat);
	for (int p = 0; p < npat; p++)
		if (tc.counts[p] > 0)
		{
			pattern_decode(p, &plv[nused * NFIELDS]);
			pcnt[nused++] = tc.counts[p];
		}

	/* 1: m of the fields other than uscc, from the pairs with equal codes */
	{
		double		acc[NFIELDS][MAX_LEVELS];
		double		nf[NFIELDS];

		memset(acc, 0, sizeof(acc));
		memset(nf, 0, sizeof(nf));
		for (int g = 0; g < nused; g++)
		{
			const int  *lv = &plv[g * NFIELDS];

			if (lv[F_USCC] != 0)
				continue;
			anchors += pcnt[g];
			for (int f = 0; f < NFIELDS; f++)
				if (f != F_USCC && lv[f] != LEVEL_MISSING)
				{
					acc[f][lv[f]] += pcnt[g];
					nf[f] += pcnt[g];
				}
		}
		for (int f = 0; f < NFIELDS; f++)
		{
			double		k = Max(ANCHOR_MIN_SHARE, ANCHOR_PRIOR / (nf[f] + ANCHOR_PRIOR));

			if (f == F_USCC)
				continue;
			for (int l = 0; l < fields[f].nlevels; l++)
				mm->m[f][l] = nf[f] > 0
					? (1 - k) * acc[f][l] / nf[f] + k * start.m[f][l]
					: start.m[f][l];
		}
	}

	/* 2: EM for the prior, u, and m of uscc */
	for (it = 1; it <= iterations; it++)
	{
		double		am[NFIELDS][MAX_LEVELS];
		double		au[NFIELDS][MAX_LEVELS];
		double		sm = 0;
		double		su = 0;
		double		nm[NFIELDS][MAX_LEVELS];
		double		nu[NFIELDS][MAX_LEVELS];
		double		nprior;

		CHECK_FOR_INTERRUPTS();
		memset(am, 0, sizeof(am));
		memset(au, 0, sizeof(au));
		ll = 0;
		for (int g = 0; g < nused; g++)
		{
			const int  *lv = &plv[g * NFIELDS];
			double		pm = mm->prior;
			double		pu = 1.0 - mm->prior;
			double		p;

			for (int f = 0; f < NFIELDS; f++)
				if (lv[f] != LEVEL_MISSING)
				{
					pm *= mm->m[f][lv[f]];
					pu *= mm->u[f][lv[f]];
				}
			p = pm / (pm + pu);
			ll += pcnt[g] * log(pm + pu);
			for (int f = 0; f < NFIELDS; f++)
				if (lv[f] != LEVEL_MISSING)
				{
					am[f][lv[f]] += pcnt[g] * p;
					au[f][lv[f]] += pcnt[g] * (1 - p);
				}
			sm += pcnt[g] * p;
			su += pcnt[g] * (1 - p);
		}
		nprior = Min(Max(sm / (sm + su), 1e-6), 1 - 1e-6);
		delta = fabs(nprior - mm->prior);
		for (int f = 0; f < NFIELDS; f++)
		{
			em_estimate(am[f], start.m[f], fields[f].nlevels, nm[f]);
			em_estimate(au[f], start.u[f], fields[f].nlevels, nu[f]);
			for (int l = 0; l < fields[f].nlevels; l++)
			{
				if (f == F_USCC)
				{
					delta = Max(delta, fabs(nm[f][l] - mm->m[f][l]));
					mm->m[f][l] = nm[f][l];
				}
				delta = Max(delta, fabs(nu[f][l] - mm->u[f][l]));
				mm->u[f][l] = nu[f][l];
			}
		}
		mm->prior = nprior;
		if (delta < 1e-6)
		{
			converged = true;
			break;
		}
	}
	if (it > iterations)
		it = iterations;

	model_set_thresholds(mm);
	model_derive(mm);
	mm->id = 0;

	appendStringInfo(training,
					 "{\"records\": %u, \"candidate_pairs\": %lld, \"pairs\": %lld, \"sampling_rate\": ",
					 md->n, (long long) candidates, (long long) tc.used);
	append_float(training, rate);
	appendStringInfo(training, ", \"patterns\": %d, \"iterations\": %d, \"max_iterations\": %d, \"converged\": %s, \"max_change\": ",
					 nused, it, iterations, converged ? "true" : "false");
	append_float(training, delta);
	appendStringInfoString(training, ", \"log_likelihood\": ");
	append_float(training, ll);
	appendStringInfo(training, ", \"anchor_pairs\": %.0f, \"blocking\": %s, \"threshold_rule\": \"upper: P(match) = 0.95, lower: P(match) = 0.5, under the fitted prior\"}",
					 anchors, blocking_json(bk));

	pfree(plv);
	pfree(pcnt);
	pfree(tc.counts);
	MemoryContextSwitchTo(old);
}

/* ------------------------------------------------------------------------
 * Records given as jsonb (match_score, match_explain)
 */

static void
raw_from_jsonb(Jsonb *jb, const char *arg, RawRecord *raw)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	memset(raw, 0, sizeof(*raw));
	if (!JB_ROOT_IS_OBJECT(jb))
	{
		const char *what = "array";

		if (JB_ROOT_IS_SCALAR(jb) && JsonbExtractScalar(&jb->root, &v))
			what = jsonb_type_name(&v);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument %s must be a JSON object", arg),
				 errdetail("It is a JSON %s.", what),
				 errhint("Give a record as {\"name\": ..., \"uscc\": ..., \"address\": ..., \"division_code\": ..., \"legal_representative\": ...}.")));
	}
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		int			c = -1;
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (int i = 0; i < NCOLUMNS; i++)
			if (strcmp(column_names[i], key) == 0)
				c = i;
		if (c < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown field \"%s\" in argument %s", key, arg),
					 errdetail("The fields of a record are " COLUMN_LIST ".")));
		tok = JsonbIteratorNext(&it, &v, true);
		if (v.type == jbvNull)
			raw->val[c] = NULL;
		else if (v.type == jbvString)
			raw->val[c] = pnstrdup(v.val.string.val, v.val.string.len);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" of argument %s must be a string or null", key, arg),
					 errdetail("It is a JSON %s.", jsonb_type_name(&v)),
					 c == C_DIVISION || c == C_USCC || c == C_ID
					 ? errhint("Write codes and ids as strings, e.g. \"320102\".") : 0));
	}
	if (raw->val[C_NAME] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"name\" of argument %s is missing or null", arg),
				 errhint("Every record needs a name; the other fields may be null or absent.")));
}

/* A model cached for the statement (match_score and match_explain are STABLE). */
typedef struct ModelCache
{
	bool		by_id;
	int64		id;
	MatchModel	model;
} ModelCache;

static const MatchModel *
cached_model(FunctionCallInfo fcinfo, int argno)
{
	ModelCache *mc = (ModelCache *) fcinfo->flinfo->fn_extra;
	bool		by_id = !PG_ARGISNULL(argno);
	int64		id = by_id ? PG_GETARG_INT64(argno) : 0;

	if (mc == NULL || mc->by_id != by_id || mc->id != id)
	{
		MatchModel	m;

		model_load(by_id, id, &m);
		if (mc == NULL)
			mc = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		mc->by_id = by_id;
		mc->id = id;
		mc->model = m;
		fcinfo->flinfo->fn_extra = mc;
	}
	return &mc->model;
}

/* ------------------------------------------------------------------------
 * SQL functions
 */

/* match_model_check(comparisons jsonb) -> true, or an error saying what is wrong */
PG_FUNCTION_INFO_V1(match_model_check);
Datum
match_model_check(PG_FUNCTION_ARGS)
{
	MatchModel	mm;

	model_parse_comparisons(PG_GETARG_JSONB_P(0), &mm);
	PG_RETURN_BOOL(true);
}

/* match_score(a jsonb, b jsonb, model_id bigint) -> float8 */
PG_FUNCTION_INFO_V1(match_score);
Datum
match_score(PG_FUNCTION_ARGS)
{
	const MatchModel *mm;
	RawRecord	ra;
	RawRecord	rb;
	MatchRec	a;
	MatchRec	b;
	MatchData  *md;
	double		s;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	raw_from_jsonb(PG_GETARG_JSONB_P(0), "a", &ra);
	raw_from_jsonb(PG_GETARG_JSONB_P(1), "b", &rb);
	mm = cached_model(fcinfo, 2);
	md = matchdata_create();
	prepare_record(md, &ra, &a, NULL);
	prepare_record(md, &rb, &b, NULL);
	s = score_pair(mm, &a, &b, -INFINITY);
	matchdata_free(md);
	PG_RETURN_FLOAT8(s);
}

static void
explain_row(ReturnSetInfo *rsinfo, const char *field, const char *va, const char *vb,
			const char *comparison, const char *level, double weight)
{
	Datum		values[6];
	bool		nulls[6] = {false, va == NULL, vb == NULL, comparison == NULL, level == NULL, false};

	values[0] = CStringGetTextDatum(field);
	values[1] = va ? CStringGetTextDatum(va) : (Datum) 0;
	values[2] = vb ? CStringGetTextDatum(vb) : (Datum) 0;
	values[3] = comparison ? CStringGetTextDatum(comparison) : (Datum) 0;
	values[4] = level ? CStringGetTextDatum(level) : (Datum) 0;
	values[5] = Float8GetDatum(weight);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

static const char *
level_name_of(int f, int l)
{
	return l == LEVEL_MISSING ? "missing" : fields[f].levels[l];
}

static char *
missing_sides(bool a_missing, bool b_missing)
{
	if (a_missing && b_missing)
		return "missing on both sides";
	return a_missing ? "missing in a" : "missing in b";
}

/* match_explain(a jsonb, b jsonb, model_id bigint) -> each field's level and weight, and the total */
PG_FUNCTION_INFO_V1(match_explain);
Datum
match_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const MatchModel *mm;
	RawRecord	ra;
	RawRecord	rb;
	MatchRec	a;
	MatchRec	b;
	ExplainInfo ea;
	ExplainInfo eb;
	MatchData  *md;
	int			lv[NFIELDS];
	double		sim[NFIELDS];
	double		total = 0;
	char	   *cmp;
	MemoryContext old;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	raw_from_jsonb(PG_GETARG_JSONB_P(0), "a", &ra);
	raw_from_jsonb(PG_GETARG_JSONB_P(1), "b", &rb);
	mm = cached_model(fcinfo, 2);
	md = matchdata_create();
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	prepare_record(md, &ra, &a, &ea);
	prepare_record(md, &rb, &b, &eb);
	compare_full(&a, &b, lv, sim);
	old = MemoryContextSwitchTo(md->tmp);

	/* uscc */
	if (lv[F_USCC] == LEVEL_MISSING)
		cmp = psprintf("%s%s", missing_sides(a.uscc_state == USCC_MISSING, b.uscc_state == USCC_MISSING),
					   (ra.val[C_USCC] && a.uscc_state == USCC_MISSING) || (rb.val[C_USCC] && b.uscc_state == USCC_MISSING)
					   ? " (a value that is not 18 characters of the code set counts as missing)" : "");
	else if (lv[F_USCC] == 0)
		cmp = "same code";
	else
	{
		int			diff = 0;

		for (int i = 0; i < 18; i++)
			diff += a.uscc[i] != b.uscc[i];
		cmp = psprintf("%d %s%s", diff, diff == 1 ? "character differs" : "characters differ",
					   a.uscc_state == USCC_INVALID && b.uscc_state == USCC_INVALID ? "; both codes fail their check"
					   : a.uscc_state == USCC_INVALID ? "; a fails its check"
					   : b.uscc_state == USCC_INVALID ? "; b fails its check" : "; both codes are valid");
	}
	explain_row(rsinfo, "uscc", ea.uscc, eb.uscc, cmp, level_name_of(F_USCC, lv[F_USCC]),
				level_weight(mm, F_USCC, lv[F_USCC]));
	total += level_weight(mm, F_USCC, lv[F_USCC]);

	/* name */
	if (lv[F_NAME] == LEVEL_MISSING)
		cmp = ea.empty_core || eb.empty_core
			? psprintf("no trade name in %s (only divisions and organisation forms)",
					   ea.empty_core && eb.empty_core ? "a and b" : ea.empty_core ? "a" : "b")
			: missing_sides(!a.has_name, !b.has_name);
	else if (lv[F_NAME] == 0)
		cmp = "same normalized name";
	else if (lv[F_NAME] == 1)
		cmp = "same name core";
	else if (lv[F_NAME] == 2)
		cmp = psprintf("same pinyin %s", ea.pinyin ? ea.pinyin : "");
	else
		cmp = psprintf("jaro_winkler of the name cores = %.3f", sim[F_NAME]);
	explain_row(rsinfo, "name", ea.core, eb.core, cmp, level_name_of(F_NAME, lv[F_NAME]),
				level_weight(mm, F_NAME, lv[F_NAME]));
	total += level_weight(mm, F_NAME, lv[F_NAME]);

	/* branch */
	{
		const char *ba = !a.has_name ? NULL : a.branch_kind >= 0 ? psprintf("branch %s", ea.branch) : "head office";
		const char *bb = !b.has_name ? NULL : b.branch_kind >= 0 ? psprintf("branch %s", eb.branch) : "head office";

		switch (lv[F_BRANCH])
		{
			case 0:
				cmp = "both head offices";
				break;
			case 1:
				cmp = "branches with the same branch part";
				break;
			case 2:
				cmp = "branches with different branch parts";
				break;
			case 3:
				cmp = "a branch and a head office: distinct entities";
				break;
			default:
				cmp = missing_sides(!a.has_name, !b.has_name);
		}
		explain_row(rsinfo, "branch", ba, bb, cmp, level_name_of(F_BRANCH, lv[F_BRANCH]),
					level_weight(mm, F_BRANCH, lv[F_BRANCH]));
		total += level_weight(mm, F_BRANCH, lv[F_BRANCH]);
	}

	/* address */
	cmp = lv[F_ADDRESS] == LEVEL_MISSING ? missing_sides(a.addr.len == 0, b.addr.len == 0)
		: psprintf("address_similarity = %.3f", sim[F_ADDRESS]);
	explain_row(rsinfo, "address", ea.address, eb.address, cmp, level_name_of(F_ADDRESS, lv[F_ADDRESS]),
				level_weight(mm, F_ADDRESS, lv[F_ADDRESS]));
	total += level_weight(mm, F_ADDRESS, lv[F_ADDRESS]);

	/* division */
	{
		static const char *const what[4] = {"same county", "same city", "same province", "different provinces"};

		cmp = lv[F_DIVISION] == LEVEL_MISSING
			? psprintf("%s%s", missing_sides(a.div_len == 0, b.div_len == 0),
					   (ra.val[C_DIVISION] && a.div_len == 0) || (rb.val[C_DIVISION] && b.div_len == 0)
					   ? " (a value that is not 2, 4, 6, 9 or 12 digits counts as missing)" : "")
			: (char *) what[lv[F_DIVISION]];
		explain_row(rsinfo, "division", ea.division, eb.division, cmp,
					level_name_of(F_DIVISION, lv[F_DIVISION]), level_weight(mm, F_DIVISION, lv[F_DIVISION]));
		total += level_weight(mm, F_DIVISION, lv[F_DIVISION]);
	}

	/* legal representative */
	cmp = lv[F_REP] == LEVEL_MISSING ? missing_sides(a.rep.len == 0, b.rep.len == 0)
		: lv[F_REP] == 0 ? "same name"
		: psprintf("jaro_winkler = %.3f", sim[F_REP]);
	explain_row(rsinfo, "legal_representative", ea.rep, eb.rep, cmp, level_name_of(F_REP, lv[F_REP]),
				level_weight(mm, F_REP, lv[F_REP]));
	total += level_weight(mm, F_REP, lv[F_REP]);

	/* total */
	cmp = psprintf("log2 likelihood ratio; P(match) = %.4f with prior %.4g; match from %.2f, review from %.2f",
				   model_probability(mm, total), mm->prior, mm->upper, mm->lower);
	explain_row(rsinfo, "total", NULL, NULL, cmp, model_decision(mm, total), total);

	MemoryContextSwitchTo(old);
	matchdata_free(md);
	return (Datum) 0;
}

static int
max_block_arg(FunctionCallInfo fcinfo, int argno)
{
	int			mb = PG_ARGISNULL(argno) ? 1000 : PG_GETARG_INT32(argno);

	if (mb < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_block must be at least 2"),
				 errdetail("It is %d.", mb)));
	return mb;
}

static Oid
regclass_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
	return PG_GETARG_OID(argno);
}

/* match_train(records regclass, max_pairs int, iterations int, name text, max_block int) -> bigint */
PG_FUNCTION_INFO_V1(match_train);
Datum
match_train(PG_FUNCTION_ARGS)
{
	Oid			relid = regclass_arg(fcinfo, 0, "records");
	int64		max_pairs = PG_ARGISNULL(1) ? 1000000 : PG_GETARG_INT32(1);
	int			iterations = PG_ARGISNULL(2) ? 100 : PG_GETARG_INT32(2);
	int			max_block = max_block_arg(fcinfo, 4);
	MatchData  *md;
	MatchModel	mm;
	Blocking	bk;
	StringInfoData training;
	char	   *name;
	Oid			argtypes[6] = {TEXTOID, TEXTOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID};
	Datum		args[6];
	int			ret;
	bool		isnull;
	int64		id;

	if (max_pairs < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_pairs must be at least 1"),
				 errdetail("It is %lld.", (long long) max_pairs)));
	if (iterations < 1 || iterations > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("iterations must be between 1 and 10000"),
				 errdetail("It is %d.", iterations)));

	model_load(false, 0, &mm);
	md = matchdata_create();
	name = PG_ARGISNULL(3) ? psprintf("trained on %s", get_rel_name(relid)) : text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_records(md, relid, false);
	blocking_build(md, max_block, &bk);
	blocking_report(&bk);
	initStringInfo(&training);
	train_model(md, &bk, &mm, max_pairs, iterations, &training);

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(model_comparisons_json(&mm));
	args[2] = Float8GetDatum(mm.prior);
	args[3] = Float8GetDatum(mm.upper);
	args[4] = Float8GetDatum(mm.lower);
	args[5] = CStringGetTextDatum(training.data);
	ret = SPI_execute_with_args("INSERT INTO supervision.match_model (name, comparisons, prior, upper, lower, training)"
								" VALUES ($1, $2::jsonb, $3, $4, $5, $6::jsonb) RETURNING id",
								6, argtypes, args, NULL, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "storing the trained model failed: %s", SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	matchdata_free(md);
	PG_RETURN_INT64(id);
}

/* match_candidates(records regclass, model_id bigint, include_nonmatch boolean, max_block int) */
PG_FUNCTION_INFO_V1(match_candidates);
Datum
match_candidates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = regclass_arg(fcinfo, 0, "records");
	bool		include_nonmatch = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	int			max_block = max_block_arg(fcinfo, 3);
	MatchModel	mm;
	MatchData  *md;
	Blocking	bk;
	ScoreCtx	sc;

	InitMaterializedSRF(fcinfo, 0);
	model_load(!PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), &mm);
	md = matchdata_create();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_records(md, relid, true);
	SPI_finish();

	blocking_build(md, max_block, &bk);
	blocking_report(&bk);
	score_candidates(md, &bk, &mm, include_nonmatch ? -INFINITY : mm.lower, &sc);

	for (int64 i = 0; i < sc.n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		double		s = sc.links[i].score;

		values[0] = CStringGetTextDatum(md->recs[sc.links[i].a].id);
		values[1] = CStringGetTextDatum(md->recs[sc.links[i].b].id);
		values[2] = Float8GetDatum(s);
		values[3] = Float8GetDatum(model_probability(&mm, s));
		values[4] = CStringGetTextDatum(model_decision(&mm, s));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
		pfree(DatumGetPointer(values[4]));
	}
	matchdata_free(md);
	return (Datum) 0;
}

/*
 * Human decisions: rows (id_a, id_b, same).  same -> a must-link (score
 * +Infinity), not same -> a cannot-link.  Rows naming an id that is not
 * among the records, or with a null, are ignored.  Needs an SPI connection.
 */
static void
load_decisions(MatchData *md, Oid relid, ScoreCtx *must, SvLink **cannot, int64 *ncannot)
{
	StringInfoData q;
	Portal		portal;
	int64		cap = 0;
	MemoryContext old;
	const char *cols = "id_a, id_b, same";

	check_relkind(relid, "The decisions");
	find_column(relid, "id_a", true, false, cols);
	find_column(relid, "id_b", true, false, cols);
	find_column(relid, "same", true, true, cols);
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT id_a::text, id_b::text, same FROM %s", qualified_relname(relid));
	*cannot = NULL;
	*ncannot = 0;

	portal = SPI_cursor_open_with_args(NULL, q.data, 0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(md->cxt);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		n1;
			bool		n2;
			bool		n3;
			Datum		d1 = SPI_getbinval(tup, desc, 1, &n1);
			Datum		d2 = SPI_getbinval(tup, desc, 2, &n2);
			Datum		d3 = SPI_getbinval(tup, desc, 3, &n3);
			int64		a;
			int64		b;

			CHECK_FOR_INTERRUPTS();
			if (n1 || n2 || n3)
				continue;
			MemoryContextSwitchTo(md->tmp);
			a = find_record(md, TextDatumGetCString(d1));
			b = find_record(md, TextDatumGetCString(d2));
			MemoryContextSwitchTo(md->cxt);
			MemoryContextReset(md->tmp);
			if (a < 0 || b < 0 || a == b)
				continue;
			if (DatumGetBool(d3))
			{
				if (must->n == must->cap)
				{
					must->cap = Max(must->cap * 2, 1024);
					must->links = must->links == NULL
						? MemoryContextAllocHuge(md->cxt, must->cap * sizeof(SvLink))
						: repalloc_huge(must->links, must->cap * sizeof(SvLink));
				}
				must->links[must->n].a = (uint32) Min(a, b);
				must->links[must->n].b = (uint32) Max(a, b);
				must->links[must->n].score = INFINITY;
				must->n++;
			}
			else
			{
				if (*ncannot == cap)
				{
					cap = Max(cap * 2, 1024);
					*cannot = *cannot == NULL
						? MemoryContextAllocHuge(md->cxt, cap * sizeof(SvLink))
						: repalloc_huge(*cannot, cap * sizeof(SvLink));
				}
				(*cannot)[*ncannot].a = (uint32) a;
				(*cannot)[*ncannot].b = (uint32) b;
				(*cannot)[*ncannot].score = 0;
				(*ncannot)++;
			}
		}
		MemoryContextSwitchTo(old);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
}

/*
 * resolve_entities(records regclass, model_id bigint, decisions regclass,
 *					train boolean, max_block int)
 *	 RETURNS TABLE (record_id text, entity_id bigint, confidence float8)
 */
PG_FUNCTION_INFO_V1(match_resolve_entities);
Datum
match_resolve_entities(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = regclass_arg(fcinfo, 0, "records");
	bool		train = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	int			max_block = max_block_arg(fcinfo, 4);
	MatchModel	mm;
	MatchData  *md;
	Blocking	bk;
	ScoreCtx	sc;
	SvLink	   *cannot = NULL;
	int64		ncannot = 0;
	uint32	   *root;
	double	   *conf;
	int64	   *entity;
	int64		next_entity = 0;
	SvClusterStats stats;
	MemoryContext old;

	InitMaterializedSRF(fcinfo, 0);
	if (train && !PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("give either model_id or train, not both"),
				 errhint("train => true fits a model on the records themselves, starting from the default model.")));
	model_load(!PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), &mm);

	md = matchdata_create();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_records(md, relid, true);
	blocking_build(md, max_block, &bk);
	blocking_report(&bk);
	if (train)
	{
		StringInfoData training;

		initStringInfo(&training);
		if (blocking_pairs(&bk, NULL, NULL) > 0)
			train_model(md, &bk, &mm, 1000000, 100, &training);
	}

	/* pairs that match, then the human decisions */
	score_candidates(md, &bk, &mm, mm.upper, &sc);
	if (!PG_ARGISNULL(2))
	{
		ScoreCtx	must;

		memset(&must, 0, sizeof(must));
		load_decisions(md, PG_GETARG_OID(2), &must, &cannot, &ncannot);
		for (int64 i = 0; i < must.n; i++)
		{
			if (sc.n == sc.cap)
			{
				sc.cap = Max(sc.cap * 2, 1024);
				sc.links = sc.links == NULL
					? MemoryContextAllocHuge(md->cxt, sc.cap * sizeof(SvLink))
					: repalloc_huge(sc.links, sc.cap * sizeof(SvLink));
			}
			sc.links[sc.n++] = must.links[i];
		}
	}
	SPI_finish();

	old = MemoryContextSwitchTo(md->cxt);
	root = MemoryContextAllocHuge(md->cxt, (Size) Max(md->n, 1) * sizeof(uint32));
	conf = MemoryContextAllocHuge(md->cxt, (Size) Max(md->n, 1) * sizeof(double));
	entity = MemoryContextAllocHuge(md->cxt, (Size) Max(md->n, 1) * sizeof(int64));
	sv_cluster(md->n, sc.links, sc.n, cannot, ncannot, root, &stats);
	if (stats.refused_must > 0)
		ereport(WARNING,
				(errmsg("%lld \"same\" %s not applied: %s with \"not the same\" decisions",
						(long long) stats.refused_must, stats.refused_must == 1 ? "decision was" : "decisions were",
						stats.refused_must == 1 ? "it conflicts" : "they conflict"),
				 errhint("Review the decisions: a chain of \"same\" decisions joins records a \"not the same\" decision keeps apart.")));

	/* confidence: the strongest link of each record inside its cluster */
	for (uint32 i = 0; i < md->n; i++)
		conf[i] = -1;
	for (int64 k = 0; k < sc.n; k++)
	{
		uint32		a = sc.links[k].a;
		uint32		b = sc.links[k].b;
		double		p;

		if (root[a] != root[b])
			continue;
		p = model_probability(&mm, sc.links[k].score);
		conf[a] = Max(conf[a], p);
		conf[b] = Max(conf[b], p);
	}

	/* entities numbered by their smallest record id */
	for (uint32 i = 0; i < md->n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (root[i] == i)
			entity[i] = ++next_entity;
		values[0] = CStringGetTextDatum(md->recs[i].id);
		values[1] = Int64GetDatum(entity[root[i]]);
		values[2] = Float8GetDatum(conf[i] < 0 ? 1.0 : conf[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
	}
	MemoryContextSwitchTo(old);
	matchdata_free(md);
	return (Datum) 0;
}
