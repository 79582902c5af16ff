-- Double-random inspections (双随机、一公开): random-inspection item lists,
-- target directories, plans, verifiable draws of targets and inspectors
-- (commit, then reveal), recusal and rotation, joint visits, results and their
-- publication. The hot path is in extension/sampling.c; docs/double-random.md
-- explains how anyone can re-check a draw with sha256sum and sort.

---------------------------------------------------------------------------
-- Lists
---------------------------------------------------------------------------

-- Credit-risk classes; the risk capability fills this table. A subject without
-- a row counts as class B (no known risk, not proven low risk either).
CREATE TABLE supervision.subject_credit_class (
    subject_id  bigint PRIMARY KEY REFERENCES supervision.subject,
    class       char(1) NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    assessed_on date NOT NULL,
    model       text NOT NULL CHECK (btrim(model) <> '')
);
COMMENT ON TABLE supervision.subject_credit_class IS
    'Credit-risk class (A low .. D high) of each subject, filled by the risk capability; subjects without a row count as class B in draws';

CREATE TABLE supervision.risk_ratio_default (
    class   char(1) PRIMARY KEY CHECK (class IN ('A', 'B', 'C', 'D')),
    ratio   numeric NOT NULL CHECK (ratio >= 0 AND ratio <= 1),
    source  text NOT NULL
);
COMMENT ON TABLE supervision.risk_ratio_default IS
    'Default share of each credit-risk class drawn by a plan that does not set its own ratio for the class';
INSERT INTO supervision.risk_ratio_default (class, ratio, source) VALUES
    ('A', 0.01, 'Henan 2021 differentiated ratios'), ('B', 0.02, 'Henan 2021 differentiated ratios'),
    ('C', 0.10, 'Henan 2021 differentiated ratios'), ('D', 0.30, 'Henan 2021 differentiated ratios');

-- The random-inspection item list (随机抽查事项清单) of each department.
CREATE TABLE supervision.random_item (
    department_code text NOT NULL REFERENCES supervision.department,
    item_code       text NOT NULL REFERENCES supervision.catalog_item,
    listed_on       date NOT NULL DEFAULT current_date,
    PRIMARY KEY (department_code, item_code)
);
COMMENT ON TABLE supervision.random_item IS
    'Random-inspection item list (随机抽查事项清单): the catalog items each department inspects by double-random draws';

-- The target directory (检查对象名录库): which subjects a department may
-- inspect for an item, as rules (kinds, industry prefixes, divisions; NULL = any).
CREATE TABLE supervision.target_scope (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    department_code   text NOT NULL,
    item_code         text NOT NULL,
    subject_kinds     text[],
    industry_prefixes text[],
    division_codes    text[],
    FOREIGN KEY (department_code, item_code) REFERENCES supervision.random_item
);
COMMENT ON TABLE supervision.target_scope IS
    'Target directory (检查对象名录库) as rules: a subject is in the directory of a department for an item when it matches one row (kind, industry code prefix, division or a division below; NULL matches all)';

CREATE VIEW supervision.target_directory AS
    SELECT ts.department_code, ts.item_code, s.id AS subject_id, s.uscc, s.name, s.division_code
      FROM supervision.target_scope ts
      JOIN supervision.subject s
        ON s.status = 'active' AND s.merged_into IS NULL
       AND (ts.subject_kinds IS NULL OR s.kind = ANY (ts.subject_kinds))
       AND (ts.industry_prefixes IS NULL OR EXISTS (SELECT 1 FROM unnest(ts.industry_prefixes) p WHERE starts_with(s.industry_code, p)))
       AND (ts.division_codes IS NULL OR EXISTS (SELECT 1 FROM unnest(ts.division_codes) d WHERE supervision.division_contains(d, s.division_code)));
COMMENT ON VIEW supervision.target_directory IS
    'The target directory spelled out: one row per department, item and subject it may inspect';

-- Conflicts of interest (回避): an inspector never inspects these subjects.
CREATE TABLE supervision.inspector_conflict (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspector_id bigint NOT NULL REFERENCES supervision.inspector,
    subject_id   bigint NOT NULL REFERENCES supervision.subject,
    relation     text NOT NULL CHECK (relation IN ('kin', 'former_employment', 'shareholding', 'declared')),
    note         text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (inspector_id, subject_id, relation)
);
COMMENT ON TABLE supervision.inspector_conflict IS
    'Inspector-subject relations that require recusal (回避): kin, former employment, shareholding, or declared by the inspector';

---------------------------------------------------------------------------
-- Plans
---------------------------------------------------------------------------

CREATE TABLE supervision.inspection_plan (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,40}$'),
    title                 text NOT NULL CHECK (btrim(title) <> ''),
    departments           text[] NOT NULL,
    items                 text[] NOT NULL,
    check_start           date NOT NULL,
    check_end             date NOT NULL,
    filter                jsonb NOT NULL DEFAULT '{}',
    ratios                jsonb NOT NULL DEFAULT '{}',
    min_count             integer NOT NULL DEFAULT 0,
    max_count             integer,
    inspectors_per_target integer NOT NULL DEFAULT 2,
    exclusion_days        integer NOT NULL DEFAULT 0,
    workload_cap          integer NOT NULL DEFAULT 0,
    created_by            text NOT NULL DEFAULT session_user,
    created_at            timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.inspection_plan IS
    'Double-random plans: departments (several = joint plan), items, check period, population filter (kinds, industries, divisions), ratio per credit class, min/max count per stratum, inspectors per target (>= 2), exclusion window in days, workload cap per inspector (0 = none)';
COMMENT ON COLUMN supervision.inspection_plan.filter IS
    'Directed draw: {"kinds": [...], "industries": [GB/T 4754 prefixes], "divisions": [division codes, below included]}; {} = undirected';
COMMENT ON COLUMN supervision.inspection_plan.ratios IS
    'Share drawn per credit class, e.g. {"D": 1, "C": 0.5}; classes not given use supervision.risk_ratio_default';

CREATE FUNCTION supervision.inspection_plan_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    v jsonb;
    d text;
    i text;
    allowed text[] := ARRAY['kinds', 'industries', 'divisions'];
BEGIN
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM supervision.draw WHERE plan_id = OLD.id) THEN
        RAISE EXCEPTION 'plan % has a draw and cannot change', OLD.code
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A drawn plan is part of the public record; make a new plan.';
    END IF;
    IF cardinality(NEW.departments) IS NULL OR cardinality(NEW.departments) = 0 THEN
        PERFORM supervision.field_error('departments', 'a plan needs at least one department', NEW.departments::text);
    END IF;
    FOREACH d IN ARRAY NEW.departments LOOP
        IF NOT EXISTS (SELECT 1 FROM supervision.department WHERE code = d) THEN
            PERFORM supervision.field_error('departments', format('unknown department "%s"', d), NEW.departments::text, '23503');
        END IF;
    END LOOP;
    IF NOT supervision.actor_is_admin() AND NOT (supervision.actor_department() = ANY (NEW.departments)) THEN
        RAISE EXCEPTION 'role "%" may not plan for departments %', supervision.actor_role(), NEW.departments
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user''s department is %s.', coalesce(supervision.actor_department(), 'unknown'));
    END IF;
    IF cardinality(NEW.items) IS NULL OR cardinality(NEW.items) = 0 THEN
        PERFORM supervision.field_error('items', 'a plan needs at least one item', NEW.items::text);
    END IF;
    FOREACH i IN ARRAY NEW.items LOOP
        IF NOT EXISTS (SELECT 1 FROM supervision.catalog_item WHERE code = i) THEN
            PERFORM supervision.field_error('items', format('unknown item "%s": not in the catalog', i), NEW.items::text, '23503');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM supervision.random_item r WHERE r.item_code = i AND r.department_code = ANY (NEW.departments)) THEN
            PERFORM supervision.field_error('items', format('item "%s" is not on the random-inspection list of departments %s', i, NEW.departments),
                                            NEW.items::text);
        END IF;
    END LOOP;
    IF NEW.check_end < NEW.check_start THEN
        PERFORM supervision.field_error('check_end', 'must not be before check_start ' || NEW.check_start, NEW.check_end::text);
    END IF;
    IF jsonb_typeof(NEW.ratios) <> 'object' THEN
        PERFORM supervision.field_error('ratios', 'must be an object {"A": ratio, ...}', NEW.ratios::text);
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(NEW.ratios) LOOP
        IF k NOT IN ('A', 'B', 'C', 'D') THEN
            PERFORM supervision.field_error('ratios', format('unknown credit class "%s"; expected A, B, C or D', k), NEW.ratios::text);
        END IF;
        IF jsonb_typeof(v) <> 'number' OR v::numeric < 0 OR v::numeric > 1 THEN
            PERFORM supervision.field_error('ratios.' || k, 'must be a number between 0 and 1', v::text);
        END IF;
    END LOOP;
    IF jsonb_typeof(NEW.filter) <> 'object' THEN
        PERFORM supervision.field_error('filter', 'must be an object', NEW.filter::text);
    END IF;
    FOR k, v IN SELECT * FROM jsonb_each(NEW.filter) LOOP
        IF NOT (k = ANY (allowed)) OR jsonb_typeof(v) <> 'array' THEN
            PERFORM supervision.field_error('filter.' || k, 'expected kinds, industries or divisions, each an array', v::text);
        END IF;
    END LOOP;
    IF NEW.min_count < 0 THEN
        PERFORM supervision.field_error('min_count', 'must be 0 or more', NEW.min_count::text);
    END IF;
    IF NEW.max_count < NEW.min_count THEN
        PERFORM supervision.field_error('max_count', 'must not be below min_count ' || NEW.min_count, NEW.max_count::text);
    END IF;
    IF NEW.inspectors_per_target < 2 THEN
        PERFORM supervision.field_error('inspectors_per_target', 'at least 2 inspectors per target', NEW.inspectors_per_target::text);
    END IF;
    IF NEW.exclusion_days < 0 THEN
        PERFORM supervision.field_error('exclusion_days', 'must be 0 or more', NEW.exclusion_days::text);
    END IF;
    IF NEW.workload_cap < 0 THEN
        PERFORM supervision.field_error('workload_cap', 'must be 0 (no cap) or more', NEW.workload_cap::text);
    END IF;
    NEW.created_by := supervision.actor_person();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.inspection_plan_check() IS
    'Trigger: validates a plan field by field (departments, items on the random list, ratios 0-1, counts, >= 2 inspectors) and freezes drawn plans';

---------------------------------------------------------------------------
-- Draws: commit (open), then reveal
---------------------------------------------------------------------------

CREATE TABLE supervision.draw (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id            bigint NOT NULL UNIQUE REFERENCES supervision.inspection_plan,
    status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'revealed')),
    opened_at          timestamptz NOT NULL DEFAULT now(),
    opened_by          text NOT NULL,
    population_size    bigint NOT NULL CHECK (population_size > 0),
    population_digest  text NOT NULL CHECK (population_digest ~ '^[0-9a-f]{64}$'),
    seed               text CHECK (btrim(seed) <> ''),
    seed_source        text,
    seed_published_at  timestamptz,
    revealed_at        timestamptz,
    revealed_by        text,
    CHECK ((status = 'revealed') = (seed IS NOT NULL AND seed_source IS NOT NULL AND seed_published_at IS NOT NULL AND revealed_at IS NOT NULL))
);
COMMENT ON TABLE supervision.draw IS
    'One draw per plan: opened (population frozen, its SHA-256 digest recorded) before the seed is known, then revealed with a public seed; never re-run';
CREATE TRIGGER draw_plan_frozen BEFORE UPDATE ON supervision.inspection_plan
    FOR EACH ROW EXECUTE FUNCTION supervision.inspection_plan_check();
CREATE TRIGGER inspection_plan_check BEFORE INSERT ON supervision.inspection_plan
    FOR EACH ROW EXECUTE FUNCTION supervision.inspection_plan_check();

CREATE TABLE supervision.draw_stratum (
    draw_id    bigint NOT NULL REFERENCES supervision.draw,
    stratum    char(1) NOT NULL CHECK (stratum IN ('A', 'B', 'C', 'D')),
    population integer NOT NULL CHECK (population >= 0),
    ratio      numeric NOT NULL CHECK (ratio >= 0 AND ratio <= 1),
    k          integer NOT NULL CHECK (k >= 0 AND k <= population),
    PRIMARY KEY (draw_id, stratum)
);
COMMENT ON TABLE supervision.draw_stratum IS
    'Per stratum (credit class) of a draw: N frozen targets, the ratio, and k = min(N, max(min_count, min(max_count, ceil(N x ratio))))';

-- The frozen population, stored compactly: per stratum, blocks of up to 65,536
-- targets. The lines of a block are its part of the canonical population list
-- ("stratum|target_key\n", byte order), so the lines of all blocks in
-- (stratum, block) order are exactly the file whose SHA-256 is the population
-- digest. Subject ids and divisions, per target, in the same order.
CREATE TABLE supervision.draw_population_block (
    draw_id     bigint NOT NULL REFERENCES supervision.draw,
    stratum     char(1) NOT NULL CHECK (stratum IN ('A', 'B', 'C', 'D')),
    block       integer NOT NULL CHECK (block >= 1),
    targets     integer NOT NULL CHECK (targets >= 1),
    lines       text NOT NULL,
    subject_ids bigint[] NOT NULL CHECK (cardinality(subject_ids) = targets),
    divisions   text[] NOT NULL,
    division_of integer[] NOT NULL CHECK (cardinality(division_of) = targets),
    PRIMARY KEY (draw_id, stratum, block)
);
-- Written once, read whole: lz4 (credit codes and ids compress to about half,
-- and reading fewer TOAST chunks saves more than decompressing costs); without
-- lz4 in the server, no compression (pglz would take seconds per million targets).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE supervision.draw_population_block
            ALTER COLUMN lines SET COMPRESSION lz4,
            ALTER COLUMN subject_ids SET COMPRESSION lz4,
            ALTER COLUMN division_of SET COMPRESSION lz4;
    ELSE
        ALTER TABLE supervision.draw_population_block
            ALTER COLUMN lines SET STORAGE EXTERNAL,
            ALTER COLUMN subject_ids SET STORAGE EXTERNAL,
            ALTER COLUMN division_of SET STORAGE EXTERNAL;
    END IF;
END
$$;
COMMENT ON TABLE supervision.draw_population_block IS
    'The frozen eligible population of a draw, fixed before the seed is known, in blocks of up to 65,536 targets per stratum: the canonical lines "stratum|target_key\n" in byte order (all blocks in stratum, block order = the file whose SHA-256 is the population digest), the subject id of each target, and its division (division_of: 1-based position in divisions, 0 = none); one row per target: view draw_population';

CREATE TABLE supervision.draw_inspector (
    draw_id         bigint NOT NULL REFERENCES supervision.draw,
    ordinal         integer NOT NULL,
    inspector_id    bigint NOT NULL,
    certificate_no  text NOT NULL,
    name            text NOT NULL,
    department_code text NOT NULL,
    division_code   text NOT NULL,
    PRIMARY KEY (draw_id, ordinal),
    UNIQUE (draw_id, certificate_no)
);
COMMENT ON TABLE supervision.draw_inspector IS
    'The frozen inspector pool of a draw: active certificate over the whole check period, plan department, specialties covering the department''s plan items';

-- One row per drawn target: its rank and ranking key, the inspectors excluded
-- from it (recusal, rotation), and its team or the reason it has none.
CREATE TABLE supervision.draw_selection (
    draw_id           bigint NOT NULL,   -- a draw; checked per statement (trigger draw_selection_draw)
    stratum           char(1) NOT NULL CHECK (stratum IN ('A', 'B', 'C', 'D')),
    target_key        text NOT NULL,
    subject_id        bigint NOT NULL,
    rank              integer NOT NULL CHECK (rank >= 1),
    ranking_key       bytea NOT NULL CHECK (length(ranking_key) = 32),
    team              text[] CHECK (cardinality(team) >= 2),
    shortfall         text,
    excluded          text[] NOT NULL DEFAULT '{}',
    exclusion_reasons text[] NOT NULL DEFAULT '{}'
                      CHECK (exclusion_reasons <@ ARRAY['kin', 'former_employment', 'shareholding', 'declared', 'rotation']),
    -- Target keys are unique in a draw by construction (the frozen population holds
    -- each once) and draw_verify checks the whole selection; an index on them would
    -- cost a draw of 10M subjects about a second, for lookups that scan one draw.
    PRIMARY KEY (draw_id, stratum, rank),
    CHECK ((team IS NULL) <> (shortfall IS NULL)),
    CHECK (cardinality(excluded) = cardinality(exclusion_reasons))
);
COMMENT ON TABLE supervision.draw_selection IS
    'Targets drawn: rank within the stratum by ranking key SHA-256(seed|target_key); the team (certificate numbers in the order of their inspector keys) or, when the constraints leave too few inspectors, the shortfall with its reason; the inspectors excluded (recusal relation or rotation)';

-- draw_selection refers to supervision.draw like a foreign key, checked once per
-- statement instead of once per row (a draw of 10M subjects selects ~300k
-- targets). Draws are never deleted nor truncated (draw_guard), so a check on
-- insert is all a foreign key would do.
CREATE FUNCTION supervision.draw_selection_draw() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_draw bigint;
BEGIN
    SELECT n.draw_id INTO v_draw FROM (SELECT DISTINCT draw_id FROM new_rows) n
     WHERE NOT EXISTS (SELECT 1 FROM supervision.draw d WHERE d.id = n.draw_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert into supervision.draw_selection names draw %, which does not exist', v_draw
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION supervision.draw_selection_draw() IS
    'Trigger: every row inserted into draw_selection names an existing draw (a foreign key checked per statement)';
CREATE TRIGGER draw_selection_draw AFTER INSERT ON supervision.draw_selection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION supervision.draw_selection_draw();

-- Draw records are append-only: written once by draw_open/draw_reveal.
CREATE FUNCTION supervision.draw_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'draw' AND TG_OP = 'UPDATE' THEN
        -- reveal: open -> revealed, once, the commitment unchanged
        IF OLD.status = 'open' AND NEW.status = 'revealed'
           AND (NEW.id, NEW.plan_id, NEW.opened_at, NEW.opened_by, NEW.population_size, NEW.population_digest)
               = (OLD.id, OLD.plan_id, OLD.opened_at, OLD.opened_by, OLD.population_size, OLD.population_digest) THEN
            RETURN NEW;
        END IF;
        -- draw_open records the figures of the frozen list once it is written
        IF OLD.status = 'open' AND NEW.status = 'open' AND OLD.population_digest = repeat('0', 64)
           AND (NEW.id, NEW.plan_id, NEW.opened_at, NEW.opened_by) = (OLD.id, OLD.plan_id, OLD.opened_at, OLD.opened_by)
           AND NEW.seed IS NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'supervision.% is append-only: a draw is never changed', TG_TABLE_NAME
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Draws are the public record; a wrong plan needs a new plan and a new draw.';
END
$$;
COMMENT ON FUNCTION supervision.draw_guard() IS
    'Trigger: draws and their frozen lists, selections and teams are never updated, deleted or truncated (only open -> revealed once)';
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['draw', 'draw_stratum', 'draw_population_block', 'draw_inspector', 'draw_selection'] LOOP
        EXECUTE format('CREATE TRIGGER draw_guard BEFORE UPDATE OR DELETE ON supervision.%I
                        FOR EACH ROW EXECUTE FUNCTION supervision.draw_guard()', t);
        EXECUTE format('CREATE TRIGGER draw_guard_truncate BEFORE TRUNCATE ON supervision.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION supervision.draw_guard()', t);
    END LOOP;
END
$$;

-- C entry points.
CREATE FUNCTION supervision.draw_key(VARIADIC parts text[]) RETURNS bytea
    AS 'MODULE_PATHNAME', 'sampling_draw_key'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.draw_key(text[]) IS
    'SHA-256 over the UTF-8 bytes of the parts joined by "|": draw_key(seed, target_key) ranks targets, draw_key(seed, target_key, certificate_no) ranks inspectors';

CREATE FUNCTION supervision.sampling_freeze(draw_id bigint) RETURNS text
    AS 'MODULE_PATHNAME', 'sampling_freeze'
    LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION supervision.sampling_freeze(bigint) IS
    'Internal (draw_open): freezes the population of an open draw (draw_candidates minus draw_recent_subjects, one target per target key, stratum = credit class or B) into draw_population_block in canonical order; returns the hex SHA-256 of the canonical list';

CREATE FUNCTION supervision.sampling_population_digest(draw_id bigint) RETURNS text
    AS 'MODULE_PATHNAME', 'sampling_population_digest'
    LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION supervision.sampling_population_digest(bigint) IS
    'Hex SHA-256 of the stored population of a draw: the lines of its blocks in order, i.e. the canonical list "stratum|target_key\n" in byte order (LC_ALL=C sort); NULL when the stored blocks are not canonical (malformed, out of order, repeated lines)';

CREATE FUNCTION supervision.sampling_block_targets(lines text, subject_ids bigint[], divisions text[], division_of integer[])
RETURNS TABLE (target_key text, subject_id bigint, division_code text)
    AS 'MODULE_PATHNAME', 'sampling_block_targets'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 65536;
COMMENT ON FUNCTION supervision.sampling_block_targets(text, bigint[], text[], integer[]) IS
    'The targets of one stored population block, one row each: target key, subject id, division';

CREATE FUNCTION supervision.sampling_select(draw_id bigint, seed text)
RETURNS TABLE (stratum text, target_key text, subject_id bigint, rank integer, ranking_key bytea)
    AS 'MODULE_PATHNAME', 'sampling_select'
    LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION supervision.sampling_select(bigint, text) IS
    'Internal: the k smallest ranking keys SHA-256(seed|target_key) of each stratum of the stored population (k from draw_stratum; bounded heaps), ranked';

CREATE FUNCTION supervision.sampling_draw(draw_id bigint, seed text, exclusions text)
RETURNS TABLE (stratum text, target_key text, subject_id bigint, rank integer, ranking_key bytea,
               team text[], shortfall text, excluded text[], exclusion_reasons text[])
    AS 'MODULE_PATHNAME', 'sampling_draw'
    LANGUAGE C STABLE STRICT
    SET jit = off;   -- its queries are short: compiling them would cost more than it saves
COMMENT ON FUNCTION supervision.sampling_draw(bigint, text, text) IS
    'Internal: the selection of sampling_select and, targets taken in the order of their ranking keys, a team from the frozen pool (per department its smallest inspector key, then the smallest keys up to inspectors_per_target; jurisdiction, recusal, rotation and the workload cap exclude) or the shortfall; exclusions ''live'' (draw_conflicts, at reveal) or ''recorded'' (as draw_selection holds them, to verify)';

-- One row per target, as before the population was stored in blocks.
CREATE VIEW supervision.draw_population WITH (security_invoker = true) AS
    SELECT b.draw_id, b.stratum, t.target_key, t.subject_id, t.division_code
      FROM supervision.draw_population_block b
     CROSS JOIN LATERAL supervision.sampling_block_targets(b.lines, b.subject_ids, b.divisions, b.division_of) t;
COMMENT ON VIEW supervision.draw_population IS
    'The frozen eligible population of a draw, one row per target: stratum, target key (credit code), subject, division';

CREATE VIEW supervision.draw_exclusion WITH (security_invoker = true) AS
    SELECT s.draw_id, s.target_key, e.certificate_no, e.reason
      FROM supervision.draw_selection s
     CROSS JOIN LATERAL unnest(s.excluded, s.exclusion_reasons) e(certificate_no, reason);
COMMENT ON VIEW supervision.draw_exclusion IS
    'Inspectors excluded from a drawn target: recusal (conflict relation) or rotation (inspected the subject''s previous inspection)';

CREATE VIEW supervision.draw_assignment WITH (security_invoker = true) AS
    SELECT s.draw_id, s.target_key, m.seq::integer AS seq, m.certificate_no
      FROM supervision.draw_selection s
     CROSS JOIN LATERAL unnest(s.team) WITH ORDINALITY m(certificate_no, seq);
COMMENT ON VIEW supervision.draw_assignment IS 'Inspectors drawn for each target, seq in order of their ranking key';

CREATE VIEW supervision.draw_shortfall WITH (security_invoker = true) AS
    SELECT s.draw_id, s.target_key, s.shortfall AS problem
      FROM supervision.draw_selection s WHERE s.shortfall IS NOT NULL;
COMMENT ON VIEW supervision.draw_shortfall IS
    'Drawn targets that could not get a full team, with the reason (counts of inspectors in jurisdiction, recused, excluded by rotation, at the cap; departments missing)';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['draw_population', 'draw_exclusion', 'draw_assignment', 'draw_shortfall'] LOOP
        EXECUTE format('CREATE TRIGGER draw_guard INSTEAD OF UPDATE OR DELETE ON supervision.%I
                        FOR EACH ROW EXECUTE FUNCTION supervision.draw_guard()', t);
    END LOOP;
END
$$;

-- Division codes at or below the given ones.
CREATE FUNCTION supervision.sampling_divisions_below(p_codes text[]) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH RECURSIVE down AS (
        SELECT d.code FROM supervision.division d
         WHERE d.code IN (SELECT supervision.division_resolve(c) FROM unnest(p_codes) c)
        UNION
        SELECT c.code FROM supervision.division c JOIN down ON c.parent_code = down.code
    )
    SELECT coalesce(array_agg(code), '{}') FROM down
$$;
COMMENT ON FUNCTION supervision.sampling_divisions_below(text[]) IS 'The divisions given and every division below them';

-- The filter of the plan of a draw: departments and items (for the target
-- directory), kinds, industry prefixes, divisions (with every division below
-- them; NULL = no filter), and whether a directory rule without conditions
-- opens the directory to every subject.
CREATE FUNCTION supervision.draw_filter(p_draw bigint)
RETURNS TABLE (departments text[], items text[], kinds text[], industries text[], divisions text[], open_scope boolean)
LANGUAGE sql STABLE AS $$
    SELECT pl.departments, pl.items,
           CASE WHEN pl.filter ? 'kinds' THEN ARRAY(SELECT jsonb_array_elements_text(pl.filter -> 'kinds')) END,
           CASE WHEN pl.filter ? 'industries' THEN ARRAY(SELECT jsonb_array_elements_text(pl.filter -> 'industries')) END,
           CASE WHEN pl.filter ? 'divisions'
                THEN supervision.sampling_divisions_below(ARRAY(SELECT jsonb_array_elements_text(pl.filter -> 'divisions'))) END,
           EXISTS (SELECT 1 FROM supervision.target_scope ts
                    WHERE ts.department_code = ANY (pl.departments) AND ts.item_code = ANY (pl.items)
                      AND ts.subject_kinds IS NULL AND ts.industry_prefixes IS NULL AND ts.division_codes IS NULL)
      FROM supervision.draw d JOIN supervision.inspection_plan pl ON pl.id = d.plan_id
     WHERE d.id = p_draw
$$;
COMMENT ON FUNCTION supervision.draw_filter(bigint) IS
    'The filter of the plan of a draw as draw_candidates takes it: departments, items, kinds, industry prefixes, divisions with those below them (NULL = none), and whether the target directory holds a rule without conditions';

-- The subjects a draw may take, before its exclusion window: active, unmerged,
-- with a credit code, matching the plan's filter, in the target directory of a
-- plan department for a plan item. Read by sampling_freeze with the values of
-- draw_filter as constants, so that the conditions that do not apply fold away
-- before ten million rows are read.
CREATE FUNCTION supervision.draw_candidates(p_departments text[], p_items text[], p_kinds text[],
                                            p_industries text[], p_divisions text[], p_open_scope boolean)
RETURNS TABLE (subject_id bigint, target_key text, division_code text)
LANGUAGE sql STABLE AS $$
    WITH scope AS MATERIALIZED (
        SELECT ts.subject_kinds, ts.industry_prefixes,
               CASE WHEN ts.division_codes IS NOT NULL THEN supervision.sampling_divisions_below(ts.division_codes) END AS divs
          FROM supervision.target_scope ts
         WHERE ts.department_code = ANY (p_departments) AND ts.item_code = ANY (p_items)
    )
    SELECT s.id, s.uscc, s.division_code
      FROM supervision.subject s
     WHERE s.status = 'active' AND s.merged_into IS NULL AND s.uscc IS NOT NULL
       AND (p_kinds IS NULL OR s.kind = ANY (p_kinds))
       AND (p_industries IS NULL OR EXISTS (SELECT 1 FROM unnest(p_industries) x WHERE starts_with(s.industry_code, x)))
       AND (p_divisions IS NULL OR s.division_code IN (SELECT unnest(p_divisions)))
       AND (p_open_scope OR EXISTS (SELECT 1 FROM scope sc
                                     WHERE (sc.subject_kinds IS NULL OR s.kind = ANY (sc.subject_kinds))
                                       AND (sc.industry_prefixes IS NULL
                                            OR EXISTS (SELECT 1 FROM unnest(sc.industry_prefixes) x WHERE starts_with(s.industry_code, x)))
                                       AND (sc.divs IS NULL OR s.division_code = ANY (sc.divs))))
$$;
COMMENT ON FUNCTION supervision.draw_candidates(text[], text[], text[], text[], text[], boolean) IS
    'Subjects a draw may take before its exclusion window: active, unmerged, with a credit code, matching the plan filter (kinds, industry prefixes, divisions; NULL = any), in the target directory of the departments for the items (open_scope: a rule without conditions)';

-- May the acting user see (officers: their department takes part) a plan?
CREATE FUNCTION supervision.sampling_plan_visible(p_plan bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT supervision.actor_is_admin()
        OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER')
        OR EXISTS (SELECT 1 FROM supervision.inspection_plan p
                    WHERE p.id = p_plan AND supervision.actor_department() = ANY (p.departments));
END;
COMMENT ON FUNCTION supervision.sampling_plan_visible(bigint) IS
    'True when the acting user is an administrator or auditor, or works for a department of the plan';

CREATE FUNCTION supervision.sampling_draw_visible(p_draw bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT supervision.sampling_plan_visible((SELECT d.plan_id FROM supervision.draw d WHERE d.id = p_draw));
END;
COMMENT ON FUNCTION supervision.sampling_draw_visible(bigint) IS 'sampling_plan_visible for the plan of a draw';

-- Opens a draw: freezes the population per stratum and the inspector pool,
-- records the population digest. Returns the draw id.
CREATE FUNCTION supervision.draw_open(p_plan_id bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p        supervision.inspection_plan;
    v_draw   bigint;
    v_digest text;
    v_n      bigint;
BEGIN
    SELECT * INTO p FROM supervision.inspection_plan WHERE id = p_plan_id;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('plan_id', 'no such plan', p_plan_id::text, '23503');
    END IF;
    IF NOT supervision.actor_is_admin() AND NOT (supervision.actor_department() = ANY (p.departments)) THEN
        RAISE EXCEPTION 'role "%" may not draw plan %', supervision.actor_role(), p.code
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF EXISTS (SELECT 1 FROM supervision.draw WHERE plan_id = p.id) THEN
        RAISE EXCEPTION 'plan % already has a draw', p.code
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A plan is drawn once; drawing again until the result pleases would defeat the purpose.';
    END IF;

    INSERT INTO supervision.draw (plan_id, opened_by, population_size, population_digest)
    VALUES (p.id, supervision.actor_person(), 1, repeat('0', 64)) RETURNING id INTO v_draw;

    -- the population: draw_candidates minus draw_recent_subjects, in canonical blocks
    v_digest := supervision.sampling_freeze(v_draw);
    SELECT coalesce(sum(b.targets), 0) INTO v_n FROM supervision.draw_population_block b WHERE b.draw_id = v_draw;
    IF v_n = 0 THEN
        RAISE EXCEPTION 'the population of plan % is empty', p.code
            USING ERRCODE = 'no_data_found',
                  DETAIL = 'No active subject with a credit code is in the target directory of the plan''s departments and items, matches its filter and lies outside its exclusion window.',
                  HINT = 'Check supervision.target_scope and the plan''s filter.';
    END IF;

    INSERT INTO supervision.draw_stratum (draw_id, stratum, population, ratio, k)
    SELECT v_draw, c.class, coalesce(n.n, 0), c.ratio,
           least(coalesce(n.n, 0), greatest(p.min_count, least(coalesce(p.max_count, coalesce(n.n, 0)), ceil(coalesce(n.n, 0) * c.ratio)::integer)))
      FROM (SELECT r.class, coalesce((p.ratios ->> r.class)::numeric, r.ratio) AS ratio FROM supervision.risk_ratio_default r) c
      LEFT JOIN (SELECT b.stratum, sum(b.targets)::integer AS n FROM supervision.draw_population_block b
                  WHERE b.draw_id = v_draw GROUP BY b.stratum) n
        ON n.stratum = c.class;

    INSERT INTO supervision.draw_inspector (draw_id, ordinal, inspector_id, certificate_no, name, department_code, division_code)
    SELECT v_draw, row_number() OVER (ORDER BY i.certificate_no COLLATE "C"), i.id, i.certificate_no, i.name, i.department_code, i.division_code
      FROM supervision.inspector i
     WHERE i.department_code = ANY (p.departments) AND i.status = 'active'
       AND (i.certificate_valid_from IS NULL OR i.certificate_valid_from <= p.check_start)
       AND (i.certificate_valid_to IS NULL OR i.certificate_valid_to >= p.check_end)
       AND i.specialties @> ARRAY(SELECT ci.code FROM supervision.catalog_item ci
                                   WHERE ci.code = ANY (p.items) AND ci.department_code = i.department_code);

    UPDATE supervision.draw SET population_size = v_n, population_digest = v_digest WHERE id = v_draw;
    RETURN v_draw;
END
$$;
COMMENT ON FUNCTION supervision.draw_open(bigint) IS
    'Commits a draw before its seed is known: freezes the eligible population per credit-class stratum and the inspector pool, records N, k per stratum and the SHA-256 digest of the frozen list; one draw per plan';

-- Reveals a draw: the seed is entered, targets and inspectors drawn, visits merged.
CREATE FUNCTION supervision.draw_reveal(p_draw bigint, p_seed text, p_seed_source text, p_seed_published_at timestamptz)
RETURNS TABLE (stratum char(1), population integer, k integer, selected integer, short_of_inspectors integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d supervision.draw;
    p supervision.inspection_plan;
BEGIN
    SELECT * INTO d FROM supervision.draw WHERE id = p_draw FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('draw_id', 'no such draw', p_draw::text, '23503');
    END IF;
    SELECT * INTO p FROM supervision.inspection_plan WHERE id = d.plan_id;
    IF NOT supervision.actor_is_admin() AND NOT (supervision.actor_department() = ANY (p.departments)) THEN
        RAISE EXCEPTION 'role "%" may not reveal draws of plan %', supervision.actor_role(), p.code
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF d.status = 'revealed' THEN
        RAISE EXCEPTION 'draw % was revealed with seed "%"; a revealed draw cannot be re-run', d.id, d.seed
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Check it with supervision.draw_verify().';
    END IF;
    IF p_seed IS NULL OR btrim(p_seed) = '' THEN
        PERFORM supervision.field_error('seed', 'a public seed is required (e.g. published lottery numbers)', p_seed);
    END IF;
    IF p_seed_source IS NULL OR btrim(p_seed_source) = '' THEN
        PERFORM supervision.field_error('seed_source', 'say where the seed was published', p_seed_source);
    END IF;
    IF p_seed_published_at IS NULL OR p_seed_published_at < d.opened_at THEN
        PERFORM supervision.field_error('seed_published_at',
            'the seed must be published after the draw was opened (its population frozen)', p_seed_published_at::text);
    END IF;

    -- the targets, the exclusions found now (recusal, rotation) and the teams
    INSERT INTO supervision.draw_selection (draw_id, stratum, target_key, subject_id, rank, ranking_key,
                                            team, shortfall, excluded, exclusion_reasons)
    SELECT p_draw, r.stratum, r.target_key, r.subject_id, r.rank, r.ranking_key,
           r.team, r.shortfall, r.excluded, r.exclusion_reasons
      FROM supervision.sampling_draw(p_draw, p_seed, 'live') r;

    UPDATE supervision.draw SET status = 'revealed', seed = p_seed, seed_source = p_seed_source,
           seed_published_at = p_seed_published_at, revealed_at = now(), revealed_by = supervision.actor_person()
     WHERE id = p_draw;

    PERFORM supervision.visit_merge(p_draw);

    RETURN QUERY
    SELECT ds.stratum, ds.population, ds.k, coalesce(x.selected, 0), coalesce(x.short, 0)
      FROM supervision.draw_stratum ds
      LEFT JOIN (SELECT s.stratum, count(*)::int AS selected, count(s.shortfall)::int AS short
                   FROM supervision.draw_selection s WHERE s.draw_id = p_draw GROUP BY s.stratum) x
        ON x.stratum = ds.stratum
     WHERE ds.draw_id = p_draw ORDER BY ds.stratum;
END
$$;
COMMENT ON FUNCTION supervision.draw_reveal(bigint, text, text, timestamptz) IS
    'Reveals an open draw with a public seed (where and when it was published, after the draw was opened): draws k targets per stratum and a team for each, records recusals, rotations and shortfalls, merges visits; once only';

-- Recomputes a draw from its frozen population, plan and seed.
CREATE FUNCTION supervision.draw_verify(p_draw bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d supervision.draw;
BEGIN
    SELECT * INTO d FROM supervision.draw WHERE id = p_draw;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('draw_id', 'no such draw', p_draw::text, '23503');
    END IF;
    IF d.status <> 'revealed' THEN
        PERFORM supervision.field_error('draw_id', 'the draw is not revealed yet: there is no seed to verify', p_draw::text, '55000');
    END IF;
    -- the stored population: canonical, the committed digest, the committed counts
    IF supervision.sampling_population_digest(p_draw) IS DISTINCT FROM d.population_digest
       OR d.population_size <> (SELECT coalesce(sum(b.targets), 0) FROM supervision.draw_population_block b WHERE b.draw_id = p_draw)
       OR EXISTS (SELECT 1 FROM supervision.draw_stratum ds
                   WHERE ds.draw_id = p_draw
                     AND ds.population <> (SELECT coalesce(sum(b.targets), 0) FROM supervision.draw_population_block b
                                            WHERE b.draw_id = p_draw AND b.stratum = ds.stratum))
       OR EXISTS (SELECT 1 FROM supervision.draw_population_block b
                   WHERE b.draw_id = p_draw
                     AND NOT EXISTS (SELECT 1 FROM supervision.draw_stratum ds WHERE ds.draw_id = p_draw AND ds.stratum = b.stratum)) THEN
        RETURN false;
    END IF;
    -- every target, rank, key, team and shortfall, recomputed (with the exclusions recorded at reveal)
    RETURN NOT EXISTS (
        WITH r AS MATERIALIZED (
            SELECT r.stratum, r.target_key, r.subject_id, r.rank, r.ranking_key, r.team, r.shortfall
              FROM supervision.sampling_draw(p_draw, d.seed, 'recorded') r
        ), s AS MATERIALIZED (
            SELECT s.stratum::text, s.target_key, s.subject_id, s.rank, s.ranking_key, s.team, s.shortfall
              FROM supervision.draw_selection s WHERE s.draw_id = p_draw
        )
        (SELECT * FROM r EXCEPT ALL SELECT * FROM s)
        UNION ALL
        (SELECT * FROM s EXCEPT ALL SELECT * FROM r));
END
$$;
COMMENT ON FUNCTION supervision.draw_verify(bigint) IS
    'True when the recorded draw is what its frozen population, plan and seed give: population digest and counts, every selected target and rank, every team and shortfall';

---------------------------------------------------------------------------
-- Joint visits (进一次门、查多项事) and results (一公开)
---------------------------------------------------------------------------

CREATE TABLE supervision.visit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id  bigint NOT NULL REFERENCES supervision.subject,
    target_key  text NOT NULL,
    check_start date NOT NULL,
    check_end   date NOT NULL CHECK (check_end >= check_start),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON supervision.visit (subject_id);
COMMENT ON TABLE supervision.visit IS
    'One visit to a subject: the targets drawn by plans with overlapping check periods are merged into one visit with a joint team';

CREATE TABLE supervision.visit_item (
    visit_id        bigint NOT NULL REFERENCES supervision.visit,
    item_code       text NOT NULL REFERENCES supervision.catalog_item,
    department_code text NOT NULL REFERENCES supervision.department,
    draw_id         bigint NOT NULL REFERENCES supervision.draw,
    PRIMARY KEY (visit_id, item_code)
);
COMMENT ON TABLE supervision.visit_item IS
    'Items checked in a visit, once each (a subject drawn by two plans for the same item is checked for it once; draw_id = the first draw)';

CREATE TABLE supervision.visit_inspector (
    visit_id        bigint NOT NULL REFERENCES supervision.visit,
    certificate_no  text NOT NULL,
    department_code text NOT NULL REFERENCES supervision.department,
    draw_id         bigint NOT NULL REFERENCES supervision.draw,
    PRIMARY KEY (visit_id, certificate_no)
);
COMMENT ON TABLE supervision.visit_inspector IS 'The joint team of a visit: the inspectors every merged draw assigned';

CREATE TABLE supervision.visit_draw (
    visit_id bigint NOT NULL REFERENCES supervision.visit,
    draw_id  bigint NOT NULL REFERENCES supervision.draw,
    PRIMARY KEY (visit_id, draw_id)
);
COMMENT ON TABLE supervision.visit_draw IS 'Which draws a visit carries out';

CREATE TABLE supervision.inspection_result (
    visit_id     bigint PRIMARY KEY REFERENCES supervision.visit,
    outcome      text NOT NULL CHECK (outcome IN ('no_problem', 'problem_found', 'not_found_at_address',
                                                  'closed_down', 'refused_inspection', 'other')),
    details      text,
    checked_on   date NOT NULL,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    published_on date,
    CHECK (outcome NOT IN ('problem_found', 'other') OR btrim(details) <> ''),
    CHECK (published_on IS NULL OR published_on >= checked_on)
);
COMMENT ON TABLE supervision.inspection_result IS
    'Result of a visit (no problem / problem found with details / not found at the address / closed down / refused / other), check date and publication date';

-- Subjects inspected by a department of the plan of a draw within its exclusion
-- window (the exclusion_days before check_start): behaviour records and earlier
-- visits. Read by sampling_freeze.
CREATE FUNCTION supervision.draw_recent_subjects(p_draw bigint)
RETURNS TABLE (subject_id bigint)
LANGUAGE sql STABLE AS $$
    WITH p AS MATERIALIZED (
        SELECT pl.departments, pl.check_start, pl.exclusion_days
          FROM supervision.draw d JOIN supervision.inspection_plan pl ON pl.id = d.plan_id
         WHERE d.id = p_draw AND pl.exclusion_days > 0
    )
    SELECT b.subject_id
      FROM p, supervision.behaviour b JOIN supervision.agency a ON a.uscc = b.agency_uscc
     WHERE b.kind = 'inspection' AND b.subject_id IS NOT NULL
       AND a.department_code = ANY (p.departments)
       AND b.check_time >= (p.check_start - p.exclusion_days)::timestamptz AND b.check_time < p.check_start::timestamptz
    UNION
    SELECT v.subject_id
      FROM p, supervision.visit v
      JOIN supervision.visit_item vi ON vi.visit_id = v.id
      LEFT JOIN supervision.inspection_result r ON r.visit_id = v.id
     WHERE vi.department_code = ANY (p.departments)
       AND coalesce(r.checked_on, v.check_end) >= p.check_start - p.exclusion_days
       AND coalesce(r.checked_on, v.check_start) < p.check_start
$$;
COMMENT ON FUNCTION supervision.draw_recent_subjects(bigint) IS
    'Subjects a department of the plan of a draw inspected in the exclusion window (exclusion_days before check_start): behaviour records of the department''s agencies and earlier visits';

-- Inspectors who may not inspect the given subjects in a draw: recusal (a
-- conflict relation, by inspector id) and rotation (the inspectors of the
-- subject's previous inspection before check_start, behaviour records and
-- visits, by certificate number). target = position in p_subjects. Read by
-- sampling_draw at reveal, which keeps the inspectors of the draw's pool and,
-- for an inspector with several reasons, recusal (the first relation by name).
CREATE FUNCTION supervision.draw_conflicts(p_draw bigint, p_subjects bigint[])
RETURNS TABLE (target integer, inspector_id bigint, certificate_no text, reason text)
LANGUAGE sql STABLE AS $$
    WITH t AS MATERIALIZED (
        SELECT x.subject_id, x.n::integer AS n FROM unnest(p_subjects) WITH ORDINALITY x(subject_id, n)
    ), pl AS MATERIALIZED (
        SELECT p.check_start FROM supervision.draw d JOIN supervision.inspection_plan p ON p.id = d.plan_id WHERE d.id = p_draw
    ), previous AS MATERIALIZED (
        SELECT DISTINCT ON (x.n) x.n, x.certs
          FROM (SELECT t.n, b.check_time AS at,
                       ARRAY(SELECT e ->> 'certificate_no' FROM jsonb_array_elements(b.inspectors) e) AS certs
                  FROM t, pl, supervision.behaviour b
                 WHERE b.subject_id = t.subject_id AND b.kind = 'inspection' AND b.check_time < pl.check_start::timestamptz
                UNION ALL
                SELECT t.n, coalesce(r.checked_on, v.check_end)::timestamptz,
                       ARRAY(SELECT vi.certificate_no FROM supervision.visit_inspector vi WHERE vi.visit_id = v.id)
                  FROM t CROSS JOIN pl
                  JOIN supervision.visit v ON v.subject_id = t.subject_id
                  LEFT JOIN supervision.inspection_result r ON r.visit_id = v.id
                 WHERE coalesce(r.checked_on, v.check_end) < pl.check_start) x
         ORDER BY x.n, x.at DESC, x.certs
    )
    SELECT t.n, c.inspector_id, NULL::text, c.relation
      FROM t JOIN supervision.inspector_conflict c ON c.subject_id = t.subject_id
    UNION ALL
    SELECT p.n, NULL::bigint, x.certificate_no, 'rotation'
      FROM previous p CROSS JOIN LATERAL unnest(p.certs) x(certificate_no)
     WHERE x.certificate_no IS NOT NULL
$$;
COMMENT ON FUNCTION supervision.draw_conflicts(bigint, bigint[]) IS
    'Inspectors excluded from the given subjects of a draw (target = position in p_subjects): recusal (inspector_conflict relation, by inspector id) and rotation (inspectors of the subject''s previous inspection before check_start, by certificate number)';

-- Merges the drawn targets (with a full team) of a revealed draw into visits.
-- The selection it reads was written a moment ago, so no statistics know its
-- size: without nested loops no plan can turn quadratic on a guess of one row
-- (hash joins cost little here for small draws too).
CREATE FUNCTION supervision.visit_merge(p_draw bigint) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_nestloop = off AS $$
DECLARE
    p supervision.inspection_plan;
    n integer;
BEGIN
    SELECT pl.* INTO p FROM supervision.draw d JOIN supervision.inspection_plan pl ON pl.id = d.plan_id WHERE d.id = p_draw;
    -- a target joins the first open visit of its subject whose period overlaps the plan's, or starts one
    INSERT INTO supervision.visit (subject_id, target_key, check_start, check_end)
    SELECT s.subject_id, s.target_key, p.check_start, p.check_end
      FROM supervision.draw_selection s
     WHERE s.draw_id = p_draw AND s.team IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM supervision.visit v
                        WHERE v.subject_id = s.subject_id
                          AND daterange(v.check_start, v.check_end, '[]') && daterange(p.check_start, p.check_end, '[]')
                          AND NOT EXISTS (SELECT 1 FROM supervision.inspection_result r WHERE r.visit_id = v.id));
    WITH sv AS MATERIALIZED (
        SELECT DISTINCT ON (s.target_key) s.target_key, s.team, v.id AS visit_id
          FROM supervision.draw_selection s
          JOIN supervision.visit v
            ON v.subject_id = s.subject_id
           AND daterange(v.check_start, v.check_end, '[]') && daterange(p.check_start, p.check_end, '[]')
         WHERE s.draw_id = p_draw AND s.team IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM supervision.inspection_result r WHERE r.visit_id = v.id)
         ORDER BY s.target_key, v.id
    ), vd AS (
        INSERT INTO supervision.visit_draw (visit_id, draw_id)
        SELECT sv.visit_id, p_draw FROM sv ON CONFLICT DO NOTHING
    ), vi AS (
        INSERT INTO supervision.visit_item (visit_id, item_code, department_code, draw_id)
        SELECT sv.visit_id, ci.code, ci.department_code, p_draw
          FROM sv CROSS JOIN supervision.catalog_item ci
         WHERE ci.code = ANY (p.items)
        ON CONFLICT DO NOTHING
    ), vn AS (
        INSERT INTO supervision.visit_inspector (visit_id, certificate_no, department_code, draw_id)
        SELECT sv.visit_id, m.certificate_no, di.department_code, p_draw
          FROM sv CROSS JOIN LATERAL unnest(sv.team) m(certificate_no)
          JOIN supervision.draw_inspector di ON di.draw_id = p_draw AND di.certificate_no = m.certificate_no
        ON CONFLICT DO NOTHING
    )
    SELECT count(*) INTO n FROM sv;
    RETURN n;
END
$$;
COMMENT ON FUNCTION supervision.visit_merge(bigint) IS
    'Internal: puts the drawn targets of a draw into visits, joining an open visit of the same subject whose check period overlaps; items already on the visit are not added twice';

-- Publication deadline: 20 working days after the check ends.
CREATE FUNCTION supervision.publication_deadline(p_check_end date) RETURNS date
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN supervision.workdays_add(p_check_end, 20);
END
$$;
COMMENT ON FUNCTION supervision.publication_deadline(date) IS
    'Last day to publish a result: 20 working days (supervision.workdays_add) after the day the check ended';

CREATE FUNCTION supervision.result_record(p_visit bigint, p_outcome text, p_details text, p_checked_on date,
                                          p_published_on date DEFAULT NULL)
RETURNS supervision.inspection_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r supervision.inspection_result;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM supervision.visit WHERE id = p_visit) THEN
        PERFORM supervision.field_error('visit_id', 'no such visit', p_visit::text, '23503');
    END IF;
    IF NOT supervision.actor_is_admin()
       AND NOT EXISTS (SELECT 1 FROM supervision.visit_item vi WHERE vi.visit_id = p_visit
                          AND vi.department_code = supervision.actor_department()) THEN
        RAISE EXCEPTION 'role "%" may not record results of visit %', supervision.actor_role(), p_visit
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_outcome IS NULL OR p_outcome NOT IN ('no_problem', 'problem_found', 'not_found_at_address', 'closed_down', 'refused_inspection', 'other') THEN
        PERFORM supervision.field_error('outcome', 'expected no_problem, problem_found, not_found_at_address, closed_down, refused_inspection or other', p_outcome);
    END IF;
    IF p_outcome IN ('problem_found', 'other') AND coalesce(btrim(p_details), '') = '' THEN
        PERFORM supervision.field_error('details', format('an outcome %s needs details', p_outcome), p_details);
    END IF;
    IF p_checked_on IS NULL THEN
        PERFORM supervision.field_error('checked_on', 'the check date is required', NULL);
    END IF;
    INSERT INTO supervision.inspection_result (visit_id, outcome, details, checked_on, recorded_by, published_on)
    VALUES (p_visit, p_outcome, p_details, p_checked_on, supervision.actor_person(), p_published_on)
    ON CONFLICT (visit_id) DO UPDATE SET outcome = EXCLUDED.outcome, details = EXCLUDED.details,
        checked_on = EXCLUDED.checked_on, recorded_by = EXCLUDED.recorded_by, recorded_at = now(),
        published_on = coalesce(EXCLUDED.published_on, supervision.inspection_result.published_on)
    RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION supervision.result_record(bigint, text, text, date, date) IS
    'Records (or corrects) the result of a visit by an officer of one of its departments; published_on set = published';

CREATE FUNCTION supervision.publication_overdue(p_as_of date DEFAULT current_date)
RETURNS TABLE (department_code text, visit_id bigint, target_key text, subject_name text, check_end date,
               deadline date, days_late integer, result_recorded boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT DISTINCT vi.department_code, v.id, v.target_key, s.name, coalesce(r.checked_on, v.check_end),
           supervision.publication_deadline(coalesce(r.checked_on, v.check_end)),
           p_as_of - supervision.publication_deadline(coalesce(r.checked_on, v.check_end)),
           r.visit_id IS NOT NULL
      FROM supervision.visit v
      JOIN supervision.visit_item vi ON vi.visit_id = v.id
      JOIN supervision.subject s ON s.id = v.subject_id
      LEFT JOIN supervision.inspection_result r ON r.visit_id = v.id
     WHERE (r.published_on IS NULL OR r.published_on > p_as_of)
       AND v.check_end < p_as_of
       AND supervision.publication_deadline(coalesce(r.checked_on, v.check_end)) < p_as_of
       AND (supervision.actor_is_admin() OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER')
            OR vi.department_code = supervision.actor_department())
     ORDER BY 1, 2
$$;
COMMENT ON FUNCTION supervision.publication_overdue(date) IS
    'Visits whose result was not published by its deadline (20 working days after the check), per department, as of a date; officers see their department''s';

CREATE VIEW supervision.publication_overdue_today AS SELECT * FROM supervision.publication_overdue(current_date);
COMMENT ON VIEW supervision.publication_overdue_today IS 'supervision.publication_overdue() as of today';

---------------------------------------------------------------------------
-- Public views (anon)
---------------------------------------------------------------------------

CREATE VIEW supervision.public_plan AS
    SELECT p.id, p.code, p.title, p.departments, p.items, p.check_start, p.check_end, p.filter, p.ratios,
           p.min_count, p.max_count, p.inspectors_per_target, p.exclusion_days, p.workload_cap
      FROM supervision.inspection_plan p;
COMMENT ON VIEW supervision.public_plan IS 'Public: every plan with the parameters of its draw';

CREATE VIEW supervision.public_draw AS
    SELECT d.id, p.code AS plan_code, d.status, d.opened_at, d.population_size, d.population_digest,
           d.seed, d.seed_source, d.seed_published_at, d.revealed_at,
           (SELECT jsonb_object_agg(ds.stratum, jsonb_build_object('population', ds.population, 'ratio', ds.ratio, 'k', ds.k))
              FROM supervision.draw_stratum ds WHERE ds.draw_id = d.id) AS strata
      FROM supervision.draw d JOIN supervision.inspection_plan p ON p.id = d.plan_id;
COMMENT ON VIEW supervision.public_draw IS 'Public: every draw, its population digest (published when opened), seed and its source, counts per stratum';

CREATE VIEW supervision.public_draw_population AS
    SELECT b.draw_id, b.stratum, t.target_key
      FROM supervision.draw_population_block b
     CROSS JOIN LATERAL supervision.sampling_block_targets(b.lines, b.subject_ids, b.divisions, b.division_of) t;
COMMENT ON VIEW supervision.public_draw_population IS
    'Public: the frozen population of every draw, so anyone can recompute its digest and its selection';

CREATE VIEW supervision.public_selection AS
    SELECT s.draw_id, s.stratum, s.rank, s.target_key, sub.name AS subject_name, encode(s.ranking_key, 'hex') AS ranking_key,
           (SELECT jsonb_agg(jsonb_build_object('certificate_no', m.certificate_no, 'name', di.name) ORDER BY m.seq)
              FROM unnest(s.team) WITH ORDINALITY m(certificate_no, seq)
              JOIN supervision.draw_inspector di ON di.draw_id = s.draw_id AND di.certificate_no = m.certificate_no) AS inspectors,
           s.shortfall
      FROM supervision.draw_selection s
      JOIN supervision.subject sub ON sub.id = s.subject_id;
COMMENT ON VIEW supervision.public_selection IS 'Public: the targets drawn, their ranking keys and inspectors (or why a team is missing)';

CREATE VIEW supervision.public_result AS
    SELECT v.id AS visit_id, v.target_key, s.name AS subject_name,
           ARRAY(SELECT vi.item_code FROM supervision.visit_item vi WHERE vi.visit_id = v.id ORDER BY vi.item_code) AS items,
           r.outcome, r.details, r.checked_on, r.published_on,
           (SELECT jsonb_agg(jsonb_build_object('certificate_no', i.certificate_no, 'name', i.name) ORDER BY i.certificate_no)
              FROM supervision.visit_inspector vi JOIN supervision.inspector i ON i.certificate_no = vi.certificate_no
             WHERE vi.visit_id = v.id) AS inspectors
      FROM supervision.inspection_result r
      JOIN supervision.visit v ON v.id = r.visit_id
      JOIN supervision.subject s ON s.id = v.subject_id
     WHERE r.published_on IS NOT NULL;
COMMENT ON VIEW supervision.public_result IS 'Public (一公开): published results with items, outcome, check date and inspectors';

---------------------------------------------------------------------------
-- Row-level security, grants, audit
---------------------------------------------------------------------------

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['subject_credit_class', 'risk_ratio_default', 'random_item', 'target_scope',
                             'inspector_conflict', 'inspection_plan', 'draw', 'draw_stratum', 'draw_population_block',
                             'draw_inspector', 'draw_selection',
                             'visit', 'visit_item', 'visit_inspector', 'visit_draw', 'inspection_result'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY admin_all ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON supervision.%I TO supervision_admin', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_officer, supervision_auditor', t);
        IF t <> 'risk_ratio_default' THEN
            PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
        END IF;
    END LOOP;
    -- lists: everybody reads; a department edits its own
    FOREACH t IN ARRAY ARRAY['subject_credit_class', 'risk_ratio_default', 'random_item', 'target_scope'] LOOP
        EXECUTE format('CREATE POLICY all_read ON supervision.%I FOR SELECT USING (true)', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['random_item', 'target_scope'] LOOP
        EXECUTE format('CREATE POLICY own_department ON supervision.%I FOR ALL TO supervision_officer
                        USING (department_code = supervision.actor_department())
                        WITH CHECK (department_code = supervision.actor_department())', t);
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON supervision.%I TO supervision_officer', t);
    END LOOP;
    -- draw records: the departments of the plan (writes only through draw_open/draw_reveal)
    FOREACH t IN ARRAY ARRAY['draw', 'draw_stratum', 'draw_population_block', 'draw_inspector', 'draw_selection'] LOOP
        EXECUTE format('CREATE POLICY plan_departments ON supervision.%I FOR SELECT USING (supervision.sampling_draw_visible(%s))',
                       t, CASE WHEN t = 'draw' THEN 'id' ELSE 'draw_id' END);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['visit', 'visit_item', 'visit_inspector', 'visit_draw', 'inspection_result'] LOOP
        EXECUTE format('CREATE POLICY visit_departments ON supervision.%I FOR SELECT USING (
                            supervision.actor_is_admin() OR pg_has_role(supervision.actor_role(), ''supervision_auditor'', ''MEMBER'')
                            OR EXISTS (SELECT 1 FROM supervision.visit_item vi WHERE vi.visit_id = %s
                                          AND vi.department_code = supervision.actor_department()))',
                       t, CASE WHEN t = 'visit' THEN 'id' ELSE 'visit_id' END);
    END LOOP;
END
$$;
CREATE POLICY plan_departments ON supervision.inspection_plan FOR ALL TO supervision_officer, supervision_auditor
    USING (supervision.sampling_plan_visible(id))
    WITH CHECK (supervision.actor_department() = ANY (departments));
GRANT INSERT, UPDATE ON supervision.inspection_plan TO supervision_officer;
CREATE POLICY officer_department ON supervision.inspector_conflict FOR ALL TO supervision_officer, supervision_auditor
    USING (supervision.actor_is_admin() OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER')
           OR EXISTS (SELECT 1 FROM supervision.inspector i WHERE i.id = inspector_id
                         AND i.department_code = supervision.actor_department()))
    WITH CHECK (EXISTS (SELECT 1 FROM supervision.inspector i WHERE i.id = inspector_id
                           AND i.department_code = supervision.actor_department()));
GRANT INSERT, UPDATE, DELETE ON supervision.inspector_conflict TO supervision_officer;
SELECT supervision.audit_attach('supervision.inspection_plan');
SELECT supervision.audit_attach('supervision.inspector_conflict');
SELECT supervision.audit_attach('supervision.inspection_result');
SELECT supervision.audit_attach('supervision.draw');

GRANT SELECT ON supervision.public_plan, supervision.public_draw, supervision.public_draw_population,
    supervision.public_selection, supervision.public_result
    TO supervision_api_anon, supervision_api_user, supervision_officer, supervision_auditor, supervision_admin;
GRANT SELECT ON supervision.target_directory, supervision.publication_overdue_today
    TO supervision_officer, supervision_auditor, supervision_admin;
GRANT SELECT ON supervision.draw_population, supervision.draw_exclusion, supervision.draw_assignment, supervision.draw_shortfall
    TO supervision_officer, supervision_auditor, supervision_admin;

REVOKE ALL ON FUNCTION supervision.sampling_select(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.sampling_draw(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.sampling_freeze(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_candidates(text[], text[], text[], text[], text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_filter(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_recent_subjects(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_conflicts(bigint, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.sampling_population_digest(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.visit_merge(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_open(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.draw_reveal(bigint, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION supervision.result_record(bigint, text, text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.draw_open(bigint), supervision.draw_reveal(bigint, text, text, timestamptz),
    supervision.result_record(bigint, text, text, date, date) TO supervision_officer, supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.draw_verify(bigint) TO supervision_officer, supervision_auditor, supervision_admin,
    supervision_api_anon, supervision_api_user;
