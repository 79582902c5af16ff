/*
 * supervision.c: the module's entry point.
 *
 * Each capability has its own C file (codes.c, ...); this one holds the
 * module magic block and _PG_init, which defines the settings
 * (supervision.sha256_code, sampling_sha256.c; supervision_audit.*, audit.c)
 * and reserves the supervision.* GUC prefix so that no one can define others
 * by mistake.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "audit.h"
#include "sampling_sha256.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	sampling_sha256_define_guc();
	audit_define_guc();
	MarkGUCPrefixReserved("supervision");
}
