#!/usr/bin/env bash
# Runs the whole test suite on a throwaway server: pg_regress (test/regress)
# then the multi-session tests (test/concurrency/*.sh).
# Usage: scripts/test.sh [regress-test-name ...]   (no names: everything)
# Ends with a line "N passed, N failed"; exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"

throwaway_server test supervision_test

passed=0; failed=0
OUT="$DIR/regress"
# pg_regress runs as the server's OS user, which may not be able to read the
# working tree (e.g. a clone under /root): give it a copy of the tests.
rm -rf "$DIR/regress-input"
cp -r "$ROOT/test/regress" "$DIR/regress-input"
[ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$DIR/regress-input"
as_pg mkdir -p "$OUT"
if [ $# -gt 0 ]; then
    tests=(setup)                  # every test uses the extension that setup creates
    for t in "$@"; do [ "$t" = setup ] || tests+=("$t"); done
else
    mapfile -t tests < <(grep -v '^\s*#' "$ROOT/test/regress/schedule" | sed -n 's/^test: *//p' | tr ' ' '\n' | sed '/^$/d')
fi
log "pg_regress: ${#tests[@]} tests"
set +e
as_pg env LC_ALL=C.UTF-8 PGTZ=Asia/Shanghai \
    "$($PGBIN/pg_config --pkglibdir)/pgxs/src/test/regress/pg_regress" \
    --bindir=$PGBIN --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --inputdir="$DIR/regress-input" --outputdir="$OUT" --dbname=supervision_regress \
    "${tests[@]}" > "$OUT/pg_regress.out" 2>&1
set -e
cat "$OUT/pg_regress.out"
p=$(grep -cE '\.\.\. +ok' "$OUT/pg_regress.out" || true)
f=$(( ${#tests[@]} - p ))          # a test that did not report "ok" (failed, or never ran) has failed
[ "$f" -ge 0 ] || f=0
passed=$((passed + p)); failed=$((failed + f))
if [ -s "$OUT/regression.diffs" ]; then
    mkdir -p "$ROOT/.run"
    cp "$OUT/regression.diffs" "$ROOT/.run/regression.diffs" 2>/dev/null || true
    head -200 "$OUT/regression.diffs"
fi

if [ $# -eq 0 ]; then
    for t in "$ROOT"/test/integration/*.sh "$ROOT"/test/concurrency/*.sh; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sh)
        log "test: $name"
        if PGBIN=$PGBIN bash "$t"; then
            echo "test $name ... ok"; passed=$((passed + 1))
        else
            echo "test $name ... FAILED"; failed=$((failed + 1))
        fi
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
