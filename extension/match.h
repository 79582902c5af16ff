/*
 * match.h: what match.c (record matching) and cluster.c (clustering) share.
 *
 * Items to cluster are numbered 0 .. n-1.  Callers number them in byte order
 * of their ids, so that "the smallest index" of a cluster is its smallest id
 * and every result is independent of the order rows were read in.
 */
#ifndef SUPERVISION_MATCH_H
#define SUPERVISION_MATCH_H

#include "postgres.h"

/* A link between two items: a scored pair, or a cannot-link (score unused). */
typedef struct SvLink
{
	uint32		a;
	uint32		b;
	double		score;			/* +Infinity for a must-link; never NaN */
} SvLink;

/* What sv_cluster did. */
typedef struct SvClusterStats
{
	int64		unions;			/* links that joined two clusters */
	int64		refused;		/* links refused because of a cannot-link */
	int64		refused_must;	/* of which must-links (score +Infinity) */
} SvClusterStats;

/*
 * Union-find over n items: links are taken in descending score order (ties:
 * ascending a, then b); a link joins its two clusters unless some cannot-link
 * pair would then lie inside one cluster.  Sorts links in place.  Sets
 * root[i] to the smallest item of i's cluster.  Links with a == b are
 * ignored; cannot-links with a == b are the caller's to refuse.
 */
extern void sv_cluster(uint32 n, SvLink *links, int64 nlinks,
					   const SvLink *cannot, int64 ncannot,
					   uint32 *root, SvClusterStats *stats);

#endif							/* SUPERVISION_MATCH_H */
