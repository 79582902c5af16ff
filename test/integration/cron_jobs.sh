#!/usr/bin/env bash
# pg_cron integration: the extension registers its jobs only on request, in the
# database pg_cron serves (cron.database_name of the throwaway server), and the
# jobs' commands work when run as pg_cron runs them.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=$("$PGBIN/psql" -U postgres -d postgres -X -t -A -c "SHOW cron.database_name")
q() { "$PGBIN/psql" -U postgres -d "$DB" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
q -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS supervision CASCADE; CREATE EXTENSION IF NOT EXISTS pg_cron;"

check() {   # check NAME ACTUAL EXPECTED
    if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2', expected '$3'"; exit 1; fi
    echo "ok   $1"
}
check "no job at install" "$(q -c "SELECT count(*) FROM cron.job WHERE jobname LIKE 'supervision-%'")" 0
# one line per job, so that a capability adding a job adds one line here
jobs=$(q -c "SELECT name || ' ' || schedule FROM supervision.jobs_schedule() ORDER BY name")
expect_job() {   # expect_job "NAME SCHEDULE"
    if ! grep -qxF "$1" <<<"$jobs"; then echo "FAIL schedule: '$1' not registered; got: $jobs"; exit 1; fi
    echo "ok   registered $1"
}
expect_job "supervision-audit-partitions 0 19 1 * *"
expect_job "supervision-cron-history 30 19 * * *"
expect_job "supervision-risk-monthly 0 18 1 * *"
expect_job "supervision-warning-scan 0 18 * * *"
defined=$(q -c "SELECT count(*) FROM supervision.job_definition")
check "schedule registers every defined job" "$(grep -c . <<<"$jobs")" "$defined"
check "scheduling twice keeps one job each" "$(q -c "SELECT count(*) FROM supervision.jobs_schedule(); SELECT count(*) FROM cron.job WHERE jobname LIKE 'supervision-%'" | tail -1)" "$defined"
check "an unknown job is refused" "$(q -c "SELECT supervision.jobs_schedule(ARRAY['supervision-nope'])" 2>&1 | grep -o 'unknown job "supervision-nope"')" 'unknown job "supervision-nope"'
# run each registered command the way pg_cron would
while IFS= read -r cmd; do
    q -c "$cmd" >/dev/null || { echo "FAIL job command: $cmd"; exit 1; }
done < <(q -c "SELECT command FROM cron.job WHERE jobname LIKE 'supervision-%' ORDER BY jobname")
echo "ok   job commands run"
check "unschedule removes them" "$(q -c "SELECT count(*) FROM supervision.jobs_unschedule(); SELECT count(*) FROM cron.job WHERE jobname LIKE 'supervision-%'" | tail -1)" 0
# without pg_cron in a database the error says what to do
"$PGBIN/dropdb" -U postgres --if-exists cron_less 2>/dev/null
"$PGBIN/createdb" -U postgres cron_less
msg=$("$PGBIN/psql" -U postgres -d cron_less -X -q -t -A -c "SET client_min_messages = warning; CREATE EXTENSION supervision CASCADE" -c "SELECT supervision.jobs_schedule()" 2>&1 | grep -o 'pg_cron is not installed in this database' || true)
check "clear error without pg_cron" "$msg" "pg_cron is not installed in this database"
"$PGBIN/dropdb" -U postgres cron_less
