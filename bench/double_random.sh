#!/usr/bin/env bash
# Double-random draw benchmark: bench/double_random.sh [subjects ...]  (default 1000000)
# Prints sizes, nproc, the time of each step and the ratios C/plain-SQL and C/random().
source "$(dirname "$0")/../scripts/lib.sh"
throwaway_server bench_dr supervision_bench
pgsql -d supervision_bench -c "CREATE EXTENSION supervision CASCADE" >/dev/null
echo "nproc: $(nproc)"
for n in "${@:-1000000}"; do
    echo "== $n subjects"
    out=$(pgsql -d supervision_bench -v n="$n" -f "$ROOT/bench/double_random.sql" 2>&1)
    echo "$out" | grep -E '^(open|reveal|C selection|plain SQL|unverifiable|verify)|^Time|^ [A-D] |^ t$|^ f$'
    mapfile -t t < <(echo "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    # t: open, reveal, C select, SQL sha256, random, verify (after the setup statements)
    k=${#t[@]}; o=${t[k-6]}; r=${t[k-5]}; c=${t[k-4]}; s=${t[k-3]}; q=${t[k-2]}
    awk -v o="$o" -v r="$r" -v c="$c" -v s="$s" -v q="$q" 'BEGIN {
        printf "open %.2f s; reveal (select+teams) %.2f s; C select %.2f s; SQL sha256 %.2f s; random() %.2f s\n", o/1000, r/1000, c/1000, s/1000, q/1000;
        printf "SQL sha256 / C select = %.1fx; random() / C select = %.2fx; SQL sha256 / reveal = %.1fx\n", s/c, q/c, s/r }'
    pgsql -d supervision_bench -c "DROP EXTENSION supervision CASCADE" -c "CREATE EXTENSION supervision CASCADE" >/dev/null 2>&1
done
