-- Supervision-effectiveness evaluation (task 9): the index system and its runs.
-- docs/evaluation.md explains the model; sql/evaluation.sql has the numeric
-- functions used here; sql/evaluation_report.sql turns a run into a report.
--
--   evaluation_query   built-in SQL that computes an indicator's raw value per
--                      unit and period from the data center; written by
--                      superusers only, because it runs as whoever runs an
--                      evaluation (the rule of supervision.job_definition)
--   evaluation_system  an index system, versioned: a draft is edited, then
--                      activated (checked, frozen); a change is a new version
--   evaluation_node    its tree: the root (the system score), dimensions,
--                      indicators; each group weights its children by a method
--                      (fixed, ahp, entropy), each indicator has a direction and
--                      a source (a query or entered values)
--   evaluation_value   values entered or imported per indicator, unit and period
--                      (petitions, major accidents, public rating...)
--   evaluation_run     one evaluation of a system over a period: units, the
--   evaluation_run_*   weights used, node scores per unit, ranks and changes

---------------------------------------------------------------------------
-- Sources of raw values
---------------------------------------------------------------------------

CREATE TABLE supervision.evaluation_query (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,62}$'),
    description text NOT NULL CHECK (btrim(description) <> ''),
    unit_levels text[] NOT NULL CHECK (cardinality(unit_levels) > 0 AND unit_levels <@ ARRAY['city', 'department']),
    value_unit  text,
    sql         text NOT NULL CHECK (btrim(sql) <> '' AND sql !~ ';\s*$'),
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE supervision.evaluation_query IS
    'Queries that compute an indicator''s raw value per unit from the data center. Parameters: $1 period start (date), $2 period end (date, inclusive), $3 unit level (city or department), $4 the unit codes (text[]); result: two columns, unit code and value (NULL = no value). They run as the role that runs the evaluation, so only superusers add or change them; administrators choose which query an indicator uses.';
COMMENT ON COLUMN supervision.evaluation_query.unit_levels IS 'The unit levels the query answers for (city: the 13 cities by 6-digit code, department: 3-digit department codes)';
COMMENT ON COLUMN supervision.evaluation_query.value_unit IS 'Unit of the value, for reports (%, count, per 10,000 subjects)';
COMMENT ON COLUMN supervision.evaluation_query.sql IS 'A SELECT of (unit, value) with every name schema-qualified (it runs with search_path = pg_catalog, pg_temp), without a final semicolon';

-- The built-in queries. A city is the 4-digit prefix of a division code
-- (320100 holds 3201xx and 3201xxxxx); dates are Beijing dates.
INSERT INTO supervision.evaluation_query (name, description, unit_levels, value_unit, sql, builtin) VALUES
('inspections_completed_share',
 'Double-random inspections completed: share (%) of the visits whose check period ends in the period that have a result checked by the period end. City: the subject''s city; department: every department with an item on the visit. NULL where no visit was due.',
 '{city,department}', '%',
 $q$SELECT u.unit, 100.0 * count(v.id) FILTER (WHERE v.done) / nullif(count(v.id), 0)
  FROM unnest($4) AS u(unit)
  LEFT JOIN (SELECT DISTINCT v.id,
                    CASE WHEN $3 = 'city' THEN left(s.division_code, 4) || '00' ELSE vi.department_code END AS unit,
                    EXISTS (SELECT 1 FROM supervision.inspection_result r
                             WHERE r.visit_id = v.id AND r.checked_on <= $2) AS done
               FROM supervision.visit v
               JOIN supervision.visit_item vi ON vi.visit_id = v.id
               JOIN supervision.subject s ON s.id = v.subject_id
              WHERE v.check_end BETWEEN $1 AND $2) v ON v.unit = u.unit
 GROUP BY u.unit$q$, true),
('results_published_on_time_share',
 'One publication (一公开): share (%) of the results checked in the period that were published by their deadline (supervision.publication_deadline, 20 working days). A result still unpublished counts as late. NULL where no result was checked.',
 '{city,department}', '%',
 $q$SELECT u.unit, 100.0 * count(r.visit_id) FILTER (WHERE r.on_time) / nullif(count(r.visit_id), 0)
  FROM unnest($4) AS u(unit)
  LEFT JOIN (SELECT DISTINCT r.visit_id,
                    CASE WHEN $3 = 'city' THEN left(s.division_code, 4) || '00' ELSE vi.department_code END AS unit,
                    coalesce(r.published_on <= supervision.publication_deadline(r.checked_on), false) AS on_time
               FROM supervision.inspection_result r
               JOIN supervision.visit v ON v.id = r.visit_id
               JOIN supervision.visit_item vi ON vi.visit_id = v.id
               JOIN supervision.subject s ON s.id = v.subject_id
              WHERE r.checked_on BETWEEN $1 AND $2) r ON r.unit = u.unit
 GROUP BY u.unit$q$, true),
('penalties',
 'Administrative penalties (行政处罚) decided in the period (behaviour of kind penalty, by check time), withdrawn rows left out. City: the division of the behaviour, else of its subject, else of its agency; department: the department of its agency, else of its source system.',
 '{city,department}', 'count',
 $q$SELECT u.unit, count(b.id)::float8
  FROM unnest($4) AS u(unit)
  LEFT JOIN (SELECT b.id,
                    CASE WHEN $3 = 'city' THEN left(coalesce(b.division_code, s.division_code, a.division_code), 4) || '00'
                         ELSE coalesce(a.department_code, ss.department_code) END AS unit
               FROM supervision.behaviour b
               LEFT JOIN supervision.subject s ON s.id = b.subject_id
               LEFT JOIN supervision.agency a ON a.uscc = b.agency_uscc
               LEFT JOIN supervision.source_system ss ON ss.code = b.source_code
              WHERE b.kind = 'penalty' AND NOT b.deleted
                AND (b.check_time AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2) b ON b.unit = u.unit
 GROUP BY u.unit$q$, true),
('penalties_per_10k_subjects',
 'Administrative penalties decided in the period (as in penalties) per 10,000 active subjects registered in the city. NULL for a city without subjects.',
 '{city}', 'per 10,000 subjects',
 $q$SELECT u.unit,
       10000.0 * (SELECT count(*)
                    FROM supervision.behaviour b
                    LEFT JOIN supervision.subject s ON s.id = b.subject_id
                    LEFT JOIN supervision.agency a ON a.uscc = b.agency_uscc
                   WHERE b.kind = 'penalty' AND NOT b.deleted
                     AND (b.check_time AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2
                     AND left(coalesce(b.division_code, s.division_code, a.division_code), 4) = left(u.unit, 4))
       / nullif((SELECT count(*) FROM supervision.subject s
                  WHERE s.status = 'active' AND s.merged_into IS NULL AND left(s.division_code, 4) = left(u.unit, 4)), 0)
  FROM unnest($4) AS u(unit)$q$, true),
('negative_internet_info',
 'Public opinion (舆情): internet and third-party items with a negative sentiment (< 0) published in the period, withdrawn rows left out. City: the division of the subject named, else of the source system; department: the department of the source system.',
 '{city,department}', 'count',
 $q$SELECT u.unit, count(n.id)::float8
  FROM unnest($4) AS u(unit)
  LEFT JOIN (SELECT n.id,
                    CASE WHEN $3 = 'city' THEN left(coalesce(s.division_code, ss.division_code), 4) || '00'
                         ELSE ss.department_code END AS unit
               FROM supervision.internet_info n
               LEFT JOIN supervision.subject s ON s.id = n.subject_id
               LEFT JOIN supervision.source_system ss ON ss.code = n.source_code
              WHERE n.sentiment < 0 AND NOT n.deleted
                AND (n.published_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2) n ON n.unit = u.unit
 GROUP BY u.unit$q$, true),
('negative_internet_info_per_10k_subjects',
 'Negative internet items (as in negative_internet_info) per 10,000 active subjects registered in the city. NULL for a city without subjects.',
 '{city}', 'per 10,000 subjects',
 $q$SELECT u.unit,
       10000.0 * (SELECT count(*)
                    FROM supervision.internet_info n
                    LEFT JOIN supervision.subject s ON s.id = n.subject_id
                    LEFT JOIN supervision.source_system ss ON ss.code = n.source_code
                   WHERE n.sentiment < 0 AND NOT n.deleted
                     AND (n.published_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $1 AND $2
                     AND left(coalesce(s.division_code, ss.division_code), 4) = left(u.unit, 4))
       / nullif((SELECT count(*) FROM supervision.subject s
                  WHERE s.status = 'active' AND s.merged_into IS NULL AND left(s.division_code, 4) = left(u.unit, 4)), 0)
  FROM unnest($4) AS u(unit)$q$, true);

-- Values the database does not hold: entered or imported per indicator, unit and period.
CREATE TABLE supervision.evaluation_value (
    indicator    text NOT NULL CHECK (indicator ~ '^[a-z][a-z0-9_]{1,62}$'),
    unit_level   text NOT NULL CHECK (unit_level IN ('city', 'department')),
    unit_code    text NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    value        double precision NOT NULL CHECK (value > '-Infinity' AND value < 'Infinity'),
    source       text,
    entered_by   text NOT NULL DEFAULT coalesce(supervision.actor_person(), session_user),
    entered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator, unit_level, unit_code, period_start, period_end),
    CONSTRAINT evaluation_value_period CHECK (period_end >= period_start),
    CONSTRAINT evaluation_value_unit_code CHECK (
        (unit_level = 'city' AND unit_code ~ '^32(0[1-9]|1[0-3])00$')
        OR (unit_level = 'department' AND unit_code ~ '^[0-9]{3}$'))
);
COMMENT ON TABLE supervision.evaluation_value IS
    'Indicator values the database does not hold (petitions, major accidents, public rating, complaints until the 12345 library exists), entered or imported per indicator name, unit and period; a run uses the rows whose period is exactly its own';
COMMENT ON COLUMN supervision.evaluation_value.indicator IS 'The name an indicator node refers to (evaluation_node.value_indicator), e.g. petitions';
COMMENT ON COLUMN supervision.evaluation_value.unit_code IS 'A Jiangsu city (320100 .. 321300) or a department code (3 digits)';
COMMENT ON COLUMN supervision.evaluation_value.source IS 'Where the value comes from (report, survey, file), for the record';

---------------------------------------------------------------------------
-- Index systems
---------------------------------------------------------------------------

CREATE TABLE supervision.evaluation_system (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    version      integer NOT NULL CHECK (version >= 1),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    description  text,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'retired')),
    created_by   text NOT NULL DEFAULT coalesce(supervision.actor_person(), session_user),
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_by text,
    activated_at timestamptz,
    UNIQUE (code, version)
);
CREATE UNIQUE INDEX evaluation_system_one_active ON supervision.evaluation_system (code) WHERE status = 'active';
COMMENT ON TABLE supervision.evaluation_system IS
    'Evaluation index systems (评价指标体系), versioned: a draft is edited freely; activation checks it (tree, weights, AHP consistency) and freezes it; a new version (evaluation_system_revise) replaces the active one when activated. Runs use the active version of a code.';
COMMENT ON COLUMN supervision.evaluation_system.status IS 'draft (editable), active (the version runs use, frozen), retired (replaced, frozen)';

CREATE TABLE supervision.evaluation_node (
    system_id       bigint NOT NULL REFERENCES supervision.evaluation_system ON DELETE CASCADE,
    code            text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    parent_code     text,
    kind            text NOT NULL CHECK (kind IN ('group', 'indicator')),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    position        integer NOT NULL DEFAULT 0,
    description     text,
    weight          double precision CHECK (weight > 0 AND weight < 'Infinity'),
    method          text CHECK (method IN ('fixed', 'ahp', 'entropy')),
    ahp_children    text[],
    ahp_matrix      double precision[],
    direction       text CHECK (direction IN ('benefit', 'cost')),
    source          text CHECK (source IN ('query', 'value')),
    query_name      text REFERENCES supervision.evaluation_query ON UPDATE CASCADE,
    value_indicator text CHECK (value_indicator ~ '^[a-z][a-z0-9_]{1,62}$'),
    value_unit      text,
    PRIMARY KEY (system_id, code),
    FOREIGN KEY (system_id, parent_code) REFERENCES supervision.evaluation_node (system_id, code),
    CONSTRAINT evaluation_node_not_own_parent CHECK (parent_code IS DISTINCT FROM code),
    CONSTRAINT evaluation_node_group CHECK (kind <> 'group' OR (method IS NOT NULL AND direction IS NULL AND source IS NULL
                                                               AND query_name IS NULL AND value_indicator IS NULL)),
    CONSTRAINT evaluation_node_indicator CHECK (kind <> 'indicator' OR (method IS NULL AND direction IS NOT NULL AND source IS NOT NULL
                                                                       AND parent_code IS NOT NULL)),
    CONSTRAINT evaluation_node_source CHECK ((source = 'query') = (query_name IS NOT NULL)
                                             AND (source = 'value') = (value_indicator IS NOT NULL)),
    CONSTRAINT evaluation_node_ahp CHECK (method = 'ahp' OR (ahp_children IS NULL AND ahp_matrix IS NULL))
);
CREATE INDEX ON supervision.evaluation_node (system_id, parent_code);
COMMENT ON TABLE supervision.evaluation_node IS
    'The tree of an index system: one root group (the system score), groups below it (dimensions, 维度), indicators (指标) as leaves. A group weights its children by its method; an indicator has a direction and a source of raw values.';
COMMENT ON COLUMN supervision.evaluation_node.position IS 'Order among siblings (then code), in reports';
COMMENT ON COLUMN supervision.evaluation_node.weight IS 'The node''s weight within its parent when the parent''s method is fixed (any positive numbers: they are divided by their sum)';
COMMENT ON COLUMN supervision.evaluation_node.method IS 'Groups: how the children are weighted: fixed (their weight column), ahp (ahp_matrix), entropy (entropy_weights of the children''s normalised values in each run)';
COMMENT ON COLUMN supervision.evaluation_node.ahp_children IS 'method ahp: the children''s codes in the order of the rows and columns of ahp_matrix';
COMMENT ON COLUMN supervision.evaluation_node.ahp_matrix IS 'method ahp: pairwise comparisons of the children (Saaty scale), ahp_matrix[i][j] = importance of ahp_children[i] over ahp_children[j]; CR must be below 0.1';
COMMENT ON COLUMN supervision.evaluation_node.direction IS 'Indicators: benefit (more is better) or cost (less is better)';
COMMENT ON COLUMN supervision.evaluation_node.source IS 'Indicators: query (query_name, computed from the data center) or value (entered in evaluation_value under value_indicator)';
COMMENT ON COLUMN supervision.evaluation_node.value_unit IS 'Unit of the raw value for reports; defaults to the query''s';

-- Nodes change only while their system is a draft; a system leaves draft only through the checks.
CREATE FUNCTION supervision.evaluation_node_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s supervision.evaluation_system;
BEGIN
    FOR s IN SELECT * FROM supervision.evaluation_system
              WHERE id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.system_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.system_id END)
    LOOP
        IF s.status <> 'draft' THEN
            RAISE EXCEPTION 'index system % version % is % and cannot change', s.code, s.version, s.status
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = format('Make a new version with supervision.evaluation_system_revise(%L), change it, and activate it.', s.code);
        END IF;
    END LOOP;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER evaluation_node_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.evaluation_node
    FOR EACH ROW EXECUTE FUNCTION supervision.evaluation_node_guard();
COMMENT ON FUNCTION supervision.evaluation_node_guard() IS 'Trigger: the nodes of an active or retired index system are frozen';

-- What keeps a draft from being activated: one row per problem (none = usable).
CREATE FUNCTION supervision.evaluation_system_problems(p_system bigint)
RETURNS TABLE (node text, problem text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n     record;
    v_kids text[];
    a     record;
    v_roots integer;
BEGIN
    SELECT count(*) INTO v_roots FROM supervision.evaluation_node x WHERE x.system_id = p_system AND x.parent_code IS NULL;
    IF v_roots <> 1 THEN
        node := NULL; problem := format('an index system needs exactly one root node (without parent), it has %s', v_roots);
        RETURN NEXT;
    END IF;
    -- every node hangs below the root (no cycles)
    FOR n IN
        WITH RECURSIVE t AS (
            SELECT x.code FROM supervision.evaluation_node x WHERE x.system_id = p_system AND x.parent_code IS NULL
            UNION
            SELECT x.code FROM supervision.evaluation_node x JOIN t ON x.parent_code = t.code WHERE x.system_id = p_system
        )
        SELECT x.code FROM supervision.evaluation_node x
         WHERE x.system_id = p_system AND x.parent_code IS NOT NULL AND x.code NOT IN (SELECT t.code FROM t)
         ORDER BY x.code
    LOOP
        node := n.code; problem := 'not below the root (its parents form a cycle)';
        RETURN NEXT;
    END LOOP;
    FOR n IN SELECT x.*, p.method AS parent_method, p.kind AS parent_kind
               FROM supervision.evaluation_node x
               LEFT JOIN supervision.evaluation_node p ON p.system_id = x.system_id AND p.code = x.parent_code
              WHERE x.system_id = p_system ORDER BY x.code
    LOOP
        IF n.parent_kind = 'indicator' THEN
            node := n.code; problem := format('its parent %s is an indicator; only groups have children', n.parent_code);
            RETURN NEXT;
        END IF;
        IF n.parent_method = 'fixed' AND n.weight IS NULL THEN
            node := n.code; problem := format('no weight, and its parent %s weights its children by fixed weights', n.parent_code);
            RETURN NEXT;
        END IF;
        IF n.kind = 'group' THEN
            SELECT array_agg(c.code ORDER BY c.code) INTO v_kids
              FROM supervision.evaluation_node c WHERE c.system_id = p_system AND c.parent_code = n.code;
            IF v_kids IS NULL THEN
                node := n.code; problem := 'a group without children';
                RETURN NEXT;
            ELSIF n.method = 'ahp' THEN
                IF n.ahp_children IS NULL OR n.ahp_matrix IS NULL THEN
                    node := n.code; problem := 'method ahp needs ahp_children and ahp_matrix';
                    RETURN NEXT;
                ELSIF (SELECT array_agg(c ORDER BY c) FROM unnest(n.ahp_children) c) IS DISTINCT FROM v_kids THEN
                    node := n.code;
                    problem := format('ahp_children %s must name each child once; the children are %s', n.ahp_children, v_kids);
                    RETURN NEXT;
                ELSIF array_ndims(n.ahp_matrix) IS DISTINCT FROM 2 OR array_length(n.ahp_matrix, 1) <> cardinality(n.ahp_children)
                      OR array_length(n.ahp_matrix, 2) <> cardinality(n.ahp_children) THEN
                    node := n.code;
                    problem := format('ahp_matrix must be %s x %s, one row and column per child', cardinality(n.ahp_children), cardinality(n.ahp_children));
                    RETURN NEXT;
                ELSE
                    BEGIN
                        SELECT * INTO a FROM supervision.ahp_weights(n.ahp_matrix, false);
                        IF a.consistent IS NOT TRUE THEN
                            node := n.code;
                            problem := CASE WHEN a.cr IS NULL THEN format('AHP with %s children: the consistency ratio is not known above 15', cardinality(n.ahp_children))
                                            ELSE format('the pairwise comparisons are not consistent enough: CR = %s is not below 0.1 (lambda_max = %s)',
                                                        round(a.cr::numeric, 4), round(a.lambda_max::numeric, 4)) END;
                            RETURN NEXT;
                        END IF;
                    EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed OR array_subscript_error OR numeric_value_out_of_range THEN
                        node := n.code; problem := 'ahp_matrix: ' || SQLERRM;
                        RETURN NEXT;
                    END;
                END IF;
            END IF;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_system_problems(bigint) IS
    'Why an index system cannot be activated, one row per problem: not exactly one root, nodes outside the tree, children of an indicator, empty groups, missing fixed weights, AHP matrices that do not match the children, are malformed or have CR >= 0.1';

CREATE FUNCTION supervision.evaluation_system_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_problems text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'index system % version % is % and cannot be deleted', OLD.code, OLD.version, OLD.status
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a new index system starts as a draft'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Activate it with supervision.evaluation_system_activate().';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status <> 'draft' AND (NEW.code, NEW.version, NEW.name, NEW.description, NEW.created_by, NEW.created_at)
                                  IS DISTINCT FROM (OLD.code, OLD.version, OLD.name, OLD.description, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'index system % version % is % and cannot change', OLD.code, OLD.version, OLD.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Make a new version with supervision.evaluation_system_revise(%L).', OLD.code);
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT ((OLD.status = 'draft' AND NEW.status = 'active') OR (OLD.status = 'active' AND NEW.status = 'retired')) THEN
            RAISE EXCEPTION 'index system % version % cannot go from % to %', OLD.code, OLD.version, OLD.status, NEW.status
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NEW.status = 'active' THEN
            SELECT string_agg(coalesce(p.node || ': ', '') || p.problem, '; ') INTO v_problems
              FROM supervision.evaluation_system_problems(NEW.id) p;
            IF v_problems IS NOT NULL THEN
                RAISE EXCEPTION 'index system % version % cannot be activated', NEW.code, NEW.version
                    USING ERRCODE = 'check_violation', DETAIL = v_problems || '.',
                          HINT = 'supervision.evaluation_system_problems(id) lists every problem.';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER evaluation_system_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.evaluation_system
    FOR EACH ROW EXECUTE FUNCTION supervision.evaluation_system_guard();
COMMENT ON FUNCTION supervision.evaluation_system_guard() IS
    'Trigger: systems start as drafts; only draft -> active (when evaluation_system_problems finds nothing) and active -> retired; active and retired systems are frozen';

-- Creates a draft from a JSON tree (see docs/evaluation.md):
-- {"code", "name", "description", "root": {"code", "name", "method", "pairwise", "children": [...]}}
-- children: groups {"code", "name", "weight", "method", "pairwise", "children"} or indicators
-- {"code", "name", "weight", "direction", "query" | "value", "unit"}; pairwise rows follow the children.
CREATE FUNCTION supervision.evaluation_system_define(p_system jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id    bigint;
    v_code  text := p_system ->> 'code';
    v_key   text;
BEGIN
    IF jsonb_typeof(p_system) IS DISTINCT FROM 'object' THEN
        PERFORM supervision.field_error('system', 'expected a JSON object', p_system::text);
    END IF;
    SELECT k INTO v_key FROM jsonb_object_keys(p_system) k WHERE k NOT IN ('code', 'name', 'description', 'root') LIMIT 1;
    IF v_key IS NOT NULL THEN
        PERFORM supervision.field_error(v_key, 'unknown field of an index system (code, name, description, root)', p_system ->> v_key);
    END IF;
    IF v_code IS NULL OR v_code !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' THEN
        PERFORM supervision.field_error('code', 'expected 1 to 40 letters, digits, _ . - (starting with a letter or digit)', v_code);
    END IF;
    IF coalesce(btrim(p_system ->> 'name'), '') = '' THEN
        PERFORM supervision.field_error('name', 'the index system needs a name', p_system ->> 'name');
    END IF;
    IF jsonb_typeof(p_system -> 'root') IS DISTINCT FROM 'object' THEN
        PERFORM supervision.field_error('root', 'the root node is required (an object)', p_system ->> 'root');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('supervision.evaluation_system:' || coalesce(v_code, '')));
    INSERT INTO supervision.evaluation_system (code, version, name, description)
    VALUES (v_code, coalesce((SELECT max(s.version) FROM supervision.evaluation_system s WHERE s.code = v_code), 0) + 1,
            p_system ->> 'name', p_system ->> 'description')
    RETURNING id INTO v_id;
    PERFORM supervision.evaluation_define_node(v_id, NULL, p_system -> 'root', 0);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_system_define(jsonb) IS
    'Creates a draft index system (the next version of its code) from a JSON tree; returns its id. Activate it with evaluation_system_activate.';

CREATE FUNCTION supervision.evaluation_define_node(p_system bigint, p_parent text, p jsonb, p_position integer)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key      text;
    v_group    boolean := p ? 'children';
    v_children jsonb := p -> 'children';
    v_where    text := coalesce(p ->> 'code', '?');
    i          integer := 0;
    c          jsonb;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        PERFORM supervision.field_error('node', 'expected a JSON object', p::text);
    END IF;
    SELECT k INTO v_key FROM jsonb_object_keys(p) k
     WHERE k NOT IN ('code', 'name', 'description', 'weight', 'method', 'pairwise', 'children', 'direction', 'query', 'value', 'unit')
     LIMIT 1;
    IF v_key IS NOT NULL THEN
        PERFORM supervision.field_error(v_where || '.' || v_key, 'unknown field of a node', p ->> v_key);
    END IF;
    IF v_group AND (jsonb_typeof(v_children) <> 'array' OR jsonb_array_length(v_children) = 0) THEN
        PERFORM supervision.field_error(v_where || '.children', 'a group needs a non-empty array of children', v_children::text);
    END IF;
    IF NOT v_group AND p_parent IS NULL THEN
        PERFORM supervision.field_error(v_where || '.children', 'the root is a group: it needs children', NULL);
    END IF;
    IF p ? 'pairwise' AND jsonb_typeof(p -> 'pairwise') <> 'array' THEN
        PERFORM supervision.field_error(v_where || '.pairwise', 'expected an array of rows', p ->> 'pairwise');
    END IF;
    IF (p ? 'query') AND (p ? 'value') THEN
        PERFORM supervision.field_error(v_where, 'an indicator takes its values from a query or from entered values, not both', NULL);
    END IF;
    IF NOT v_group AND NOT (p ? 'query') AND NOT (p ? 'value') THEN
        PERFORM supervision.field_error(v_where, 'an indicator needs a source: "query" (a supervision.evaluation_query) or "value" (an indicator name in supervision.evaluation_value)', NULL);
    END IF;
    IF (p ? 'query') AND NOT EXISTS (SELECT 1 FROM supervision.evaluation_query q WHERE q.name = p ->> 'query') THEN
        PERFORM supervision.field_error(v_where || '.query', 'no such query in supervision.evaluation_query', p ->> 'query', '23503');
    END IF;
    INSERT INTO supervision.evaluation_node (system_id, code, parent_code, kind, name, position, description, weight, method,
                                             ahp_children, ahp_matrix, direction, source, query_name, value_indicator, value_unit)
    VALUES (p_system, p ->> 'code', p_parent, CASE WHEN v_group THEN 'group' ELSE 'indicator' END,
            p ->> 'name', p_position, p ->> 'description', (p ->> 'weight')::float8,
            CASE WHEN v_group THEN coalesce(p ->> 'method', 'fixed') END,
            CASE WHEN p ? 'pairwise' THEN ARRAY(SELECT e ->> 'code' FROM jsonb_array_elements(v_children) e) END,
            CASE WHEN p ? 'pairwise' THEN
                (SELECT array_agg(ARRAY(SELECT x::float8 FROM jsonb_array_elements_text(r) x) ORDER BY o)
                   FROM jsonb_array_elements(p -> 'pairwise') WITH ORDINALITY AS t(r, o)) END,
            p ->> 'direction',
            CASE WHEN p ? 'query' THEN 'query' WHEN p ? 'value' THEN 'value' END,
            p ->> 'query', p ->> 'value',
            coalesce(p ->> 'unit', (SELECT q.value_unit FROM supervision.evaluation_query q WHERE q.name = p ->> 'query')));
    IF v_group THEN
        FOR c IN SELECT e FROM jsonb_array_elements(v_children) e LOOP
            i := i + 1;
            PERFORM supervision.evaluation_define_node(p_system, p ->> 'code', c, i);
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_define_node(bigint, text, jsonb, integer) IS
    'Internal: inserts one node of evaluation_system_define and, for a group, its children in order';

CREATE FUNCTION supervision.evaluation_system_activate(p_system bigint) RETURNS supervision.evaluation_system
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s supervision.evaluation_system;
BEGIN
    SELECT * INTO s FROM supervision.evaluation_system WHERE id = p_system FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('system_id', 'no such index system', p_system::text, '23503');
    END IF;
    IF s.status <> 'draft' THEN
        RAISE EXCEPTION 'index system % version % is already %', s.code, s.version, s.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE supervision.evaluation_system SET status = 'retired' WHERE code = s.code AND status = 'active';
    UPDATE supervision.evaluation_system
       SET status = 'active', activated_by = coalesce(supervision.actor_person(), session_user), activated_at = now()
     WHERE id = p_system
    RETURNING * INTO s;
    RETURN s;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_system_activate(bigint) IS
    'Checks a draft (evaluation_system_problems), freezes it and makes it the active version of its code; the version it replaces is retired';

CREATE FUNCTION supervision.evaluation_system_revise(p_code text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s    supervision.evaluation_system;
    v_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('supervision.evaluation_system:' || coalesce(p_code, '')));
    SELECT * INTO s FROM supervision.evaluation_system WHERE code = p_code ORDER BY version DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('code', 'no index system with this code', p_code, '23503');
    END IF;
    IF s.status = 'draft' THEN
        RAISE EXCEPTION 'index system % already has a draft, version %', s.code, s.version
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Edit that draft (its id is ' || s.id || ').';
    END IF;
    INSERT INTO supervision.evaluation_system (code, version, name, description)
    VALUES (s.code, s.version + 1, s.name, s.description) RETURNING id INTO v_id;
    -- parents before children: insert in tree order
    INSERT INTO supervision.evaluation_node (system_id, code, parent_code, kind, name, position, description, weight, method,
                                             ahp_children, ahp_matrix, direction, source, query_name, value_indicator, value_unit)
    WITH RECURSIVE t AS (
        SELECT n.*, 0 AS depth FROM supervision.evaluation_node n WHERE n.system_id = s.id AND n.parent_code IS NULL
        UNION ALL
        SELECT n.*, t.depth + 1 FROM supervision.evaluation_node n JOIN t ON n.parent_code = t.code WHERE n.system_id = s.id
    )
    SELECT v_id, t.code, t.parent_code, t.kind, t.name, t.position, t.description, t.weight, t.method,
           t.ahp_children, t.ahp_matrix, t.direction, t.source, t.query_name, t.value_indicator, t.value_unit
      FROM t ORDER BY t.depth, t.code;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_system_revise(text) IS
    'A new draft version of an index system, a copy of its latest version, to change and activate; returns its id';

---------------------------------------------------------------------------
-- Runs
---------------------------------------------------------------------------

CREATE TABLE supervision.evaluation_run (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_id       bigint NOT NULL REFERENCES supervision.evaluation_system,
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    unit_level      text NOT NULL CHECK (unit_level IN ('city', 'department')),
    unit_count      integer NOT NULL CHECK (unit_count >= 2),
    missing         text NOT NULL CHECK (missing IN ('error', 'worst')),
    previous_run_id bigint REFERENCES supervision.evaluation_run ON DELETE SET NULL,
    created_by      text NOT NULL DEFAULT coalesce(supervision.actor_person(), session_user),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start)
);
CREATE INDEX ON supervision.evaluation_run (system_id);
COMMENT ON TABLE supervision.evaluation_run IS
    'One evaluation: an active index system over a period (both days included) for a set of units; previous_run_id is the run its changes are measured against';
COMMENT ON COLUMN supervision.evaluation_run.missing IS 'What a missing raw value did: error (the run was refused) or worst (the unit got 0, the worst normalised value)';
COMMENT ON COLUMN supervision.evaluation_run.previous_run_id IS
    'The run of the same system code and unit level whose period ends latest before this one''s end (latest such run if several), at the time of the run';

CREATE TABLE supervision.evaluation_run_unit (
    run_id         bigint NOT NULL REFERENCES supervision.evaluation_run ON DELETE CASCADE,
    unit_code      text NOT NULL,
    unit_name      text NOT NULL,
    score          double precision NOT NULL CHECK (score >= 0 AND score <= 100),
    rank           integer NOT NULL CHECK (rank >= 1),
    previous_score double precision,
    previous_rank  integer,
    score_delta    double precision,
    rank_delta     integer,
    PRIMARY KEY (run_id, unit_code)
);
COMMENT ON TABLE supervision.evaluation_run_unit IS
    'Each unit of a run: score 0-100, rank (1 = best, equal scores share a rank), and against the previous run: score_delta = score - previous score, rank_delta = previous rank - rank (positive = moved up)';

CREATE TABLE supervision.evaluation_run_node (
    run_id          bigint NOT NULL REFERENCES supervision.evaluation_run ON DELETE CASCADE,
    node_code       text NOT NULL,
    parent_code     text,
    kind            text NOT NULL,
    name            text NOT NULL,
    depth           integer NOT NULL,
    sort_key        text NOT NULL,
    method          text,
    direction       text,
    source          text,
    value_unit      text,
    weight          double precision,
    global_weight   double precision,
    excluded        text,
    detail          jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, node_code)
);
COMMENT ON TABLE supervision.evaluation_run_node IS
    'The weights a run used: weight within the parent (summing to 1 over the included siblings), global_weight = product of the weights from the root (the share of the total score), excluded = why a node did not count (constant: every unit had the same value; no data; no included child)';
COMMENT ON COLUMN supervision.evaluation_run_node.detail IS
    'Leaves: min and max of the raw values, query or indicator name; AHP groups: lambda_max, CI, CR; entropy groups: the entropy weights';

CREATE TABLE supervision.evaluation_run_score (
    run_id       bigint NOT NULL REFERENCES supervision.evaluation_run ON DELETE CASCADE,
    unit_code    text NOT NULL,
    node_code    text NOT NULL,
    raw_value    double precision,
    value        double precision,
    imputed      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (run_id, unit_code, node_code),
    FOREIGN KEY (run_id, unit_code) REFERENCES supervision.evaluation_run_unit ON DELETE CASCADE,
    FOREIGN KEY (run_id, node_code) REFERENCES supervision.evaluation_run_node ON DELETE CASCADE
);
COMMENT ON TABLE supervision.evaluation_run_score IS
    'Per unit and node: the raw value (indicators), value = normalised value in [0, 1] (indicators: min-max by direction; groups: the weighted sum of the children''s values), imputed = the raw value was missing and the worst value was used. Score on 0-100 = 100 * value; points added to the total = 100 * global_weight * value.';

-- The units of a level: the 13 Jiangsu cities, or departments.
CREATE FUNCTION supervision.evaluation_units(p_unit_level text, p_units text[] DEFAULT NULL)
RETURNS TABLE (unit_code text, unit_name text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_bad text;
BEGIN
    IF p_unit_level IS NULL OR p_unit_level NOT IN ('city', 'department') THEN
        PERFORM supervision.field_error('unit_level', 'expected city or department', p_unit_level);
    END IF;
    IF p_units IS NOT NULL AND (SELECT count(*) FROM unnest(p_units) u WHERE u IS NOT NULL) <> cardinality(p_units) THEN
        PERFORM supervision.field_error('units', 'a unit code is NULL', p_units::text, '22004');
    END IF;
    IF p_unit_level = 'city' THEN
        -- a city may be given by its 4-digit prefix (3201 = 320100)
        IF p_units IS NOT NULL THEN
            p_units := ARRAY(SELECT CASE WHEN u ~ '^[0-9]{4}$' THEN u || '00' ELSE u END FROM unnest(p_units) u);
        END IF;
        SELECT u INTO v_bad FROM unnest(p_units) u
         WHERE NOT EXISTS (SELECT 1 FROM supervision.division d WHERE d.code = u AND d.kind = 'city' AND d.code LIKE '32%')
         LIMIT 1;
        IF v_bad IS NOT NULL THEN
            PERFORM supervision.field_error('units', 'not a city of Jiangsu (320100 .. 321300)', v_bad, '23503');
        END IF;
        RETURN QUERY SELECT d.code, d.name FROM supervision.division d
                      WHERE d.kind = 'city' AND d.level = 2 AND d.code LIKE '32%' AND (p_units IS NULL OR d.code = ANY (p_units))
                      ORDER BY d.code;
    ELSE
        SELECT u INTO v_bad FROM unnest(p_units) u
         WHERE NOT EXISTS (SELECT 1 FROM supervision.department d WHERE d.code = u) LIMIT 1;
        IF v_bad IS NOT NULL THEN
            PERFORM supervision.field_error('units', 'no such department', v_bad, '23503');
        END IF;
        RETURN QUERY SELECT d.code, d.name FROM supervision.department d
                      WHERE p_units IS NULL OR d.code = ANY (p_units) ORDER BY d.code;
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_units(text, text[]) IS
    'The units of an evaluation: level city = the 13 cities of Jiangsu (division codes 320100 .. 321300, or their 4-digit prefixes 3201 .. 3213), level department = supervision.department; p_units narrows them (unknown codes are errors)';

-- Run results are a record: written once by evaluation_run, deleted only with their run.
CREATE FUNCTION supervision.evaluation_run_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- the one update allowed: a deleted previous run leaves previous_run_id NULL (ON DELETE SET NULL)
    IF TG_TABLE_NAME = 'evaluation_run' AND to_jsonb(NEW) ->> 'previous_run_id' IS NULL
       AND (to_jsonb(NEW) - 'previous_run_id') = (to_jsonb(OLD) - 'previous_run_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'evaluation runs are not changed once made'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Run the evaluation again (a new run), or delete the run.';
END
$$;
COMMENT ON FUNCTION supervision.evaluation_run_guard() IS 'Trigger: the rows of an evaluation run are never updated';

-- Runs an evaluation; see docs/evaluation.md for the formulas. Works in two
-- temporary tables of the caller's session, then writes each result row once.
CREATE FUNCTION supervision.evaluation_run(p_system text, p_period_start date, p_period_end date,
                                           p_unit_level text DEFAULT 'city', p_units text[] DEFAULT NULL,
                                           p_missing text DEFAULT 'error')
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s        supervision.evaluation_system;
    v_run    bigint;
    v_units  text[];
    v_names  text[];
    n        record;
    g        record;
    r        record;
    v_count  integer;
    v_min    float8;
    v_max    float8;
    v_norm   float8[];
    v_codes  text[];
    v_kids   text[];
    v_w      float8[];
    v_m      float8[];
    a        record;
    v_prev   bigint;
    v_miss   text;
    v_root   text;
BEGIN
    IF p_system IS NULL THEN
        PERFORM supervision.field_error('system', 'the index system code is required', NULL, '22004');
    END IF;
    IF p_period_start IS NULL OR p_period_end IS NULL THEN
        PERFORM supervision.field_error(CASE WHEN p_period_start IS NULL THEN 'period_start' ELSE 'period_end' END,
                                        'the period needs a start and an end', NULL, '22004');
    END IF;
    IF p_period_end < p_period_start THEN
        PERFORM supervision.field_error('period_end', format('the period is empty: it ends before it starts (%s)', to_char(p_period_start, 'YYYY-MM-DD')),
                                        to_char(p_period_end, 'YYYY-MM-DD'));
    END IF;
    IF p_missing IS NULL OR p_missing NOT IN ('error', 'worst') THEN
        PERFORM supervision.field_error('missing', 'expected error (refuse the run) or worst (a missing value counts as the worst)', p_missing);
    END IF;
    SELECT * INTO s FROM supervision.evaluation_system WHERE code = p_system AND status = 'active';
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM supervision.evaluation_system WHERE code = p_system) THEN
            RAISE EXCEPTION 'index system % has no active version', p_system
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Activate a version with supervision.evaluation_system_activate(id).';
        END IF;
        PERFORM supervision.field_error('system', 'no index system with this code', p_system, '23503');
    END IF;
    SELECT array_agg(u.unit_code ORDER BY u.unit_code), array_agg(u.unit_name ORDER BY u.unit_code)
      INTO v_units, v_names
      FROM supervision.evaluation_units(p_unit_level, p_units) u;
    IF coalesce(cardinality(v_units), 0) < 2 THEN
        PERFORM supervision.field_error('units', format('an evaluation compares at least 2 units, %s given', coalesce(cardinality(v_units), 0)),
                                        p_units::text);
    END IF;
    SELECT x.code, x.query_name INTO r FROM supervision.evaluation_node x JOIN supervision.evaluation_query q ON q.name = x.query_name
     WHERE x.system_id = s.id AND NOT (p_unit_level = ANY (q.unit_levels)) ORDER BY x.code LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'indicator % uses query %, which does not answer for unit level %', r.code, r.query_name, p_unit_level
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Evaluate this system at another unit level, or make a version whose indicator uses another query.';
    END IF;

    -- work tables (the caller's own temporary tables; dropped at the end)
    IF to_regclass('pg_temp.evaluation_work_node') IS NOT NULL THEN
        DROP TABLE pg_temp.evaluation_work_node;
    END IF;
    IF to_regclass('pg_temp.evaluation_work_score') IS NOT NULL THEN
        DROP TABLE pg_temp.evaluation_work_score;
    END IF;
    CREATE TEMP TABLE evaluation_work_node ON COMMIT DROP AS
    WITH RECURSIVE t AS (
        SELECT x.*, 0 AS depth, lpad(x.position::text, 6, '0') || ':' || x.code AS sort_key
          FROM supervision.evaluation_node x WHERE x.system_id = s.id AND x.parent_code IS NULL
        UNION ALL
        SELECT x.*, t.depth + 1, t.sort_key || '/' || lpad(x.position::text, 6, '0') || ':' || x.code
          FROM supervision.evaluation_node x JOIN t ON x.parent_code = t.code WHERE x.system_id = s.id
    )
    SELECT t.code AS node_code, t.parent_code, t.kind, t.name, t.depth, t.sort_key, t.method, t.direction, t.source,
           t.value_unit, NULL::float8 AS weight, NULL::float8 AS global_weight, NULL::text AS excluded,
           CASE t.source WHEN 'query' THEN jsonb_build_object('query', t.query_name)
                         WHEN 'value' THEN jsonb_build_object('indicator', t.value_indicator) ELSE '{}' END AS detail
      FROM t;
    CREATE TEMP TABLE evaluation_work_score (unit_code text NOT NULL, node_code text NOT NULL, raw_value float8,
                                             value float8, imputed boolean NOT NULL DEFAULT false,
                                             PRIMARY KEY (unit_code, node_code)) ON COMMIT DROP;

    -- raw values of the indicators
    FOR n IN SELECT x.*, q.sql FROM supervision.evaluation_node x LEFT JOIN supervision.evaluation_query q ON q.name = x.query_name
              WHERE x.system_id = s.id AND x.kind = 'indicator' ORDER BY x.code LOOP
        IF n.source = 'query' THEN
            BEGIN
                EXECUTE format('INSERT INTO pg_temp.evaluation_work_score (unit_code, node_code, raw_value)
                                SELECT u.unit, $5, v.value
                                  FROM unnest($4) AS u(unit)
                                  LEFT JOIN (SELECT q.unit::text AS unit, q.value::float8 AS value
                                               FROM (%s) AS q(unit, value)) v ON v.unit = u.unit', n.sql)
                    USING p_period_start, p_period_end, p_unit_level, v_units, n.code;
            EXCEPTION WHEN unique_violation THEN
                RAISE EXCEPTION 'query % returned more than one value for a unit', n.query_name
                    USING ERRCODE = 'cardinality_violation', DETAIL = format('Indicator %s of index system %s.', n.code, s.code);
            END;
        ELSE
            INSERT INTO pg_temp.evaluation_work_score (unit_code, node_code, raw_value)
            SELECT u.unit, n.code, v.value
              FROM unnest(v_units) AS u(unit)
              LEFT JOIN supervision.evaluation_value v
                ON v.indicator = n.value_indicator AND v.unit_level = p_unit_level AND v.unit_code = u.unit
               AND v.period_start = p_period_start AND v.period_end = p_period_end;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_temp.evaluation_work_score w
                    WHERE w.node_code = n.code AND w.raw_value IN ('NaN', 'Infinity', '-Infinity')) THEN
            RAISE EXCEPTION 'query % gave a value that is not a finite number', n.query_name
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Indicator %s of index system %s.', n.code, s.code);
        END IF;
        SELECT w.unit_code INTO v_miss FROM pg_temp.evaluation_work_score w
         WHERE w.node_code = n.code AND w.raw_value IS NULL ORDER BY w.unit_code LIMIT 1;
        IF v_miss IS NOT NULL AND p_missing = 'error' THEN
            SELECT count(*) INTO v_count FROM pg_temp.evaluation_work_score w WHERE w.node_code = n.code AND w.raw_value IS NULL;
            RAISE EXCEPTION 'indicator % has no value for unit % (% of % units without a value)', n.code, v_miss, v_count, cardinality(v_units)
                USING ERRCODE = 'no_data_found',
                      DETAIL = CASE WHEN n.source = 'query' THEN format('Query %s gave no value for %s to %s.', n.query_name, to_char(p_period_start, 'YYYY-MM-DD'), to_char(p_period_end, 'YYYY-MM-DD'))
                                    ELSE format('No row of supervision.evaluation_value for indicator %s, unit level %s, unit %s, period %s to %s.',
                                                n.value_indicator, p_unit_level, v_miss, to_char(p_period_start, 'YYYY-MM-DD'), to_char(p_period_end, 'YYYY-MM-DD')) END,
                      HINT = CASE WHEN n.source = 'query' THEN 'Check the data of the period, or run with p_missing => ''worst''.'
                                  ELSE 'Enter the values, or run with p_missing => ''worst'' to count a missing value as the worst.' END;
        END IF;
        -- min-max normalisation by direction over the units that have a value
        SELECT count(DISTINCT w.raw_value), min(w.raw_value), max(w.raw_value),
               array_agg(w.unit_code ORDER BY w.unit_code), array_agg(ARRAY[w.raw_value] ORDER BY w.unit_code)
          INTO v_count, v_min, v_max, v_codes, v_m
          FROM pg_temp.evaluation_work_score w WHERE w.node_code = n.code AND w.raw_value IS NOT NULL;
        UPDATE pg_temp.evaluation_work_node
           SET detail = detail || jsonb_build_object('min', v_min, 'max', v_max),
               excluded = CASE WHEN v_count = 0 THEN 'no data' WHEN v_count = 1 THEN 'constant' END
         WHERE node_code = n.code;
        IF v_count >= 2 THEN
            v_norm := supervision.normalize_minmax(v_m, ARRAY[n.direction = 'benefit']);
            UPDATE pg_temp.evaluation_work_score w SET value = x.z
              FROM unnest(v_codes, ARRAY(SELECT v_norm[i][1] FROM generate_subscripts(v_norm, 1) i ORDER BY i)) AS x(u, z)
             WHERE w.node_code = n.code AND w.unit_code = x.u;
            UPDATE pg_temp.evaluation_work_score w SET value = 0, imputed = true
             WHERE w.node_code = n.code AND w.raw_value IS NULL;
        END IF;
    END LOOP;

    -- groups, deepest first: weights of the children, then the group's value
    FOR g IN SELECT wn.node_code, wn.method, x.ahp_children, x.ahp_matrix
               FROM pg_temp.evaluation_work_node wn
               JOIN supervision.evaluation_node x ON x.system_id = s.id AND x.code = wn.node_code
              WHERE wn.kind = 'group' ORDER BY wn.depth DESC, wn.sort_key LOOP
        SELECT array_agg(c.node_code ORDER BY c.sort_key) INTO v_kids
          FROM pg_temp.evaluation_work_node c WHERE c.parent_code = g.node_code AND c.excluded IS NULL;
        IF v_kids IS NULL THEN
            UPDATE pg_temp.evaluation_work_node SET excluded = 'no included child' WHERE node_code = g.node_code;
            CONTINUE;
        END IF;
        IF g.method = 'fixed' THEN
            SELECT array_agg(x.weight ORDER BY k.ord) INTO v_w
              FROM unnest(v_kids) WITH ORDINALITY AS k(code, ord)
              JOIN supervision.evaluation_node x ON x.system_id = s.id AND x.code = k.code;
        ELSIF g.method = 'ahp' THEN
            SELECT * INTO a FROM supervision.ahp_weights(g.ahp_matrix, true);
            SELECT array_agg(a.weights[array_position(g.ahp_children, k.code)] ORDER BY k.ord) INTO v_w
              FROM unnest(v_kids) WITH ORDINALITY AS k(code, ord);
            UPDATE pg_temp.evaluation_work_node
               SET detail = jsonb_build_object('children', to_jsonb(g.ahp_children), 'ahp_weights', to_jsonb(a.weights),
                                               'lambda_max', a.lambda_max, 'ci', a.ci, 'cr', a.cr)
             WHERE node_code = g.node_code;
        ELSE
            -- entropy weights of the children's values (rows = units, columns = included children)
            SELECT array_agg(m.row_values ORDER BY m.unit_code) INTO v_m
              FROM (SELECT w.unit_code, array_agg(w.value ORDER BY k.ord) AS row_values
                      FROM unnest(v_kids) WITH ORDINALITY AS k(code, ord)
                      JOIN pg_temp.evaluation_work_score w ON w.node_code = k.code
                     GROUP BY w.unit_code) m;
            BEGIN
                v_w := supervision.entropy_weights(v_m);
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE EXCEPTION 'entropy weights of the children of % are undefined in this run', g.node_code
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = format('entropy_weights: %s. Every child of %s has the same value for every unit.', SQLERRM, g.node_code),
                          HINT = 'Weight this group by fixed or AHP weights.';
            END;
            UPDATE pg_temp.evaluation_work_node
               SET detail = jsonb_build_object('children', to_jsonb(v_kids), 'entropy_weights', to_jsonb(v_w))
             WHERE node_code = g.node_code;
        END IF;
        -- the included children's weights, scaled to sum 1; the group's value is their weighted sum
        UPDATE pg_temp.evaluation_work_node c SET weight = w.w / w.total
          FROM (SELECT k.code, x.w, sum(x.w) OVER () AS total
                  FROM unnest(v_kids) WITH ORDINALITY AS k(code, ord)
                  JOIN unnest(v_w) WITH ORDINALITY AS x(w, ord) ON x.ord = k.ord) w
         WHERE c.node_code = w.code;
        INSERT INTO pg_temp.evaluation_work_score (unit_code, node_code, value)
        SELECT w.unit_code, g.node_code, sum(c.weight * w.value)
          FROM pg_temp.evaluation_work_node c
          JOIN pg_temp.evaluation_work_score w ON w.node_code = c.node_code
         WHERE c.parent_code = g.node_code AND c.excluded IS NULL
         GROUP BY w.unit_code;
    END LOOP;

    SELECT wn.node_code, wn.excluded INTO r FROM pg_temp.evaluation_work_node wn WHERE wn.depth = 0;
    v_root := r.node_code;
    IF r.excluded IS NOT NULL THEN
        RAISE EXCEPTION 'no indicator of index system % tells the units apart in this period', s.code
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('Every indicator had the same value for every unit, or no value (%s units, %s to %s).',
                                  cardinality(v_units), to_char(p_period_start, 'YYYY-MM-DD'), to_char(p_period_end, 'YYYY-MM-DD'));
    END IF;
    UPDATE pg_temp.evaluation_work_node SET weight = 0 WHERE excluded IS NOT NULL;
    UPDATE pg_temp.evaluation_work_node SET weight = 1 WHERE depth = 0;
    -- global weights, from the root down
    WITH RECURSIVE t AS (
        SELECT wn.node_code, 1::float8 AS gw FROM pg_temp.evaluation_work_node wn WHERE wn.depth = 0
        UNION ALL
        SELECT c.node_code, t.gw * c.weight FROM pg_temp.evaluation_work_node c JOIN t ON c.parent_code = t.node_code
    )
    UPDATE pg_temp.evaluation_work_node wn SET global_weight = t.gw FROM t WHERE wn.node_code = t.node_code;

    -- the previous run: same system code and unit level, the latest period ending before this one's end
    SELECT pr.id INTO v_prev
      FROM supervision.evaluation_run pr JOIN supervision.evaluation_system ps ON ps.id = pr.system_id
     WHERE ps.code = s.code AND pr.unit_level = p_unit_level AND pr.period_end < p_period_end
     ORDER BY pr.period_end DESC, pr.id DESC LIMIT 1;

    -- the record, each row written once
    INSERT INTO supervision.evaluation_run (system_id, period_start, period_end, unit_level, unit_count, missing, previous_run_id)
    VALUES (s.id, p_period_start, p_period_end, p_unit_level, cardinality(v_units), p_missing, v_prev)
    RETURNING id INTO v_run;
    INSERT INTO supervision.evaluation_run_unit (run_id, unit_code, unit_name, score, rank, previous_score, previous_rank,
                                                 score_delta, rank_delta)
    SELECT v_run, x.u, x.nm, x.score, x.rk, p.score, p.rank, x.score - p.score, p.rank - x.rk
      FROM (SELECT u.u, u.nm, sc.score, rank() OVER (ORDER BY round(sc.score::numeric, 9) DESC) AS rk
              FROM unnest(v_units, v_names) AS u(u, nm)
              JOIN LATERAL (SELECT greatest(0, least(100, 100 * w.value)) AS score FROM pg_temp.evaluation_work_score w
                             WHERE w.unit_code = u.u AND w.node_code = v_root) sc ON true) x
      LEFT JOIN supervision.evaluation_run_unit p ON p.run_id = v_prev AND p.unit_code = x.u;
    INSERT INTO supervision.evaluation_run_node (run_id, node_code, parent_code, kind, name, depth, sort_key, method, direction,
                                                 source, value_unit, weight, global_weight, excluded, detail)
    SELECT v_run, wn.node_code, wn.parent_code, wn.kind, wn.name, wn.depth, wn.sort_key, wn.method, wn.direction,
           wn.source, wn.value_unit, wn.weight, wn.global_weight, wn.excluded, wn.detail
      FROM pg_temp.evaluation_work_node wn;
    INSERT INTO supervision.evaluation_run_score (run_id, unit_code, node_code, raw_value, value, imputed)
    SELECT v_run, w.unit_code, w.node_code, w.raw_value, w.value, w.imputed FROM pg_temp.evaluation_work_score w;
    DROP TABLE pg_temp.evaluation_work_node, pg_temp.evaluation_work_score;
    RETURN v_run;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_run(text, date, date, text, text[], text) IS
    'Evaluates the units (city: the 13 cities of Jiangsu, department: the departments; p_units narrows them) over a period with the active version of an index system: raw values, min-max normalisation by direction, weights per group by its method, scores 0-100, ranks, changes against the previous run. Queries run as the caller. Returns the run id. See docs/evaluation.md.';

---------------------------------------------------------------------------
-- Row-level security, grants, audit, dump
---------------------------------------------------------------------------

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['evaluation_query', 'evaluation_value', 'evaluation_system', 'evaluation_node', 'evaluation_run',
                             'evaluation_run_unit', 'evaluation_run_node', 'evaluation_run_score'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        -- evaluations are internal: administrators, officers and auditors read them, anonymous clients do not
        EXECUTE format('CREATE POLICY staff_read ON supervision.%I FOR SELECT TO supervision_admin, supervision_officer, supervision_auditor USING (true)', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_admin, supervision_officer, supervision_auditor', t);
        IF t <> 'evaluation_query' THEN
            -- administrators edit systems (drafts), weights and values, and run evaluations;
            -- queries run as whoever runs an evaluation, so only superusers write them
            EXECUTE format('CREATE POLICY admin_write ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
            EXECUTE format('GRANT INSERT, UPDATE, DELETE ON supervision.%I TO supervision_admin', t);
        END IF;
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['evaluation_run', 'evaluation_run_unit', 'evaluation_run_node', 'evaluation_run_score'] LOOP
        EXECUTE format('CREATE TRIGGER evaluation_run_guard BEFORE UPDATE ON supervision.%I
                        FOR EACH ROW EXECUTE FUNCTION supervision.evaluation_run_guard()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['evaluation_value', 'evaluation_system', 'evaluation_node', 'evaluation_run',
                             'evaluation_run_unit', 'evaluation_run_node', 'evaluation_run_score'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
    END LOOP;
    PERFORM pg_catalog.pg_extension_config_dump('supervision.evaluation_query', 'WHERE NOT builtin');
END
$$;

REVOKE ALL ON FUNCTION supervision.evaluation_system_define(jsonb), supervision.evaluation_define_node(bigint, text, jsonb, integer),
    supervision.evaluation_system_activate(bigint), supervision.evaluation_system_revise(text),
    supervision.evaluation_run(text, date, date, text, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.evaluation_system_define(jsonb), supervision.evaluation_define_node(bigint, text, jsonb, integer),
    supervision.evaluation_system_activate(bigint), supervision.evaluation_system_revise(text),
    supervision.evaluation_run(text, date, date, text, text[], text) TO supervision_admin;
