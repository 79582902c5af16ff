/*
 * audit.c: the audit trigger supervision.audit_row() (sql/audit.sql).
 *
 * A deferred constraint trigger: when the changing transaction commits (or
 * after SET CONSTRAINTS ALL IMMEDIATE) it appends one row per change to the
 * partitioned supervision.audit_log, chained by SHA-256:
 *     hash = sha256(prev_hash || supervision.audit_content(...))
 * and moves supervision.audit_chain_head on. The SQL function audit_content
 * stays the definition of the hashed bytes; audit_content_bytes() below
 * produces the same bytes (test/regress/sql/audit.sql checks them over
 * NULLs, Chinese text, nested jsonb, long values) so that audit_verify()
 * recomputes every hash written here.
 *
 * It was PL/pgSQL (about 78 us per row, see docs/security.md), which ran a
 * dozen SQL statements per row. Here to_jsonb, the content and the hash are
 * computed in C, and while the log and the head are as installed the row is
 * written as COPY writes rows: routed to its partition as tuple routing does
 * (get_partition_for_tuple), heap_insert and index_insert, and the head's new
 * version written with simple_heap_update; the executor's set-up for one-row
 * statements (partition routing, CHECK expressions read from the catalog)
 * cost more than the writes. If a table is not as installed (another index,
 * trigger, CHECK or column), the row goes through prepared INSERT and UPDATE
 * statements instead, with the same result.
 *
 * Rights: the function is not SECURITY DEFINER (the SET search_path clause
 * that must come with it costs a GUC nest level per row): it switches to its
 * owner, the extension owner, itself, as fmgr_security_definer would, and
 * every name in its SQL is schema-qualified, operators included, so the
 * caller's search_path cannot redirect it. Only the owner may execute it
 * (REVOKE in sql/audit.sql), so no one can attach it to a table of their own.
 *
 * State kept across the rows of a transaction lives, as before, in two
 * transaction-local custom settings, which savepoints roll back together with
 * the rows written under them:
 *   supervision_audit.actor  role^claims <US> actor <US> department, so the
 *                            actor is worked out once per transaction and role
 *   supervision_audit.head   (block,offset)/last_id/last_hash in hex: where the
 *                            head row's current version is and what it holds,
 *                            so the head is neither looked up by key (which
 *                            would walk the transaction's own earlier
 *                            versions, quadratic in the rows) nor re-read.
 * The head update is conditional on that tuple id and last_id; if it matches
 * nothing (no cache yet, or the head was changed by other means), the head is
 * read and locked FOR UPDATE, created for the very first change, and the row
 * recomputed.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/genam.h"
#include "catalog/index.h"
#include "executor/tuptable.h"
#include "parser/parse_func.h"
#include "partitioning/partbounds.h"
#include "pgtime.h"
#include "partitioning/partdesc.h"
#include "utils/partcache.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "audit.h"
#include "sampling_sha256.h"

/* pg_advisory_xact_lock key of the chain; audit_drop_before takes it too */
#define AUDIT_CHAIN_LOCK	INT64CONST(7310287315610001)
#define AUDIT_SCHEMA		"supervision"
#define AUDIT_GUC_ACTOR		"supervision_audit.actor"
#define AUDIT_GUC_HEAD		"supervision_audit.head"
#define AUDIT_PARTITION_ZONE	"Asia/Shanghai"	/* months of the partitions (sql/audit.sql) */
#define AUDIT_SEP			'\x1f'	/* chr(31), audit_content's separator */
#define AUDIT_KEY_SEP		'\x1e'	/* chr(30), between role and claims */

/* Per FmgrInfo (one per audited table and batch of trigger events). */
typedef struct AuditState
{
	MemoryContext rowcxt;		/* reset at each row */
	Oid			owner;			/* owner of audit_row(): the rights it runs with */
	Oid			nsp;			/* schema supervision */
	Oid			head_rel;		/* supervision.audit_chain_head */
	Oid			log_rel;		/* supervision.audit_log */
	FmgrInfo	to_jsonb;		/* pg_catalog.to_jsonb(anyelement) */
	Oid			jsonb_argtype;	/* row type to_jsonb's call expression names */
	SPIPlanPtr	advance;		/* move the head: UPDATE ... WHERE ctid ... RETURNING ctid */
	SPIPlanPtr	append;			/* INSERT INTO audit_log */
	MemoryContextCallback free_plans;
} AuditState;

/* What the row links to: the head as it stands. */
typedef struct AuditHead
{
	ItemPointerData tid;
	int64		last_id;
	bytea	   *last_hash;
} AuditHead;

static const char *const advance_sql =
"UPDATE supervision.audit_chain_head SET last_id = $1, last_hash = $2"
" WHERE ctid OPERATOR(pg_catalog.=) $3 AND last_id OPERATOR(pg_catalog.=) $4"
" AND last_hash OPERATOR(pg_catalog.=) $5"
" RETURNING ctid";
static const Oid advance_types[] = {INT8OID, BYTEAOID, TIDOID, INT8OID, BYTEAOID};

static const char *const append_sql =
"INSERT INTO supervision.audit_log (id, logged_at, txid, db_user, db_role, actor, department,"
" table_name, operation, old_row, new_row, prev_hash, hash)"
" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
static const Oid append_types[] = {INT8OID, TIMESTAMPTZOID, INT8OID, NAMEOID, NAMEOID, TEXTOID,
TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, BYTEAOID, BYTEAOID};

static void
audit_free_plans(void *arg)
{
	AuditState *st = (AuditState *) arg;

	if (st->advance)
		SPI_freeplan(st->advance);
	if (st->append)
		SPI_freeplan(st->append);
	st->advance = st->append = NULL;
}

static AuditState *
audit_state(FunctionCallInfo fcinfo)
{
	AuditState *st = (AuditState *) fcinfo->flinfo->fn_extra;
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	HeapTuple	proc;

	if (st != NULL)
		return st;
	st = (AuditState *) MemoryContextAllocZero(mcxt, sizeof(AuditState));
	st->rowcxt = AllocSetContextCreate(mcxt, "supervision audit row", ALLOCSET_DEFAULT_SIZES);
	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	st->owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);
	st->nsp = get_namespace_oid(AUDIT_SCHEMA, false);
	st->head_rel = get_relname_relid("audit_chain_head", st->nsp);
	st->log_rel = get_relname_relid("audit_log", st->nsp);
	if (!OidIsValid(st->head_rel) || !OidIsValid(st->log_rel))
		elog(ERROR, "supervision.audit_chain_head or supervision.audit_log does not exist");
	fmgr_info_cxt(F_TO_JSONB, &st->to_jsonb, mcxt);
	st->free_plans.func = audit_free_plans;
	st->free_plans.arg = st;
	MemoryContextRegisterResetCallback(mcxt, &st->free_plans);
	fcinfo->flinfo->fn_extra = st;
	return st;
}

static SPIPlanPtr
audit_prepare(const char *sql, int nargs, const Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, unconstify(Oid *, types));

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* to_jsonb(row), exactly as the SQL function computes it for the row type. */
static Datum
audit_to_jsonb(AuditState *st, HeapTuple tuple, TupleDesc desc)
{
	if (st->jsonb_argtype != desc->tdtypeid)
	{
		/* to_jsonb learns its argument's type from the call expression */
		MemoryContext old = MemoryContextSwitchTo(st->to_jsonb.fn_mcxt);

		fmgr_info_set_expr((Node *) makeFuncExpr(F_TO_JSONB, JSONBOID,
												 list_make1(makeNullConst(desc->tdtypeid, -1, InvalidOid)),
												 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL),
						   &st->to_jsonb);
		MemoryContextSwitchTo(old);
		st->jsonb_argtype = desc->tdtypeid;
	}
	return FunctionCall1(&st->to_jsonb, heap_copy_tuple_as_datum(tuple, desc));
}

static char *audit_guc_actor;
static char *audit_guc_head;

/* Called by _PG_init: the two settings, superuser-only (see audit.h). */
void
audit_define_guc(void)
{
	DefineCustomStringVariable(AUDIT_GUC_ACTOR,
							   "Internal to the audit trigger: the acting user of the transaction.",
							   NULL, &audit_guc_actor, "", PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_SUPERUSER_ONLY | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable(AUDIT_GUC_HEAD,
							   "Internal to the audit trigger: where the chain head is and what it holds.",
							   NULL, &audit_guc_head, "", PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_SUPERUSER_ONLY | GUC_NO_RESET_ALL,
							   NULL, NULL, NULL);
	MarkGUCPrefixReserved("supervision_audit");
}

/* current_setting(name, true): NULL when the setting does not exist */
static char *
audit_setting(const char *name)
{
	return GetConfigOptionByName(name, NULL, true);
}

/* set_config(name, value, true), with the rights set_config checks */
static void
audit_set_local(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/* split_part(s, sep, n) for n = 1, 2, 3 (NUL-separated copy in place) */
static void
audit_split3(char *s, char sep, char **parts)
{
	for (int i = 0; i < 3; i++)
	{
		char	   *end = s ? strchr(s, sep) : NULL;

		parts[i] = s ? s : "";
		if (end)
		{
			*end = '\0';
			s = end + 1;
		}
		else
			s = NULL;
	}
}

/*
 * The acting user and department, worked out once per transaction, role and
 * JWT claims (supervision.actor_user(), actor_department()); NULL while the
 * extension is being installed, before they exist.
 */
static void
audit_actor(const char *role, char **actor, char **dept)
{
	char	   *claims = audit_setting("request.jwt.claims");
	char	   *cached = audit_setting(AUDIT_GUC_ACTOR);
	StringInfoData key;

	*actor = *dept = NULL;
	initStringInfo(&key);
	appendStringInfo(&key, "%s%c%s", role, AUDIT_KEY_SEP, claims ? claims : "");
	if (cached != NULL)
	{
		char	   *parts[3];

		audit_split3(cached, AUDIT_SEP, parts);
		if (strcmp(parts[0], key.data) == 0)
		{
			*actor = parts[1][0] ? parts[1] : NULL;
			*dept = parts[2][0] ? parts[2] : NULL;
			return;
		}
	}
	/* to_regprocedure('supervision.actor_user()') IS NOT NULL: absent while installing */
	if (OidIsValid(LookupFuncName(list_make2(makeString(AUDIT_SCHEMA), makeString("actor_user")), 0, NULL, true)))
	{
		StringInfoData val;

		if (SPI_execute("SELECT supervision.actor_user(), supervision.actor_department()", false, 1) != SPI_OK_SELECT
			|| SPI_processed != 1)
			elog(ERROR, "SPI_execute failed");
		*actor = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*dept = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		SPI_freetuptable(SPI_tuptable);
		initStringInfo(&val);
		appendStringInfo(&val, "%s%c%s%c%s", key.data, AUDIT_SEP, *actor ? *actor : "",
						 AUDIT_SEP, *dept ? *dept : "");
		audit_set_local(AUDIT_GUC_ACTOR, val.data);
	}
}

static char *
audit_hex(const bytea *b)
{
	static const char digits[] = "0123456789abcdef";
	const uint8 *p = (const uint8 *) VARDATA_ANY(b);
	int			n = VARSIZE_ANY_EXHDR(b);
	char	   *s = palloc(2 * n + 1);

	for (int i = 0; i < n; i++)
	{
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int
audit_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads supervision_audit.head; false when unset or not in this format. */
static bool
audit_cached_head(AuditHead *head)
{
	char	   *s = audit_setting(AUDIT_GUC_HEAD);
	unsigned int blk,
				off;
	long long	id;
	int			pos = -1;
	size_t		hexlen;
	uint8	   *out;

	if (s == NULL || sscanf(s, "(%u,%u)/%lld/%n", &blk, &off, &id, &pos) != 3 || pos < 0
		|| off == 0 || off > MaxOffsetNumber)
		return false;
	hexlen = strlen(s + pos);
	if (hexlen % 2 != 0 || hexlen > 2 * 1024)
		return false;
	head->last_hash = (bytea *) palloc(VARHDRSZ + hexlen / 2);
	SET_VARSIZE(head->last_hash, VARHDRSZ + hexlen / 2);
	out = (uint8 *) VARDATA(head->last_hash);
	for (size_t i = 0; i < hexlen; i += 2)
	{
		int			hi = audit_hexval(s[pos + i]),
					lo = audit_hexval(s[pos + i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8) (hi << 4 | lo);
	}
	ItemPointerSet(&head->tid, blk, (OffsetNumber) off);
	head->last_id = (int64) id;
	return true;
}

/*
 * The head as stored, locked for the rest of the transaction; created (id 0,
 * 32 zero bytes) by the very first audited change.
 */
static void
audit_read_head(AuditHead *head)
{
	bool		isnull;
	HeapTuple	t;
	TupleDesc	d;

	if (SPI_execute("SELECT h.last_id, h.last_hash, h.ctid FROM supervision.audit_chain_head h"
					" WHERE h.singleton FOR UPDATE", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed");
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		if (SPI_execute("INSERT INTO supervision.audit_chain_head VALUES (true, 0, "
						"'\\x0000000000000000000000000000000000000000000000000000000000000000')"
						" RETURNING last_id, last_hash, ctid", false, 0) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "SPI_execute failed");
	}
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("supervision.audit_chain_head holds " UINT64_FORMAT " rows", SPI_processed),
				 errdetail("The head of the audit chain is one row."),
				 errhint("Check the chain with supervision.audit_verify().")));
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	head->last_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
	head->last_hash = DatumGetByteaPCopy(SPI_getbinval(t, d, 2, &isnull));
	ItemPointerCopy((ItemPointer) DatumGetPointer(SPI_getbinval(t, d, 3, &isnull)), &head->tid);
	SPI_freetuptable(SPI_tuptable);
}

/* date_trunc('month', at)::date in the session's time zone, and its year and month */
static DateADT
audit_month(TimestampTz at, int *year, int *month)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	static pg_tz *zone = NULL;

	/* Beijing time whatever the session's zone, as audit_ensure_partitions */
	if (zone == NULL)
		zone = pg_tzset(AUDIT_PARTITION_ZONE);
	if (zone == NULL)
		elog(ERROR, "time zone \"%s\" not found", AUDIT_PARTITION_ZONE);
	if (timestamp2tm(at, &tz, &tm, &fsec, NULL, zone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	*year = tm.tm_year;
	*month = tm.tm_mon;
	return date2j(tm.tm_year, tm.tm_mon, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * The month's partition, created on first use by audit_ensure_partitions
 * unless the default partition already holds rows of that month (as the
 * PL/pgSQL trigger did: to_regclass, then a look at the default partition).
 */
static void
audit_partition(AuditState *st, TimestampTz at)
{
	int			year,
				month;
	DateADT		first = audit_month(at, &year, &month);
	char		name[NAMEDATALEN];
	Oid			types[1] = {DATEOID};
	Datum		values[1];

	if (year < 1 || year > 9999)
		return;					/* no such partition name; the default partition takes it */
	snprintf(name, sizeof(name), "audit_log_%04d%02d", year, month);
	if (OidIsValid(get_relname_relid(name, st->nsp)))
		return;
	values[0] = DateADTGetDatum(first);
	if (SPI_execute_with_args("SELECT supervision.audit_ensure_partitions($1, 1)"
							  " WHERE NOT EXISTS (SELECT 1 FROM supervision.audit_log_default d"
							  " WHERE d.logged_at OPERATOR(pg_catalog.>=) pg_catalog.timezone('" AUDIT_PARTITION_ZONE "', $1::pg_catalog.timestamp)"
							  " AND d.logged_at OPERATOR(pg_catalog.<) pg_catalog.timezone('" AUDIT_PARTITION_ZONE "',"
							  " $1 OPERATOR(pg_catalog.+) '1 month'::pg_catalog.interval))",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed");
	SPI_freetuptable(SPI_tuptable);
}

/*
 * The bytes supervision.audit_content(...) returns for these values:
 * convert_to(concat_ws(chr(31), id, UTC time as YYYY-MM-DD"T"HH24:MI:SS.US"Z",
 * txid, db_user, db_role, actor or '', department or '', table, operation,
 * old::text or '', new::text or ''), 'UTF8').
 */
static void
audit_content_bytes(StringInfo buf, int64 id, TimestampTz at, int64 txid, const char *db_user,
					const char *db_role, const char *actor, const char *dept, const char *table,
					const char *op, Datum old_row, bool old_null, Datum new_row, bool new_null)
{
	struct pg_tm tm;
	fsec_t		fsec;

	const char *fields[6] = {db_user, db_role, actor ? actor : "", dept ? dept : "", table, op};
	char		num[MAXINT8LEN + 1];

	pg_lltoa(id, num);
	appendStringInfoString(buf, num);
	appendStringInfoChar(buf, AUDIT_SEP);
	/* to_char(at AT TIME ZONE 'UTC', ...): the timestamptz is already UTC */
	if (timestamp2tm(at, NULL, &tm, &fsec, NULL, NULL) == 0 && tm.tm_year >= 1 && tm.tm_year <= 9999)
		appendStringInfo(buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon, tm.tm_mday,
						 tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	else						/* not from clock_timestamp(); let to_char say it */
		appendStringInfoString(buf, TextDatumGetCString(DirectFunctionCall2Coll(timestamp_to_char, DEFAULT_COLLATION_OID, TimestampGetDatum(at),
																				CStringGetTextDatum("YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\""))));
	appendStringInfoChar(buf, AUDIT_SEP);
	pg_lltoa(txid, num);
	appendStringInfoString(buf, num);
	for (int i = 0; i < 6; i++)
	{
		appendStringInfoChar(buf, AUDIT_SEP);
		appendStringInfoString(buf, fields[i]);
	}
	appendStringInfoChar(buf, AUDIT_SEP);
	if (!old_null)
	{
		Jsonb	   *jb = DatumGetJsonbP(old_row);

		JsonbToCString(buf, &jb->root, VARSIZE(jb));
	}
	appendStringInfoChar(buf, AUDIT_SEP);
	if (!new_null)
	{
		Jsonb	   *jb = DatumGetJsonbP(new_row);

		JsonbToCString(buf, &jb->root, VARSIZE(jb));
	}
}

/* sha256(prev || content), content in UTF-8 as convert_to(..., 'UTF8') gives it */
static bytea *
audit_hash(const bytea *prev, StringInfo content)
{
	SamplingSha256 c;
	bytea	   *out = (bytea *) palloc(VARHDRSZ + SAMPLING_SHA256_LEN);
	char	   *utf8 = pg_server_to_any(content->data, content->len, PG_UTF8);

	sampling_sha256_init(&c);
	sampling_sha256_update(&c, VARDATA_ANY(prev), VARSIZE_ANY_EXHDR(prev));
	sampling_sha256_update(&c, utf8, utf8 == content->data ? (size_t) content->len : strlen(utf8));
	sampling_sha256_final(&c, (uint8 *) VARDATA(out));
	SET_VARSIZE(out, VARHDRSZ + SAMPLING_SHA256_LEN);
	return out;
}

/*
 * Runs a prepared statement that reaches the head by its tuple id, with
 * enable_seqscan off as a SET clause would set it: once audit_chain_head has
 * statistics (one page, one row) the planner finds a sequential scan cheaper
 * than a TID scan, and a sequential scan walks every version the transaction
 * has written (quadratic in the rows).
 */
static int
audit_execute_by_tid(SPIPlanPtr plan, Datum *values, const char *nulls)
{
	int			nest = NewGUCNestLevel();
	int			rc;

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	AtEOXact_GUC(true, nest);
	return rc;
}

/*
 * May the trigger write the table itself: has the current user (the
 * function's owner, a superuser as installed) all the rights asked for, with
 * no row-level security, no rules (they would run other statements), and is
 * it a heap table (or a partitioned one, without storage of its own)? Else
 * the statement, which checks or runs all of that, is used.
 */
static bool
audit_owner_may(Relation rel, AclMode mode)
{
	return pg_class_aclmask(RelationGetRelid(rel), GetUserId(), mode, ACLMASK_ALL) == mode
		&& check_enable_rls(RelationGetRelid(rel), InvalidOid, true) != RLS_ENABLED
		&& rel->rd_rules == NULL			/* rules would run other statements */
		&& (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE	/* no storage of its own */
			|| rel->rd_rel->relam == HEAP_TABLE_AM_OID);	/* heap_insert/heap_update write heap tuples */
}

/*
 * Is the head table as installed: no index, no UPDATE trigger, no forced row
 * security, no CHECK but the one on singleton? Then an UPDATE of last_id and
 * last_hash runs no other code, and audit_advance writes the new version
 * itself instead of starting the executor for it.
 */
static bool
audit_head_plain(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	return !rel->rd_rel->relhasindex && audit_owner_may(rel, ACL_SELECT | ACL_UPDATE)
		&& (td == NULL || !(td->trig_update_before_row || td->trig_update_after_row
							|| td->trig_update_instead_row || td->trig_update_before_statement
							|| td->trig_update_after_statement))
		&& (constr == NULL || constr->num_check == 0
			|| (constr->num_check == 1 && strcmp(constr->check[0].ccname, "audit_chain_head_singleton_check") == 0))
		&& RelationGetDescr(rel)->natts == 3;
}

/*
 * Moves the head at head->tid from head->last_id to id/hash (UPDATE ... WHERE
 * ctid = $tid AND last_id = $last_id); false if that matched no row.
 */
static bool
audit_advance(AuditState *st, AuditHead *head, int64 id, bytea *hash)
{
	Relation	rel;
	Datum		values[5];
	bool		isnull;
	int			rc;

	rel = table_open(st->head_rel, RowExclusiveLock);
	if (audit_head_plain(rel))
	{
		HeapTupleData old;
		HeapTuple	new;
		Buffer		buf;
		bool		found;
		Datum		cur;
		int			cols[2] = {2, 3};	/* last_id, last_hash */
		Datum		newvals[2];
		bool		newnulls[2] = {false, false};

		/* our own earlier changes, the head's last version among them, become visible */
		CommandCounterIncrement();
		old.t_self = head->tid;
		found = heap_fetch(rel, SnapshotSelf, &old, &buf, false);
		if (found)
		{
			cur = heap_getattr(&old, 2, RelationGetDescr(rel), &isnull);
			found = !isnull && DatumGetInt64(cur) == head->last_id;
		}
		if (found)
		{
			/* and the hash the next row links to is the stored one */
			bytea	   *stored;

			cur = heap_getattr(&old, 3, RelationGetDescr(rel), &isnull);
			stored = isnull ? NULL : DatumGetByteaPP(cur);
			found = stored != NULL
				&& VARSIZE_ANY_EXHDR(stored) == VARSIZE_ANY_EXHDR(head->last_hash)
				&& memcmp(VARDATA_ANY(stored), VARDATA_ANY(head->last_hash), VARSIZE_ANY_EXHDR(stored)) == 0;
		}
		if (!found)
		{
			if (BufferIsValid(buf))
				ReleaseBuffer(buf);
			table_close(rel, NoLock);
			return false;
		}
		newvals[0] = Int64GetDatum(id);
		newvals[1] = PointerGetDatum(hash);
		new = heap_modify_tuple_by_cols(&old, RelationGetDescr(rel), 2, cols, newvals, newnulls);
		ReleaseBuffer(buf);
		CheckCmdReplicaIdentity(rel, CMD_UPDATE);	/* as the executor: published without one, refused */
		simple_heap_update(rel, &old.t_self, new);
		head->tid = new->t_self;
		heap_freetuple(new);
		table_close(rel, NoLock);
		head->last_id = id;
		head->last_hash = hash;
		return true;
	}
	table_close(rel, NoLock);

	if (st->advance == NULL)
		st->advance = audit_prepare(advance_sql, lengthof(advance_types), advance_types);
	values[0] = Int64GetDatum(id);
	values[1] = PointerGetDatum(hash);
	values[2] = PointerGetDatum(&head->tid);
	values[3] = Int64GetDatum(head->last_id);
	values[4] = PointerGetDatum(head->last_hash);
	rc = audit_execute_by_tid(st->advance, values, NULL);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed != 1)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}
	ItemPointerCopy((ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
					&head->tid);
	SPI_freetuptable(SPI_tuptable);
	head->last_id = id;
	head->last_hash = hash;
	return true;
}

/* audit_log's columns, in the order of append_sql's parameters */
static const char *const log_columns[] = {"id", "logged_at", "txid", "db_user", "db_role", "actor", "department",
"table_name", "operation", "old_row", "new_row", "prev_hash", "hash"};

static bool
audit_no_insert_triggers(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;

	return audit_owner_may(rel, ACL_INSERT)
		&& (td == NULL || !(td->trig_insert_before_row || td->trig_insert_after_row
							|| td->trig_insert_instead_row || td->trig_insert_before_statement
							|| td->trig_insert_after_statement || td->trig_insert_new_table));
}

/*
 * Appends the row to the partition of audit_log that tuple routing would
 * choose, without starting the executor (whose set-up per row costs more than
 * the insert: the partition routing, the CHECK constraint read from the
 * catalog, the projection), as COPY does. Only when the log is as installed:
 * range partitions of plain tables with the 13 columns, no trigger on INSERT,
 * no CHECK but the one on operation (which every row here meets), indexes on
 * plain columns without predicate, immediate if unique, a month partition
 * (the default partition's constraint would need checking again). Anything
 * else returns false and the row goes through the prepared INSERT. The
 * partition constraint holds by construction; NOT NULL is checked.
 */
static bool
audit_append_direct(AuditState *st, Datum *values, const char *nulls)
{
	Relation	parent,
				part;
	PartitionKey key;
	PartitionDesc pd;
	Datum		at = values[1];
	bool		equal;
	int			offset,
				index;
	TupleDesc	desc;
	TupleConstr *constr;
	bool		isnull[lengthof(log_columns)];
	HeapTuple	tuple;
	List	   *indexes;
	ListCell   *lc;
	Relation   *irels;
	IndexInfo **iinfos;
	int			nidx = 0;
	TupleTableSlot *slot;

	parent = table_open(st->log_rel, RowExclusiveLock);
	key = RelationGetPartitionKey(parent);
	if (key == NULL || key->strategy != PARTITION_STRATEGY_RANGE || key->partnatts != 1
		|| key->partattrs[0] != 2 || !audit_no_insert_triggers(parent))
	{
		table_close(parent, NoLock);
		return false;
	}
	/*
	 * get_partition_for_tuple (execPartition.c) for one range key; partitions
	 * pending detach are left out as the executor leaves them out for INSERT
	 */
	pd = RelationGetPartitionDesc(parent, !IsolationUsesXactSnapshot());
	index = -1;
	if (pd->nparts > 0 && pd->boundinfo != NULL)
	{
		offset = partition_range_datum_bsearch(key->partsupfunc, key->partcollation, pd->boundinfo, 1, &at, &equal);
		index = pd->boundinfo->indexes[offset + 1];
		/*
		 * The default partition: its constraint would have to be re-checked
		 * (a partition may be attached concurrently); the statement does it.
		 */
	}
	if (index < 0 || !pd->is_leaf[index])
	{
		table_close(parent, NoLock);
		return false;			/* no partition (the INSERT says so) or sub-partitioned */
	}
	part = table_open(pd->oids[index], RowExclusiveLock);
	table_close(parent, NoLock);
	desc = RelationGetDescr(part);
	constr = desc->constr;
	if (part->rd_rel->relkind != RELKIND_RELATION || !audit_no_insert_triggers(part)
		|| desc->natts != lengthof(log_columns)
		|| (constr != NULL && constr->num_check > 0
			&& (constr->num_check > 1 || strcmp(constr->check[0].ccname, "audit_log_operation_check") != 0)))
	{
		table_close(part, NoLock);
		return false;
	}
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		isnull[i] = nulls[i] == 'n';
		if (att->attisdropped || att->attgenerated || strcmp(NameStr(att->attname), log_columns[i]) != 0
			|| att->atttypid != append_types[i] || (att->attnotnull && isnull[i]))
		{
			table_close(part, NoLock);
			return false;
		}
	}
	indexes = RelationGetIndexList(part);
	irels = palloc(sizeof(Relation) * (list_length(indexes) + 1));
	iinfos = palloc(sizeof(IndexInfo *) * (list_length(indexes) + 1));
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(irel);

		irels[nidx] = irel;
		iinfos[nidx++] = ii;
		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL || ii->ii_ExclusionOps != NULL
			|| (ii->ii_Unique && !irel->rd_index->indimmediate))
		{
			for (int i = 0; i < nidx; i++)
				index_close(irels[i], NoLock);
			table_close(part, NoLock);
			return false;
		}
	}

	tuple = heap_form_tuple(desc, values, isnull);
	heap_insert(part, tuple, GetCurrentCommandId(true), 0, NULL);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	for (int i = 0; i < nidx; i++)
	{
		Datum		ivalues[INDEX_MAX_KEYS];
		bool		inulls[INDEX_MAX_KEYS];

		/* as ExecInsertIndexTuples: not yet ready for inserts (CREATE INDEX CONCURRENTLY) is skipped */
		if (iinfos[i]->ii_ReadyForInserts)
		{
			FormIndexDatum(iinfos[i], slot, NULL, ivalues, inulls);
			index_insert(irels[i], ivalues, inulls, &tuple->t_self, part,
						 iinfos[i]->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, iinfos[i]);
		}
		index_close(irels[i], NoLock);
	}
	ExecDropSingleTupleTableSlot(slot);
	heap_freetuple(tuple);
	table_close(part, NoLock);
	return true;
}

PG_FUNCTION_INFO_V1(audit_row);
Datum
audit_row(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	AuditState *st;
	MemoryContext caller_cxt;
	Oid			save_userid;
	int			save_sec;
	Relation	rel;
	TupleDesc	desc;
	const char *op;
	char	   *nspname;
	char	   *table;
	Datum		old_row = (Datum) 0,
				new_row = (Datum) 0;
	bool		old_null = true,
				new_null = true;
	char	   *role;
	char	   *actor,
			   *dept;
	char	   *db_user;
	int64		txid;
	TimestampTz at;
	AuditHead	head;
	AuditHead	cached;
	bool		have_cache;
	int64		id;
	bytea	   *hash;
	StringInfoData content;
	StringInfoData headval;
	Datum		values[13];
	char		nulls[13];
	int			rc;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("supervision.audit_row() may only be called as a trigger")));
	if (!TRIGGER_FIRED_FOR_ROW(trig->tg_event) || !TRIGGER_FIRED_AFTER(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("supervision.audit_row() must be an AFTER ... FOR EACH ROW trigger"),
				 errhint("Attach it with supervision.audit_attach().")));
	rel = trig->tg_relation;
	nspname = get_namespace_name(RelationGetNamespace(rel));
	if (nspname == NULL || strcmp(nspname, AUDIT_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the audit trigger serves the tables of schema supervision only")));

	st = audit_state(fcinfo);
	MemoryContextReset(st->rowcxt);
	caller_cxt = MemoryContextSwitchTo(st->rowcxt);
	/* the owner's rights from here on, as SECURITY DEFINER would give them */
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(st->owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);

	txid = (int64) U64FromFullTransactionId(GetTopFullTransactionId());	/* txid_current() */
	desc = RelationGetDescr(rel);
	if (TRIGGER_FIRED_BY_INSERT(trig->tg_event))
		op = "INSERT";
	else if (TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
		op = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trig->tg_event))
		op = "DELETE";
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("supervision.audit_row() audits INSERT, UPDATE and DELETE only")));
	if (!TRIGGER_FIRED_BY_INSERT(trig->tg_event))
	{
		old_row = audit_to_jsonb(st, trig->tg_trigtuple, desc);
		old_null = false;
	}
	if (TRIGGER_FIRED_BY_INSERT(trig->tg_event) || TRIGGER_FIRED_BY_UPDATE(trig->tg_event))
	{
		new_row = audit_to_jsonb(st, TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple,
								 desc);
		new_null = false;
	}
	if (TRIGGER_FIRED_BY_UPDATE(trig->tg_event) && DatumGetBool(DirectFunctionCall2(jsonb_eq, old_row, new_row)))
	{
		/* nothing changed */
		SetUserIdAndSecContext(save_userid, save_sec);
		MemoryContextSwitchTo(caller_cxt);
		return PointerGetDatum(NULL);
	}
	table = psprintf("%s.%s", nspname, RelationGetRelationName(rel));
	db_user = GetUserNameFromId(GetSessionUserId(), false);
	/* who: the session's role (SET ROLE or login), not the owner this runs as */
	role = GetConfigOptionByName("role", NULL, false);
	if (strcmp(role, "none") == 0)
		role = db_user;
	role = NameStr(*DatumGetName(DirectFunctionCall1(namein, CStringGetDatum(role))));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	audit_actor(role, &actor, &dept);

	DirectFunctionCall1(pg_advisory_xact_lock_int8, Int64GetDatum(AUDIT_CHAIN_LOCK));	/* queues committers in order */
	at = GetCurrentTimestamp(); /* clock_timestamp() after the lock: ids and times agree */
	audit_partition(st, at);

	/*
	 * Link to the head the transaction left (cached), else to the head as
	 * stored; the conditional UPDATE checks the cache.
	 */
	initStringInfo(&content);
	have_cache = audit_cached_head(&cached);
	head = cached;
	for (int attempt = 0;; attempt++)
	{
		if (attempt > 0 || !have_cache)
			audit_read_head(&head);
		id = head.last_id + 1;
		resetStringInfo(&content);
		audit_content_bytes(&content, id, at, txid, db_user, role, actor, dept, table, op,
							old_row, old_null, new_row, new_null);
		hash = audit_hash(head.last_hash, &content);
		values[11] = PointerGetDatum(head.last_hash);	/* prev_hash, before head moves */
		if (audit_advance(st, &head, id, hash))
			break;
		if (attempt > 0 || !have_cache)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("supervision.audit_chain_head changed while the audit trigger held the chain lock")));
	}

	values[0] = Int64GetDatum(id);
	values[1] = TimestampTzGetDatum(at);
	values[2] = Int64GetDatum(txid);
	values[3] = DirectFunctionCall1(namein, CStringGetDatum(db_user));
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(role));
	values[5] = actor ? CStringGetTextDatum(actor) : (Datum) 0;
	values[6] = dept ? CStringGetTextDatum(dept) : (Datum) 0;
	values[7] = CStringGetTextDatum(table);
	values[8] = CStringGetTextDatum(op);
	values[9] = old_row;
	values[10] = new_row;
	values[12] = PointerGetDatum(hash);
	memset(nulls, ' ', sizeof(nulls));
	nulls[5] = actor ? ' ' : 'n';
	nulls[6] = dept ? ' ' : 'n';
	nulls[9] = old_null ? 'n' : ' ';
	nulls[10] = new_null ? 'n' : ' ';
	if (!audit_append_direct(st, values, nulls))
	{
		if (st->append == NULL)
			st->append = audit_prepare(append_sql, lengthof(append_types), append_types);
		rc = SPI_execute_plan(st->append, values, nulls, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	}

	initStringInfo(&headval);
	appendStringInfo(&headval, "(%u,%u)/" INT64_FORMAT "/%s", ItemPointerGetBlockNumber(&head.tid),
					 (unsigned int) ItemPointerGetOffsetNumber(&head.tid), id, audit_hex(hash));
	audit_set_local(AUDIT_GUC_HEAD, headval.data);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	SetUserIdAndSecContext(save_userid, save_sec);
	MemoryContextSwitchTo(caller_cxt);
	MemoryContextReset(st->rowcxt);
	return PointerGetDatum(NULL);
}
