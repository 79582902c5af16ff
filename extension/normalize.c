/*
 * normalize.c
 *	  The text layer of the matching engine, part 1: UTF-8 <-> code points,
 *	  name normalisation, name core and parts, pinyin keys.
 *
 * Everything works on arrays of code points (SvUStr, textsim.h) and is
 * independent of the database locale: case mapping, character classes,
 * normalisation and transliteration come from ICU's root data.
 *
 * ICU costs (docs/matching.md): NFKC is cheap, but a transliterator is
 * expensive to open (Traditional-Simplified ~10 ms, Han-Latin ~0.2 s) and to
 * run (12 µs and 190 µs per name).  Both are opened once per backend, and
 * both are applied one code point at a time through a per-backend memo: each
 * distinct character is transliterated once, later uses are a hash lookup.
 * Applying Traditional-Simplified per character leaves out ICU's ~1000
 * phrase rules (計畫 -> 计划 rather than 计画); the per-character mapping is
 * a pure function of each character, which keeps name_normalize idempotent
 * (ICU's phrase rules are not: they map 剃发 back to 剃髮).
 *
 * Name cores need three dictionaries: supervision.division (division names,
 * full and short forms), supervision.name_org_form (organisation forms and
 * branch markers) and supervision.name_industry_word.  They are read once
 * per backend into a hash table of phrases; a statement trigger on each table
 * (supervision.text_dictionary_changed) sends a relcache invalidation, and
 * our relcache callback marks the dictionary stale, so the next call reloads
 * it.  These caches are the only state kept across calls.
 *
 * SQL objects: sql/matching_text.sql.  Documentation: docs/matching.md.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "textsim.h"

/* Loops over input characters check for interrupts every this many steps. */
#define INTERRUPT_MASK	0xFFFF

#define REPLACEMENT_CHAR 0xFFFD

/* ------------------------------------------------------------------------
 * Allocation helpers
 */

static inline void *
alloc_huge(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

static inline SvUStr
ustr_alloc(Size n)
{
	SvUStr		u;

	u.len = 0;
	u.cp = (int32 *) alloc_huge((n + 1) * sizeof(int32));
	return u;
}

static inline SvUStr
ustr_copy(const int32 *cp, int32 n)
{
	SvUStr		u = ustr_alloc(n);

	if (n > 0)
		memcpy(u.cp, cp, n * sizeof(int32));
	u.len = n;
	return u;
}

static inline bool
ustr_equal(SvUStr a, SvUStr b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.cp, b.cp, a.len * sizeof(int32)) == 0);
}

/* ------------------------------------------------------------------------
 * UTF-8 <-> code points
 */

SvUStr
sv_ustr_from_utf8(const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	SvUStr		u = ustr_alloc(len);
	int32		n = 0;

	while (p < end)
	{
		unsigned char b = *p;
		int32		c;
		int			need;

		if (b < 0x80)
		{
			if (b == 0)
				report_invalid_encoding(PG_UTF8, (const char *) p, end - p);
			u.cp[n++] = b;
			p++;
			continue;
		}
		if (b >= 0xC2 && b <= 0xDF)
		{
			c = b & 0x1F;
			need = 1;
		}
		else if (b >= 0xE0 && b <= 0xEF)
		{
			c = b & 0x0F;
			need = 2;
		}
		else if (b >= 0xF0 && b <= 0xF4)
		{
			c = b & 0x07;
			need = 3;
		}
		else
			report_invalid_encoding(PG_UTF8, (const char *) p, end - p);

		if (end - p <= need)
			report_invalid_encoding(PG_UTF8, (const char *) p, end - p);
		/* second-byte limits: no overlong forms, no surrogates, nothing above U+10FFFF */
		if ((b == 0xE0 && p[1] < 0xA0) || (b == 0xED && p[1] > 0x9F) ||
			(b == 0xF0 && p[1] < 0x90) || (b == 0xF4 && p[1] > 0x8F))
			report_invalid_encoding(PG_UTF8, (const char *) p, end - p);
		for (int k = 1; k <= need; k++)
		{
			if ((p[k] & 0xC0) != 0x80)
				report_invalid_encoding(PG_UTF8, (const char *) p, end - p);
			c = (c << 6) | (p[k] & 0x3F);
		}
		u.cp[n++] = c;
		p += need + 1;
	}
	u.len = n;
	return u;
}

static inline bool
cp_valid(int32 c)
{
	return c > 0 && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
}

/* Encodes into buf (4 * n bytes at least); returns the number of bytes. */
static Size
encode_utf8(SvUStr u, char *buf)
{
	unsigned char *o = (unsigned char *) buf;

	for (int32 i = 0; i < u.len; i++)
	{
		int32		c = u.cp[i];

		if (!cp_valid(c))
			c = REPLACEMENT_CHAR;
		if (c < 0x80)
			*o++ = (unsigned char) c;
		else if (c < 0x800)
		{
			*o++ = 0xC0 | (c >> 6);
			*o++ = 0x80 | (c & 0x3F);
		}
		else if (c < 0x10000)
		{
			*o++ = 0xE0 | (c >> 12);
			*o++ = 0x80 | ((c >> 6) & 0x3F);
			*o++ = 0x80 | (c & 0x3F);
		}
		else
		{
			*o++ = 0xF0 | (c >> 18);
			*o++ = 0x80 | ((c >> 12) & 0x3F);
			*o++ = 0x80 | ((c >> 6) & 0x3F);
			*o++ = 0x80 | (c & 0x3F);
		}
	}
	return (char *) o - buf;
}

char *
sv_ustr_to_utf8(SvUStr u, int *outlen)
{
	char	   *buf = alloc_huge((Size) u.len * 4 + 1);
	Size		n = encode_utf8(u, buf);

	buf[n] = '\0';
	if (outlen)
		*outlen = (int) n;
	return buf;
}

SvUStr
sv_text_to_ustr(const text *t)
{
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	if (GetDatabaseEncoding() != PG_UTF8)
	{
		char	   *conv = pg_server_to_any(s, len, PG_UTF8);

		if (conv != s)
			len = strlen(conv);
		s = conv;
	}
	return sv_ustr_from_utf8(s, len);
}

text *
sv_ustr_to_text(SvUStr u)
{
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		text	   *t = alloc_huge(VARHDRSZ + (Size) u.len * 4);
		Size		n = encode_utf8(u, VARDATA(t));

		SET_VARSIZE(t, VARHDRSZ + n);
		return t;
	}
	else
	{
		int			len;
		char	   *s = sv_ustr_to_utf8(u, &len);
		char	   *conv = pg_any_to_server(s, len, PG_UTF8);

		return cstring_to_text(conv);
	}
}

/* ------------------------------------------------------------------------
 * UTF-16 for ICU
 */

static UChar *
ustr_to_u16(SvUStr u, int32 *outlen, int32 *capacity)
{
	Size		cap = (Size) u.len * 2 + 16;
	UChar	   *b;
	int32		j = 0;

	if (cap > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("text is too long for ICU"),
				 errdetail("The text has %d characters.", u.len)));
	b = alloc_huge(cap * sizeof(UChar));
	for (int32 i = 0; i < u.len; i++)
	{
		int32		c = u.cp[i];

		if (!cp_valid(c))
			c = REPLACEMENT_CHAR;
		if (c < 0x10000)
			b[j++] = (UChar) c;
		else
		{
			b[j++] = (UChar) (0xD7C0 + (c >> 10));
			b[j++] = (UChar) (0xDC00 | (c & 0x3FF));
		}
	}
	*outlen = j;
	if (capacity)
		*capacity = (int32) cap;
	return b;
}

static SvUStr
u16_to_ustr(const UChar *b, int32 n)
{
	SvUStr		u = ustr_alloc(n);
	int32		j = 0;

	for (int32 i = 0; i < n; i++)
	{
		int32		c = b[i];

		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && b[i + 1] >= 0xDC00 && b[i + 1] <= 0xDFFF)
		{
			c = 0x10000 + ((c - 0xD800) << 10) + (b[i + 1] - 0xDC00);
			i++;
		}
		else if (c >= 0xD800 && c <= 0xDFFF)
			c = REPLACEMENT_CHAR;
		u.cp[j++] = c;
	}
	u.len = j;
	return u;
}

static void
icu_check(UErrorCode status, const char *what)
{
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("ICU %s failed: %s", what, u_errorName(status))));
}

static const UNormalizer2 *
nfkc_instance(void)
{
	UErrorCode	status = U_ZERO_ERROR;
	const UNormalizer2 *n2 = unorm2_getNFKCInstance(&status);

	icu_check(status, "unorm2_getNFKCInstance");
	return n2;
}

static SvUStr
icu_nfkc(SvUStr in)
{
	const UNormalizer2 *n2 = nfkc_instance();
	UErrorCode	status = U_ZERO_ERROR;
	int32		srclen,
				cap;
	UChar	   *src = ustr_to_u16(in, &srclen, &cap);
	UChar	   *dst = alloc_huge((Size) cap * sizeof(UChar));
	int32		len = unorm2_normalize(n2, src, srclen, dst, cap, &status);

	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		status = U_ZERO_ERROR;
		dst = alloc_huge(((Size) len + 1) * sizeof(UChar));
		len = unorm2_normalize(n2, src, srclen, dst, len + 1, &status);
	}
	icu_check(status, "NFKC normalization");
	return u16_to_ustr(dst, len);
}

/*
 * NFC, so that a precomposed letter and the same letter followed by a
 * combining mark (é and e + U+0301) are one string to the similarity
 * functions.  Strings without combining marks or compatibility characters
 * (all code points below U+0300, or CJK ideographs) are NFC already and
 * skip ICU.
 */
SvUStr
sv_nfc(SvUStr in)
{
	const UNormalizer2 *n2;
	UErrorCode	status = U_ZERO_ERROR;
	int32		srclen,
				cap,
				len;
	UChar	   *src;
	UChar	   *dst;
	bool		inert = true;

	for (int32 i = 0; i < in.len && inert; i++)
		inert = (in.cp[i] >= 0 && in.cp[i] < 0x300) || (in.cp[i] >= 0x4E00 && in.cp[i] <= 0x9FFF);
	if (inert)
		return in;
	n2 = unorm2_getNFCInstance(&status);
	icu_check(status, "unorm2_getNFCInstance");
	src = ustr_to_u16(in, &srclen, &cap);
	dst = alloc_huge((Size) cap * sizeof(UChar));
	len = unorm2_normalize(n2, src, srclen, dst, cap, &status);
	if (status == U_BUFFER_OVERFLOW_ERROR)
	{
		status = U_ZERO_ERROR;
		dst = alloc_huge(((Size) len + 1) * sizeof(UChar));
		len = unorm2_normalize(n2, src, srclen, dst, len + 1, &status);
	}
	icu_check(status, "NFC normalization");
	return u16_to_ustr(dst, len);
}

static bool
icu_is_nfkc(SvUStr in)
{
	const UNormalizer2 *n2 = nfkc_instance();
	UErrorCode	status = U_ZERO_ERROR;
	int32		srclen;
	UChar	   *src = ustr_to_u16(in, &srclen, NULL);
	UBool		ok = unorm2_isNormalized(n2, src, srclen, &status);

	icu_check(status, "NFKC check");
	return ok;
}

/*
 * Code points that NFKC leaves alone whatever surrounds them: ASCII and the
 * CJK unified ideographs of the BMP (no decomposition, no composition).  A
 * string made of these skips ICU.
 */
static inline bool
cp_nfkc_inert(int32 c)
{
	return (c > 0 && c < 0x80) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF);
}

static bool
ustr_nfkc_inert(SvUStr u)
{
	for (int32 i = 0; i < u.len; i++)
		if (!cp_nfkc_inert(u.cp[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * Per-backend caches: a long-lived memory context, the transliterators and
 * the per-code-point memos.
 */

static MemoryContext text_cache_cxt = NULL;

static MemoryContext
cache_context(void)
{
	if (text_cache_cxt == NULL)
		text_cache_cxt = AllocSetContextCreate(TopMemoryContext,
											   "supervision text caches",
											   ALLOCSET_DEFAULT_SIZES);
	return text_cache_cxt;
}

static UTransliterator *trans_t2s = NULL;
static UTransliterator *trans_pinyin = NULL;

static UTransliterator *
open_transliterator(const char *id)
{
	UChar		uid[64];
	UErrorCode	status = U_ZERO_ERROR;
	UParseError perr;
	UTransliterator *t;

	u_uastrncpy(uid, id, lengthof(uid) - 1);
	uid[lengthof(uid) - 1] = 0;
	t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, &perr, &status);
	if (U_FAILURE(status) || t == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not open ICU transliterator \"%s\": %s", id, u_errorName(status)),
				 errhint("The ICU data installed with the server may lack transliteration rules.")));
	return t;
}

/*
 * Transliterates one code point; returns the number of code points written
 * to out (at most outcap; longer results are cut).
 */
static int
transliterate_one(UTransliterator *t, int32 c, int32 *out, int outcap)
{
	UChar		buf[64];
	int32		len = 0;
	int32		limit;
	UErrorCode	status = U_ZERO_ERROR;
	SvUStr		r;
	int			n;

	if (c < 0x10000)
		buf[len++] = (UChar) c;
	else
	{
		buf[len++] = (UChar) (0xD7C0 + (c >> 10));
		buf[len++] = (UChar) (0xDC00 | (c & 0x3FF));
	}
	limit = len;
	utrans_transUChars(t, buf, &len, lengthof(buf), 0, &limit, &status);
	if (U_FAILURE(status))
	{
		/* cannot happen for one character; keep it unchanged */
		out[0] = c;
		return 1;
	}
	r = u16_to_ustr(buf, len);
	n = Min(r.len, outcap);
	memcpy(out, r.cp, n * sizeof(int32));
	pfree(r.cp);
	return n;
}

/*
 * A memo from code point to a short string of code points (open addressing,
 * linear probing, in the cache context).  Values live in a pool.
 */
typedef struct CpMemoEntry
{
	int32		key;			/* -1: empty */
	int32		off;			/* into pool */
	int32		len;
} CpMemoEntry;

typedef struct CpMemo
{
	CpMemoEntry *slots;
	uint32		mask;
	uint32		used;
	int32	   *pool;
	int32		pool_len;
	int32		pool_cap;
} CpMemo;

static CpMemo t2s_memo;
static CpMemo pinyin_memo;

static inline uint32
cp_hash(int32 c)
{
	uint32		h = (uint32) c * 0x9E3779B1u;

	return h ^ (h >> 16);
}

static void
memo_init(CpMemo *m)
{
	MemoryContext cxt = cache_context();

	m->mask = 1023;
	m->used = 0;
	m->slots = MemoryContextAlloc(cxt, (m->mask + 1) * sizeof(CpMemoEntry));
	for (uint32 i = 0; i <= m->mask; i++)
		m->slots[i].key = -1;
	m->pool_cap = 4096;
	m->pool_len = 0;
	m->pool = MemoryContextAlloc(cxt, m->pool_cap * sizeof(int32));
}

static inline CpMemoEntry *
memo_find(const CpMemo *m, int32 c)
{
	uint32		i = cp_hash(c) & m->mask;

	for (;;)
	{
		CpMemoEntry *e = &m->slots[i];

		if (e->key == c)
			return e;
		if (e->key == -1)
			return NULL;
		i = (i + 1) & m->mask;
	}
}

static void
memo_put(CpMemo *m, int32 c, const int32 *val, int32 len)
{
	CpMemoEntry *e;
	uint32		i;

	if ((m->used + 1) * 2 > m->mask + 1)
	{
		CpMemoEntry *old = m->slots;
		uint32		oldsize = m->mask + 1;

		m->mask = oldsize * 2 - 1;
		m->slots = MemoryContextAlloc(cache_context(), (m->mask + 1) * sizeof(CpMemoEntry));
		for (i = 0; i <= m->mask; i++)
			m->slots[i].key = -1;
		for (uint32 k = 0; k < oldsize; k++)
		{
			if (old[k].key == -1)
				continue;
			i = cp_hash(old[k].key) & m->mask;
			while (m->slots[i].key != -1)
				i = (i + 1) & m->mask;
			m->slots[i] = old[k];
		}
		pfree(old);
	}
	if (m->pool_len + len > m->pool_cap)
	{
		m->pool_cap = Max(m->pool_cap * 2, m->pool_len + len);
		m->pool = repalloc(m->pool, m->pool_cap * sizeof(int32));
	}
	memcpy(m->pool + m->pool_len, val, len * sizeof(int32));
	i = cp_hash(c) & m->mask;
	while (m->slots[i].key != -1)
		i = (i + 1) & m->mask;
	e = &m->slots[i];
	e->key = c;
	e->off = m->pool_len;
	e->len = len;
	m->pool_len += len;
	m->used++;
}

/* Code points worth asking Traditional-Simplified about. */
static inline bool
cp_maybe_traditional(int32 c)
{
	return (c >= 0x3000 && c < 0xA000) || c >= 0x20000;
}

/*
 * Traditional to simplified of one character, memoized.  ICU's single
 * character rules have a few chains and one cycle (薴 -> 苧 -> 苎 -> 苧):
 * the mapping is followed to its end, and a cycle goes to its smallest code
 * point, so that the result maps to itself.
 */
static const int32 *
t2s_lookup(int32 c, int32 *len)
{
	CpMemoEntry *e;
	int32		out[16];
	int			n;

	if (t2s_memo.slots == NULL)
		memo_init(&t2s_memo);
	e = memo_find(&t2s_memo, c);
	if (e == NULL)
	{
		if (trans_t2s == NULL)
			trans_t2s = open_transliterator("Traditional-Simplified");
		n = transliterate_one(trans_t2s, c, out, lengthof(out));
		if (n == 1 && out[0] != c)
		{
			int32		seen[8];
			int			nseen = 0;
			int32		cur = out[0];

			seen[nseen++] = c;
			while (nseen < (int) lengthof(seen))
			{
				int32		next;
				bool		cycle = false;

				if (transliterate_one(trans_t2s, cur, &next, 1) != 1 || next == cur)
					break;		/* cur is final */
				for (int k = 0; k < nseen; k++)
					if (seen[k] == next)
						cycle = true;
				seen[nseen++] = cur;
				if (cycle)
				{
					/* smallest code point of the cycle through next */
					int32		best = next;
					int			from = 0;

					for (int k = 0; k < nseen; k++)
						if (seen[k] == next)
							from = k;
					for (int k = from; k < nseen; k++)
						best = Min(best, seen[k]);
					cur = best;
					break;
				}
				cur = next;
			}
			out[0] = cur;
		}
		if (n == 0)
		{
			out[0] = c;
			n = 1;
		}
		memo_put(&t2s_memo, c, out, n);
		e = memo_find(&t2s_memo, c);
	}
	*len = e->len;
	return t2s_memo.pool + e->off;
}

/* ------------------------------------------------------------------------
 * Normalisation
 */

static inline bool
is_open_bracket(int32 c)
{
	switch (c)
	{
		case '(':
		case '[':
		case '{':
		case '<':
		case 0x3008:			/* 〈 */
		case 0x300A:			/* 《 */
		case 0x3010:			/* 【 */
		case 0x3014:			/* 〔 */
		case 0x3016:			/* 〖 */
		case 0x3018:			/* 〘 */
		case 0x301A:			/* 〚 */
		case 0x27E8:			/* ⟨ */
			return true;
		default:
			return false;
	}
}

static inline bool
is_close_bracket(int32 c)
{
	switch (c)
	{
		case ')':
		case ']':
		case '}':
		case '>':
		case 0x3009:			/* 〉 */
		case 0x300B:			/* 》 */
		case 0x3011:			/* 】 */
		case 0x3015:			/* 〕 */
		case 0x3017:			/* 〗 */
		case 0x3019:			/* 〙 */
		case 0x301B:			/* 〛 */
		case 0x27E9:			/* ⟩ */
			return true;
		default:
			return false;
	}
}

static inline bool
is_dash(int32 c)
{
	return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x30FC ||
		c == 0xFE58 || c == 0xFE63 || c == 0xFF0D;
}

static inline bool
is_variation_selector(int32 c)
{
	return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF) ||
		(c >= 0x180B && c <= 0x180D);
}

/*
 * Keeps letters, marks, numbers, private-use and unassigned code points;
 * everything else (punctuation, symbols, white space, controls, format
 * characters) is dropped.  Upper-cases.  Returns -1 to drop.
 */
static inline int32
fold_keep(int32 c)
{
	int8		t;

	if (c < 0x80)
	{
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 'A';
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			return c;
		return -1;
	}
	if (c >= 0x4E00 && c <= 0x9FFF)
		return c;
	if (is_variation_selector(c))
		return -1;
	t = u_charType(c);
	if (t == U_LOWERCASE_LETTER || t == U_TITLECASE_LETTER)
		return u_toupper(c);
	if (t <= U_OTHER_NUMBER || t == U_PRIVATE_USE_CHAR)
		return c;
	return -1;
}

/* One pass: traditional to simplified, brackets, removals, case. */
static SvUStr
fold_pass(SvUStr in, bool address)
{
	SvUStr		out = ustr_alloc((Size) in.len * 2);
	int32		n = 0;

	for (int32 i = 0; i < in.len; i++)
	{
		int32		c = in.cp[i];
		int32		mapped[1];
		const int32 *seq = mapped;
		int32		seqlen = 1;

		if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
			CHECK_FOR_INTERRUPTS();
		mapped[0] = c;
		if (cp_maybe_traditional(c))
			seq = t2s_lookup(c, &seqlen);

		for (int32 k = 0; k < seqlen; k++)
		{
			int32		d = seq[k];
			int32		keep;

			if (is_open_bracket(d))
			{
				if (!address)
					out.cp[n++] = '(';
				continue;
			}
			if (is_close_bracket(d))
			{
				if (!address)
				{
					if (n > 0 && out.cp[n - 1] == '(')
						n--;	/* an empty pair goes */
					else
						out.cp[n++] = ')';
				}
				continue;
			}
			if (address)
			{
				if (d == '#')
				{
					out.cp[n++] = 0x53F7;	/* 号 */
					continue;
				}
				if (is_dash(d))
				{
					out.cp[n++] = '-';
					continue;
				}
			}
			keep = fold_keep(d);
			if (keep >= 0)
			{
				if (n >= in.len * 2)
					break;		/* cannot happen: results are one code point */
				out.cp[n++] = keep;
			}
		}
	}
	out.len = n;
	return out;
}

SvUStr
sv_text_fold(SvUStr in, bool address)
{
	SvUStr		cur = in;

	/*
	 * NFKC, then the pass; should the pass have produced something NFKC
	 * changes (a mark now next to a letter it composes with, a case mapping
	 * with a compatibility form), do it again, so that the result is a fixed
	 * point: folding it again changes nothing.
	 */
	for (int iter = 0; iter < 4; iter++)
	{
		SvUStr		next;

		if (!ustr_nfkc_inert(cur))
			cur = icu_nfkc(cur);
		next = fold_pass(cur, address);
		if (ustr_nfkc_inert(next) || iter == 3)
			return next;
		if (icu_is_nfkc(next))
		{
			SvUStr		again = fold_pass(next, address);

			if (ustr_equal(again, next))
				return next;
		}
		cur = next;
	}
	return cur;					/* not reached */
}

SvUStr
sv_name_normalize(SvUStr in)
{
	return sv_text_fold(in, false);
}

/* ------------------------------------------------------------------------
 * Pinyin keys
 */

/* Toneless upper-case pinyin of one character, or the character itself. */
static const int32 *
pinyin_lookup(int32 c, int32 *len)
{
	CpMemoEntry *e;

	if (pinyin_memo.slots == NULL)
		memo_init(&pinyin_memo);
	e = memo_find(&pinyin_memo, c);
	if (e == NULL)
	{
		int32		out[32];
		int			n = 0;
		UErrorCode	status = U_ZERO_ERROR;

		if (uscript_getScript(c, &status) == USCRIPT_HAN && U_SUCCESS(status))
		{
			int32		lat[32];
			int			nl;
			SvUStr		dec;
			const UNormalizer2 *nfd;
			UChar		src[64],
						dst[128];
			int32		srclen = 0,
						dstlen;

			if (trans_pinyin == NULL)
				trans_pinyin = open_transliterator("Han-Latin");
			nl = transliterate_one(trans_pinyin, c, lat, lengthof(lat));
			/* decompose (ǜ -> u + ̈ + ̀), keep letters, ü -> V */
			for (int k = 0; k < nl && srclen < 60; k++)
			{
				if (lat[k] < 0x10000)
					src[srclen++] = (UChar) lat[k];
			}
			nfd = unorm2_getNFDInstance(&status);
			dstlen = unorm2_normalize(nfd, src, srclen, dst, lengthof(dst), &status);
			if (U_SUCCESS(status))
			{
				dec = u16_to_ustr(dst, dstlen);
				for (int32 k = 0; k < dec.len && n < (int) lengthof(out); k++)
				{
					int32		d = dec.cp[k];

					if (d >= 'a' && d <= 'z')
						out[n++] = d - 'a' + 'A';
					else if (d >= 'A' && d <= 'Z')
						out[n++] = d;
					else if (d == 0x0308 && n > 0 && out[n - 1] == 'U')
						out[n - 1] = 'V';
				}
			}
			if (n == 0)
				out[n++] = c;	/* no reading: the character itself */
		}
		else if (u_isalnum(c))
			out[n++] = c;
		memo_put(&pinyin_memo, c, out, n);
		e = memo_find(&pinyin_memo, c);
	}
	*len = e->len;
	return pinyin_memo.pool + e->off;
}

SvUStr
sv_pinyin_key(SvUStr normalized)
{
	Size		cap = (Size) normalized.len * 6 + 1;
	SvUStr		out = ustr_alloc(cap);
	Size		n = 0;

	for (int32 i = 0; i < normalized.len; i++)
	{
		int32		c = normalized.cp[i];

		if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
			CHECK_FOR_INTERRUPTS();
		if (c < 0x80)
		{
			if (c >= 'a' && c <= 'z')
				out.cp[n++] = c - 'a' + 'A';
			else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
				out.cp[n++] = c;
		}
		else
		{
			int32		len;
			const int32 *seq = pinyin_lookup(c, &len);

			if (n + len > cap)
			{
				cap = cap * 2 + len;
				out.cp = repalloc_huge(out.cp, cap * sizeof(int32));
			}
			memcpy(out.cp + n, seq, len * sizeof(int32));
			n += len;
		}
	}
	if (n > PG_INT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pinyin key is too long"),
				 errdetail("The key would have %zu characters.", n)));
	out.len = (int32) n;
	return out;
}

/* ------------------------------------------------------------------------
 * The dictionary: division names, organisation forms, branch markers and
 * industry words, as one hash table of phrases (normalized code point
 * strings).  A phrase hashes as sum((c + 1) * B^(len - 1 - k)), which can be
 * extended one character to the right (h * B + c + 1) or to the left
 * (h + (c + 1) * B^len), so prefix and suffix searches hash each candidate
 * length in O(1).
 */

#define PH_DIV			0x01
#define PH_ORG			0x02
#define PH_BRANCH		0x04
#define PH_INDUSTRY		0x08

#define HASH_B			UINT64CONST(0x100000001B3)

typedef struct DictDiv
{
	int32		code;			/* 9-digit form */
	int16		level;
	int32		name_off;		/* full name in pool */
	int32		name_len;
	int32		short_off;		/* short form in pool; short_len 0 if none */
	int32		short_len;
} DictDiv;

typedef struct DictRef
{
	int32		div;			/* index into divs */
	bool		is_short;
	int32		next;			/* next ref of the same phrase, -1 */
} DictRef;

typedef struct DictPhrase
{
	uint64		hash;
	int32		off;			/* in pool */
	int32		len;
	uint16		flags;
	int32		refs;			/* first DictRef, -1 */
} DictPhrase;

typedef struct Dict
{
	MemoryContext cxt;
	int32	   *pool;
	int32		pool_len;
	int32		pool_cap;
	DictPhrase *ph;
	int32		nph;
	int32		ph_cap;
	int32	   *slots;			/* phrase index + 1; 0 empty */
	uint32		mask;
	DictDiv    *divs;
	int32		ndiv;
	int32		div_cap;
	DictRef    *refs;
	int32		nref;
	int32		ref_cap;
	int32		maxlen_div;
	int32		maxlen_org;		/* organisation forms and branch markers */
	int32		maxlen_ind;
} Dict;

static Dict *dict = NULL;
static bool dict_valid = false;
static Oid	dict_relids[3] = {InvalidOid, InvalidOid, InvalidOid};
static bool dict_callback_registered = false;

static void
dict_relcache_callback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == dict_relids[0] || relid == dict_relids[1] ||
		relid == dict_relids[2])
		dict_valid = false;
}

static inline uint64
ph_right(uint64 h, int32 c)
{
	return h * HASH_B + (uint64) (uint32) c + 1;
}

static inline uint32
ph_slot(uint64 h, int32 len)
{
	uint64		x = h ^ ((uint64) len * UINT64CONST(0x9E3779B97F4A7C15));

	x ^= x >> 33;
	x *= UINT64CONST(0xFF51AFD7ED558CCD);
	x ^= x >> 33;
	return (uint32) x;
}

static uint64
ph_hash(const int32 *cp, int32 len)
{
	uint64		h = 0;

	for (int32 i = 0; i < len; i++)
		h = ph_right(h, cp[i]);
	return h;
}

static inline int32
dict_lookup(const Dict *d, uint64 h, const int32 *cp, int32 len)
{
	uint32		i = ph_slot(h, len) & d->mask;

	for (;;)
	{
		int32		s = d->slots[i];
		const DictPhrase *p;

		if (s == 0)
			return -1;
		p = &d->ph[s - 1];
		if (p->hash == h && p->len == len &&
			memcmp(d->pool + p->off, cp, len * sizeof(int32)) == 0)
			return s - 1;
		i = (i + 1) & d->mask;
	}
}

static int32
dict_pool_add(Dict *d, const int32 *cp, int32 len)
{
	int32		off;

	if (d->pool_len + len > d->pool_cap)
	{
		d->pool_cap = Max(d->pool_cap * 2, d->pool_len + len);
		d->pool = repalloc(d->pool, d->pool_cap * sizeof(int32));
	}
	off = d->pool_len;
	memcpy(d->pool + off, cp, len * sizeof(int32));
	d->pool_len += len;
	return off;
}

static void
dict_rehash(Dict *d, uint32 size)
{
	d->mask = size - 1;
	d->slots = MemoryContextAllocZero(d->cxt, size * sizeof(int32));
	for (int32 k = 0; k < d->nph; k++)
	{
		uint32		i = ph_slot(d->ph[k].hash, d->ph[k].len) & d->mask;

		while (d->slots[i] != 0)
			i = (i + 1) & d->mask;
		d->slots[i] = k + 1;
	}
}

/* Adds (or finds) a phrase and sets flags; returns its index. */
static int32
dict_add(Dict *d, const int32 *cp, int32 len, uint16 flags)
{
	uint64		h = ph_hash(cp, len);
	int32		idx = dict_lookup(d, h, cp, len);
	DictPhrase *p;

	if (idx < 0)
	{
		if ((uint32) (d->nph + 1) * 2 > d->mask + 1)
		{
			pfree(d->slots);
			dict_rehash(d, (d->mask + 1) * 2);
		}
		if (d->nph == d->ph_cap)
		{
			d->ph_cap *= 2;
			d->ph = repalloc(d->ph, d->ph_cap * sizeof(DictPhrase));
		}
		idx = d->nph++;
		p = &d->ph[idx];
		p->hash = h;
		p->off = dict_pool_add(d, cp, len);
		p->len = len;
		p->flags = 0;
		p->refs = -1;
		{
			uint32		i = ph_slot(h, len) & d->mask;

			while (d->slots[i] != 0)
				i = (i + 1) & d->mask;
			d->slots[i] = idx + 1;
		}
	}
	p = &d->ph[idx];
	p->flags |= flags;
	if (flags & PH_DIV)
		d->maxlen_div = Max(d->maxlen_div, len);
	if (flags & (PH_ORG | PH_BRANCH))
		d->maxlen_org = Max(d->maxlen_org, len);
	if (flags & PH_INDUSTRY)
		d->maxlen_ind = Max(d->maxlen_ind, len);
	return idx;
}

static void
dict_add_ref(Dict *d, int32 phrase, int32 div, bool is_short)
{
	DictRef    *r;

	if (d->nref == d->ref_cap)
	{
		d->ref_cap *= 2;
		d->refs = repalloc(d->refs, d->ref_cap * sizeof(DictRef));
	}
	r = &d->refs[d->nref];
	r->div = div;
	r->is_short = is_short;
	r->next = d->ph[phrase].refs;
	d->ph[phrase].refs = d->nref++;
}

/* ---- short forms of division names ---- */

static bool
ustr_ends_with(const int32 *cp, int32 len, const char *suffix_utf8, int32 *suflen)
{
	SvUStr		s = sv_ustr_from_utf8(suffix_utf8, strlen(suffix_utf8));
	bool		r = s.len <= len && memcmp(cp + len - s.len, s.cp, s.len * sizeof(int32)) == 0;

	*suflen = s.len;
	pfree(s.cp);
	return r;
}

/* Administrative suffixes, longest first; autonomy ones flagged. */
static const struct
{
	const char *suffix;
	bool		autonomous;
}			division_suffixes[] =
{
	{"特别行政区", false},
	{"自治区", true},
	{"自治州", true},
	{"自治县", true},
	{"自治旗", true},
	{"民族乡", true},
	{"地区", false},
	{"林区", false},
	{"特区", false},
	{"新区", false},
	{"街道", false},
	{"省", false},
	{"市", false},
	{"区", false},
	{"县", false},
	{"旗", false},
	{"盟", false},
	{"镇", false},
	{"乡", false},
};

/* Ethnic groups as they appear in autonomous division names. */
static const char *const ethnic_names[] = {
	"柯尔克孜", "乌孜别克", "维吾尔", "哈萨克", "达斡尔", "鄂温克", "鄂伦春", "塔吉克",
	"塔塔尔", "俄罗斯", "蒙古", "回", "藏", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗",
	"瑶", "白", "土家", "哈尼", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水",
	"东乡", "纳西", "景颇", "土", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯",
	"阿昌", "普米", "怒", "德昂", "保安", "裕固", "京", "独龙", "赫哲", "门巴", "珞巴",
	"基诺", "各",
};

/*
 * The short form of a normalized division name: without its administrative
 * suffix (and, for autonomous divisions, the ethnic groups before it), if
 * that leaves at least two characters; else len 0.  江苏省 -> 江苏,
 * 广西壮族自治区 -> 广西, 恩施土家族苗族自治州 -> 恩施, 沙县 -> none.
 */
static SvUStr
division_short_form(SvUStr name)
{
	SvUStr		none = {0, NULL};
	int32		len = name.len;
	bool		autonomous = false;
	bool		found = false;

	for (int k = 0; k < (int) lengthof(division_suffixes); k++)
	{
		int32		sl;

		if (ustr_ends_with(name.cp, len, division_suffixes[k].suffix, &sl) && sl < len)
		{
			len -= sl;
			autonomous = division_suffixes[k].autonomous;
			found = true;
			break;
		}
	}
	if (!found)
		return none;
	/* ethnic groups: 回族, 土家族苗族; after an autonomy suffix also 蒙古, 哈萨克 */
	for (;;)
	{
		int32		sl;
		int32		l2 = len;
		bool		with_zu = ustr_ends_with(name.cp, len, "族", &sl);
		bool		stripped = false;

		if (!with_zu && !autonomous)
			break;
		if (with_zu)
			l2 -= sl;
		for (int k = 0; k < (int) lengthof(ethnic_names); k++)
		{
			int32		el;

			if (!with_zu && strlen(ethnic_names[k]) < 6)
				continue;		/* without 族 only the multi-character names */
			if (ustr_ends_with(name.cp, l2, ethnic_names[k], &el) && l2 - el >= 2)
			{
				len = l2 - el;
				stripped = true;
				break;
			}
		}
		if (!stripped)
			break;
	}
	if (len < 2 || len == name.len)
		return none;
	return ustr_copy(name.cp, len);
}

/* 320102 -> 320102000, 320102002 -> 320102002; -1 if not a division code. */
static int32
division_code9(const char *code)
{
	size_t		len = strlen(code);
	int32		v = 0;

	if (len != 6 && len != 9)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		if (code[i] < '0' || code[i] > '9')
			return -1;
		v = v * 10 + (code[i] - '0');
	}
	return len == 6 ? v * 1000 : v;
}

static inline int
code9_level(int32 code)
{
	if (code % 10000000 == 0)
		return 1;
	if (code % 100000 == 0)
		return 2;
	if (code % 1000 == 0)
		return 3;
	return 4;
}

/* Is d strictly below a? */
static inline bool
code9_below(int32 d, int32 a)
{
	switch (code9_level(a))
	{
		case 1:
			return d != a && d / 10000000 == a / 10000000;
		case 2:
			return d != a && d / 100000 == a / 100000;
		case 3:
			return d != a && d / 1000 == a / 1000;
		default:
			return false;
	}
}

/* ---- loading ---- */

static Oid
dict_table_oid(Oid nsp, const char *relname)
{
	Oid			relid = get_relname_relid(relname, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"supervision.%s\" does not exist", relname),
				 errhint("The name functions need the tables of the supervision extension.")));
	return relid;
}

static AttrNumber
dict_attnum(Relation rel, const char *attname)
{
	TupleDesc	td = RelationGetDescr(rel);

	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), attname) == 0)
			return a->attnum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of relation \"%s\" does not exist", attname,
					RelationGetRelationName(rel))));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

static char *
slot_text(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
ustr_last_is(SvUStr s, int32 c)
{
	return s.len > 0 && s.cp[s.len - 1] == c;
}

static void
dict_load_divisions(Dict *d, Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	AttrNumber	a_code = dict_attnum(rel, "code");
	AttrNumber	a_name = dict_attnum(rel, "name");
	AttrNumber	a_kind = dict_attnum(rel, "kind");
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "division row",
												 ALLOCSET_SMALL_SIZES);

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		char	   *code = slot_text(slot, a_code);
		char	   *name = slot_text(slot, a_name);
		char	   *kind = slot_text(slot, a_kind);
		int32		code9 = code ? division_code9(code) : -1;
		SvUStr		norm,
					shortf = {0, NULL};
		bool		zone;

		CHECK_FOR_INTERRUPTS();
		if (code9 < 0 || name == NULL || kind == NULL || strcmp(kind, "grouping") == 0)
		{
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			continue;
		}
		zone = strcmp(kind, "statistical_zone") == 0;
		norm = sv_name_normalize(sv_ustr_from_utf8(name, strlen(name)));
		/*
		 * Statistical zones only when named like a zone (开发区, 工业园区,
		 * 软件园), full form only: the list also holds farms, prisons and
		 * units named 城南 or 林业站, which are no place names.
		 */
		if (norm.len < 2 || (zone && (norm.len < 4 || !(ustr_last_is(norm, 0x533A) || ustr_last_is(norm, 0x56ED)))))
		{
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
			continue;
		}
		if (!zone)
			shortf = division_short_form(norm);
		MemoryContextSwitchTo(old);

		if (d->ndiv == d->div_cap)
		{
			d->div_cap *= 2;
			d->divs = repalloc(d->divs, d->div_cap * sizeof(DictDiv));
		}
		{
			DictDiv    *dv = &d->divs[d->ndiv];
			int32		idx;

			dv->code = code9;
			dv->level = code9_level(code9);
			dv->name_off = dict_pool_add(d, norm.cp, norm.len);
			dv->name_len = norm.len;
			dv->short_len = shortf.len;
			dv->short_off = shortf.len > 0 ? dict_pool_add(d, shortf.cp, shortf.len) : 0;
			idx = dict_add(d, norm.cp, norm.len, PH_DIV);
			dict_add_ref(d, idx, d->ndiv, false);
			if (shortf.len > 0)
			{
				idx = dict_add(d, shortf.cp, shortf.len, PH_DIV);
				dict_add_ref(d, idx, d->ndiv, true);
			}
			d->ndiv++;
		}
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
dict_load_words(Dict *d, Oid relid, const char *column, bool org_table)
{
	Relation	rel = table_open(relid, AccessShareLock);
	AttrNumber	a_word = dict_attnum(rel, column);
	AttrNumber	a_kind = org_table ? dict_attnum(rel, "kind") : InvalidAttrNumber;
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dictionary row",
												 ALLOCSET_SMALL_SIZES);

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		char	   *word = slot_text(slot, a_word);
		char	   *kind = org_table ? slot_text(slot, a_kind) : NULL;
		SvUStr		norm = {0, NULL};
		uint16		flags;

		CHECK_FOR_INTERRUPTS();
		if (word != NULL)
			norm = sv_name_normalize(sv_ustr_from_utf8(word, strlen(word)));
		if (org_table)
			flags = (kind != NULL && strcmp(kind, "branch") == 0) ? PH_BRANCH : PH_ORG;
		else
			flags = PH_INDUSTRY;
		MemoryContextSwitchTo(old);
		/* industry words have two characters at least (CHECK in the table) */
		if (norm.len >= (org_table ? 1 : 2))
			dict_add(d, norm.cp, norm.len, flags);
		MemoryContextReset(rowcxt);
	}
	MemoryContextDelete(rowcxt);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

static const Dict *
dict_get(void)
{
	MemoryContext buildcxt,
				old;
	Dict	   *d;
	Oid			nsp;

	if (dict_valid && dict != NULL)
		return dict;

	if (!dict_callback_registered)
	{
		CacheRegisterRelcacheCallback(dict_relcache_callback, (Datum) 0);
		dict_callback_registered = true;
	}

	nsp = get_namespace_oid("supervision", true);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"supervision\" does not exist"),
				 errhint("Install the extension with CREATE EXTENSION supervision CASCADE.")));

	/* the old dictionary is stale: drop it, so that a failed rebuild is retried */
	if (dict != NULL)
	{
		MemoryContextDelete(dict->cxt);
		dict = NULL;
	}

	/*
	 * Build in a context that dies with the current one should anything fail;
	 * it moves under the cache context once complete.  Mark valid before
	 * reading, so that an invalidation arriving while we read marks it stale.
	 */
	buildcxt = AllocSetContextCreate(CurrentMemoryContext, "supervision name dictionary",
									 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(buildcxt);
	d = palloc0(sizeof(Dict));
	d->cxt = buildcxt;
	d->pool_cap = 65536;
	d->pool = palloc(d->pool_cap * sizeof(int32));
	d->ph_cap = 8192;
	d->ph = palloc(d->ph_cap * sizeof(DictPhrase));
	d->div_cap = 4096;
	d->divs = palloc(d->div_cap * sizeof(DictDiv));
	d->ref_cap = 8192;
	d->refs = palloc(d->ref_cap * sizeof(DictRef));
	dict_rehash(d, 16384);

	dict_relids[0] = dict_table_oid(nsp, "division");
	dict_relids[1] = dict_table_oid(nsp, "name_org_form");
	dict_relids[2] = dict_table_oid(nsp, "name_industry_word");
	dict_valid = true;
	dict_load_divisions(d, dict_relids[0]);
	dict_load_words(d, dict_relids[1], "form", true);
	dict_load_words(d, dict_relids[2], "word", false);
	MemoryContextSwitchTo(old);

	MemoryContextSetParent(buildcxt, cache_context());
	dict = d;
	return dict;
}

/* ---- searches ---- */

static bool
div_ref_allowed(const Dict *d, const DictRef *r, const int32 *ctx, int nctx)
{
	const DictDiv *dv = &d->divs[r->div];

	if (!r->is_short || dv->level <= 2 || (dv->level == 3 && dv->code / 10000000 == 32))
		return true;
	for (int k = 0; k < nctx; k++)
		if (code9_below(dv->code, ctx[k]))
			return true;
	return false;
}

static bool
div_phrase_allowed(const Dict *d, int32 phrase, const int32 *ctx, int nctx)
{
	for (int32 r = d->ph[phrase].refs; r >= 0; r = d->refs[r].next)
		if (div_ref_allowed(d, &d->refs[r], ctx, nctx))
			return true;
	return false;
}

static inline bool
cp_is_mark(int32 c)
{
	int8		t;

	if (c < 0x300)
		return false;
	t = u_charType(c);
	return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK;
}

/* Longest allowed division phrase at the start of cp[0..n); its length, or 0. */
static int32
dict_div_prefix(const Dict *d, const int32 *cp, int32 n, const int32 *ctx, int nctx,
				int32 *phrase)
{
	uint64		h = 0;
	int32		best = 0;
	int32		lim = Min(n, d->maxlen_div);

	for (int32 L = 1; L <= lim; L++)
	{
		int32		idx;

		h = ph_right(h, cp[L - 1]);
		if (L < 2)
			continue;
		if (L < n && cp_is_mark(cp[L]))
			continue;			/* the mark belongs to the last character: 南京́ is no 南京 */
		idx = dict_lookup(d, h, cp, L);
		if (idx >= 0 && (d->ph[idx].flags & PH_DIV) && div_phrase_allowed(d, idx, ctx, nctx))
		{
			best = L;
			*phrase = idx;
		}
	}
	return best;
}

/*
 * Longest phrase with one of flags ending at cp[e], starting at minstart or
 * later; its length, or 0.
 */
static int32
dict_suffix(const Dict *d, const int32 *cp, int32 e, int32 minstart, uint16 flags,
			int32 maxlen, int32 *phrase)
{
	uint64		h = 0;
	uint64		pw = 1;
	int32		best = 0;
	int32		lim = Min(e - minstart, maxlen);

	for (int32 L = 1; L <= lim; L++)
	{
		int32		idx;

		h = (uint64) ((uint32) cp[e - L] + 1) * pw + h;
		pw *= HASH_B;
		idx = dict_lookup(d, h, cp + e - L, L);
		if (idx >= 0 && (d->ph[idx].flags & flags))
		{
			best = L;
			if (phrase)
				*phrase = idx;
		}
	}
	return best;
}

/* Collects the allowed divisions of a phrase into ctx (up to ctxmax). */
static void
div_phrase_codes(const Dict *d, int32 phrase, const int32 *ctx, int nctx,
				 int32 *out, int *nout, int outmax)
{
	for (int32 r = d->ph[phrase].refs; r >= 0; r = d->refs[r].next)
	{
		if (*nout >= outmax)
			break;
		if (div_ref_allowed(d, &d->refs[r], ctx, nctx))
			out[(*nout)++] = d->divs[d->refs[r].div].code;
	}
}

/* The short form of a division phrase's first division, or the phrase itself. */
static SvUStr
div_phrase_short(const Dict *d, int32 phrase)
{
	const DictPhrase *p = &d->ph[phrase];

	for (int32 r = p->refs; r >= 0; r = d->refs[r].next)
	{
		const DictDiv *dv = &d->divs[d->refs[r].div];

		if (d->refs[r].is_short)
			break;
		if (dv->short_len > 0)
			return ustr_copy(d->pool + dv->short_off, dv->short_len);
	}
	return ustr_copy(d->pool + p->off, p->len);
}

bool
sv_division_prefix(const int32 *cp, int32 n, const int32 *ctx, int nctx, SvDivHit *hit)
{
	const Dict *d = dict_get();
	int32		phrase = -1;
	int32		len = dict_div_prefix(d, cp, n, ctx, nctx, &phrase);

	memset(hit, 0, sizeof(SvDivHit));
	if (len == 0)
		return false;
	hit->len = len;
	/* refs are pushed on a list: walk it, then keep the table's order */
	for (int32 r = d->ph[phrase].refs; r >= 0; r = d->refs[r].next)
	{
		const DictRef *ref = &d->refs[r];
		const DictDiv *dv = &d->divs[ref->div];
		int			k;

		if (!div_ref_allowed(d, ref, ctx, nctx) || hit->ndiv >= SV_DIV_MAX_CODES)
			continue;
		if (ref->is_short)
			hit->is_short = true;
		/* insert sorted by code, for results independent of load order */
		for (k = hit->ndiv; k > 0 && hit->code[k - 1] > dv->code; k--)
		{
			hit->code[k] = hit->code[k - 1];
			hit->level[k] = hit->level[k - 1];
			hit->name[k] = hit->name[k - 1];
		}
		hit->code[k] = dv->code;
		hit->level[k] = dv->level;
		hit->name[k] = ustr_copy(d->pool + dv->name_off, dv->name_len);
		hit->ndiv++;
	}
	return hit->ndiv > 0;
}

/* ------------------------------------------------------------------------
 * Name parts and core
 */

#define MAX_REGION_HITS 8
#define MAX_CTX 32

typedef struct NameSplit
{
	/* positions in the normalized name s */
	int32		region_end;		/* s[0, region_end): leading regions kept as region */
	int32		head_start;		/* trade + industry start here ... */
	int32		org_start;		/* ... and end here; org forms up to head_end */
	int32		head_end;		/* branch from here */
	SvUStr		backoff;		/* short form of a region given back to the trade name */
	int32		bracket_start;	/* trailing "(...)" of the trade part, or org_start */
	bool		bracket_is_region;
	int32		trade_len;		/* of backoff + s[head_start, bracket_start) */
	SvUStr		branch;			/* canonical branch part (region as short form) */
} NameSplit;

static inline bool
is_ordinal_char(int32 c)
{
	if (c >= '0' && c <= '9')
		return true;
	switch (c)
	{
		case 0x4E00:			/* 一 */
		case 0x4E8C:			/* 二 */
		case 0x4E09:			/* 三 */
		case 0x56DB:			/* 四 */
		case 0x4E94:			/* 五 */
		case 0x516D:			/* 六 */
		case 0x4E03:			/* 七 */
		case 0x516B:			/* 八 */
		case 0x4E5D:			/* 九 */
		case 0x5341:			/* 十 */
		case 0x767E:			/* 百 */
		case 0x96F6:			/* 零 */
		case 0x3007:			/* 〇 */
			return true;
		default:
			return false;
	}
}

/*
 * seg[i]: s[i, n) is a sequence of industry words.  Returns the smallest
 * k >= 2 (or n when n < 2) with seg[k]; *deficient when s[0, n) or s[1, n)
 * is already such a sequence, i.e. no trade name of two characters or more
 * is left.
 */
static int32
industry_split(const Dict *d, const int32 *s, int32 n, bool *deficient)
{
	bool	   *seg = palloc((n + 1) * sizeof(bool));
	int32		k;

	seg[n] = true;
	for (int32 i = n - 1; i >= 0; i--)
	{
		uint64		h = 0;
		int32		lim = Min(d->maxlen_ind, n - i);

		if ((i & INTERRUPT_MASK) == 0)
			CHECK_FOR_INTERRUPTS();
		seg[i] = false;
		for (int32 L = 1; L <= lim; L++)
		{
			int32		idx;

			h = ph_right(h, s[i + L - 1]);
			if (L < 2 || !seg[i + L])
				continue;
			idx = dict_lookup(d, h, s + i, L);
			if (idx >= 0 && (d->ph[idx].flags & PH_INDUSTRY))
			{
				seg[i] = true;
				break;
			}
		}
	}
	*deficient = seg[0] || (n >= 1 && seg[1]);
	for (k = Min(2, n); k < n && !seg[k]; k++)
		;
	pfree(seg);
	return k;
}

static void
name_split(const Dict *d, SvUStr s, NameSplit *ns)
{
	int32		n = s.len;
	int32		head_end = n;
	int32		p = 0;
	int32		hit_pos[MAX_REGION_HITS];
	int32		hit_phrase[MAX_REGION_HITS];
	int			nhits = 0;
	int32		ctx[MAX_CTX];
	int			nctx = 0;
	int32		e;
	int32		phrase;
	int32		mlen;
	int32		trade_end;
	bool		deficient;

	memset(ns, 0, sizeof(NameSplit));

	/* 1. branch: a branch marker at the end, the branch starts after the head's org form */
	mlen = dict_suffix(d, s.cp, n, 0, PH_BRANCH, d->maxlen_org, NULL);
	if (mlen > 0)
	{
		int32		mpos = n - mlen;
		int32		b = -1;

		for (e = mpos; e >= 1 && b < 0; e--)
		{
			if (((mpos - e) & INTERRUPT_MASK) == INTERRUPT_MASK)
				CHECK_FOR_INTERRUPTS();
			if (dict_suffix(d, s.cp, e, 0, PH_ORG, d->maxlen_org, NULL) > 0)
				b = e;
		}
		if (b < 0)
		{
			/* no head org form: a division name or an ordinal right before the marker */
			int32		dl = dict_suffix(d, s.cp, mpos, 0, PH_DIV, d->maxlen_div, NULL);

			b = mpos - dl;
			if (dl == 0)
			{
				while (b > 0 && is_ordinal_char(s.cp[b - 1]))
					b--;
				if (b > 0 && s.cp[b - 1] == 0x7B2C && b < mpos)	/* 第 */
					b--;
			}
		}
		head_end = b;
	}

	/* 2. leading division names */
	while (nhits < MAX_REGION_HITS && p < head_end)
	{
		int32		len = dict_div_prefix(d, s.cp + p, head_end - p, ctx, nctx, &phrase);

		if (len == 0)
			break;

		/*
		 * 南京市场管理: when the suffix of a full name starts an industry
		 * word (市场), strip the short form only (南京).
		 */
		{
			SvUStr		shortf = div_phrase_short(d, phrase);

			if (shortf.len < len && memcmp(shortf.cp, s.cp + p, shortf.len * sizeof(int32)) == 0)
			{
				int32		lim = Min(d->maxlen_ind, head_end - p - shortf.len);
				uint64		h = 0;
				const int32 *t = s.cp + p + shortf.len;

				for (int32 L = 1; L <= lim; L++)
				{
					int32		idx;

					h = ph_right(h, t[L - 1]);
					idx = L >= 2 ? dict_lookup(d, h, t, L) : -1;
					if (idx >= 0 && (d->ph[idx].flags & PH_INDUSTRY) && L > len - shortf.len)
					{
						int32		sp;

						len = shortf.len;
						if (dict_div_prefix(d, s.cp + p, len, ctx, nctx, &sp) == len)
							phrase = sp;
						break;
					}
				}
			}
			pfree(shortf.cp);
		}
		hit_pos[nhits] = p;
		hit_phrase[nhits] = phrase;
		nhits++;
		{
			int32		codes[SV_DIV_MAX_CODES];
			int			ncodes = 0;

			div_phrase_codes(d, phrase, ctx, nctx, codes, &ncodes, SV_DIV_MAX_CODES);
			for (int k = 0; k < ncodes && nctx < MAX_CTX; k++)
				ctx[nctx++] = codes[k];
		}
		p += len;
	}

	/* 3. organisation forms at the end of the head */
	e = head_end;
	for (int k = 0; k < 4; k++)
	{
		int32		l = dict_suffix(d, s.cp, e, p, PH_ORG, d->maxlen_org, NULL);

		if (l == 0)
			break;
		e -= l;
	}
	ns->org_start = e;
	ns->head_end = head_end;

	/* 4. trade name and industry words, giving the last region back if needed */
	ns->region_end = p;
	ns->head_start = p;
	ns->backoff.len = 0;
	ns->bracket_start = e;
	if (e - p >= 3 && s.cp[e - 1] == ')')
	{
		int			depth = 0;

		for (int32 i = e - 1; i > p; i--)
		{
			if (s.cp[i] == ')')
				depth++;
			else if (s.cp[i] == '(' && --depth == 0)
			{
				int32		pl = dict_div_prefix(d, s.cp + i + 1, e - i - 2, ctx, nctx, &phrase);

				ns->bracket_start = i;
				ns->bracket_is_region = (pl > 0 && pl == e - i - 2);
				break;
			}
		}
	}
	trade_end = industry_split(d, s.cp + p, ns->bracket_start - p, &deficient);
	if (deficient && nhits > 0)
	{
		/* e.g. 南京医药: 南京 is the trade name, given back in its short form */
		int32		last = nhits - 1;
		SvUStr		shortf = div_phrase_short(d, hit_phrase[last]);
		int32		rlen = ns->bracket_start - p;
		SvUStr		r = ustr_alloc(shortf.len + rlen);

		memcpy(r.cp, shortf.cp, shortf.len * sizeof(int32));
		memcpy(r.cp + shortf.len, s.cp + p, rlen * sizeof(int32));
		r.len = shortf.len + rlen;
		trade_end = industry_split(d, r.cp, r.len, &deficient);
		ns->backoff = shortf;
		ns->region_end = hit_pos[last];
		ns->trade_len = trade_end;
	}
	else
		ns->trade_len = trade_end;

	/* 5. the branch, its leading division in short form (南京市分公司 -> 南京分公司) */
	if (head_end < n)
	{
		int32		q = head_end;
		int32		lastphrase = -1;
		int32		lastpos = q;

		for (int k = 0; k < MAX_REGION_HITS; k++)
		{
			int32		len = dict_div_prefix(d, s.cp + q, n - q, ctx, nctx, &phrase);

			if (len == 0 || q + len >= n - mlen + 1)
				break;
			lastphrase = phrase;
			lastpos = q;
			q += len;
		}
		if (lastphrase >= 0)
		{
			SvUStr		shortf = div_phrase_short(d, lastphrase);

			ns->branch = ustr_alloc(shortf.len + (n - q));
			memcpy(ns->branch.cp, shortf.cp, shortf.len * sizeof(int32));
			memcpy(ns->branch.cp + shortf.len, s.cp + q, (n - q) * sizeof(int32));
			ns->branch.len = shortf.len + (n - q);
		}
		else
			ns->branch = ustr_copy(s.cp + lastpos, n - lastpos);
	}
}

SvUStr
sv_name_core(SvUStr normalized)
{
	const Dict *d = dict_get();
	NameSplit	ns;
	SvUStr		out;
	int32		mid;

	name_split(d, normalized, &ns);
	mid = ns.org_start - ns.head_start;
	out = ustr_alloc(ns.backoff.len + mid + ns.branch.len);
	memcpy(out.cp, ns.backoff.cp, ns.backoff.len * sizeof(int32));
	memcpy(out.cp + ns.backoff.len, normalized.cp + ns.head_start, mid * sizeof(int32));
	memcpy(out.cp + ns.backoff.len + mid, ns.branch.cp, ns.branch.len * sizeof(int32));
	out.len = ns.backoff.len + mid + ns.branch.len;
	return out;
}

void
sv_name_parts(SvUStr normalized, SvNameParts *parts)
{
	const Dict *d = dict_get();
	NameSplit	ns;
	const int32 *s = normalized.cp;
	int32		tl;
	SvUStr		tradeall;

	name_split(d, normalized, &ns);
	memset(parts, 0, sizeof(SvNameParts));

	/* trade + industry: backoff + s[head_start, bracket_start) */
	tl = ns.bracket_start - ns.head_start;
	tradeall = ustr_alloc(ns.backoff.len + tl);
	memcpy(tradeall.cp, ns.backoff.cp, ns.backoff.len * sizeof(int32));
	memcpy(tradeall.cp + ns.backoff.len, s + ns.head_start, tl * sizeof(int32));
	tradeall.len = ns.backoff.len + tl;

	if (ns.bracket_start < ns.org_start && ns.bracket_is_region)
	{
		/* region: leading ones, then the bracketed one without brackets */
		int32		bl = ns.org_start - ns.bracket_start - 2;

		parts->region = ustr_alloc(ns.region_end + bl);
		memcpy(parts->region.cp, s, ns.region_end * sizeof(int32));
		memcpy(parts->region.cp + ns.region_end, s + ns.bracket_start + 1, bl * sizeof(int32));
		parts->region.len = ns.region_end + bl;
		parts->trade = ustr_copy(tradeall.cp, ns.trade_len);
	}
	else
	{
		parts->region = ustr_copy(s, ns.region_end);
		/* a bracket group that is no region stays with the trade name */
		if (ns.bracket_start < ns.org_start)
		{
			int32		bl = ns.org_start - ns.bracket_start;

			parts->trade = ustr_alloc(ns.trade_len + bl);
			memcpy(parts->trade.cp, tradeall.cp, ns.trade_len * sizeof(int32));
			memcpy(parts->trade.cp + ns.trade_len, s + ns.bracket_start, bl * sizeof(int32));
			parts->trade.len = ns.trade_len + bl;
		}
		else
			parts->trade = ustr_copy(tradeall.cp, ns.trade_len);
	}
	parts->industry = ustr_copy(tradeall.cp + ns.trade_len, tradeall.len - ns.trade_len);
	parts->org_form = ustr_copy(s + ns.org_start, ns.head_end - ns.org_start);
	parts->branch = ustr_copy(s + ns.head_end, normalized.len - ns.head_end);
}

/* ------------------------------------------------------------------------
 * SQL
 */

PG_FUNCTION_INFO_V1(normalize_name_normalize);
Datum
normalize_name_normalize(PG_FUNCTION_ARGS)
{
	SvUStr		in = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(sv_ustr_to_text(sv_name_normalize(in)));
}

PG_FUNCTION_INFO_V1(normalize_name_core);
Datum
normalize_name_core(PG_FUNCTION_ARGS)
{
	SvUStr		in = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(sv_ustr_to_text(sv_name_core(sv_name_normalize(in))));
}

PG_FUNCTION_INFO_V1(normalize_pinyin_key);
Datum
normalize_pinyin_key(PG_FUNCTION_ARGS)
{
	SvUStr		in = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(sv_ustr_to_text(sv_pinyin_key(sv_name_normalize(in))));
}

PG_FUNCTION_INFO_V1(normalize_name_parts);
Datum
normalize_name_parts(PG_FUNCTION_ARGS)
{
	SvUStr		in = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));
	SvNameParts parts;
	TupleDesc	td;
	Datum		values[5];
	bool		nulls[5];
	SvUStr		vals[5];

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "name_parts must return a composite type");
	td = BlessTupleDesc(td);
	sv_name_parts(sv_name_normalize(in), &parts);
	vals[0] = parts.region;
	vals[1] = parts.trade;
	vals[2] = parts.industry;
	vals[3] = parts.org_form;
	vals[4] = parts.branch;
	for (int i = 0; i < 5; i++)
	{
		nulls[i] = vals[i].len == 0;
		values[i] = nulls[i] ? (Datum) 0 : PointerGetDatum(sv_ustr_to_text(vals[i]));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/*
 * Statement trigger on the dictionary tables: every backend's cached
 * dictionary is stale once the change commits (at once for this backend).
 */
PG_FUNCTION_INFO_V1(normalize_dictionary_changed);
Datum
normalize_dictionary_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("text_dictionary_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
