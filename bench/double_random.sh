#!/usr/bin/env bash
# Double-random draw benchmark: bench/double_random.sh [subjects ...]   (default: 1000000 10000000)
# Environment: RUNS (default 3) runs per size; the best of them is reported.
#
# For each size: a fresh database filled by bench/double_random_data.sql, then RUNS
# runs of bench/double_random.sql (each in a transaction that is rolled back, so all
# runs draw from the same data). Prints the size, nproc, the server settings, every
# run, and the best time of each step with the ratios:
#   draw        = draw_open + draw_reveal without scheduling visits: the population
#                 frozen into strata with the exclusion window, the targets drawn,
#                 recusal, rotation, workload cap and a team for every target
#   +visits     = draw_open + draw_reveal as the application calls them (draw_reveal
#                 also merges the targets into visits)
#   C select    = the selection alone over the frozen population (sampling_select)
#   SQL sha256  = the same selection in plain SQL: ORDER BY sha256(seed|key) LIMIT k per stratum
#   random()    = ORDER BY random() LIMIT k per stratum (not verifiable)
#   cpu         = CPU time (user + system) of the backend for draw_open and draw_reveal:
#                 other jobs on the machine lengthen the wall clock, not this
source "$(dirname "$0")/../scripts/lib.sh"
RUNS=${RUNS:-3}
throwaway_server bench_dr supervision_bench
# a server sized for ten million subjects: the subject table alone is 1.3 GB
pgsql -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
      -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" >/dev/null
as_pg $PGBIN/pg_ctl -D "$DIR/data" -l "$DIR/server.log" -w -t 120 restart >/dev/null
echo "nproc: $(nproc); $(pgsql -Atc 'SELECT version()' | cut -d, -f1); shared_buffers $(pgsql -Atc 'SHOW shared_buffers'), work_mem 64MB, jit $(pgsql -Atc 'SHOW jit'), max_parallel_workers_per_gather $(pgsql -Atc 'SHOW max_parallel_workers_per_gather')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes: $(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | awk '{ printf "%s %s%%; ", $2, $1 }')"

for n in "${@:-1000000 10000000}"; do
    db=bench_$n
    pgsql -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
    pgsql -d $db -c "CREATE EXTENSION supervision CASCADE" >/dev/null 2>&1
    start=$(date +%s.%N)
    pgsql -d $db -v n="$n" -f "$ROOT/bench/double_random_data.sql" >/dev/null
    pgsql -d $db -c "CHECKPOINT" >/dev/null   # the load's dirty pages written before any run
    echo "== $n subjects (data generated in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }') s)"
    out_all=""
    for r in $(seq 1 "$RUNS"); do
        check=false; [ "$r" -eq 1 ] && [ "$n" -le 2000000 ] && check=true
        out=$(pgsql -d $db -v run="$r" -v check_digest=$check -v seed="2024-03-02 福彩3D 第2024055期 385 run $r" -f "$ROOT/bench/double_random.sql")
        [ "$r" -eq 1 ] && echo "$out" | grep -E '^(population|selected|strata|verified|same_selection|same_digest):'
        [ "$check" = true ] && { [ "$(echo "$out" | sed -n 's/^same_digest: //p')" = "true" ] || { echo "population digest differs from plain SQL" >&2; exit 1; }; }
        v() { echo "$out" | sed -n "s/^$1: //p"; }
        line=$(awk -v o="$(v open)" -v r="$(v reveal)" -v vm="$(v visit_merge)" -v y="$(v verify)" \
                   -v c="$(v c_select)" -v s="$(v sql_sha256)" -v q="$(v sql_random)" -v la="$(cut -d' ' -f1 /proc/loadavg)" \
                   -v c0="$(v cpu_before_open)" -v c1="$(v cpu_after_open)" -v c2="$(v cpu_after_reveal)" -v hz="$(getconf CLK_TCK)" 'BEGIN {
            printf "run: open %.2f s, reveal %.2f s (visits %.2f s), draw %.2f s, +visits %.2f s, verify %.2f s; C select %.2f s, SQL sha256 %.2f s, random() %.2f s; cpu open %.2f s, reveal %.2f s; load %s\n",
                   o/1000, r/1000, vm/1000, (o+r-vm)/1000, (o+r)/1000, y/1000, c/1000, s/1000, q/1000, (c1-c0)/hz, (c2-c1)/hz, la }')
        echo "$line"
        out_all+="$line"$'\n'
        [ "$(v verified)" = "true" ] && [ "$(v same_selection)" = "true" ] || { echo "verification or cross-check failed" >&2; exit 1; }
        # the rolled-back run leaves dead rows behind: clean up, as a database would be before a draw
        pgsql -d $db -c "VACUUM supervision.draw, supervision.draw_stratum, supervision.draw_population_block, supervision.draw_inspector, supervision.draw_selection, supervision.visit, supervision.visit_item, supervision.visit_inspector, supervision.visit_draw, supervision.inspection_plan" -c "CHECKPOINT" >/dev/null
    done
    echo "$out_all" | awk -v n="$n" '
        function val(re,   m) { if (!match($0, re " [0-9.]+")) return 0; m = substr($0, RSTART, RLENGTH); match(m, /[0-9.]+$/); return substr(m, RSTART, RLENGTH) + 0 }
        function best(name, v) { if (!(name in b) || v < b[name]) b[name] = v }
        /^run:/ { k++; best("draw", val("draw")); best("open", val("run: open")); best("visits+", val("[+]visits"));
                  best("visits", val("[(]visits")); best("verify", val("verify")); best("c", val("C select"));
                  best("sql", val("SQL sha256")); best("random", val("random[(][)]")); best("cpuo", val("cpu open"));
                  best("cpur", val("cpu open [0-9.]+ s, reveal")) }
        END { printf "best of %d: draw %.2f s (open %.2f s), +visits %.2f s (visits %.2f s), verify %.2f s; C select %.2f s, SQL sha256 %.2f s, random() %.2f s; cpu open %.2f s, reveal %.2f s\n",
                     k, b["draw"], b["open"], b["visits+"], b["visits"], b["verify"], b["c"], b["sql"], b["random"], b["cpuo"], b["cpur"];
              printf "ratios at %d subjects: SQL sha256 / C select = %.1fx; random() / C select = %.2fx; SQL sha256 / draw = %.1fx; SQL sha256 / (draw + visits) = %.1fx\n",
                     n, b["sql"] / b["c"], b["random"] / b["c"], b["sql"] / b["draw"], b["sql"] / b["visits+"] }'
    pgsql -c "DROP DATABASE $db" >/dev/null
done
