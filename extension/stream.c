/*
 * stream.c: a read-only query run to the end, rows handed to a callback.
 * See stream.h.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "stream.h"
#include "tcop/dest.h"

typedef struct SvStreamDest
{
	DestReceiver pub;
	SvStreamRowFn fn;
	void	   *arg;
	uint64		rows;
} SvStreamDest;

static bool
sv_stream_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SvStreamDest *d = (SvStreamDest *) self;

	if ((++d->rows & 0x3FFF) == 0)
		CHECK_FOR_INTERRUPTS();
	d->fn(slot, d->arg);
	return true;
}

static void
sv_stream_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
sv_stream_nothing(DestReceiver *self)
{
}

uint64
sv_stream(const char *sql, int nargs, Oid *argtypes, Datum *values, const bool *nulls,
		  SvStreamRowFn fn, void *arg)
{
	SvStreamDest dest;
	SPIPlanPtr	plan;
	SPIExecuteOptions opt;
	int			rc;

	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	if (list_length(SPI_plan_get_plan_sources(plan)) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the query must be a single statement"),
				 errhint("Remove the semicolons that separate statements.")));
	memset(&opt, 0, sizeof(opt));
	opt.read_only = true;		/* also refuses statements that write */
	if (nargs > 0)
	{
		opt.params = makeParamList(nargs);
		for (int i = 0; i < nargs; i++)
		{
			opt.params->params[i].value = values[i];
			opt.params->params[i].isnull = nulls != NULL && nulls[i];
			opt.params->params[i].pflags = PARAM_FLAG_CONST;
			opt.params->params[i].ptype = argtypes[i];
		}
	}
	memset(&dest, 0, sizeof(dest));
	dest.pub.receiveSlot = sv_stream_receive;
	dest.pub.rStartup = sv_stream_startup;
	dest.pub.rShutdown = sv_stream_nothing;
	dest.pub.rDestroy = sv_stream_nothing;
	dest.pub.mydest = DestNone;
	dest.fn = fn;
	dest.arg = arg;
	opt.dest = &dest.pub;
	rc = SPI_execute_plan_extended(plan, &opt);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan_extended failed: %s", SPI_result_code_string(rc));
	SPI_freeplan(plan);
	return dest.rows;
}
