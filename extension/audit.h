/*
 * audit.h: the audit trigger's settings (extension/audit.c).
 *
 * supervision_audit.actor and supervision_audit.head hold what the trigger
 * remembers within a transaction (the acting user, where the chain head is
 * and what it holds). They are defined as superuser-only settings: a role
 * that could set them could put another actor in the log or link a row to a
 * forged hash; one that could read them would see the head.
 */
#ifndef SV_AUDIT_H
#define SV_AUDIT_H

extern void audit_define_guc(void);

#endif							/* SV_AUDIT_H */
