/*
 * textsim.h: the text layer of the matching engine, shared by
 * normalize.c / similarity.c (which implement it) and match.c / cluster.c
 * (which use it).
 *
 * Text is handled as arrays of Unicode code points, decoded once from the
 * database's UTF-8 and compared many times. All functions are
 * locale-independent; allocation is palloc in the current memory context.
 */
#ifndef SUPERVISION_TEXTSIM_H
#define SUPERVISION_TEXTSIM_H

#include "postgres.h"

/* A string as code points. */
typedef struct SvUStr
{
	int32		len;			/* number of code points */
	int32	   *cp;				/* code points (UTF-32), len entries */
} SvUStr;

/* UTF-8 <-> code points. Invalid UTF-8 raises ERRCODE_CHARACTER_NOT_IN_REPERTOIRE. */
extern SvUStr sv_ustr_from_utf8(const char *s, int len);
extern char *sv_ustr_to_utf8(SvUStr u, int *outlen);	/* NUL-terminated */

/*
 * Names (normalize.c).
 * sv_name_normalize: ICU NFKC, full-width to half-width, traditional to
 *   simplified, one form of brackets, no white space or punctuation, Latin
 *   letters upper-cased.
 * sv_name_core: normalized name without leading division names (full and
 *   short forms, from supervision.division) and organisation forms; keeps
 *   trade name and industry words. A branch (XX公司南京分公司) keeps its
 *   branch part (core 某某南京分公司), so that a branch and its head office,
 *   distinct entities, never share a core; see sv_name_parts. Reads the
 *   division, organisation-form and industry-word tables through a
 *   per-backend cache (invalidated when the tables change).
 * sv_pinyin_key: toneless pinyin of the normalized name, syllables
 *   concatenated, ASCII upper case (homophones collide on purpose).
 */
extern SvUStr sv_name_normalize(SvUStr in);
extern SvUStr sv_name_core(SvUStr normalized);
extern SvUStr sv_pinyin_key(SvUStr normalized);

/* Similarities (similarity.c), on code points; all in [0, 1] except levenshtein. */
extern double sv_jaro_winkler(SvUStr a, SvUStr b);
extern int32 sv_levenshtein(SvUStr a, SvUStr b);
extern double sv_bigram_dice(SvUStr a, SvUStr b);
extern double sv_address_similarity(SvUStr a, SvUStr b);

/* ------------------------------------------------------------------------
 * Additions to the contract (normalize.c / similarity.c).
 */

/* Unicode NFC of a string (normalize.c); returns the input when it is NFC already. */
extern SvUStr sv_nfc(SvUStr in);

/* text (database encoding) <-> code points; palloc'd in the current context. */
extern SvUStr sv_text_to_ustr(const text *t);
extern text *sv_ustr_to_text(SvUStr u);

/*
 * The parts of a normalized name (normalize.c): pieces are copies, len 0 when
 * absent. region: leading division names as written (and a division in
 * brackets after the trade name, e.g. 华为技术(南京)有限公司 -> 南京);
 * trade: trade name (字号); industry: industry words (行业表述);
 * org_form: organisation form(s) as written (有限公司, (集团)有限公司);
 * branch: branch part after the head office's name (南京分公司).
 */
typedef struct SvNameParts
{
	SvUStr		region;
	SvUStr		trade;
	SvUStr		industry;
	SvUStr		org_form;
	SvUStr		branch;
} SvNameParts;

extern void sv_name_parts(SvUStr normalized, SvNameParts *parts);

/*
 * The normalisation pipeline behind sv_name_normalize, with an address mode
 * (normalize.c): address = true drops brackets (keeping their content), keeps
 * '-' (dashes become '-') and turns '#' into 号.
 */
extern SvUStr sv_text_fold(SvUStr in, bool address);

/*
 * Addresses (similarity.c). sv_address_normalize: sv_text_fold in address
 * mode, then Chinese numerals before 号/栋/幢/单元/室/层/楼/弄 as digits
 * (十八号 -> 18号). sv_address_parse takes a normalized address.
 */
typedef enum SvAddrPart
{
	SV_ADDR_PROVINCE = 0,
	SV_ADDR_CITY,
	SV_ADDR_COUNTY,
	SV_ADDR_TOWN,
	SV_ADDR_ROAD,
	SV_ADDR_NUMBER,
	SV_ADDR_BUILDING,
	SV_ADDR_REST,
	SV_ADDR_NPARTS
} SvAddrPart;

#define SV_DIV_MAX_CODES 8

typedef struct SvAddress
{
	SvUStr		part[SV_ADDR_NPARTS];	/* len 0 when absent */
	/* division codes found for levels 1-4 (9-digit form: 320102 -> 320102000) */
	int32		ncodes[4];
	int32		codes[4][SV_DIV_MAX_CODES];
} SvAddress;

extern SvUStr sv_address_normalize(SvUStr in);
extern void sv_address_parse(SvUStr normalized, SvAddress *out);

/*
 * The division dictionary (normalize.c), for the address parser: the longest
 * division name (full form, or short form where allowed: provinces, cities,
 * Jiangsu counties anywhere, other short forms only below a division in ctx)
 * at the start of cp[0..n). ctx: 9-digit codes of divisions found before.
 * Fills hit (names are palloc'd copies of the full names) and returns true,
 * or returns false.
 */
typedef struct SvDivHit
{
	int32		len;			/* code points matched */
	bool		is_short;		/* matched a short form (南京 for 南京市) */
	int32		ndiv;			/* divisions with that name, at most SV_DIV_MAX_CODES */
	int32		code[SV_DIV_MAX_CODES];	/* 9-digit codes */
	int16		level[SV_DIV_MAX_CODES];	/* 1 province .. 4 town */
	SvUStr		name[SV_DIV_MAX_CODES]; /* full names */
} SvDivHit;

extern bool sv_division_prefix(const int32 *cp, int32 n, const int32 *ctx, int nctx,
							   SvDivHit *hit);

#endif							/* SUPERVISION_TEXTSIM_H */
