-- Early warning (风险预警): rules kept as data evaluate counts of events over
-- time (penalties, negative internet reports, later complaints) per subject,
-- industry or division, raise warnings with their evidence, route them to a
-- responsible department, and follow each through received -> verified ->
-- handled -> closed with deadlines in working days. Warnings from the national
-- system land in the same table. The statistics (EWMA baseline, Poisson tail)
-- are in extension/warning.c; docs/warning.md explains the models.

---------------------------------------------------------------------------
-- The numbers (C)
---------------------------------------------------------------------------

CREATE FUNCTION supervision.ewma(counts float8[], alpha float8) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'warning_ewma'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.ewma(float8[], float8) IS
    'Exponentially weighted moving average of counts (oldest first): s1 = x1, st = alpha*xt + (1-alpha)*s(t-1); alpha in (0, 1], counts whole numbers >= 0';

CREATE FUNCTION supervision.poisson_tail(k float8, lambda float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'warning_poisson_tail_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.poisson_tail(float8, float8) IS
    'P(X >= k) for X ~ Poisson(lambda): k a whole number >= 0, lambda >= 0; summed in log space, accurate for tiny tails and for lambda up to 1e6 and beyond';

CREATE FUNCTION supervision.spike(counts float8[], alpha float8, min_baseline float8 DEFAULT 0,
                                  OUT observed float8, OUT baseline float8, OUT p_value float8)
    AS 'MODULE_PATHNAME', 'warning_spike'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.spike(float8[], float8, float8) IS
    'Spike test of the last count: baseline = max(last EWMA of the earlier counts, min_baseline), p_value = poisson_tail(last count, baseline)';

---------------------------------------------------------------------------
-- Levels and deadlines
---------------------------------------------------------------------------

CREATE TABLE supervision.warning_level (
    level    text PRIMARY KEY CHECK (level IN ('red', 'orange', 'yellow', 'blue')),
    severity smallint NOT NULL UNIQUE CHECK (severity BETWEEN 1 AND 4),
    name     text NOT NULL
);
COMMENT ON TABLE supervision.warning_level IS 'The four warning levels; severity 4 (red) is the most severe';
INSERT INTO supervision.warning_level (level, severity, name) VALUES
    ('red', 4, '红色预警'), ('orange', 3, '橙色预警'), ('yellow', 2, '黄色预警'), ('blue', 1, '蓝色预警');

-- Deadlines per level, in working days from the day a warning is received
-- (or re-opened). Schemes let a DBA set other figures without touching the
-- shipped ones: create a scheme and name it in the rules.
CREATE TABLE supervision.warning_deadline (
    scheme       text NOT NULL CHECK (scheme ~ '^[a-z0-9_]{1,32}$'),
    level        text NOT NULL REFERENCES supervision.warning_level,
    verify_days  integer NOT NULL CHECK (verify_days >= 0),
    handle_days  integer NOT NULL,
    close_days   integer NOT NULL,
    builtin      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (scheme, level),
    CHECK (handle_days >= verify_days AND close_days >= handle_days)
);
COMMENT ON TABLE supervision.warning_deadline IS
    'Deadlines in working days from receipt, per scheme and level: verified by, handled by, closed by. Scheme "default" ships with the extension (no official figures are published: they are a starting point); a scheme "national", when a DBA adds one, applies to warnings from the national system';
INSERT INTO supervision.warning_deadline (scheme, level, verify_days, handle_days, close_days, builtin) VALUES
    ('default', 'red', 1, 5, 10, true),
    ('default', 'orange', 2, 10, 15, true),
    ('default', 'yellow', 3, 15, 20, true),
    ('default', 'blue', 5, 20, 30, true);

-- The due dates of a level from a day; NULLs (and a warning) when the
-- working-day calendar does not cover them: a warning is never lost for
-- want of next year's holiday schedule.
CREATE FUNCTION supervision.warning_deadlines(p_scheme text, p_level text, p_from date,
    OUT verify_due date, OUT handle_due date, OUT close_due date)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE d supervision.warning_deadline;
BEGIN
    SELECT * INTO d FROM supervision.warning_deadline x WHERE x.scheme = p_scheme AND x.level = p_level;
    IF NOT FOUND THEN
        SELECT * INTO d FROM supervision.warning_deadline x WHERE x.scheme = 'default' AND x.level = p_level;
    END IF;
    BEGIN
        verify_due := supervision.workdays_add(p_from, d.verify_days);
        handle_due := supervision.workdays_add(p_from, d.handle_days);
        close_due := supervision.workdays_add(p_from, d.close_days);
    EXCEPTION WHEN datetime_field_overflow THEN
        RAISE WARNING 'no deadlines for a % warning received on %: the working-day calendar does not cover them', p_level, p_from
            USING HINT = 'Add the year''s holiday schedule to supervision.calendar_day (see docs/calendar.md).';
        verify_due := NULL; handle_due := NULL; close_due := NULL;
    END;
END
$$;
COMMENT ON FUNCTION supervision.warning_deadlines(text, text, date) IS
    'Due dates (verify, handle, close) of a warning level received on a day: workdays_add with the days of the scheme (falling back to "default"); NULL with a WARNING outside the calendar';

---------------------------------------------------------------------------
-- Event sources: one view per kind of event, all with the same columns
---------------------------------------------------------------------------

CREATE TABLE supervision.warning_source (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    relation        text NOT NULL UNIQUE CHECK (relation ~ '^supervision\.[a-z_][a-z0-9_]*$'),
    has_department  boolean NOT NULL,
    description     text NOT NULL CHECK (btrim(description) <> ''),
    builtin         boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE supervision.warning_source IS
    'Sources of events that rules count: a view of schema supervision with the columns event_id text, occurred_at timestamptz, subject_id bigint, industry_code text, division_code text, department_code text, attrs jsonb; has_department says whether its events name a department';

-- Why a relation cannot be an event source (NULL when it can).
CREATE FUNCTION supervision.warning_source_problems(p_relation text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rel regclass := to_regclass(p_relation);
    v_missing text;
BEGIN
    IF v_rel IS NULL THEN
        RETURN format('relation %s does not exist', p_relation);
    END IF;
    SELECT string_agg(format('%s %s', c.col, c.typ), ', ' ORDER BY c.ord) INTO v_missing
      FROM (VALUES (1, 'event_id', 'text'), (2, 'occurred_at', 'timestamp with time zone'), (3, 'subject_id', 'bigint'),
                   (4, 'industry_code', 'text'), (5, 'division_code', 'text'), (6, 'department_code', 'text'),
                   (7, 'attrs', 'jsonb')) c(ord, col, typ)
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = v_rel AND a.attname = c.col AND NOT a.attisdropped
                          AND format_type(a.atttypid, a.atttypmod) = c.typ);
    IF v_missing IS NOT NULL THEN
        RETURN format('relation %s lacks the columns %s', p_relation, v_missing);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION supervision.warning_source_problems(text) IS
    'Why a relation cannot serve as an event source (missing, or lacking a column of the common shape); NULL when it can';

CREATE FUNCTION supervision.warning_source_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_problem text := supervision.warning_source_problems(NEW.relation);
BEGIN
    IF v_problem IS NOT NULL THEN
        PERFORM supervision.field_error('relation', v_problem, NEW.relation);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.warning_source_check() IS 'Trigger: an event source is a view of schema supervision with the common columns';
CREATE TRIGGER warning_source_check BEFORE INSERT OR UPDATE ON supervision.warning_source
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_source_check();

-- Penalties (行政处罚) reported as supervision behaviour. The department is
-- the one of the catalog item the penalty was given under, else the
-- implementing agency's, else the sending system's. Subjects merged into
-- another count for the one they were merged into.
CREATE VIEW supervision.warning_event_penalty WITH (security_invoker = true) AS
    SELECT 'behaviour/' || b.id AS event_id,
           coalesce(b.check_time, b.report_time) AS occurred_at,
           s.id AS subject_id,
           s.industry_code,
           coalesce(b.division_code, s.division_code) AS division_code,
           coalesce(ci.department_code, a.department_code, ss.department_code) AS department_code,
           jsonb_strip_nulls(jsonb_build_object('source', b.source_code, 'catalog_item', b.catalog_item_code,
                                                'agency', b.agency_uscc, 'behaviour_no', b.behaviour_no)) AS attrs
      FROM supervision.behaviour b
      LEFT JOIN supervision.subject s0 ON s0.id = b.subject_id
      LEFT JOIN supervision.subject s ON s.id = coalesce(s0.merged_into, s0.id)
      LEFT JOIN supervision.catalog_item ci ON ci.code = b.catalog_item_code
      LEFT JOIN supervision.agency a ON a.uscc = b.agency_uscc
      LEFT JOIN supervision.source_system ss ON ss.code = b.source_code
     WHERE b.kind = 'penalty' AND coalesce(b.check_time, b.report_time) IS NOT NULL;
COMMENT ON VIEW supervision.warning_event_penalty IS
    'Event source "penalty": administrative penalties (behaviour kind penalty) at their check time; attrs: source, catalog_item, agency, behaviour_no';

-- Internet and third-party reports. They name no department.
CREATE VIEW supervision.warning_event_internet WITH (security_invoker = true) AS
    SELECT 'internet_info/' || i.id AS event_id,
           i.published_at AS occurred_at,
           s.id AS subject_id,
           s.industry_code,
           s.division_code,
           NULL::text AS department_code,
           jsonb_strip_nulls(jsonb_build_object('source', i.source_code, 'channel', i.channel, 'category', i.category,
                                                'sentiment', i.sentiment, 'negative', i.sentiment < 0)) AS attrs
      FROM supervision.internet_info i
      LEFT JOIN supervision.subject s0 ON s0.id = i.subject_id
      LEFT JOIN supervision.subject s ON s.id = coalesce(s0.merged_into, s0.id)
     WHERE i.published_at IS NOT NULL;
COMMENT ON VIEW supervision.warning_event_internet IS
    'Event source "internet": internet and third-party reports at their publication time; attrs: source, channel, category, sentiment, negative (sentiment < 0)';

INSERT INTO supervision.warning_source (code, relation, has_department, description, builtin) VALUES
    ('penalty', 'supervision.warning_event_penalty', true, 'Administrative penalties (behaviour of kind penalty)', true),
    ('internet', 'supervision.warning_event_internet', false, 'Internet and third-party reports (filter {"negative": true} for negative ones)', true);

---------------------------------------------------------------------------
-- Rules
---------------------------------------------------------------------------

CREATE TABLE supervision.warning_rule (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,40}$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    active          boolean NOT NULL DEFAULT true,
    source          text NOT NULL REFERENCES supervision.warning_source,
    event_filter    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(event_filter) = 'object'),
    target          text NOT NULL CHECK (target IN ('subject', 'industry_section', 'industry_division', 'city', 'county')),
    division_scope  text REFERENCES supervision.division,
    industry_scope  text CHECK (industry_scope ~ '^[A-T]([0-9]{2}([0-9]{1,2})?)?$'),
    period          text NOT NULL CHECK (period IN ('day', 'week', 'month', 'quarter', 'year')),
    method          text NOT NULL CHECK (method IN ('threshold', 'rate', 'spike')),
    params          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
    levels          jsonb NOT NULL CHECK (jsonb_typeof(levels) = 'object'),
    department_code text REFERENCES supervision.department,
    deadline_scheme text NOT NULL DEFAULT 'default',
    description     text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text
);
COMMENT ON TABLE supervision.warning_rule IS
    'Early-warning rules (data a DBA changes): count events of a source (filtered by attrs @> event_filter, optionally within a division and an industry) per target and period, and raise a warning by threshold, rate of change or spike; levels map the rule''s score to red/orange/yellow/blue; version grows with every change of what the rule computes';
COMMENT ON COLUMN supervision.warning_rule.target IS
    'What is counted per: subject; industry_section (GB/T 4754 letter) or industry_division (letter + 2 digits) of the subject; county (6-digit code) or city (first 4 digits + 00) of the event';
COMMENT ON COLUMN supervision.warning_rule.period IS
    'Counting period, calendar-aligned in Beijing time (day, week from Monday, month, quarter, year); the period containing as_of is evaluated up to as_of';
COMMENT ON COLUMN supervision.warning_rule.params IS
    'threshold: {}; rate: {"min_count": n (default 1)}; spike: {"alpha": (0,1], "history": periods of baseline, "min_count": n (default 1), "min_baseline": x (default 0)}';
COMMENT ON COLUMN supervision.warning_rule.levels IS
    'Cut-offs per level, e.g. {"yellow": 3, "orange": 5, "red": 8}: threshold = count at least; rate = ratio count/max(previous count, 1) at least; spike = p-value below. A warning is raised when the least severe cut-off is met';
COMMENT ON COLUMN supervision.warning_rule.department_code IS
    'The department responsible for the rule''s warnings; NULL = the department most of the period''s events name (sources with has_department only)';
COMMENT ON COLUMN supervision.warning_rule.deadline_scheme IS 'Scheme of supervision.warning_deadline giving the deadlines of the rule''s warnings';

CREATE TABLE supervision.warning_rule_version (
    rule_id     bigint NOT NULL REFERENCES supervision.warning_rule ON DELETE CASCADE,
    version     integer NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    PRIMARY KEY (rule_id, version)
);
COMMENT ON TABLE supervision.warning_rule_version IS
    'Every version of every rule as it was defined (the whole row as JSON), so a warning''s rule version can be read back';

-- The level a score reaches under a rule's cut-offs (NULL: none).
CREATE FUNCTION supervision.warning_level_of(p_method text, p_levels jsonb, p_score float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT l.level
      FROM jsonb_each(p_levels) e(level, cutoff)
      JOIN (VALUES ('red', 4), ('orange', 3), ('yellow', 2), ('blue', 1)) l(level, severity) ON l.level = e.level
     WHERE jsonb_typeof(e.cutoff) = 'number'
       AND CASE WHEN p_method = 'spike' THEN p_score < (e.cutoff)::float8 ELSE p_score >= (e.cutoff)::float8 END
     ORDER BY l.severity DESC
     LIMIT 1;
END;
COMMENT ON FUNCTION supervision.warning_level_of(text, jsonb, float8) IS
    'The most severe level whose cut-off a score meets: count or ratio at least the cut-off, or (spike) p-value below it; NULL when none is met';

CREATE FUNCTION supervision.warning_rule_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k        text;
    v        jsonb;
    v_prev   float8;
    v_prevl  text;
    v_src    supervision.warning_source;
    l        record;
    v_allowed text[];
BEGIN
    -- the choices, checked here first so that the message names the field
    SELECT * INTO v_src FROM supervision.warning_source s WHERE s.code = NEW.source;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('source', 'unknown event source (the sources are the rows of supervision.warning_source)',
                                        NEW.source, '23503');
    END IF;
    IF NEW.method IS NULL OR NEW.method NOT IN ('threshold', 'rate', 'spike') THEN
        PERFORM supervision.field_error('method', 'expected threshold, rate or spike', NEW.method);
    END IF;
    IF NEW.period IS NULL OR NEW.period NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
        PERFORM supervision.field_error('period', 'expected day, week, month, quarter or year', NEW.period);
    END IF;
    IF NEW.target IS NULL OR NEW.target NOT IN ('subject', 'industry_section', 'industry_division', 'city', 'county') THEN
        PERFORM supervision.field_error('target', 'expected subject, industry_section, industry_division, city or county', NEW.target);
    END IF;
    -- params of the method
    v_allowed := CASE NEW.method WHEN 'threshold' THEN '{}'::text[]
                                 WHEN 'rate' THEN ARRAY['min_count']
                                 ELSE ARRAY['alpha', 'history', 'min_count', 'min_baseline'] END;
    FOR k, v IN SELECT * FROM jsonb_each(NEW.params) LOOP
        IF NOT (k = ANY (v_allowed)) THEN
            PERFORM supervision.field_error('params.' || k,
                format('unknown parameter of method %s; expected %s', NEW.method,
                       CASE WHEN cardinality(v_allowed) = 0 THEN 'none' ELSE array_to_string(v_allowed, ', ') END), v::text);
        END IF;
        IF jsonb_typeof(v) <> 'number' THEN
            PERFORM supervision.field_error('params.' || k, 'must be a number', v::text);
        END IF;
    END LOOP;
    IF NEW.params ? 'min_count' AND ((NEW.params ->> 'min_count')::numeric < 1
                                     OR (NEW.params ->> 'min_count')::numeric <> trunc((NEW.params ->> 'min_count')::numeric)) THEN
        PERFORM supervision.field_error('params.min_count', 'must be a whole number of 1 or more', NEW.params ->> 'min_count');
    END IF;
    IF NEW.method = 'spike' THEN
        IF NOT NEW.params ? 'alpha' OR (NEW.params ->> 'alpha')::numeric <= 0 OR (NEW.params ->> 'alpha')::numeric > 1 THEN
            PERFORM supervision.field_error('params.alpha', 'a spike rule needs alpha greater than 0 and at most 1', NEW.params ->> 'alpha');
        END IF;
        IF NOT NEW.params ? 'history' OR (NEW.params ->> 'history')::numeric NOT BETWEEN 1 AND 1000
           OR (NEW.params ->> 'history')::numeric <> trunc((NEW.params ->> 'history')::numeric) THEN
            PERFORM supervision.field_error('params.history', 'a spike rule needs history: 1 to 1000 earlier periods for the baseline',
                                            NEW.params ->> 'history');
        END IF;
        IF (NEW.params ->> 'min_baseline')::numeric < 0 THEN
            PERFORM supervision.field_error('params.min_baseline', 'must be 0 or more', NEW.params ->> 'min_baseline');
        END IF;
    END IF;
    -- levels: known names, numbers of the method's kind, stricter as they get more severe
    IF NEW.levels = '{}' THEN
        PERFORM supervision.field_error('levels', 'give the cut-off of at least one level (red, orange, yellow, blue)', NEW.levels::text);
    END IF;
    FOR l IN SELECT e.key, e.value, w.severity
               FROM jsonb_each(NEW.levels) e LEFT JOIN supervision.warning_level w ON w.level = e.key
              ORDER BY w.severity NULLS FIRST LOOP
        IF l.severity IS NULL THEN
            PERFORM supervision.field_error('levels.' || l.key, 'unknown level; expected red, orange, yellow or blue', l.value::text);
        END IF;
        IF jsonb_typeof(l.value) <> 'number' THEN
            PERFORM supervision.field_error('levels.' || l.key, 'must be a number', l.value::text);
        END IF;
        IF NEW.method = 'threshold' AND ((l.value)::numeric < 1 OR (l.value)::numeric <> trunc((l.value)::numeric)) THEN
            PERFORM supervision.field_error('levels.' || l.key, 'a threshold is a count: a whole number of 1 or more', l.value::text);
        ELSIF NEW.method = 'rate' AND (l.value)::numeric <= 1 THEN
            PERFORM supervision.field_error('levels.' || l.key, 'a rate cut-off is a ratio of this period to the previous one, above 1', l.value::text);
        ELSIF NEW.method = 'spike' AND ((l.value)::numeric <= 0 OR (l.value)::numeric >= 1) THEN
            PERFORM supervision.field_error('levels.' || l.key, 'a spike cut-off is a probability between 0 and 1', l.value::text);
        END IF;
        IF v_prev IS NOT NULL AND (CASE WHEN NEW.method = 'spike' THEN (l.value)::float8 >= v_prev
                                        ELSE (l.value)::float8 <= v_prev END) THEN
            PERFORM supervision.field_error('levels.' || l.key,
                format('a more severe level needs a %s cut-off than %s (%s)',
                       CASE WHEN NEW.method = 'spike' THEN 'smaller' ELSE 'larger' END, v_prevl, v_prev), l.value::text);
        END IF;
        v_prev := (l.value)::float8;
        v_prevl := l.key;
    END LOOP;
    -- who is responsible
    IF NEW.department_code IS NULL AND NOT v_src.has_department THEN
        PERFORM supervision.field_error('department_code',
            format('events of source %s name no department: the rule must name the responsible department', NEW.source), NULL);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervision.warning_deadline d WHERE d.scheme = NEW.deadline_scheme) THEN
        PERFORM supervision.field_error('deadline_scheme', 'no such scheme in supervision.warning_deadline', NEW.deadline_scheme, '23503');
    END IF;
    IF NEW.division_scope IS NOT NULL THEN
        NEW.division_scope := supervision.division_resolve(NEW.division_scope);
    END IF;
    -- versions: a change of what the rule computes or where its warnings go is a new version
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
    ELSE
        IF NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'the id of a rule never changes' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        NEW.version := OLD.version;
        IF (NEW.source, NEW.event_filter, NEW.target, NEW.division_scope, NEW.industry_scope, NEW.period, NEW.method,
            NEW.params, NEW.levels, NEW.department_code, NEW.deadline_scheme)
           IS DISTINCT FROM
           (OLD.source, OLD.event_filter, OLD.target, OLD.division_scope, OLD.industry_scope, OLD.period, OLD.method,
            OLD.params, OLD.levels, OLD.department_code, OLD.deadline_scheme) THEN
            NEW.version := OLD.version + 1;
        END IF;
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := supervision.actor_person();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.warning_rule_check() IS
    'Trigger: validates a rule (params of its method, level cut-offs ordered by severity, a department when the source names none, the deadline scheme) and counts its versions';

CREATE FUNCTION supervision.warning_rule_keep_version() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.version <> OLD.version THEN
        INSERT INTO supervision.warning_rule_version (rule_id, version, definition, created_by)
        VALUES (NEW.id, NEW.version, to_jsonb(NEW), NEW.updated_by);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION supervision.warning_rule_keep_version() IS 'Trigger: keeps each new version of a rule in warning_rule_version';

CREATE TRIGGER warning_rule_check BEFORE INSERT OR UPDATE ON supervision.warning_rule
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_rule_check();
CREATE TRIGGER warning_rule_keep_version AFTER INSERT OR UPDATE ON supervision.warning_rule
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_rule_keep_version();

---------------------------------------------------------------------------
-- Warnings, their evidence and their history
---------------------------------------------------------------------------

CREATE TABLE supervision.warning (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    origin          text NOT NULL CHECK (origin IN ('local', 'national')),
    rule_id         bigint REFERENCES supervision.warning_rule,
    national_id     text UNIQUE,
    title           text NOT NULL CHECK (btrim(title) <> ''),
    level           text NOT NULL REFERENCES supervision.warning_level,
    target_kind     text NOT NULL CHECK (target_kind IN ('subject', 'industry', 'division', 'other')),
    target_key      text,
    target_name     text,
    subject_id      bigint REFERENCES supervision.subject,
    industry_code   text,
    division_code   text REFERENCES supervision.division,
    department_code text NOT NULL REFERENCES supervision.department,
    status          text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'verified', 'handled', 'closed')),
    evidence        jsonb NOT NULL,
    period_start    date,
    observed        bigint,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    received_on     date NOT NULL,
    verify_due      date,
    handle_due      date,
    close_due       date,
    reopen_count    integer NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((origin = 'local') = (rule_id IS NOT NULL)),
    CHECK ((origin = 'national') = (national_id IS NOT NULL)),
    CHECK (origin = 'national' OR (period_start IS NOT NULL AND observed IS NOT NULL AND target_key IS NOT NULL))
);
CREATE INDEX ON supervision.warning (department_code, status);
CREATE INDEX ON supervision.warning (rule_id);
CREATE INDEX ON supervision.warning (subject_id);
COMMENT ON TABLE supervision.warning IS
    'Warnings: one per rule and target (key rule:<id>/<kind>:<target>) or per national id (key national:<id>), with the latest evidence, level, responsible department, workflow status and due dates; never deleted';
COMMENT ON COLUMN supervision.warning.received_on IS
    'The day the deadlines count from: the as_of day of the scan that raised (or re-opened) it, the issue day of a national warning';
COMMENT ON COLUMN supervision.warning.evidence IS 'The latest evidence (see supervision.warning_evidence for all of it)';

CREATE TABLE supervision.warning_evidence (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    warning_id    bigint NOT NULL REFERENCES supervision.warning,
    evidence_key  text NOT NULL UNIQUE,
    rule_id       bigint REFERENCES supervision.warning_rule,
    rule_version  integer,
    period_start  date,
    period_end    date,
    observed      bigint,
    level         text NOT NULL REFERENCES supervision.warning_level,
    evidence      jsonb NOT NULL,
    as_of         timestamptz,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (rule_id, rule_version) REFERENCES supervision.warning_rule_version (rule_id, version)
);
CREATE INDEX ON supervision.warning_evidence (warning_id);
COMMENT ON TABLE supervision.warning_evidence IS
    'Each piece of evidence a warning was raised, updated or re-opened on, once: evidence_key = rule + target + period + count (local) or national id + SHA-256 of the payload; with the rule version and parameters it came from';

CREATE TABLE supervision.warning_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    warning_id      bigint NOT NULL REFERENCES supervision.warning,
    at              timestamptz NOT NULL DEFAULT now(),
    action          text NOT NULL CHECK (action IN ('raised', 'received', 'evidence', 'escalated', 'reopened',
                                                    'verified', 'handled', 'closed', 'assigned')),
    from_status     text,
    to_status       text NOT NULL,
    level           text NOT NULL REFERENCES supervision.warning_level,
    evidence_id     bigint REFERENCES supervision.warning_evidence,
    actor           text NOT NULL,
    department_code text,
    note            text
);
CREATE INDEX ON supervision.warning_history (warning_id, id);
COMMENT ON TABLE supervision.warning_history IS
    'Everything that happened to a warning, in order: raised (scan) or received (national), new evidence, escalation, re-opening, each workflow step, reassignment; with the acting person, their department and the time; append-only';

-- The workflow: received -> verified -> handled -> closed, or verified ->
-- closed when verification finds nothing to handle. closed -> received only
-- by re-opening on new evidence (reopen_count grows).
CREATE FUNCTION supervision.warning_step_allowed(p_from text, p_to text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (p_from, p_to) IN (('received', 'verified'), ('verified', 'handled'), ('verified', 'closed'), ('handled', 'closed'));
COMMENT ON FUNCTION supervision.warning_step_allowed(text, text) IS
    'The workflow steps a person may take: received -> verified, verified -> handled, verified -> closed (nothing to handle), handled -> closed';

CREATE FUNCTION supervision.warning_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'warning % cannot be deleted', OLD.id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Warnings are records of supervision: close it instead.';
    END IF;
    IF (NEW.id, NEW.key, NEW.origin, NEW.rule_id, NEW.national_id, NEW.raised_at)
       IS DISTINCT FROM (OLD.id, OLD.key, OLD.origin, OLD.rule_id, OLD.national_id, OLD.raised_at) THEN
        RAISE EXCEPTION 'warning % cannot change its identity (key, origin, rule, national id, time raised)', OLD.id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.status <> OLD.status
       AND NOT supervision.warning_step_allowed(OLD.status, NEW.status)
       AND NOT (OLD.status = 'closed' AND NEW.status = 'received' AND NEW.reopen_count = OLD.reopen_count + 1) THEN
        RAISE EXCEPTION 'warning % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The steps are received -> verified -> handled -> closed, or verified -> closed.',
                  HINT = 'A closed warning re-opens only on new evidence.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.warning_guard() IS
    'Trigger: warnings are never deleted, keep their identity, and change status only by an allowed step or a re-opening';
CREATE TRIGGER warning_guard BEFORE UPDATE OR DELETE ON supervision.warning
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_guard();

CREATE FUNCTION supervision.warning_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'supervision.% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('%s is refused.', TG_OP);
END
$$;
COMMENT ON FUNCTION supervision.warning_append_only() IS 'Trigger: the evidence and history of warnings are never changed';
CREATE TRIGGER warning_evidence_append_only BEFORE UPDATE OR DELETE ON supervision.warning_evidence
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_append_only();
CREATE TRIGGER warning_history_append_only BEFORE UPDATE OR DELETE ON supervision.warning_history
    FOR EACH ROW EXECUTE FUNCTION supervision.warning_append_only();

-- Records a piece of evidence for a warning: raises the warning the first
-- time, adds newer evidence to an open one (escalating its level if the
-- evidence is more severe), re-opens a closed one. Evidence already recorded,
-- or not newer than the latest (an earlier period, or the same period with
-- no larger count), changes nothing.
CREATE FUNCTION supervision.warning_put(p_w supervision.warning, p_e supervision.warning_evidence, p_scheme text,
                                        OUT out_id bigint, OUT out_action text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    w        supervision.warning;
    v_eid    bigint;
    v_due    record;
    v_newer  boolean;
    v_sev    smallint;
    v_oldsev smallint;
BEGIN
    SELECT e.warning_id INTO out_id FROM supervision.warning_evidence e WHERE e.evidence_key = p_e.evidence_key;
    IF FOUND THEN
        out_action := 'unchanged';
        RETURN;
    END IF;
    LOOP
        SELECT * INTO w FROM supervision.warning x WHERE x.key = p_w.key FOR UPDATE;
        EXIT WHEN FOUND;
        v_due := supervision.warning_deadlines(p_scheme, p_w.level, p_w.received_on);
        INSERT INTO supervision.warning (key, origin, rule_id, national_id, title, level, target_kind, target_key, target_name,
                                         subject_id, industry_code, division_code, department_code, status, evidence,
                                         period_start, observed, received_on, verify_due, handle_due, close_due)
        VALUES (p_w.key, p_w.origin, p_w.rule_id, p_w.national_id, p_w.title, p_w.level, p_w.target_kind, p_w.target_key,
                p_w.target_name, p_w.subject_id, p_w.industry_code, p_w.division_code, p_w.department_code, 'received',
                p_w.evidence, p_w.period_start, p_w.observed, p_w.received_on, v_due.verify_due, v_due.handle_due, v_due.close_due)
        ON CONFLICT (key) DO NOTHING
        RETURNING id INTO out_id;
        IF out_id IS NOT NULL THEN          -- raised; else someone raised it meanwhile: take that one
            INSERT INTO supervision.warning_evidence (warning_id, evidence_key, rule_id, rule_version, period_start, period_end,
                                                      observed, level, evidence, as_of)
            VALUES (out_id, p_e.evidence_key, p_e.rule_id, p_e.rule_version, p_e.period_start, p_e.period_end,
                    p_e.observed, p_e.level, p_e.evidence, p_e.as_of)
            RETURNING id INTO v_eid;
            INSERT INTO supervision.warning_history (warning_id, action, from_status, to_status, level, evidence_id,
                                                     actor, department_code, note)
            VALUES (out_id, CASE WHEN p_w.origin = 'national' THEN 'received' ELSE 'raised' END, NULL, 'received',
                    p_w.level, v_eid, supervision.actor_person(), supervision.actor_department(),
                    CASE WHEN p_w.origin = 'national' THEN 'from the national system'
                         ELSE format('warning_scan as of %s Beijing time',
                                     to_char(p_e.as_of AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')) END);
            out_action := CASE WHEN p_w.origin = 'national' THEN 'received' ELSE 'raised' END;
            RETURN;
        END IF;
    END LOOP;

    out_id := w.id;
    v_newer := CASE WHEN w.origin = 'national' THEN true
                    ELSE (p_e.period_start, p_e.observed) > (w.period_start, w.observed) END;
    IF NOT v_newer THEN
        out_action := 'unchanged';
        RETURN;
    END IF;
    INSERT INTO supervision.warning_evidence (warning_id, evidence_key, rule_id, rule_version, period_start, period_end,
                                              observed, level, evidence, as_of)
    VALUES (w.id, p_e.evidence_key, p_e.rule_id, p_e.rule_version, p_e.period_start, p_e.period_end,
            p_e.observed, p_e.level, p_e.evidence, p_e.as_of)
    ON CONFLICT (evidence_key) DO NOTHING
    RETURNING id INTO v_eid;
    IF v_eid IS NULL THEN                   -- recorded meanwhile by a concurrent scan
        out_action := 'unchanged';
        RETURN;
    END IF;
    SELECT severity INTO v_sev FROM supervision.warning_level WHERE level = p_w.level;
    SELECT severity INTO v_oldsev FROM supervision.warning_level WHERE level = w.level;

    IF w.status = 'closed' THEN
        -- a new episode: the level of the new evidence, deadlines from the new receipt
        v_due := supervision.warning_deadlines(p_scheme, p_w.level, p_w.received_on);
        UPDATE supervision.warning x
           SET status = 'received', reopen_count = x.reopen_count + 1, level = p_w.level, title = p_w.title,
               evidence = p_w.evidence, period_start = p_w.period_start, observed = p_w.observed,
               received_on = p_w.received_on, verify_due = v_due.verify_due, handle_due = v_due.handle_due,
               close_due = v_due.close_due
         WHERE x.id = w.id;
        INSERT INTO supervision.warning_history (warning_id, action, from_status, to_status, level, evidence_id,
                                                 actor, department_code, note)
        VALUES (w.id, 'reopened', 'closed', 'received', p_w.level, v_eid, supervision.actor_person(),
                supervision.actor_department(),
                CASE WHEN w.origin = 'national' THEN 'new evidence from the national system'
                     WHEN p_w.period_start > w.period_start THEN format('new evidence: %s events in the period from %s', p_w.observed, p_w.period_start)
                     ELSE format('new evidence: %s events in the period from %s (was %s)', p_w.observed, p_w.period_start, w.observed) END);
        out_action := 'reopened';
        RETURN;
    END IF;

    -- open: the evidence is updated; the level only rises (national warnings take the level sent)
    IF w.origin = 'national' OR v_sev > v_oldsev THEN
        v_due := supervision.warning_deadlines(p_scheme, p_w.level, p_w.received_on);
        UPDATE supervision.warning x
           SET level = p_w.level, title = p_w.title, evidence = p_w.evidence, period_start = p_w.period_start,
               observed = p_w.observed,
               verify_due = CASE WHEN v_sev > v_oldsev THEN least(x.verify_due, v_due.verify_due) ELSE x.verify_due END,
               handle_due = CASE WHEN v_sev > v_oldsev THEN least(x.handle_due, v_due.handle_due) ELSE x.handle_due END,
               close_due = CASE WHEN v_sev > v_oldsev THEN least(x.close_due, v_due.close_due) ELSE x.close_due END
         WHERE x.id = w.id;
    ELSE
        UPDATE supervision.warning x
           SET evidence = p_w.evidence, period_start = p_w.period_start, observed = p_w.observed
         WHERE x.id = w.id;
    END IF;
    out_action := CASE WHEN v_sev > v_oldsev THEN 'escalated' ELSE 'evidence' END;
    INSERT INTO supervision.warning_history (warning_id, action, from_status, to_status, level, evidence_id,
                                             actor, department_code, note)
    VALUES (w.id, out_action, w.status, w.status, CASE WHEN w.origin = 'national' OR v_sev > v_oldsev THEN p_w.level ELSE w.level END,
            v_eid, supervision.actor_person(), supervision.actor_department(),
            concat_ws('; ', CASE WHEN w.origin = 'national' THEN 'new evidence from the national system'
                                 ELSE format('new evidence: %s events in the period from %s', p_w.observed, p_w.period_start) END,
                      CASE WHEN v_sev > v_oldsev THEN format('level %s -> %s', w.level, p_w.level) END));
END
$$;
COMMENT ON FUNCTION supervision.warning_put(supervision.warning, supervision.warning_evidence, text) IS
    'Internal: records evidence for a warning once (raise, add to an open warning and escalate, or re-open a closed one on newer evidence) and writes the history';

---------------------------------------------------------------------------
-- Scanning: evaluate the rules
---------------------------------------------------------------------------

CREATE FUNCTION supervision.warning_scan(p_rule_id bigint DEFAULT NULL, p_as_of timestamptz DEFAULT now())
RETURNS TABLE (rule_code text, target_kind text, target_key text, period_start date, observed bigint,
               level text, action text, warning_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    r         supervision.warning_rule;
    v_rel     text;
    v_expr    text;
    v_kind    text;
    v_local   timestamp;
    v_step    interval;
    v_p0      timestamp;
    v_first   timestamp;
    v_hist    integer;
    v_divp    text;
    t         record;
    v_n       integer;
    v_obs     float8;
    v_score   float8;
    v_level   text;
    v_minc    float8;
    v_sp      record;
    v_ev      jsonb;
    v_cut     jsonb;
    w         supervision.warning;
    e         supervision.warning_evidence;
    v_put     record;
    v_dept    text;
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        PERFORM supervision.field_error('as_of', 'give the time to evaluate the rules at', p_as_of::text);
    END IF;
    IF p_rule_id IS NOT NULL THEN
        SELECT * INTO r FROM supervision.warning_rule x WHERE x.id = p_rule_id;
        IF NOT FOUND THEN
            PERFORM supervision.field_error('rule_id', 'no such rule', p_rule_id::text, 'P0002');
        END IF;
        IF NOT r.active THEN
            RAISE EXCEPTION 'rule % is not active', r.code
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Set active = true on the rule to evaluate it.';
        END IF;
    END IF;
    v_local := p_as_of AT TIME ZONE 'Asia/Shanghai';

    FOR r IN SELECT * FROM supervision.warning_rule x
              WHERE x.active AND (p_rule_id IS NULL OR x.id = p_rule_id) ORDER BY x.id LOOP
        SELECT s.relation INTO v_rel FROM supervision.warning_source s WHERE s.code = r.source;
        IF supervision.warning_source_problems(v_rel) IS NOT NULL THEN
            RAISE EXCEPTION 'rule %: event source % is unusable', r.code, r.source
                USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = supervision.warning_source_problems(v_rel);
        END IF;
        v_kind := CASE r.target WHEN 'subject' THEN 'subject' WHEN 'industry_section' THEN 'industry'
                                WHEN 'industry_division' THEN 'industry' ELSE 'division' END;
        v_expr := CASE r.target
            WHEN 'subject' THEN 'ev.subject_id::text'
            WHEN 'industry_section' THEN 'left(ev.industry_code, 1)'
            WHEN 'industry_division' THEN 'CASE WHEN length(ev.industry_code) >= 3 THEN left(ev.industry_code, 3) END'
            WHEN 'county' THEN $x$CASE WHEN ev.division_code ~ '^[0-9]{6}' AND substr(ev.division_code, 5, 2) <> '00'
                                       THEN left(ev.division_code, 6) END$x$
            WHEN 'city' THEN $x$CASE WHEN ev.division_code ~ '^[0-9]{6}' AND substr(ev.division_code, 3, 2) <> '00'
                                     THEN left(ev.division_code, 4) || '00' END$x$ END;
        v_step := CASE r.period WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                                WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                                ELSE interval '1 year' END;
        v_hist := CASE r.method WHEN 'threshold' THEN 0 WHEN 'rate' THEN 1 ELSE (r.params ->> 'history')::integer END;
        v_p0 := date_trunc(r.period, v_local);
        v_first := v_p0 - v_hist * v_step;
        -- a 6-digit scope matches by its significant digits (320100 -> 3201), a 9-digit one whole
        v_divp := CASE WHEN length(r.division_scope) = 6 THEN regexp_replace(r.division_scope, '(00)+$', '')
                       ELSE r.division_scope END;

        FOR t IN EXECUTE format($q$
            WITH p AS (
                SELECT row_number() OVER (ORDER BY s) AS i, s::date AS start
                  FROM generate_series($1::timestamp, $2::timestamp, $3::interval) s
            ), e AS (
                SELECT %s AS target_key,
                       date_trunc($4, ev.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS start,
                       ev.event_id, ev.department_code
                  FROM %s ev
                 WHERE ev.occurred_at >= ($1::timestamp AT TIME ZONE 'Asia/Shanghai') AND ev.occurred_at <= $5
                   AND ev.attrs @> $6
                   AND ($7::text IS NULL OR starts_with(ev.division_code, $7))
                   AND ($8::text IS NULL OR starts_with(ev.industry_code, $8))
            ), e2 AS (
                SELECT * FROM e WHERE e.target_key IS NOT NULL
            ), cur AS (
                SELECT DISTINCT e2.target_key FROM e2 WHERE e2.start = $2::date
            ), c AS (
                SELECT e2.target_key, e2.start, count(*) AS n FROM e2
                 WHERE e2.target_key IN (SELECT cur.target_key FROM cur) GROUP BY 1, 2
            )
            SELECT cur.target_key,
                   array_agg(coalesce(c.n, 0)::float8 ORDER BY p.i) AS counts,
                   array_agg(p.start ORDER BY p.i) AS starts,
                   (SELECT e2.department_code FROM e2
                     WHERE e2.target_key = cur.target_key AND e2.start = $2::date AND e2.department_code IS NOT NULL
                     GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS department_code,
                   (SELECT jsonb_agg(x.event_id ORDER BY x.event_id COLLATE "C")
                      FROM (SELECT e2.event_id FROM e2 WHERE e2.target_key = cur.target_key AND e2.start = $2::date
                             ORDER BY e2.event_id COLLATE "C" LIMIT 100) x) AS events
              FROM cur CROSS JOIN p
              LEFT JOIN c ON c.target_key = cur.target_key AND c.start = p.start
             GROUP BY cur.target_key
             ORDER BY cur.target_key COLLATE "C"$q$, v_expr, v_rel)
            USING v_first, v_p0, v_step, r.period, p_as_of, r.event_filter, v_divp, r.industry_scope
        LOOP
            v_n := array_length(t.counts, 1);
            v_obs := t.counts[v_n];
            v_minc := coalesce((r.params ->> 'min_count')::float8, 1);
            v_ev := jsonb_build_object('method', r.method, 'observed', v_obs);
            IF r.method = 'threshold' THEN
                v_score := v_obs;
            ELSIF r.method = 'rate' THEN
                v_score := v_obs / greatest(t.counts[1], 1);
                v_ev := v_ev || jsonb_build_object('previous', t.counts[1], 'ratio', v_score);
            ELSE
                SELECT * INTO v_sp FROM supervision.spike(t.counts, (r.params ->> 'alpha')::float8,
                                                          coalesce((r.params ->> 'min_baseline')::float8, 0));
                v_score := v_sp.p_value;
                v_ev := v_ev || jsonb_build_object('baseline', v_sp.baseline, 'p_value', v_sp.p_value,
                                                   'alpha', (r.params -> 'alpha'),
                                                   'min_baseline', coalesce(r.params -> 'min_baseline', '0'::jsonb));
            END IF;
            v_level := supervision.warning_level_of(r.method, r.levels, v_score);
            CONTINUE WHEN v_level IS NULL OR v_obs < v_minc;

            rule_code := r.code; target_kind := v_kind; target_key := t.target_key;
            period_start := t.starts[v_n]; observed := v_obs::bigint; level := v_level;
            v_dept := coalesce(r.department_code, t.department_code);
            IF v_dept IS NULL THEN
                action := 'no_department'; warning_id := NULL;
                RETURN NEXT;
                CONTINUE;
            END IF;
            -- the least severe cut-off is the rule's threshold; the level's own is the one met
            SELECT c.value INTO v_cut FROM jsonb_each(r.levels) c JOIN supervision.warning_level l ON l.level = c.key
             ORDER BY l.severity LIMIT 1;
            v_ev := v_ev || jsonb_build_object(
                'rule', jsonb_build_object('id', r.id, 'code', r.code, 'version', r.version),
                'source', r.source, 'event_filter', r.event_filter,
                'target', jsonb_build_object('kind', v_kind, 'key', t.target_key, 'per', r.target),
                'period', jsonb_build_object('unit', r.period, 'start', t.starts[v_n],
                                             'end', (v_p0 + v_step)::date, 'as_of', p_as_of),
                'periods', to_jsonb(t.starts), 'counts', to_jsonb(t.counts),
                'threshold', v_cut, 'level', v_level, 'level_cutoff', r.levels -> v_level,
                'params', r.params, 'levels', r.levels,
                'events', t.events, 'events_listed_max', 100);

            w := NULL;
            w.key := format('rule:%s/%s:%s', r.id, v_kind, t.target_key);
            w.origin := 'local';
            w.rule_id := r.id;
            w.level := v_level;
            w.target_kind := v_kind;
            w.target_key := t.target_key;
            IF r.target = 'subject' THEN
                SELECT s.id, s.name, s.industry_code, s.division_code
                  INTO w.subject_id, w.target_name, w.industry_code, w.division_code
                  FROM supervision.subject s WHERE s.id = t.target_key::bigint;
            ELSIF v_kind = 'industry' THEN
                w.industry_code := t.target_key;
                w.target_name := t.target_key;
            ELSE
                SELECT d.code, d.name INTO w.division_code, w.target_name FROM supervision.division d WHERE d.code = t.target_key;
            END IF;
            w.title := format('%s：%s', r.name, coalesce(w.target_name, t.target_key));
            w.department_code := v_dept;
            w.evidence := v_ev;
            w.period_start := t.starts[v_n];
            w.observed := v_obs::bigint;
            w.received_on := v_local::date;
            e := NULL;
            e.evidence_key := format('%s/period:%s/count:%s', w.key, t.starts[v_n], v_obs::bigint);
            e.rule_id := r.id;
            e.rule_version := r.version;
            e.period_start := t.starts[v_n];
            e.period_end := (v_p0 + v_step)::date;
            e.observed := v_obs::bigint;
            e.level := v_level;
            e.evidence := v_ev;
            e.as_of := p_as_of;
            v_put := supervision.warning_put(w, e, r.deadline_scheme);
            action := v_put.out_action;
            warning_id := v_put.out_id;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.warning_scan(bigint, timestamptz) IS
    'Evaluates the active rules (or one) as of a time: counts events per target in the period containing as_of (up to as_of) and the earlier periods the method needs, raises or updates warnings; returns what it did per target that met a rule (raised, evidence, escalated, reopened, unchanged, no_department)';

---------------------------------------------------------------------------
-- Warnings from the national system
---------------------------------------------------------------------------

CREATE FUNCTION supervision.warning_receive(p_warning jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id      text := p_warning ->> 'national_id';
    v_issued  timestamptz;
    v_dept    text;
    v_target  jsonb := coalesce(p_warning -> 'target', '{}');
    w         supervision.warning;
    e         supervision.warning_evidence;
    v_put     record;
    v_uscc    text;
    k         text;
BEGIN
    IF jsonb_typeof(p_warning) IS DISTINCT FROM 'object' THEN
        PERFORM supervision.field_error('warning', 'must be a JSON object', p_warning::text);
    END IF;
    FOR k IN SELECT jsonb_object_keys(p_warning) LOOP
        IF k NOT IN ('national_id', 'title', 'level', 'issued_at', 'department', 'target', 'content', 'evidence') THEN
            PERFORM supervision.field_error(k, 'unknown field; expected national_id, title, level, issued_at, department, target, content, evidence',
                                            p_warning ->> k);
        END IF;
    END LOOP;
    IF v_id IS NULL OR v_id !~ '^[0-9A-Za-z_.-]{1,64}$' THEN
        PERFORM supervision.field_error('national_id', 'required: 1 to 64 letters, digits, _ . -', v_id);
    END IF;
    IF coalesce(btrim(p_warning ->> 'title'), '') = '' THEN
        PERFORM supervision.field_error('title', 'required', p_warning ->> 'title');
    END IF;
    IF (p_warning ->> 'level') IS NULL OR NOT EXISTS (SELECT 1 FROM supervision.warning_level l WHERE l.level = p_warning ->> 'level') THEN
        PERFORM supervision.field_error('level', 'expected red, orange, yellow or blue', p_warning ->> 'level');
    END IF;
    BEGIN
        v_issued := (p_warning ->> 'issued_at')::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        v_issued := NULL;
    END;
    IF v_issued IS NULL OR NOT isfinite(v_issued) THEN
        PERFORM supervision.field_error('issued_at', 'required: a time with its zone, e.g. 2024-05-06T10:00:00+08:00', p_warning ->> 'issued_at');
    END IF;
    SELECT d.code INTO v_dept FROM supervision.department d
     WHERE d.code = p_warning ->> 'department' OR d.national_code = p_warning ->> 'department'
     ORDER BY d.code = p_warning ->> 'department' DESC LIMIT 1;
    IF v_dept IS NULL THEN
        PERFORM supervision.field_error('department', 'no department has this provincial or national code', p_warning ->> 'department', '23503');
    END IF;

    w.key := 'national:' || v_id;
    w.origin := 'national';
    w.national_id := v_id;
    w.title := btrim(p_warning ->> 'title');
    w.level := p_warning ->> 'level';
    w.department_code := v_dept;
    w.evidence := jsonb_build_object('national', p_warning);
    w.received_on := (v_issued AT TIME ZONE 'Asia/Shanghai')::date;
    CASE coalesce(v_target ->> 'kind', 'other')
    WHEN 'subject' THEN
        v_uscc := v_target ->> 'uscc';
        IF v_uscc IS NOT NULL AND NOT supervision.uscc_valid(v_uscc) THEN
            PERFORM supervision.field_error('target.uscc', 'not a valid unified social credit code', v_uscc);
        END IF;
        w.target_kind := 'subject';
        SELECT s.id, s.industry_code, s.division_code INTO w.subject_id, w.industry_code, w.division_code
          FROM supervision.subject s WHERE s.uscc = v_uscc AND s.merged_into IS NULL ORDER BY s.id LIMIT 1;
        w.target_key := coalesce(w.subject_id::text, v_uscc);
        w.target_name := v_target ->> 'name';
    WHEN 'industry' THEN
        IF (v_target ->> 'code') IS NULL OR (v_target ->> 'code') !~ '^[A-T]([0-9]{2}([0-9]{1,2})?)?$' THEN
            PERFORM supervision.field_error('target.code', 'a GB/T 4754 industry code: a letter A-T and 0, 2, 3 or 4 digits', v_target ->> 'code');
        END IF;
        w.target_kind := 'industry';
        w.target_key := v_target ->> 'code';
        w.industry_code := w.target_key;
        w.target_name := coalesce(v_target ->> 'name', w.target_key);
    WHEN 'division' THEN
        w.target_kind := 'division';
        w.division_code := supervision.division_resolve(v_target ->> 'code');
        w.target_key := w.division_code;
        w.target_name := (SELECT d.name FROM supervision.division d WHERE d.code = w.division_code);
    WHEN 'other' THEN
        w.target_kind := 'other';
        w.target_name := v_target ->> 'name';
    ELSE
        PERFORM supervision.field_error('target.kind', 'expected subject, industry, division or other', v_target ->> 'kind');
    END CASE;

    e.evidence_key := format('national:%s/sha256:%s', v_id, encode(sha256(convert_to(p_warning::text, 'UTF8')), 'hex'));
    e.level := w.level;
    e.evidence := w.evidence;
    e.as_of := v_issued;
    v_put := supervision.warning_put(w, e,
        CASE WHEN EXISTS (SELECT 1 FROM supervision.warning_deadline d WHERE d.scheme = 'national') THEN 'national' ELSE 'default' END);
    RETURN jsonb_build_object('warning_id', v_put.out_id, 'action', v_put.out_action,
                              'status', (SELECT x.status FROM supervision.warning x WHERE x.id = v_put.out_id));
END
$$;
COMMENT ON FUNCTION supervision.warning_receive(jsonb) IS
    'Receives a warning from the national system: {"national_id", "title", "level", "issued_at", "department" (provincial or national code), "target": {"kind": subject|industry|division|other, ...}, "content", "evidence"}; idempotent on the national id (the same payload again changes nothing; a changed payload is new evidence and re-opens a closed warning); deadlines count from the issue day';

---------------------------------------------------------------------------
-- The workflow
---------------------------------------------------------------------------

CREATE FUNCTION supervision.warning_transition(p_warning bigint, p_to text, p_note text DEFAULT NULL)
RETURNS supervision.warning
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    w        supervision.warning;
    v_dept   text := supervision.actor_department();
    v_next   text;
    v_from   text;
BEGIN
    IF p_to IS NULL OR p_to NOT IN ('verified', 'handled', 'closed') THEN
        PERFORM supervision.field_error('status', 'expected verified, handled or closed', p_to);
    END IF;
    SELECT * INTO w FROM supervision.warning x WHERE x.id = p_warning FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no warning %', p_warning USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT supervision.actor_is_admin()
       AND NOT (pg_has_role(supervision.actor_role(), 'supervision_officer', 'MEMBER') AND v_dept = w.department_code) THEN
        RAISE EXCEPTION 'role "%" may not act on warning %', supervision.actor_role(), p_warning
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Officers act on the warnings of their own department; the acting department is %s.',
                                  coalesce(v_dept, 'unknown')),
                  HINT = 'An administrator can assign the warning to another department (supervision.warning_assign).';
    END IF;
    IF NOT supervision.warning_step_allowed(w.status, p_to) THEN
        v_next := CASE w.status WHEN 'received' THEN 'verified' WHEN 'verified' THEN 'handled or closed'
                                WHEN 'handled' THEN 'closed' ELSE 'nothing: it re-opens only on new evidence' END;
        RAISE EXCEPTION 'warning % cannot go from % to %', p_warning, w.status, p_to
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Warning %s is %s; it can go to %s.', p_warning, w.status, v_next),
                  HINT = 'The steps are received -> verified -> handled -> closed, or verified -> closed when verification finds nothing to handle.';
    END IF;
    IF (p_to = 'handled' OR (w.status = 'verified' AND p_to = 'closed')) AND coalesce(btrim(p_note), '') = '' THEN
        PERFORM supervision.field_error('note', CASE WHEN p_to = 'handled' THEN 'say what was done'
                                                     ELSE 'say why there is nothing to handle' END, p_note);
    END IF;
    v_from := w.status;
    UPDATE supervision.warning x SET status = p_to WHERE x.id = p_warning RETURNING * INTO w;
    INSERT INTO supervision.warning_history (warning_id, action, from_status, to_status, level, actor, department_code, note)
    VALUES (p_warning, p_to, v_from, p_to, w.level, supervision.actor_person(), v_dept, nullif(btrim(p_note), ''));
    RETURN w;
END
$$;
COMMENT ON FUNCTION supervision.warning_transition(bigint, text, text) IS
    'Moves a warning one step: received -> verified -> handled (note required) -> closed, or verified -> closed (note required); officers of the responsible department and administrators only; each step in warning_history';

CREATE FUNCTION supervision.warning_assign(p_warning bigint, p_department text, p_note text)
RETURNS supervision.warning
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE w supervision.warning;
BEGIN
    IF NOT supervision.actor_is_admin() THEN
        RAISE EXCEPTION 'only administrators assign warnings to departments' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervision.department d WHERE d.code = p_department) THEN
        PERFORM supervision.field_error('department', 'no such department', p_department, '23503');
    END IF;
    IF coalesce(btrim(p_note), '') = '' THEN
        PERFORM supervision.field_error('note', 'say why the warning changes department', p_note);
    END IF;
    SELECT * INTO w FROM supervision.warning x WHERE x.id = p_warning FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no warning %', p_warning USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE supervision.warning x SET department_code = p_department WHERE x.id = p_warning RETURNING * INTO w;
    INSERT INTO supervision.warning_history (warning_id, action, from_status, to_status, level, actor, department_code, note)
    VALUES (p_warning, 'assigned', w.status, w.status, w.level, supervision.actor_person(), supervision.actor_department(),
            format('to %s: %s', p_department, btrim(p_note)));
    RETURN w;
END
$$;
COMMENT ON FUNCTION supervision.warning_assign(bigint, text, text) IS
    'Administrators: gives a warning to another responsible department, with the reason in its history';

-- Open warnings past their next due date.
CREATE FUNCTION supervision.warning_overdue(p_as_of date DEFAULT current_date)
RETURNS TABLE (warning_id bigint, department_code text, level text, status text, step text, due date, days_late integer)
LANGUAGE sql STABLE AS $$
    SELECT x.id, x.department_code, x.level, x.status, x.step, x.due, p_as_of - x.due
      FROM (SELECT w.id, w.department_code, w.level, w.status,
                   CASE w.status WHEN 'received' THEN 'verify' WHEN 'verified' THEN 'handle' ELSE 'close' END AS step,
                   CASE w.status WHEN 'received' THEN w.verify_due WHEN 'verified' THEN w.handle_due ELSE w.close_due END AS due
              FROM supervision.warning w WHERE w.status <> 'closed') x
     WHERE x.due < p_as_of
     ORDER BY x.due, x.id
$$;
COMMENT ON FUNCTION supervision.warning_overdue(date) IS
    'Open warnings whose next step (verify, handle, close) is past its due date as of a day; row-level security shows officers their department''s';

---------------------------------------------------------------------------
-- Row-level security, grants, audit, dumps
---------------------------------------------------------------------------

DO $$
DECLARE t text;
BEGIN
    -- reference data and rules: everybody who works with warnings reads; administrators write
    FOREACH t IN ARRAY ARRAY['warning_level', 'warning_deadline', 'warning_source', 'warning_rule', 'warning_rule_version'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY all_read ON supervision.%I FOR SELECT USING (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_admin, supervision_officer, supervision_auditor', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
    -- warnings, evidence, history: written by the functions above only
    FOREACH t IN ARRAY ARRAY['warning', 'warning_evidence', 'warning_history'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY admin_auditor_read ON supervision.%I FOR SELECT TO supervision_admin, supervision_auditor USING (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_admin, supervision_officer, supervision_auditor', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
        PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
    END LOOP;
END
$$;
-- administrators define rules, sources and deadline schemes; the shipped rows stay as shipped
CREATE POLICY admin_write ON supervision.warning_rule FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_write ON supervision.warning_source FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);
CREATE POLICY admin_write ON supervision.warning_deadline FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);
GRANT INSERT, UPDATE, DELETE ON supervision.warning_rule, supervision.warning_source, supervision.warning_deadline TO supervision_admin;
-- officers: the warnings of their department, with their evidence and history
CREATE POLICY officer_department ON supervision.warning FOR SELECT TO supervision_officer
    USING (department_code = (SELECT supervision.actor_department()));
CREATE POLICY officer_department ON supervision.warning_evidence FOR SELECT TO supervision_officer
    USING (EXISTS (SELECT 1 FROM supervision.warning w WHERE w.id = warning_id));
CREATE POLICY officer_department ON supervision.warning_history FOR SELECT TO supervision_officer
    USING (EXISTS (SELECT 1 FROM supervision.warning w WHERE w.id = warning_id));
-- the event views: read through the rules' evaluation; shown to those who may read the libraries
REVOKE ALL ON supervision.warning_event_penalty, supervision.warning_event_internet FROM PUBLIC;
GRANT SELECT ON supervision.warning_event_penalty, supervision.warning_event_internet
    TO supervision_admin, supervision_officer, supervision_auditor;

SELECT pg_catalog.pg_extension_config_dump('supervision.warning_rule', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.warning_rule_version', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.warning_source', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.warning_deadline', 'WHERE NOT builtin');

REVOKE ALL ON FUNCTION supervision.warning_put(supervision.warning, supervision.warning_evidence, text),
    supervision.warning_scan(bigint, timestamptz), supervision.warning_receive(jsonb),
    supervision.warning_transition(bigint, text, text), supervision.warning_assign(bigint, text, text),
    supervision.warning_deadlines(text, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.warning_scan(bigint, timestamptz), supervision.warning_receive(jsonb),
    supervision.warning_assign(bigint, text, text) TO supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.warning_transition(bigint, text, text) TO supervision_officer, supervision_admin;

-- The daily scan, registered with pg_cron only on request (supervision.jobs_schedule).
INSERT INTO supervision.job_definition (name, schedule, command, description, builtin) VALUES
    ('supervision-warning-scan', '0 18 * * *', 'SELECT count(*) FROM supervision.warning_scan()',
     'Evaluates the early-warning rules and raises warnings (02:00 Beijing time daily)', true);

---------------------------------------------------------------------------
-- HTTP clients
---------------------------------------------------------------------------

CREATE FUNCTION supervision_api.warnings(status text DEFAULT NULL, as_of date DEFAULT current_date,
                                         lim integer DEFAULT 100, "offset" integer DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_dept   text := supervision.actor_require_department();
    v_result jsonb;
BEGIN
    IF status IS NOT NULL AND status NOT IN ('received', 'verified', 'handled', 'closed') THEN
        PERFORM supervision.field_error('status', 'expected received, verified, handled or closed (none: every open warning)', status);
    END IF;
    IF lim IS NULL OR lim < 1 OR lim > 1000 THEN
        PERFORM supervision.field_error('lim', 'expected 1 to 1000', lim::text);
    END IF;
    IF "offset" IS NULL OR "offset" < 0 THEN
        PERFORM supervision.field_error('offset', 'expected 0 or more', "offset"::text);
    END IF;
    WITH hits AS (
        SELECT w.*, CASE w.status WHEN 'received' THEN w.verify_due WHEN 'verified' THEN w.handle_due
                                  WHEN 'handled' THEN w.close_due END AS due
          FROM supervision.warning w
         WHERE w.department_code = v_dept
           AND (CASE WHEN warnings.status IS NULL THEN w.status <> 'closed' ELSE w.status = warnings.status END)
    )
    SELECT jsonb_build_object('department', v_dept, 'as_of', coalesce(as_of, current_date),
               'total', (SELECT count(*) FROM hits),
               'warnings', coalesce(jsonb_agg(jsonb_build_object(
                   'id', h.id, 'title', h.title, 'level', h.level, 'status', h.status, 'origin', h.origin,
                   'target', jsonb_build_object('kind', h.target_kind, 'key', h.target_key, 'name', h.target_name),
                   'period_start', h.period_start, 'observed', h.observed, 'received_on', h.received_on,
                   'due', h.due, 'overdue', h.due < coalesce(as_of, current_date),
                   'verify_due', h.verify_due, 'handle_due', h.handle_due, 'close_due', h.close_due,
                   'reopen_count', h.reopen_count)
                   ORDER BY (SELECT l.severity FROM supervision.warning_level l WHERE l.level = h.level) DESC, h.due, h.id), '[]'))
      INTO v_result
      FROM (SELECT * FROM hits
             ORDER BY (SELECT l.severity FROM supervision.warning_level l WHERE l.level = hits.level) DESC, hits.due, hits.id
             LIMIT lim OFFSET "offset") h;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION supervision_api.warnings(text, date, integer, integer) IS
    'The caller''s department''s warnings: open ones (or those of one status), most severe first, with the next due date and whether it is past as_of';

CREATE FUNCTION supervision_api.warning(id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_result jsonb;
BEGIN
    SELECT to_jsonb(w) || jsonb_build_object(
               'evidence_history', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'period_start', e.period_start,
                                        'observed', e.observed, 'level', e.level, 'rule_version', e.rule_version,
                                        'evidence', e.evidence) ORDER BY e.id), '[]')
                                      FROM supervision.warning_evidence e WHERE e.warning_id = w.id),
               'history', (SELECT coalesce(jsonb_agg(jsonb_build_object('action', h.action, 'from', h.from_status,
                                'to', h.to_status, 'level', h.level, 'at', h.at, 'actor', h.actor,
                                'department', h.department_code, 'note', h.note) ORDER BY h.id), '[]')
                             FROM supervision.warning_history h WHERE h.warning_id = w.id))
      INTO v_result
      FROM supervision.warning w WHERE w.id = warning.id;
    IF v_result IS NULL THEN
        RAISE EXCEPTION 'no warning % that you may see', warning.id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION supervision_api.warning(bigint) IS 'One warning the caller may see, with all its evidence and its history';

CREATE FUNCTION supervision_api.warning_transition(id bigint, status text, note text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql
BEGIN ATOMIC
    SELECT jsonb_build_object('id', w.id, 'status', w.status, 'level', w.level, 'verify_due', w.verify_due,
                              'handle_due', w.handle_due, 'close_due', w.close_due)
      FROM supervision.warning_transition(id, status, note) w;
END;
COMMENT ON FUNCTION supervision_api.warning_transition(bigint, text, text) IS
    'Moves one of the caller''s department''s warnings a step (verified, handled, closed; see supervision.warning_transition)';

REVOKE ALL ON FUNCTION supervision_api.warnings(text, date, integer, integer), supervision_api.warning(bigint),
    supervision_api.warning_transition(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision_api.warnings(text, date, integer, integer), supervision_api.warning(bigint),
    supervision_api.warning_transition(bigint, text, text) TO supervision_api_user, supervision_officer, supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.warning_transition(bigint, text, text) TO supervision_api_user;
