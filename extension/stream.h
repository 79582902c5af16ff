/*
 * stream.h: running a read-only query to the end with its rows handed to a
 * callback one at a time.
 *
 * SPI_execute collects every row in a tuple table, and a cursor (which
 * fetches in batches) keeps the planner from using parallel workers, since
 * a cursor may be stopped part way.  sv_stream does neither: the query runs
 * to completion into a receiver that calls fn for each row, so nothing is
 * collected and the planner may give the plan parallel workers when they are
 * worth it.  Used where C code reads a population or a source of any size
 * (sampling.c, risk.c).  Must be called between SPI_connect and SPI_finish.
 */
#ifndef SV_STREAM_H
#define SV_STREAM_H

#include "postgres.h"

#include "executor/tuptable.h"

typedef void (*SvStreamRowFn) (TupleTableSlot *slot, void *arg);

/*
 * Runs one read-only statement with parameters $1..$nargs of the given types
 * (nulls: NULL when none is null) and calls fn for each row; returns the
 * number of rows.  More than one statement is refused (42601), as is any
 * statement that writes.
 */
extern uint64 sv_stream(const char *sql, int nargs, Oid *argtypes, Datum *values, const bool *nulls,
						SvStreamRowFn fn, void *arg);

#endif							/* SV_STREAM_H */
