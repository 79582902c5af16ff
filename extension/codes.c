/*
 * codes.c
 *	  Identifier codes: the unified social credit code (GB 32100-2015), the
 *	  organisation code it embeds (GB 11714-1997) and the resident identity
 *	  number (GB 11643-1999).
 *
 * The validators work on bytes and never raise an error: every character a
 * valid code may contain is ASCII, and in every server encoding a byte below
 * 0x80 is an ASCII character, so a byte outside the code set (including any
 * byte of a multibyte character) makes the value invalid.  Messages that name
 * a position count characters, not bytes.  Nothing here depends on the locale.
 *
 * SQL objects: sql/codes.sql.  Documentation: docs/codes.md.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#define USCC_LEN		18
#define USCC_PREFIX_LEN 17
#define USCC_CHARSET	"0123456789ABCDEFGHJKLMNPQRTUWXY"

/* The longest part of an input value quoted in an error message, in characters. */
#define SHOWN_MAX_CHARS 40

/* Code characters in value order: value = index (A = 10 ... Y = 30). */
static const char uscc_chars[] = USCC_CHARSET;

/* 1 + value of each byte in the code set; 0 for every other byte. */
static const uint8 uscc_value1[256] = {
	['0'] = 1,['1'] = 2,['2'] = 3,['3'] = 4,['4'] = 5,
	['5'] = 6,['6'] = 7,['7'] = 8,['8'] = 9,['9'] = 10,
	['A'] = 11,['B'] = 12,['C'] = 13,['D'] = 14,['E'] = 15,
	['F'] = 16,['G'] = 17,['H'] = 18,['J'] = 19,['K'] = 20,
	['L'] = 21,['M'] = 22,['N'] = 23,['P'] = 24,['Q'] = 25,
	['R'] = 26,['T'] = 27,['U'] = 28,['W'] = 29,['X'] = 30,
	['Y'] = 31,
};

/*
 * 1 + GB 11714 value of each byte that may appear in an organisation code
 * body: digits 0-9, letters A = 10 ... Z = 35 (the whole Latin alphabet).
 */
static const uint8 org_value1[256] = {
	['0'] = 1,['1'] = 2,['2'] = 3,['3'] = 4,['4'] = 5,
	['5'] = 6,['6'] = 7,['7'] = 8,['8'] = 9,['9'] = 10,
	['A'] = 11,['B'] = 12,['C'] = 13,['D'] = 14,['E'] = 15,
	['F'] = 16,['G'] = 17,['H'] = 18,['I'] = 19,['J'] = 20,
	['K'] = 21,['L'] = 22,['M'] = 23,['N'] = 24,['O'] = 25,
	['P'] = 26,['Q'] = 27,['R'] = 28,['S'] = 29,['T'] = 30,
	['U'] = 31,['V'] = 32,['W'] = 33,['X'] = 34,['Y'] = 35,
	['Z'] = 36,
};

/* GB 32100 weights of characters 1-17: 3^(i-1) mod 31. */
static const uint8 uscc_weight[USCC_PREFIX_LEN] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

/* GB 11714 weights of the 8 body characters. */
static const uint8 org_weight[8] = {3, 7, 9, 10, 5, 8, 4, 2};

/* ISO 7064 MOD 11-2 weights of the 17 digits of a GB 11643 number: 2^(17-i) mod 11. */
static const uint8 id_weight[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};

/* ISO 7064 MOD 11-2 check character for a remainder (sum mod 11). */
static const char id_check_chars[11] = {
	'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'
};

/*
 * GB 11714 check character of an 8-character body whose bytes are all known
 * to org_value1: C = 11 - (sum mod 11), 10 -> 'X', 11 -> '0'.
 */
static inline char
org_check_char(const char *body)
{
	int			sum = 0;
	int			c;

	for (int i = 0; i < 8; i++)
		sum += (org_value1[(uint8) body[i]] - 1) * org_weight[i];
	c = 11 - sum % 11;
	if (c == 10)
		return 'X';
	if (c == 11)
		return '0';
	return (char) ('0' + c);
}

/*
 * GB 32100 check character of a 17-character prefix whose bytes are all in
 * the code set: C = 31 - (sum mod 31), 31 -> '0'.  The final "mod 31" keeps
 * a sum divisible by 31 inside the table.
 */
static inline char
uscc_check_char18(const char *prefix)
{
	int			sum = 0;

	for (int i = 0; i < USCC_PREFIX_LEN; i++)
		sum += (uscc_value1[(uint8) prefix[i]] - 1) * uscc_weight[i];
	return uscc_chars[(31 - sum % 31) % 31];
}

/* Are the first n bytes all in the code set? */
static inline bool
uscc_all_in_set(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (uscc_value1[(uint8) s[i]] == 0)
			return false;
	return true;
}

/* The fast path of uscc_valid: bytes in, yes or no. */
static inline bool
uscc_bytes_valid(const char *s, int len)
{
	if (len != USCC_LEN || !uscc_all_in_set(s, USCC_LEN))
		return false;
	return s[16] == org_check_char(s + 8) && s[17] == uscc_check_char18(s);
}

/*
 * Diagnosis of an invalid code or prefix: the first problem, reading from
 * the length, then the characters left to right, then character 17, then
 * character 18.
 */
typedef enum CodeProblemKind
{
	CODE_OK,
	CODE_BAD_LENGTH,
	CODE_BAD_CHAR,
	CODE_BAD_CHECK
} CodeProblemKind;

typedef struct CodeProblem
{
	CodeProblemKind kind;
	int			nchars;			/* CODE_BAD_LENGTH: characters found */
	int			position;		/* 1-based character position */
	const char *found;			/* the character found, inside the input */
	int			found_len;		/* its length in bytes */
	char		expected;		/* CODE_BAD_CHECK: the right character */
} CodeProblem;

/* Length in bytes of the character at s, never more than the bytes left. */
static inline int
char_len(const char *s, int remaining)
{
	int			l = pg_mblen(s);

	if (l < 1)
		l = 1;
	return Min(l, remaining);
}

/*
 * Diagnoses s (len bytes) as a full code (want = 18) or as a prefix (want =
 * 17, character 18 is not checked).  Returns true when there is no problem.
 */
static bool
uscc_diagnose(const char *s, int len, int want, CodeProblem *p)
{
	memset(p, 0, sizeof(*p));

	if (len != want || !uscc_all_in_set(s, want))
	{
		int			nchars = pg_mbstrlen_with_len(s, len);
		int			off = 0;

		if (nchars != want)
		{
			p->kind = CODE_BAD_LENGTH;
			p->nchars = nchars;
			return false;
		}
		for (int pos = 1; off < len; pos++)
		{
			int			l = char_len(s + off, len - off);

			if (l != 1 || uscc_value1[(uint8) s[off]] == 0)
			{
				p->kind = CODE_BAD_CHAR;
				p->position = pos;
				p->found = s + off;
				p->found_len = l;
				return false;
			}
			off += l;
		}
		/* want characters, all single bytes in the set: cannot get here */
		elog(ERROR, "unexpected state while diagnosing a unified social credit code");
	}

	p->expected = org_check_char(s + 8);
	if (s[16] != p->expected)
	{
		p->kind = CODE_BAD_CHECK;
		p->position = 17;
		p->found = s + 16;
		p->found_len = 1;
		return false;
	}
	if (want == USCC_LEN)
	{
		p->expected = uscc_check_char18(s);
		if (s[17] != p->expected)
		{
			p->kind = CODE_BAD_CHECK;
			p->position = 18;
			p->found = s + 17;
			p->found_len = 1;
			return false;
		}
	}
	p->kind = CODE_OK;
	return true;
}

/*
 * Appends a character found in the input, quoted; control characters and, in
 * a UTF-8 database, non-ASCII characters are followed by their code point so
 * that look-alikes (full-width digits, non-breaking spaces) can be told apart.
 */
static void
append_found_char(StringInfo buf, const char *c, int len)
{
	uint8		b = (uint8) c[0];

	if (len == 1 && (b < 0x20 || b == 0x7f))
	{
		appendStringInfo(buf, "U+%04X", b);
		return;
	}
	appendStringInfoChar(buf, '"');
	appendBinaryStringInfo(buf, c, len);
	appendStringInfoChar(buf, '"');
	if (len > 1 && GetDatabaseEncoding() == PG_UTF8 &&
		pg_utf8_islegal((const unsigned char *) c, len) &&
		pg_utf_mblen((const unsigned char *) c) == len)
		appendStringInfo(buf, " (U+%04X)", utf8_to_unicode((const unsigned char *) c));
}

/* The errdetail / reason sentence for a problem. */
static char *
problem_detail(const CodeProblem *p, int want)
{
	StringInfoData buf;

	initStringInfo(&buf);
	switch (p->kind)
	{
		case CODE_BAD_LENGTH:
			appendStringInfo(&buf, "Length is %d character%s, expected %d.",
							 p->nchars, p->nchars == 1 ? "" : "s", want);
			break;
		case CODE_BAD_CHAR:
			appendStringInfo(&buf, "Character %d is ", p->position);
			append_found_char(&buf, p->found, p->found_len);
			appendStringInfoString(&buf, ", which is not in the code set " USCC_CHARSET ".");
			break;
		case CODE_BAD_CHECK:
			appendStringInfo(&buf, "Character %d is ", p->position);
			append_found_char(&buf, p->found, p->found_len);
			appendStringInfo(&buf, ", expected \"%c\".", p->expected);
			break;
		case CODE_OK:
			elog(ERROR, "no problem to describe");
	}
	return buf.data;
}

/* Is there ASCII white space or a non-ASCII byte anywhere in s? */
static bool
has_space_or_non_ascii(const char *s, int len)
{
	for (int i = 0; i < len; i++)
	{
		uint8		b = (uint8) s[i];

		if (b == ' ' || (b >= '\t' && b <= '\r') || b >= 0x80)
			return true;
	}
	return false;
}

/* The errhint for a problem, or NULL. */
static const char *
problem_hint(const CodeProblem *p, const char *s, int len)
{
	switch (p->kind)
	{
		case CODE_BAD_LENGTH:
			if (has_space_or_non_ascii(s, len))
				return "supervision.uscc_normalize() removes surrounding spaces and converts full-width characters.";
			return NULL;
		case CODE_BAD_CHAR:
			if (p->found_len == 1)
			{
				char		c = p->found[0];

				if (c >= 'a' && c <= 'z')
					return "Letters must be upper case: supervision.uscc_normalize() converts them.";
				if (c == 'I' || c == 'O' || c == 'S' || c == 'V' || c == 'Z')
					return "The letters I, O, S, V and Z are never used, to avoid confusion with 1, 0, 5, U and 2.";
				if ((c == ' ' || c == '\t' || c == '\n' || c == '\r') &&
					(p->found == s || p->found + 1 == s + len))
					return "supervision.uscc_normalize() removes surrounding spaces.";
				return NULL;
			}
			return "Full-width characters can be converted with supervision.uscc_normalize().";
		case CODE_BAD_CHECK:
			if (p->position == 17)
				return "Character 17 is the GB 11714 check character of the organisation code in characters 9 to 17.";
			return "Character 18 is the check character of characters 1 to 17; the code may have been mistyped.";
		case CODE_OK:
			break;
	}
	return NULL;
}

/* The input as quoted in an error message: at most SHOWN_MAX_CHARS characters. */
static char *
shown_input(const char *s, int len)
{
	int			off = 0;
	int			n = 0;
	StringInfoData buf;

	while (off < len && n < SHOWN_MAX_CHARS)
	{
		off += char_len(s + off, len - off);
		n++;
	}
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, s, off);
	if (off < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/* Raises the error for a problem found in a code (want 18) or prefix (want 17). */
static void
report_problem(const CodeProblem *p, const char *s, int len, int want)
{
	const char *hint = problem_hint(p, s, len);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 want == USCC_LEN ?
			 errmsg("invalid unified social credit code \"%s\"", shown_input(s, len)) :
			 errmsg("invalid unified social credit code prefix \"%s\"", shown_input(s, len)),
			 errdetail_internal("%s", problem_detail(p, want)),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * uscc_valid(text) -> boolean: is this a valid unified social credit code?
 * Never raises an error.
 */
PG_FUNCTION_INFO_V1(codes_uscc_valid);
Datum
codes_uscc_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(uscc_bytes_valid(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

/*
 * uscc_invalid_reason(text) -> text: why the value is not a valid code, as
 * one sentence; NULL when it is valid.  Never raises an error.
 */
PG_FUNCTION_INFO_V1(codes_uscc_invalid_reason);
Datum
codes_uscc_invalid_reason(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	CodeProblem p;

	if (uscc_diagnose(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), USCC_LEN, &p))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem_detail(&p, USCC_LEN)));
}

/*
 * uscc_check_char(text) -> text: character 18 for a 17-character prefix
 * whose character 17 is right.  Raises an error for any other prefix, so
 * that prefix || uscc_check_char(prefix) is always a valid code.
 */
PG_FUNCTION_INFO_V1(codes_uscc_check_char);
Datum
codes_uscc_check_char(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	CodeProblem p;
	char		c;

	if (!uscc_diagnose(s, len, USCC_PREFIX_LEN, &p))
		report_problem(&p, s, len, USCC_PREFIX_LEN);
	c = uscc_check_char18(s);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(&c, 1));
}

/*
 * uscc_parse(text) -> (authority_code, authority_name, institution_type_code,
 * institution_type_name, division_code, division_name, organization_code,
 * check_char).  Names come from supervision.uscc_authority,
 * supervision.uscc_institution_type and supervision.division, read as the
 * caller; NULL when the table has no row for the code.
 */
PG_FUNCTION_INFO_V1(codes_uscc_parse);
Datum
codes_uscc_parse(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	CodeProblem p;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	char	   *names[3] = {NULL, NULL, NULL};
	MemoryContext caller_cxt = CurrentMemoryContext;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		args[3];
	int			ret;

	if (!uscc_diagnose(s, len, USCC_LEN, &p))
		report_problem(&p, s, len, USCC_LEN);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != 8)
		elog(ERROR, "uscc_parse must return 8 columns, not %d", tupdesc->natts);

	values[0] = PointerGetDatum(cstring_to_text_with_len(s, 1));
	values[2] = PointerGetDatum(cstring_to_text_with_len(s, 2));
	values[4] = PointerGetDatum(cstring_to_text_with_len(s + 2, 6));
	values[6] = PointerGetDatum(cstring_to_text_with_len(s + 8, 9));
	values[7] = PointerGetDatum(cstring_to_text_with_len(s + 17, 1));
	args[0] = values[0];
	args[1] = values[2];
	args[2] = values[4];

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(
		"SELECT (SELECT a.name FROM supervision.uscc_authority a"
		"         WHERE a.code OPERATOR(pg_catalog.=) $1),"
		"       (SELECT t.name FROM supervision.uscc_institution_type t"
		"         WHERE t.code OPERATOR(pg_catalog.=) $2),"
		"       (SELECT d.name FROM supervision.division d"
		"         WHERE d.code OPERATOR(pg_catalog.=) $3)",
		3, argtypes, args, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "looking up the names of a unified social credit code failed: %s",
			 SPI_result_code_string(ret));
	for (int i = 0; i < 3; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);

		if (v != NULL)
			names[i] = MemoryContextStrdup(caller_cxt, v);
	}
	SPI_finish();

	for (int i = 0; i < 3; i++)
	{
		int			col = 2 * i + 1;

		if (names[i] == NULL)
			nulls[col] = true;
		else
			values[col] = PointerGetDatum(cstring_to_text(names[i]));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * uscc_normalize(text) -> text: trims white space, maps full-width forms
 * (U+FF01..U+FF5E) to ASCII, the ideographic space (U+3000) and the no-break
 * space (U+00A0) to a space, drops zero-width spaces and joiners
 * (U+200B..U+200D) and the byte-order mark (U+FEFF), and upper-cases ASCII
 * letters.  Other characters are kept as they are.
 */
PG_FUNCTION_INFO_V1(codes_uscc_normalize);
Datum
codes_uscc_normalize(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			enc = GetDatabaseEncoding();
	const unsigned char *u;
	int			ulen;
	char	   *out;
	int			n = 0;
	int			start;
	int			end;
	char	   *res;

	/* Work in UTF-8; in a UTF-8 (or SQL_ASCII) database this copies nothing. */
	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
	{
		u = (const unsigned char *) VARDATA_ANY(t);
		ulen = len;
	}
	else
	{
		u = pg_do_encoding_conversion((unsigned char *) VARDATA_ANY(t), len, enc, PG_UTF8);
		ulen = (u == (const unsigned char *) VARDATA_ANY(t)) ? len : (int) strlen((const char *) u);
	}

	out = palloc(ulen + 1);
	for (int i = 0; i < ulen;)
	{
		unsigned char b = u[i];

		if (i + 2 < ulen)
		{
			unsigned char b1 = u[i + 1];
			unsigned char b2 = u[i + 2];

			/* U+FF01..U+FF3F = EF BC 81..BF; U+FF40..U+FF5E = EF BD 80..9E */
			if (b == 0xEF &&
				((b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) ||
				 (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E)))
			{
				int			cp = ((b1 == 0xBC) ? 0xFF00 : 0xFF40) | (b2 & 0x3F);

				b = (unsigned char) (cp - 0xFEE0);
				i += 3;
			}
			/* U+3000 ideographic space = E3 80 80 */
			else if (b == 0xE3 && b1 == 0x80 && b2 == 0x80)
			{
				b = ' ';
				i += 3;
			}
			/* zero-width space/joiners U+200B..U+200D = E2 80 8B..8D, BOM U+FEFF = EF BB BF: dropped */
			else if ((b == 0xE2 && b1 == 0x80 && b2 >= 0x8B && b2 <= 0x8D) ||
					 (b == 0xEF && b1 == 0xBB && b2 == 0xBF))
			{
				i += 3;
				continue;
			}
			/* no-break space U+00A0 = C2 A0 */
			else if (b == 0xC2 && b1 == 0xA0)
			{
				b = ' ';
				i += 2;
			}
			else
				i++;
		}
		else if (i + 1 < ulen && b == 0xC2 && u[i + 1] == 0xA0)
		{
			b = ' ';
			i += 2;
		}
		else
			i++;
		if (b >= 'a' && b <= 'z')
			b -= 'a' - 'A';
		out[n++] = (char) b;
	}

	/* Trim ASCII white space (the ideographic space is one by now). */
	start = 0;
	end = n;
	while (start < end && (out[start] == ' ' || (out[start] >= '\t' && out[start] <= '\r')))
		start++;
	while (end > start && (out[end - 1] == ' ' || (out[end - 1] >= '\t' && out[end - 1] <= '\r')))
		end--;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		PG_RETURN_TEXT_P(cstring_to_text_with_len(out + start, end - start));

	out[end] = '\0';
	res = pg_any_to_server(out + start, end - start, PG_UTF8);
	PG_RETURN_TEXT_P(cstring_to_text(res));
}

/*
 * org_code_valid(text) -> boolean: a GB 11714 organisation code, 8 body
 * characters (digits, upper-case letters) and the check character, written
 * "XXXXXXXXC" or "XXXXXXXX-C".  Never raises an error.
 */
PG_FUNCTION_INFO_V1(codes_org_code_valid);
Datum
codes_org_code_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	char		check;

	if (len == 10)
	{
		if (s[8] != '-')
			PG_RETURN_BOOL(false);
		check = s[9];
	}
	else if (len == 9)
		check = s[8];
	else
		PG_RETURN_BOOL(false);

	for (int i = 0; i < 8; i++)
		if (org_value1[(uint8) s[i]] == 0)
			PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(check == org_check_char(s));
}

/* Is y-m-d a date of the Gregorian calendar (year 1800 or later)? */
static bool
real_date(int y, int m, int d)
{
	static const uint8 days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1800 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	if (m == 2 && d == 29)
		return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	return true;
}

/*
 * id_card_valid(text) -> boolean: an 18-character GB 11643 citizen identity
 * number: 17 digits whose characters 7-14 are a real birth date (YYYYMMDD,
 * year 1800 or later), then the ISO 7064 MOD 11-2 check character (0-9 or
 * an upper-case X for 10).  Never raises an error.
 */
PG_FUNCTION_INFO_V1(codes_id_card_valid);
Datum
codes_id_card_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *s = VARDATA_ANY(t);
	int			sum = 0;
	int			d[17];

	if (VARSIZE_ANY_EXHDR(t) != 18)
		PG_RETURN_BOOL(false);
	for (int i = 0; i < 17; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			PG_RETURN_BOOL(false);
		d[i] = s[i] - '0';
		sum += d[i] * id_weight[i];
	}
	if (!real_date(d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9],
				   d[10] * 10 + d[11], d[12] * 10 + d[13]))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(s[17] == id_check_chars[sum % 11]);
}
