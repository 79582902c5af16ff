/*
 * similarity.c
 *	  The text layer of the matching engine, part 2: string similarities on
 *	  code points (Jaro-Winkler, Levenshtein, bigram Dice), and Chinese
 *	  addresses (normalisation, parsing, a structure-aware similarity).
 *
 * Every function takes any input without crashing and bounds its work:
 * Jaro-Winkler and Dice are O((n + m) log(n + m)) on long strings,
 * Levenshtein uses Myers' bit-parallel algorithm (O(n * m / 64) time,
 * O(min(n, m)) memory), and the long loops check for interrupts.
 *
 * SQL objects: sql/matching_text.sql.  Documentation: docs/matching.md.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "textsim.h"

#define INTERRUPT_MASK	0xFFFF

/* Winkler's prefix scale and longest prefix. */
#define JW_PREFIX_SCALE 0.1
#define JW_PREFIX_MAX	4

static inline void *
alloc_huge(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_HUGE);
}

static inline bool
ustr_equal(SvUStr a, SvUStr b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.cp, b.cp, a.len * sizeof(int32)) == 0);
}

/* Total order: shorter first, then by code points. */
static int
ustr_cmp(SvUStr a, SvUStr b)
{
	if (a.len != b.len)
		return a.len < b.len ? -1 : 1;
	for (int32 i = 0; i < a.len; i++)
		if (a.cp[i] != b.cp[i])
			return a.cp[i] < b.cp[i] ? -1 : 1;
	return 0;
}

static inline SvUStr
ustr_slice(SvUStr s, int32 from, int32 to)
{
	SvUStr		u;

	u.len = Max(0, to - from);
	u.cp = alloc_huge(((Size) u.len + 1) * sizeof(int32));
	if (u.len > 0)
		memcpy(u.cp, s.cp + from, u.len * sizeof(int32));
	return u;
}

static inline uint32
cp_hash(int32 c)
{
	uint32		h = (uint32) c * 0x9E3779B1u;

	return h ^ (h >> 16);
}

/*
 * A small open-addressing map from code point to a dense id 0..k-1, for the
 * characters of one string.
 */
typedef struct CpIds
{
	int32	   *keys;			/* -1 empty */
	int32	   *ids;
	uint32		mask;
	int32		count;
} CpIds;

static void
cpids_init(CpIds *m, int32 n)
{
	uint32		size = 16;

	while (size < (uint32) n * 2)
		size <<= 1;
	m->mask = size - 1;
	m->keys = alloc_huge(size * sizeof(int32));
	m->ids = alloc_huge(size * sizeof(int32));
	memset(m->keys, 0xFF, size * sizeof(int32));
	m->count = 0;
}

static inline int32
cpids_get(const CpIds *m, int32 c)
{
	uint32		i = cp_hash(c) & m->mask;

	for (;;)
	{
		if (m->keys[i] == c)
			return m->ids[i];
		if (m->keys[i] == -1)
			return -1;
		i = (i + 1) & m->mask;
	}
}

static inline int32
cpids_add(CpIds *m, int32 c)
{
	uint32		i = cp_hash(c) & m->mask;

	for (;;)
	{
		if (m->keys[i] == c)
			return m->ids[i];
		if (m->keys[i] == -1)
		{
			m->keys[i] = c;
			m->ids[i] = m->count++;
			return m->ids[i];
		}
		i = (i + 1) & m->mask;
	}
}

/* ------------------------------------------------------------------------
 * Jaro-Winkler
 */

/* Jaro similarity of two non-empty strings. */
static double
jaro(SvUStr a, SvUStr b)
{
	int32		n = a.len,
				m = b.len;
	int32		w = Max(n, m) / 2 - 1;
	bool	   *ma = alloc_huge(n);
	bool	   *mb = alloc_huge(m);
	int64		matches = 0;
	int64		half_t = 0;
	int32		k;

	if (w < 0)
		w = 0;
	memset(ma, 0, n);
	memset(mb, 0, m);

	if ((int64) n * (2 * (int64) w + 1) <= 4 * 1024 * 1024)
	{
		/* each character of a takes the first free equal one of b in its window */
		for (int32 i = 0; i < n; i++)
		{
			int32		lo = Max(0, i - w);
			int32		hi = Min(m - 1, (int64) i + w);

			for (int32 j = lo; j <= hi; j++)
			{
				if (!mb[j] && b.cp[j] == a.cp[i])
				{
					ma[i] = mb[j] = true;
					matches++;
					break;
				}
			}
		}
	}
	else
	{
		/*
		 * The same matching in O(n + m log m): b's positions grouped by
		 * character, ascending; windows only move right, so in each group
		 * every position before a cursor is matched or out of reach for
		 * good, and the cursor is the first free one.
		 */
		CpIds		ids;
		int32	   *count,
				   *start,
				   *cursor,
				   *pos;

		cpids_init(&ids, m);
		for (int32 j = 0; j < m; j++)
			cpids_add(&ids, b.cp[j]);
		count = alloc_huge(((Size) ids.count + 1) * sizeof(int32));
		start = alloc_huge(((Size) ids.count + 1) * sizeof(int32));
		cursor = alloc_huge(((Size) ids.count + 1) * sizeof(int32));
		pos = alloc_huge((Size) m * sizeof(int32));
		memset(count, 0, ((Size) ids.count + 1) * sizeof(int32));
		for (int32 j = 0; j < m; j++)
			count[cpids_get(&ids, b.cp[j])]++;
		start[0] = 0;
		for (int32 g = 0; g < ids.count; g++)
			start[g + 1] = start[g] + count[g];
		memcpy(cursor, start, ((Size) ids.count + 1) * sizeof(int32));
		for (int32 j = 0; j < m; j++)
			pos[cursor[cpids_get(&ids, b.cp[j])]++] = j;
		memcpy(cursor, start, ((Size) ids.count + 1) * sizeof(int32));

		for (int32 i = 0; i < n; i++)
		{
			int32		g = cpids_get(&ids, a.cp[i]);
			int64		lo = (int64) i - w,
						hi = (int64) i + w;

			if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
				CHECK_FOR_INTERRUPTS();
			if (g < 0)
				continue;
			while (cursor[g] < start[g + 1] && pos[cursor[g]] < lo)
				cursor[g]++;
			if (cursor[g] < start[g + 1] && pos[cursor[g]] <= hi)
			{
				ma[i] = mb[pos[cursor[g]]] = true;
				cursor[g]++;
				matches++;
			}
		}
	}

	if (matches == 0)
		return 0.0;
	/* transpositions: matched characters in order that differ, halved */
	k = 0;
	for (int32 i = 0; i < n; i++)
	{
		if (!ma[i])
			continue;
		while (!mb[k])
			k++;
		if (a.cp[i] != b.cp[k])
			half_t++;
		k++;
	}
	return ((double) matches / n + (double) matches / m +
			((double) matches - half_t / 2.0) / matches) / 3.0;
}

double
sv_jaro_winkler(SvUStr a, SvUStr b)
{
	double		j;
	int			l = 0;

	/* a fixed order of the arguments makes the result exactly symmetric */
	if (ustr_cmp(a, b) > 0)
	{
		SvUStr		t = a;

		a = b;
		b = t;
	}
	if (a.len == 0)
		return b.len == 0 ? 1.0 : 0.0;
	j = jaro(a, b);
	while (l < JW_PREFIX_MAX && l < a.len && l < b.len && a.cp[l] == b.cp[l])
		l++;
	j = j + l * JW_PREFIX_SCALE * (1.0 - j);
	return Min(j, 1.0);
}

/* ------------------------------------------------------------------------
 * Levenshtein: Myers (1999) bit-parallel, blocks of 64 pattern characters
 * advanced together one text character at a time.
 */

static inline int
myers_advance(uint64 *Pv, uint64 *Mv, uint64 Eq, int hin, uint64 hbit)
{
	uint64		pv = *Pv,
				mv = *Mv;
	uint64		Xv = Eq | mv;
	uint64		Xh,
				Ph,
				Mh;
	int			hout = 0;

	if (hin < 0)
		Eq |= 1;
	Xh = (((Eq & pv) + pv) ^ pv) | Eq;
	Ph = mv | ~(Xh | pv);
	Mh = pv & Xh;
	if (Ph & hbit)
		hout = 1;
	else if (Mh & hbit)
		hout = -1;
	Ph <<= 1;
	Mh <<= 1;
	if (hin < 0)
		Mh |= 1;
	else if (hin > 0)
		Ph |= 1;
	*Pv = Mh | ~(Xv | Ph);
	*Mv = Ph & Xv;
	return hout;
}

int32
sv_levenshtein(SvUStr a, SvUStr b)
{
	const int32 *pa = a.cp,
			   *pb = b.cp;
	int32		na = a.len,
				nb = b.len;
	int32		m,
				n,
				nblocks;
	const int32 *pat,
			   *txt;
	CpIds		ids;
	int32	   *count,
			   *start,
			   *pos;
	uint64	   *Pv,
			   *Mv;
	uint64		lastbit;
	int64		score;

	/* the common prefix and suffix cost nothing */
	while (na > 0 && nb > 0 && *pa == *pb)
	{
		pa++;
		pb++;
		na--;
		nb--;
	}
	while (na > 0 && nb > 0 && pa[na - 1] == pb[nb - 1])
	{
		na--;
		nb--;
	}
	if (na == 0)
		return nb;
	if (nb == 0)
		return na;

	/* the shorter string is the pattern: memory is O(min(n, m)) */
	if (na <= nb)
	{
		pat = pa;
		m = na;
		txt = pb;
		n = nb;
	}
	else
	{
		pat = pb;
		m = nb;
		txt = pa;
		n = na;
	}
	nblocks = (m + 63) / 64;

	/* pattern positions grouped by character, ascending */
	cpids_init(&ids, m);
	for (int32 i = 0; i < m; i++)
		cpids_add(&ids, pat[i]);
	count = palloc0(((Size) ids.count + 1) * sizeof(int32));
	start = palloc(((Size) ids.count + 1) * sizeof(int32));
	pos = alloc_huge((Size) m * sizeof(int32));
	for (int32 i = 0; i < m; i++)
		count[cpids_get(&ids, pat[i])]++;
	start[0] = 0;
	for (int32 g = 0; g < ids.count; g++)
		start[g + 1] = start[g] + count[g];
	memset(count, 0, ((Size) ids.count + 1) * sizeof(int32));
	for (int32 i = 0; i < m; i++)
	{
		int32		g = cpids_get(&ids, pat[i]);

		pos[start[g] + count[g]++] = i;
	}

	Pv = alloc_huge((Size) nblocks * sizeof(uint64));
	Mv = alloc_huge((Size) nblocks * sizeof(uint64));
	for (int32 bl = 0; bl < nblocks; bl++)
	{
		Pv[bl] = ~UINT64CONST(0);
		Mv[bl] = 0;
	}
	lastbit = UINT64CONST(1) << ((m - 1) % 64);
	score = m;

	for (int32 j = 0; j < n; j++)
	{
		int32		g = cpids_get(&ids, txt[j]);
		int			h = 1;		/* row 0 of the matrix grows by one per column */

		if (nblocks > 64 || (j & INTERRUPT_MASK) == INTERRUPT_MASK)
			CHECK_FOR_INTERRUPTS();
		if (g < 0)
		{
			for (int32 bl = 0; bl < nblocks; bl++)
				h = myers_advance(&Pv[bl], &Mv[bl], 0, h,
								  bl == nblocks - 1 ? lastbit : UINT64CONST(1) << 63);
		}
		else
		{
			int32		k = start[g],
						end = start[g + 1];

			for (int32 bl = 0; bl < nblocks; bl++)
			{
				uint64		Eq = 0;
				int32		limit = (bl + 1) * 64;

				while (k < end && pos[k] < limit)
				{
					Eq |= UINT64CONST(1) << (pos[k] - bl * 64);
					k++;
				}
				h = myers_advance(&Pv[bl], &Mv[bl], Eq, h,
								  bl == nblocks - 1 ? lastbit : UINT64CONST(1) << 63);
			}
		}
		score += h;
	}
	return (int32) score;
}

/* ------------------------------------------------------------------------
 * Bigram Dice
 */

static int
cmp_uint64(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x,
				b = *(const uint64 *) y;

	return a < b ? -1 : (a > b ? 1 : 0);
}

static void
sort_uint64(uint64 *v, Size n)
{
	if (n <= 16)
	{
		for (Size i = 1; i < n; i++)
		{
			uint64		x = v[i];
			Size		j = i;

			while (j > 0 && v[j - 1] > x)
			{
				v[j] = v[j - 1];
				j--;
			}
			v[j] = x;
		}
	}
	else
		qsort(v, n, sizeof(uint64), cmp_uint64);
}

/* Bigrams of s (its unigram when it has one character), sorted. */
static uint64 *
bigrams(SvUStr s, Size *n)
{
	uint64	   *v;

	if (s.len == 1)
	{
		v = palloc(sizeof(uint64));
		v[0] = ((uint64) (uint32) s.cp[0] << 32) | UINT64CONST(0xFFFFFFFF);
		*n = 1;
		return v;
	}
	*n = s.len - 1;
	v = alloc_huge(*n * sizeof(uint64));
	for (int32 i = 0; i + 1 < s.len; i++)
		v[i] = ((uint64) (uint32) s.cp[i] << 32) | (uint32) s.cp[i + 1];
	sort_uint64(v, *n);
	return v;
}

double
sv_bigram_dice(SvUStr a, SvUStr b)
{
	uint64	   *va,
			   *vb;
	Size		na,
				nb,
				i = 0,
				j = 0,
				common = 0;

	if (a.len == 0 || b.len == 0)
		return (a.len == 0 && b.len == 0) ? 1.0 : 0.0;
	va = bigrams(a, &na);
	vb = bigrams(b, &nb);
	/* multiset intersection of two sorted lists */
	while (i < na && j < nb)
	{
		if (va[i] == vb[j])
		{
			common++;
			i++;
			j++;
		}
		else if (va[i] < vb[j])
			i++;
		else
			j++;
	}
	pfree(va);
	pfree(vb);
	return 2.0 * (double) common / (double) (na + nb);
}

/* ------------------------------------------------------------------------
 * Addresses
 */

/* Characters the parser looks for, as code points. */
#define CH_HAO		0x53F7		/* 号 */
#define CH_LOU		0x697C		/* 楼 */
#define CH_YUAN		0x9662		/* 院 */
#define CH_LU		0x8DEF		/* 路 */
#define CH_JIE		0x8857		/* 街 */
#define CH_DAO		0x9053		/* 道 */
#define CH_DA		0x5927		/* 大 */
#define CH_XIANG	0x5DF7		/* 巷 */
#define CH_NONG		0x5F04		/* 弄 */
#define CH_HU		0x80E1		/* 胡 */
#define CH_TONG		0x540C		/* 同 */
#define CH_ZHEN		0x9547		/* 镇 */
#define CH_XIANG1	0x4E61		/* 乡 */
#define CH_CUN		0x6751		/* 村 */
#define CH_DI		0x7B2C		/* 第 */
#define CH_DONG		0x680B		/* 栋 */
#define CH_ZHUANG	0x5E62		/* 幢 */
#define CH_ZUO		0x5EA7		/* 座 */
#define CH_DAN		0x5355		/* 单 */
#define CH_YUAN2	0x5143		/* 元 */
#define CH_CENG		0x5C42		/* 层 */
#define CH_SHI		0x5BA4		/* 室 */
#define CH_FANG		0x623F		/* 房 */
#define CH_HU2		0x6237		/* 户 */
#define CH_ZU		0x7EC4		/* 组 */
#define CH_QU		0x533A		/* 区 */

static inline bool
is_digit(int32 c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_upper_alnum(int32 c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z');
}

/* Value of a Chinese numeral character: 0-9, 10/100/1000 for 十百千, -1 otherwise. */
static int
cn_numeral(int32 c)
{
	switch (c)
	{
		case 0x3007:			/* 〇 */
		case 0x96F6:			/* 零 */
			return 0;
		case 0x4E00:			/* 一 */
			return 1;
		case 0x4E8C:			/* 二 */
		case 0x4E24:			/* 两 */
			return 2;
		case 0x4E09:			/* 三 */
			return 3;
		case 0x56DB:			/* 四 */
			return 4;
		case 0x4E94:			/* 五 */
			return 5;
		case 0x516D:			/* 六 */
			return 6;
		case 0x4E03:			/* 七 */
			return 7;
		case 0x516B:			/* 八 */
			return 8;
		case 0x4E5D:			/* 九 */
			return 9;
		case 0x5341:			/* 十 */
			return 10;
		case 0x767E:			/* 百 */
			return 100;
		case 0x5343:			/* 千 */
			return 1000;
		default:
			return -1;
	}
}

/* Units after which a Chinese numeral is a number: 号 栋 幢 单(元) 室 层 楼 弄 组. */
static inline bool
is_number_unit(int32 c)
{
	return c == CH_HAO || c == CH_DONG || c == CH_ZHUANG || c == CH_DAN || c == CH_SHI ||
		c == CH_CENG || c == CH_LOU || c == CH_NONG || c == CH_ZU;
}

/* Value of a run of Chinese numerals (十八 18, 一百零八 108, 一〇一 101), or -1. */
static int64
cn_number_value(const int32 *s, int32 n)
{
	bool		positional = false;
	int64		total = 0,
				cur = 0;

	for (int32 i = 0; i < n; i++)
		if (cn_numeral(s[i]) >= 10)
			positional = true;
	if (!positional)
	{
		for (int32 i = 0; i < n; i++)
			total = total * 10 + cn_numeral(s[i]);
		return total;
	}
	for (int32 i = 0; i < n; i++)
	{
		int			v = cn_numeral(s[i]);

		if (v >= 10)
		{
			if (cur == 0 && !(v == 10 && (i == 0 || cn_numeral(s[i - 1]) == 0)))
				return -1;		/* 百 without a digit before it, 十十 */
			total += (cur == 0 ? 1 : cur) * v;
			cur = 0;
		}
		else if (v == 0)
			cur = 0;
		else
		{
			if (cur != 0)
				return -1;		/* two digits in a row in positional form */
			cur = v;
		}
	}
	return total + cur;
}

SvUStr
sv_address_normalize(SvUStr in)
{
	SvUStr		f = sv_text_fold(in, true);
	SvUStr		out;
	int32		n = 0;

	out.cp = alloc_huge(((Size) f.len * 2 + 24) * sizeof(int32));
	for (int32 i = 0; i < f.len;)
	{
		int32		j = i;

		if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
			CHECK_FOR_INTERRUPTS();
		while (j < f.len && cn_numeral(f.cp[j]) >= 0)
			j++;
		if (j > i && j - i <= 8 && j < f.len && is_number_unit(f.cp[j]))
		{
			int64		v = cn_number_value(f.cp + i, j - i);

			if (v >= 0)
			{
				char		buf[24];
				int			len = snprintf(buf, sizeof(buf), INT64_FORMAT, v);

				if (n > 0 && out.cp[n - 1] == CH_DI)
					n--;		/* 第三层 -> 3层 */
				for (int k = 0; k < len; k++)
					out.cp[n++] = buf[k];
				i = j;
				continue;
			}
		}
		/* not a number: copy the run (or one character) as it is */
		if (j == i)
			j = i + 1;
		while (i < j)
			out.cp[n++] = f.cp[i++];
	}
	out.len = n;
	return out;
}

/* Length of a road suffix at s[i] (大道 大街 胡同 路 街 巷 弄), or 0. */
static int
road_suffix_len(SvUStr s, int32 i)
{
	int32		c = s.cp[i];
	int32		next = i + 1 < s.len ? s.cp[i + 1] : 0;

	if (c == CH_DA && (next == CH_DAO || next == CH_JIE))
		return 2;
	if (c == CH_HU && next == CH_TONG)
		return 2;
	if (c == CH_JIE)
		return next == CH_DAO ? 0 : 1;	/* 街道 is a town */
	if (c == CH_LU || c == CH_XIANG || c == CH_NONG)
		return 1;
	return 0;
}

/* A road right at s[q], maybe after one direction character (南京东路, 中山北路)? */
static bool
road_at(SvUStr s, int32 q)
{
	if (q >= s.len)
		return false;
	if (road_suffix_len(s, q) > 0)
		return true;
	switch (s.cp[q])
	{
		case 0x4E1C:			/* 东 */
		case 0x897F:			/* 西 */
		case 0x5357:			/* 南 */
		case 0x5317:			/* 北 */
		case 0x4E2D:			/* 中 */
			return q + 1 < s.len && road_suffix_len(s, q + 1) > 0;
		default:
			return false;
	}
}

/* Characters a road name does not run across (what comes before is no road). */
static inline bool
is_road_breaker(int32 c)
{
	return is_digit(c) || c == '-' || c == CH_HAO || c == CH_DONG || c == CH_ZHUANG ||
		c == CH_LOU || c == CH_SHI || c == CH_CENG || c == CH_ZUO || c == CH_CUN ||
		c == CH_ZU || c == CH_QU || c == CH_ZHEN || c == CH_XIANG1;
}

/* Digits ('-' digits)* at s[i]: end of the run, or i if none. */
static int32
scan_number(SvUStr s, int32 i)
{
	int32		j = i;

	if (j >= s.len || !is_digit(s.cp[j]))
		return i;
	while (j < s.len && is_digit(s.cp[j]))
		j++;
	while (j + 1 < s.len && s.cp[j] == '-' && is_digit(s.cp[j + 1]))
	{
		j++;
		while (j < s.len && is_digit(s.cp[j]))
			j++;
	}
	return j;
}

/* Building unit at s[i]: its length (号楼 栋 幢 座 单元 楼 层 室 号房 房 户), or 0. */
static int
building_unit_len(SvUStr s, int32 i)
{
	int32		c,
				next;

	if (i >= s.len)
		return 0;
	c = s.cp[i];
	next = i + 1 < s.len ? s.cp[i + 1] : 0;
	if (c == CH_HAO && (next == CH_LOU || next == CH_FANG))
		return 2;
	if (c == CH_DAN && next == CH_YUAN2)
		return 2;
	if (c == CH_DONG || c == CH_ZHUANG || c == CH_ZUO || c == CH_LOU || c == CH_CENG ||
		c == CH_SHI || c == CH_FANG || c == CH_HU2)
		return 1;
	return 0;
}

/* A house number at s[i]: its end, or i.  18号, 18-1号, 3号院, 100弄5号. */
static int32
scan_house_number(SvUStr s, int32 i, bool after_road)
{
	int32		j = scan_number(s, i);

	if (j == i)
		return i;
	if (j < s.len && s.cp[j] == CH_HAO)
	{
		if (building_unit_len(s, j) == 2)
			return i;			/* 3号楼: a building */
		if (j + 1 < s.len && s.cp[j + 1] == CH_YUAN)
			return j + 2;		/* 3号院: a courtyard number */
		return j + 1;
	}
	if (j < s.len && (s.cp[j] == CH_NONG || s.cp[j] == CH_XIANG))
	{
		int32		k = scan_number(s, j + 1);

		if (k > j + 1 && k < s.len && s.cp[k] == CH_HAO && building_unit_len(s, k) != 2)
			return k + 1;
		return j + 1;
	}
	if (after_road && building_unit_len(s, j) == 0 && !(j < s.len && is_upper_alnum(s.cp[j])))
		return j;				/* 中山路18 */
	return i;
}

/* A building token at s[i] (3栋, B座, 2单元, 301室, 3号楼): its end, or i. */
static int32
scan_building(SvUStr s, int32 i)
{
	int32		j = i;
	int			u;

	while (j < s.len && is_upper_alnum(s.cp[j]))
		j++;
	while (j + 1 < s.len && s.cp[j] == '-' && is_upper_alnum(s.cp[j + 1]))
	{
		j++;
		while (j < s.len && is_upper_alnum(s.cp[j]))
			j++;
	}
	if (j == i)
		return i;
	u = building_unit_len(s, j);
	if (u > 0)
		return j + u;
	return i;
}

typedef struct AddrState
{
	SvUStr		s;
	bool	   *used;			/* characters given to a part */
} AddrState;

static void
set_part(SvAddress *out, AddrState *st, SvAddrPart part, int32 from, int32 to)
{
	out->part[part] = ustr_slice(st->s, from, to);
	for (int32 i = from; i < to; i++)
		st->used[i] = true;
}

static void
append_part(SvAddress *out, AddrState *st, SvAddrPart part, int32 from, int32 to)
{
	SvUStr		old = out->part[part];
	SvUStr		u;

	u.len = old.len + (to - from);
	u.cp = alloc_huge(((Size) u.len + 1) * sizeof(int32));
	if (old.len > 0)
		memcpy(u.cp, old.cp, old.len * sizeof(int32));
	memcpy(u.cp + old.len, st->s.cp + from, (to - from) * sizeof(int32));
	out->part[part] = u;
	for (int32 i = from; i < to; i++)
		st->used[i] = true;
}

/* Is code strictly below a (9-digit codes)? */
static bool
code_below(int32 d, int32 a)
{
	if (a % 10000000 == 0)
		return d != a && d / 10000000 == a / 10000000;
	if (a % 100000 == 0)
		return d != a && d / 100000 == a / 100000;
	if (a % 1000 == 0)
		return d != a && d / 1000 == a / 1000;
	return false;
}

void
sv_address_parse(SvUStr s, SvAddress *out)
{
	AddrState	st;
	int32		n = s.len;
	int32		p = 0;
	int32		ctx[32];
	int			nctx = 0;
	int			deepest = -1;	/* deepest level slot filled, 0..3 */
	int32		road_end = -1;
	int32		num_from = -1,
				num_to = -1;
	int32		q;

	memset(out, 0, sizeof(SvAddress));
	st.s = s;
	st.used = alloc_huge(n + 1);
	memset(st.used, 0, n + 1);

	/* 1. divisions, from the province down */
	while (p < n)
	{
		SvDivHit	hit;
		int			lvl = 99;
		int32		keep[SV_DIV_MAX_CODES];
		int			nkeep = 0;

		if (!sv_division_prefix(s.cp + p, n - p, ctx, nctx, &hit))
			break;
		if (road_at(s, p + hit.len))
			break;				/* 南京路, 北京东路: a road named after a place */
		/* divisions whose level is free and that lie below what was found */
		for (int k = 0; k < hit.ndiv; k++)
		{
			int			l = hit.level[k] - 1;
			bool		ok = out->ncodes[l] == 0 && l > deepest;

			if (ok && deepest >= 0)
			{
				ok = false;
				for (int c = 0; c < out->ncodes[deepest]; c++)
					if (code_below(hit.code[k], out->codes[deepest][c]))
						ok = true;
			}
			if (ok)
				lvl = Min(lvl, l);
		}
		if (lvl == 99)
			break;
		for (int k = 0; k < hit.ndiv; k++)
		{
			bool		ok = hit.level[k] - 1 == lvl;

			if (ok && deepest >= 0)
			{
				ok = false;
				for (int c = 0; c < out->ncodes[deepest]; c++)
					if (code_below(hit.code[k], out->codes[deepest][c]))
						ok = true;
			}
			if (ok)
			{
				if (nkeep == 0)
					out->part[lvl] = hit.name[k];
				keep[nkeep++] = hit.code[k];
			}
		}
		memcpy(out->codes[lvl], keep, nkeep * sizeof(int32));
		out->ncodes[lvl] = nkeep;
		/* an ambiguous division above is whichever contains this one */
		for (int l = 0; l < lvl; l++)
		{
			int			m = 0;

			for (int c = 0; c < out->ncodes[l]; c++)
			{
				bool		above = false;

				for (int k = 0; k < nkeep; k++)
					if (code_below(keep[k], out->codes[l][c]))
						above = true;
				if (above)
					out->codes[l][m++] = out->codes[l][c];
			}
			if (m > 0)
				out->ncodes[l] = m;
		}
		for (int k = 0; k < nkeep && nctx < (int) lengthof(ctx); k++)
			ctx[nctx++] = keep[k];
		deepest = lvl;
		for (int32 i = p; i < p + hit.len; i++)
			st.used[i] = true;
		p += hit.len;
		if (lvl == SV_ADDR_TOWN)
			break;
	}

	/* 2. a town not in the table: XX街道, XX镇, XX乡 within the next few characters */
	if (out->part[SV_ADDR_TOWN].len == 0)
	{
		for (int32 i = p; i < n && i <= p + 10; i++)
		{
			int32		c = s.cp[i];
			int32		next = i + 1 < n ? s.cp[i + 1] : 0;
			int32		end = -1;

			if (is_digit(c) || c == '-' || c == CH_HAO || road_suffix_len(s, i) > 0 ||
				c == CH_CUN)
				break;
			if (c == CH_JIE && next == CH_DAO)
				end = i + 2;
			else if ((c == CH_ZHEN || c == CH_XIANG1) && next != CH_CUN)
				end = i + 1;
			if (end > 0)
			{
				if (i - p >= 2 && !road_at(s, end))
				{
					set_part(out, &st, SV_ADDR_TOWN, p, end);
					p = end;
				}
				break;
			}
		}
	}

	/*
	 * 3. the road: up to a road suffix, not across a village, number or
	 * building (from: just after the last such character before i)
	 */
	{
		int32		from = p;

		for (int32 i = p + 1; i < n; i++)
		{
			int			L;

			if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
				CHECK_FOR_INTERRUPTS();
			if (is_road_breaker(s.cp[i - 1]))
				from = i;
			L = road_suffix_len(s, i);
			if (L > 0 && from < i && !is_digit(s.cp[i - 1]) && s.cp[i - 1] != '-')
			{
				set_part(out, &st, SV_ADDR_ROAD, from, i + L);
				road_end = i + L;
				break;
			}
		}
	}

	/* 4. the house number: right after the road, else the first NN号 */
	q = road_end >= 0 ? road_end : p;
	if (road_end >= 0)
	{
		int32		e = scan_house_number(s, q, true);

		if (e > q)
		{
			num_from = q;
			num_to = e;
		}
	}
	if (num_from < 0)
	{
		for (int32 i = q; i < n; i++)
		{
			int32		e;

			if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
				CHECK_FOR_INTERRUPTS();
			if (!is_digit(s.cp[i]) || (i > 0 && is_upper_alnum(s.cp[i - 1])))
				continue;
			e = scan_house_number(s, i, false);
			if (e > i && s.cp[e - 1] == CH_HAO)
			{
				num_from = i;
				num_to = e;
				break;
			}
			i = scan_number(s, i) - 1;	/* not a number: skip the digits (1-1-1-...) once */
		}
	}
	if (num_from >= 0)
		set_part(out, &st, SV_ADDR_NUMBER, num_from, num_to);

	/* 5. buildings after the number (or the road), and a trailing room number */
	for (int32 i = num_to >= 0 ? num_to : q; i < n;)
	{
		int32		e;

		if ((i & INTERRUPT_MASK) == INTERRUPT_MASK)
			CHECK_FOR_INTERRUPTS();
		if (st.used[i] || (i > 0 && is_upper_alnum(s.cp[i - 1]) && !st.used[i - 1]))
		{
			i++;
			continue;
		}
		e = scan_building(s, i);
		if (e == i && is_digit(s.cp[i]) && (out->part[SV_ADDR_BUILDING].len > 0 || num_from >= 0))
		{
			/* 中山路1号301, 3栋2单元301: a room number at the very end */
			int32		k = scan_number(s, i);

			if (k == n)
				e = k;
		}
		if (e > i)
		{
			append_part(out, &st, SV_ADDR_BUILDING, i, e);
			i = e;
		}
		else
		{
			/* not a building: skip the whole token (A-1-B-2-...) once */
			int32		j = i;

			while (j < n && (is_upper_alnum(s.cp[j]) || (s.cp[j] == '-' && j > i)) && !st.used[j])
				j++;
			i = Max(j, i + 1);
		}
	}

	/* 6. whatever is left, in order */
	for (int32 i = 0; i < n;)
	{
		int32		j = i;

		while (j < n && !st.used[j])
			j++;
		if (j > i)
			append_part(out, &st, SV_ADDR_REST, i, j);
		i = j + 1;
	}
	pfree(st.used);
}

/* ---- similarity ---- */

static const double addr_weight[SV_ADDR_NPARTS] = {
	0.05,						/* province */
	0.10,						/* city */
	0.15,						/* county */
	0.10,						/* town */
	0.25,						/* road */
	0.20,						/* number */
	0.10,						/* building */
	0.05,						/* rest */
};

/*
 * A division that differs multiplies the score: two addresses in different
 * cities are different places whatever their roads (every city has a 中山路).
 */
static const double addr_mismatch_factor[4] = {
	0.3,						/* province */
	0.4,						/* city */
	0.7,						/* county */
	0.85,						/* town */
};

static bool
codes_intersect(const int32 *a, int na, const int32 *b, int nb)
{
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (a[i] == b[j])
				return true;
	return false;
}

/* Codes of level lvl implied by the deepest division found below it. */
static int
implied_codes(const SvAddress *x, int lvl, int32 *out)
{
	static const int32 unit[3] = {10000000, 100000, 1000};
	int			n = 0;

	if (lvl > 2)
		return 0;
	for (int l = 3; l > lvl; l--)
	{
		if (x->ncodes[l] == 0)
			continue;
		for (int k = 0; k < x->ncodes[l]; k++)
		{
			int32		c = x->codes[l][k] / unit[lvl] * unit[lvl];
			bool		dup = false;

			for (int j = 0; j < n; j++)
				if (out[j] == c)
					dup = true;
			if (!dup)
				out[n++] = c;
		}
		break;
	}
	return n;
}

/* The house number's main value: after the last 弄/巷, else the first. */
static int64
house_main_number(SvUStr num)
{
	int32		i = 0;
	int64		v = 0;
	int			digits = 0;

	for (int32 k = 0; k < num.len; k++)
		if (num.cp[k] == CH_NONG || num.cp[k] == CH_XIANG)
			i = k + 1;
	while (i < num.len && !is_digit(num.cp[i]))
		i++;
	while (i < num.len && is_digit(num.cp[i]) && digits < 15)
	{
		v = v * 10 + (num.cp[i] - '0');
		i++;
		digits++;
	}
	return digits > 0 ? v : -1;
}

static double
address_similarity_parsed(const SvAddress *a, const SvAddress *b, SvUStr na, SvUStr nb)
{
	double		sum_w = 0,
				sum_ws = 0,
				present_w = 0;
	double		road_s = -1;
	double		factor = 1.0;

#define COMPARED(part, score) \
	do { \
		double	s_ = (score); \
		sum_w += addr_weight[part]; \
		sum_ws += addr_weight[part] * s_; \
		if ((part) <= SV_ADDR_TOWN && s_ == 0.0) \
			factor *= addr_mismatch_factor[part]; \
	} while (0)

	/* divisions: a part missing on one side is no mismatch; a division found
	 * on one side is checked against what the other side's lower divisions
	 * imply (玄武区 lies in 南京市) */
	for (int l = 0; l < 4; l++)
	{
		bool		ea = a->part[l].len > 0,
					eb = b->part[l].len > 0;

		if (!ea && !eb)
			continue;
		present_w += addr_weight[l];
		if (ea && eb)
		{
			if (a->ncodes[l] > 0 && b->ncodes[l] > 0)
				COMPARED(l, codes_intersect(a->codes[l], a->ncodes[l], b->codes[l], b->ncodes[l]) ? 1.0 : 0.0);
			else
				COMPARED(l, ustr_equal(a->part[l], b->part[l]) ? 1.0 : 0.0);
		}
		else
		{
			const SvAddress *x = ea ? a : b;
			const SvAddress *y = ea ? b : a;
			int32		imp[4 * SV_DIV_MAX_CODES];
			int			nimp;

			if (x->ncodes[l] == 0)
				continue;
			nimp = implied_codes(y, l, imp);
			if (nimp > 0)
				COMPARED(l, codes_intersect(x->codes[l], x->ncodes[l], imp, nimp) ? 1.0 : 0.0);
		}
	}

	/* road: Jaro-Winkler; a road on one side only is looked for in the other's rest */
	{
		SvUStr		ra = a->part[SV_ADDR_ROAD],
					rb = b->part[SV_ADDR_ROAD];

		if (ra.len > 0 || rb.len > 0)
		{
			present_w += addr_weight[SV_ADDR_ROAD];
			if (ra.len > 0 && rb.len > 0)
			{
				road_s = sv_jaro_winkler(ra, rb);
				COMPARED(SV_ADDR_ROAD, road_s);
			}
			else
			{
				SvUStr		other_rest = ra.len > 0 ? b->part[SV_ADDR_REST] : a->part[SV_ADDR_REST];

				if (other_rest.len > 0)
					COMPARED(SV_ADDR_ROAD, sv_bigram_dice(ra.len > 0 ? ra : rb, other_rest));
			}
		}
	}

	/* number: exact; the same main number (18号, 18-1号) 0.8; on the same road, near numbers */
	{
		SvUStr		xa = a->part[SV_ADDR_NUMBER],
					xb = b->part[SV_ADDR_NUMBER];

		if (xa.len > 0 || xb.len > 0)
			present_w += addr_weight[SV_ADDR_NUMBER];
		if (xa.len > 0 && xb.len > 0)
		{
			double		s = 0.0;

			if (ustr_equal(xa, xb))
				s = 1.0;
			else
			{
				int64		ma = house_main_number(xa),
							mb = house_main_number(xb);

				if (ma >= 0 && ma == mb)
					s = 0.8;
				else if (ma >= 0 && mb >= 0 && road_s >= 0.9)
				{
					int64		d = ma > mb ? ma - mb : mb - ma;

					s = d <= 2 ? 0.5 : (d <= 10 ? 0.2 : 0.0);
				}
			}
			COMPARED(SV_ADDR_NUMBER, s);
		}
	}

	/* building and rest: bigram Dice when both have them */
	for (int part = SV_ADDR_BUILDING; part <= SV_ADDR_REST; part++)
	{
		SvUStr		xa = a->part[part],
					xb = b->part[part];

		if (xa.len > 0 || xb.len > 0)
			present_w += addr_weight[part];
		if (xa.len > 0 && xb.len > 0)
			COMPARED(part, sv_bigram_dice(xa, xb));
	}
#undef COMPARED

	if (sum_w <= 0)
		return sv_bigram_dice(na, nb);
	return (sum_ws / sum_w) * (0.9 + 0.1 * (sum_w / present_w)) * factor;
}

double
sv_address_similarity(SvUStr a, SvUStr b)
{
	SvUStr		na = sv_address_normalize(a);
	SvUStr		nb = sv_address_normalize(b);
	SvAddress	pa,
				pb;
	double		s;

	if (na.len == 0 || nb.len == 0)
		return (na.len == 0 && nb.len == 0) ? 1.0 : 0.0;
	if (ustr_equal(na, nb))
		return 1.0;
	sv_address_parse(na, &pa);
	sv_address_parse(nb, &pb);
	s = address_similarity_parsed(&pa, &pb, na, nb);
	return Max(0.0, Min(1.0, s));
}

/* ------------------------------------------------------------------------
 * SQL
 */

PG_FUNCTION_INFO_V1(similarity_jaro_winkler);
Datum
similarity_jaro_winkler(PG_FUNCTION_ARGS)
{
	SvUStr		a = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(0)));
	SvUStr		b = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(1)));

	PG_RETURN_FLOAT8(sv_jaro_winkler(a, b));
}

PG_FUNCTION_INFO_V1(similarity_levenshtein);
Datum
similarity_levenshtein(PG_FUNCTION_ARGS)
{
	SvUStr		a = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(0)));
	SvUStr		b = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(1)));

	PG_RETURN_INT32(sv_levenshtein(a, b));
}

PG_FUNCTION_INFO_V1(similarity_bigram_dice);
Datum
similarity_bigram_dice(PG_FUNCTION_ARGS)
{
	SvUStr		a = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(0)));
	SvUStr		b = sv_nfc(sv_text_to_ustr(PG_GETARG_TEXT_PP(1)));

	PG_RETURN_FLOAT8(sv_bigram_dice(a, b));
}

PG_FUNCTION_INFO_V1(similarity_address_parse);
Datum
similarity_address_parse(PG_FUNCTION_ARGS)
{
	SvUStr		in = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));
	SvAddress	addr;
	TupleDesc	td;
	Datum		values[SV_ADDR_NPARTS];
	bool		nulls[SV_ADDR_NPARTS];

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "address_parse must return a composite type");
	td = BlessTupleDesc(td);
	sv_address_parse(sv_address_normalize(in), &addr);
	for (int i = 0; i < SV_ADDR_NPARTS; i++)
	{
		nulls[i] = addr.part[i].len == 0;
		values[i] = nulls[i] ? (Datum) 0 : PointerGetDatum(sv_ustr_to_text(addr.part[i]));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

PG_FUNCTION_INFO_V1(similarity_address_similarity);
Datum
similarity_address_similarity(PG_FUNCTION_ARGS)
{
	SvUStr		a = sv_text_to_ustr(PG_GETARG_TEXT_PP(0));
	SvUStr		b = sv_text_to_ustr(PG_GETARG_TEXT_PP(1));

	PG_RETURN_FLOAT8(sv_address_similarity(a, b));
}
