/*
 * supervision.c: the module's entry point.
 *
 * Each capability has its own C file (codes.c, ...); this one holds the
 * module magic block and _PG_init, which reserves the supervision.* GUC
 * prefix so that no one can define settings under it by mistake.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	MarkGUCPrefixReserved("supervision");
}
