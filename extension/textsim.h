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
 *   short forms, from supervision.division), organisation forms and branch
 *   suffixes; keeps trade name and industry words. Reads the division table
 *   through a per-backend cache (invalidated when the table changes).
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

#endif							/* SUPERVISION_TEXTSIM_H */
