#!/usr/bin/env bash
# The demo: a whole supervision cycle on a throwaway local server.
# Installs what is missing, builds and installs the extension, starts a server
# in .run/demo, runs scripts/demo.sql on the sample data, prints a summary,
# stops the server (also on failure or Ctrl-C), and leaves the evaluation
# report in .run/demo/evaluation_report.html.
source "$(dirname "$0")/lib.sh"

throwaway_server demo supervision_demo
log "running the supervision cycle"
pgsql -d supervision_demo -v sample="$(cat "$ROOT/data/sample/catalog.json")" < "$ROOT/scripts/demo.sql"
log "generating subject records with known truth (DEMO_ENTITIES=${DEMO_ENTITIES:-61000})"
pgsql -d supervision_demo -v entities="${DEMO_ENTITIES:-61000}" -v seed=0.42 < "$ROOT/data/sample/generate_subjects.sql"
pgsql -d supervision_demo < "$ROOT/scripts/demo_datacenter.sql"
pgsql -d supervision_demo < "$ROOT/scripts/demo_risk.sql"
pgsql -d supervision_demo < "$ROOT/scripts/demo_sampling.sql"
# the evaluation writes its HTML report next to the server's files, where the
# server's OS user (who runs psql here) may write and which outlives the demo
REPORT="$DIR/evaluation_report.html"
pgsql -d supervision_demo -v report="$REPORT" < "$ROOT/scripts/demo_evaluation.sql"
log "demo finished"
echo "Evaluation report (open it in a browser): $REPORT"
