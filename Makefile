# PGXS build for the supervision extension.
EXTENSION  = supervision
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

# SQL sources in load order, one per capability; concatenated into the install script.
SQL_SOURCES = \
	sql/schema.sql \
	sql/audit.sql \
	sql/codes.sql \
	sql/divisions.sql \
	build/divisions_data.sql \
	sql/security.sql \
	sql/catalog.sql \
	sql/jobs.sql \
	sql/matching_text.sql \
	sql/matching.sql \
	sql/datacenter.sql \
	sql/calendar.sql \
	sql/sampling.sql \
	sql/risk.sql \
	sql/warning.sql \
	sql/evaluation.sql \
	sql/evaluation_index.sql \
	sql/evaluation_report.sql \
	sql/api.sql

MODULE_big = $(EXTENSION)
OBJS = $(patsubst %.c,%.o,$(wildcard extension/*.c))
PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers $(shell pkg-config --cflags icu-uc icu-i18n 2>/dev/null)
SHLIB_LINK  = $(shell pkg-config --libs icu-uc icu-i18n 2>/dev/null || echo -licui18n -licuuc -licudata)

DATA_built = build/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)
EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# headers shared between C files (PGXS tracks no header dependencies)
extension/sampling.o extension/sampling_sha256.o extension/supervision.o: extension/sampling_sha256.h

build/divisions_data.sql: data/divisions.csv data/jiangsu_boundaries.geojson data/divisions_sql.sh
	@mkdir -p build
	sh data/divisions_sql.sh data > $@.tmp && mv $@.tmp $@

build/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	@mkdir -p build
	{ echo "-- generated from sql/*.sql by make; edit the sources, not this file"; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION) CASCADE" to load this file. \quit'; \
	  for f in $(SQL_SOURCES); do echo; echo "-- ===== $$f ====="; cat $$f; done; } > $@.tmp && mv $@.tmp $@

.PHONY: demo check-all
demo:
	./scripts/demo.sh
check-all:
	./scripts/test.sh
