-- Enterprise credit-risk classification (企业信用风险分类): indicator trees as
-- data, scoring of every subject in one pass in C (extension/risk.c), classes
-- A (low) .. D (high) by thresholds or quantiles, forced-class rules, the
-- indicators behind each class, monthly runs with history. docs/risk.md.
--
-- Trust boundary: the SQL that computes raw values (risk_source) runs as
-- whoever runs the model, including pg_cron's superuser, so only superusers
-- write it; administrators compose models from those sources (weights,
-- directions, transforms, thresholds), which is data they may change.

---------------------------------------------------------------------------
-- Sources of raw values
---------------------------------------------------------------------------

CREATE TABLE supervision.risk_source (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    query       text NOT NULL CHECK (btrim(query) <> ''),
    unit        text,
    description text,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE supervision.risk_source IS
    'Raw values for risk indicators: a query returning (subject_id bigint, value numeric) per subject, which may use $1 (the as-of date of the run); subjects it does not return take the indicator''s missing value. Written by superusers only: the query runs as whoever runs the model.';

INSERT INTO supervision.risk_source (code, name, unit, query, description, builtin)
SELECT c, n, u, q, d, true FROM (VALUES
    ('age_years', '成立年限', 'years',
     $q$SELECT id AS subject_id, greatest(0, ($1 - established_on) / 365.25) AS value
          FROM supervision.subject WHERE established_on IS NOT NULL AND merged_into IS NULL$q$,
     'Years since establishment'),
    ('status_abnormal', '登记状态异常', 'flag',
     $q$SELECT id AS subject_id, 1 AS value FROM supervision.subject
         WHERE status IN ('revoked', 'moved', 'unknown') AND merged_into IS NULL$q$,
     'Registration revoked, moved out, or unknown'),
    ('penalties_1y', '近1年行政处罚次数', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.behaviour
         WHERE kind = 'penalty' AND NOT deleted AND subject_id IS NOT NULL
           AND check_time >= ($1 - 365)::timestamptz AND check_time < ($1 + 1)::timestamptz
         GROUP BY subject_id$q$,
     'Administrative penalties in the 365 days up to the as-of date'),
    ('penalties_3y', '近3年行政处罚次数', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.behaviour
         WHERE kind = 'penalty' AND NOT deleted AND subject_id IS NOT NULL
           AND check_time >= ($1 - 1096)::timestamptz AND check_time < ($1 + 1)::timestamptz
         GROUP BY subject_id$q$,
     'Administrative penalties in the three years up to the as-of date'),
    ('coercive_3y', '近3年行政强制次数', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.behaviour
         WHERE kind = 'coercive_measure' AND NOT deleted AND subject_id IS NOT NULL
           AND check_time >= ($1 - 1096)::timestamptz AND check_time < ($1 + 1)::timestamptz
         GROUP BY subject_id$q$,
     'Coercive measures in the three years up to the as-of date'),
    ('inspection_problems_3y', '近3年抽查发现问题次数', 'count',
     $q$SELECT v.subject_id, count(*) AS value
          FROM supervision.inspection_result r JOIN supervision.visit v ON v.id = r.visit_id
         WHERE r.outcome IN ('problem_found', 'not_found_at_address', 'refused_inspection')
           AND r.checked_on > $1 - 1096 AND r.checked_on <= $1
         GROUP BY v.subject_id$q$,
     'Random inspections in three years that found a problem, did not find the subject at its address, or were refused'),
    ('abnormal_listing', '列入经营异常名录', 'flag',
     $q$SELECT DISTINCT subject_id, 1 AS value FROM supervision.credit_record
         WHERE kind = 'abnormal_listing' AND NOT deleted AND subject_id IS NOT NULL
           AND listed_on <= $1 AND (removed_on IS NULL OR removed_on > $1)$q$,
     'On the abnormal-operation list on the as-of date'),
    ('serious_violation', '列入严重违法失信名单', 'flag',
     $q$SELECT DISTINCT subject_id, 1 AS value FROM supervision.credit_record
         WHERE kind = 'serious_violation' AND NOT deleted AND subject_id IS NOT NULL
           AND listed_on <= $1 AND (removed_on IS NULL OR removed_on > $1)$q$,
     'On the serious-violation list on the as-of date'),
    ('commitments', '信用承诺', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.credit_record
         WHERE kind = 'commitment' AND NOT deleted AND subject_id IS NOT NULL
           AND listed_on <= $1 AND (removed_on IS NULL OR removed_on > $1)
         GROUP BY subject_id$q$,
     'Credit commitments in force on the as-of date'),
    ('rewards_3y', '近3年守信激励', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.credit_record
         WHERE kind = 'reward' AND NOT deleted AND subject_id IS NOT NULL
           AND listed_on > $1 - 1096 AND listed_on <= $1
         GROUP BY subject_id$q$,
     'Rewards for keeping faith in three years'),
    ('negative_internet_1y', '近1年负面舆情条数', 'count',
     $q$SELECT subject_id, count(*) AS value FROM supervision.internet_info
         WHERE sentiment < 0 AND NOT deleted AND subject_id IS NOT NULL
           AND published_at >= ($1 - 365)::timestamptz AND published_at < ($1 + 1)::timestamptz
         GROUP BY subject_id$q$,
     'Negative internet and third-party reports in the 365 days up to the as-of date'),
    ('related_serious_violation', '关联方严重违法失信', 'count',
     $q$SELECT s.id AS subject_id, count(DISTINCT o.id) AS value
          FROM supervision.subject s
          JOIN supervision.subject o ON o.legal_representative = s.legal_representative AND o.id <> s.id
                                    AND o.merged_into IS NULL
          JOIN supervision.credit_record c ON c.subject_id = o.id AND c.kind = 'serious_violation' AND NOT c.deleted
                                          AND c.listed_on <= $1 AND (c.removed_on IS NULL OR c.removed_on > $1)
         WHERE s.merged_into IS NULL AND s.legal_representative IS NOT NULL
         GROUP BY s.id$q$,
     'Other subjects with the same legal representative on the serious-violation list')
) v(c, n, u, q, d);

---------------------------------------------------------------------------
-- Models: versions, indicator trees, forced classes
---------------------------------------------------------------------------

CREATE TABLE supervision.risk_model (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (btrim(name) <> ''),
    version       integer NOT NULL CHECK (version >= 1),
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'retired')),
    class_method  text NOT NULL DEFAULT 'threshold' CHECK (class_method IN ('threshold', 'quantile')),
    class_cuts    jsonb NOT NULL DEFAULT '{"A": 10, "B": 30, "C": 55}',
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL DEFAULT supervision.actor_user(),
    activated_at  timestamptz,
    activated_by  text,
    builtin       boolean NOT NULL DEFAULT false,
    UNIQUE (name, version)
);
CREATE UNIQUE INDEX risk_model_one_active ON supervision.risk_model ((true)) WHERE status = 'active';
COMMENT ON TABLE supervision.risk_model IS
    'Credit-risk models, versioned: a draft is edited, activated (then frozen), and retired when another version is activated; one active model at a time';
COMMENT ON COLUMN supervision.risk_model.class_cuts IS
    'threshold: {"A": a, "B": b, "C": c} with 0 <= a <= b <= c <= 100: score < a is A, < b is B, < c is C, else D. quantile: {"A": qa, "B": qb, "C": qc} with 0 <= qa <= qb <= qc <= 1, cumulative shares of subjects ordered by score (lowest risk first); subjects with equal scores share a class';

CREATE TABLE supervision.risk_indicator (
    model_id   bigint NOT NULL REFERENCES supervision.risk_model ON DELETE CASCADE,
    code       text NOT NULL CHECK (code ~ '^[A-E]([0-9]{2}){0,2}$'),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    weight     float8 NOT NULL DEFAULT 1 CHECK (weight >= 0 AND weight < 'Infinity'),
    source     text REFERENCES supervision.risk_source,
    direction  text CHECK (direction IN ('risk', 'protective')),
    transform  jsonb,
    missing    float8 NOT NULL DEFAULT 0 CHECK (missing > '-Infinity' AND missing < 'Infinity'),
    PRIMARY KEY (model_id, code),
    CHECK ((length(code) = 5) = (source IS NOT NULL)),
    CHECK ((source IS NULL) = (direction IS NULL)),
    CHECK (source IS NOT NULL OR transform IS NULL)
);
COMMENT ON TABLE supervision.risk_indicator IS
    'Indicator tree of a model, three levels of codes: group (A basic attributes, B dynamic information, C supervision information, D related parties, E social evaluation), A01, A0101. Leaves (5-character codes) read a risk_source and say its direction and transform; weights are relative among siblings.';
COMMENT ON COLUMN supervision.risk_indicator.transform IS
    'How a raw value v becomes a risk share t in [0, 1]: {"flag": true}: t = 1 when v > 0; {"cap": c}: t = min(max(v, 0), c) / c; {"cap": c, "log": true}: t = ln(1 + min(max(v, 0), c)) / ln(1 + c); {"bins": [b1, ..., bk]} ascending: t = (number of bi <= v) / k; NULL: t = min(max(v, 0), 1). direction protective: t becomes 1 - t.';
COMMENT ON COLUMN supervision.risk_indicator.missing IS
    'Raw value of a subject the source does not return (or returns with a NULL value)';

CREATE TABLE supervision.risk_forced_rule (
    model_id  bigint NOT NULL REFERENCES supervision.risk_model ON DELETE CASCADE,
    code      text NOT NULL CHECK (code ~ '^F[0-9]{2}$'),
    name      text NOT NULL CHECK (btrim(name) <> ''),
    source    text NOT NULL REFERENCES supervision.risk_source,
    class     char(1) NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    priority  integer NOT NULL DEFAULT 100,
    PRIMARY KEY (model_id, code)
);
COMMENT ON TABLE supervision.risk_forced_rule IS
    'Forced classes: a subject for which the source returns a value > 0 gets the class whatever its score (e.g. serious-violation listing -> D). When several rules apply the smallest priority wins, then the worse class.';

---------------------------------------------------------------------------
-- Runs and results
---------------------------------------------------------------------------

CREATE TABLE supervision.risk_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id     bigint NOT NULL REFERENCES supervision.risk_model,
    as_of        date NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    run_by       text NOT NULL DEFAULT supervision.actor_user(),
    subjects     bigint,
    class_counts jsonb,
    changes      bigint
);
COMMENT ON TABLE supervision.risk_run IS
    'One classification of all subjects by a model as of a date: when, by whom, how many subjects per class, how many changed class';

CREATE TABLE supervision.risk_score (
    run_id      bigint NOT NULL REFERENCES supervision.risk_run ON DELETE CASCADE,
    subject_id  bigint NOT NULL REFERENCES supervision.subject,
    score       float8 NOT NULL CHECK (score >= 0 AND score <= 100),
    score_class char(1) NOT NULL CHECK (score_class IN ('A', 'B', 'C', 'D')),
    class       char(1) NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    forced_by   text,
    top_codes   text[] NOT NULL DEFAULT '{}',
    top_points  float8[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, subject_id)
);
CREATE INDEX ON supervision.risk_score (subject_id);
COMMENT ON TABLE supervision.risk_score IS
    'Score (0 no risk .. 100) and class of each subject in a run: the class by score, the class after forced rules (forced_by: the rule), and the indicators that contributed most (codes and points, largest first)';

CREATE TABLE supervision.risk_class_change (
    run_id     bigint NOT NULL REFERENCES supervision.risk_run ON DELETE CASCADE,
    subject_id bigint NOT NULL REFERENCES supervision.subject,
    old_class  char(1),
    new_class  char(1) NOT NULL,
    PRIMARY KEY (run_id, subject_id)
);
COMMENT ON TABLE supervision.risk_class_change IS
    'Subjects whose class differs from the previous run (old_class NULL: first classified)';

---------------------------------------------------------------------------
-- Checking a model
---------------------------------------------------------------------------

CREATE FUNCTION supervision.risk_model_check(p_model bigint) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m supervision.risk_model;
    r record;
    v_cuts float8[];
BEGIN
    SELECT * INTO m FROM supervision.risk_model WHERE id = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'risk model % does not exist', p_model USING ERRCODE = 'no_data_found';
    END IF;
    -- class cuts: exactly A, B, C, numbers, ascending, within the scale
    IF jsonb_typeof(m.class_cuts) <> 'object'
       OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(m.class_cuts) k) IS DISTINCT FROM ARRAY['A', 'B', 'C']
       OR EXISTS (SELECT 1 FROM jsonb_each(m.class_cuts) e WHERE jsonb_typeof(e.value) <> 'number') THEN
        RAISE EXCEPTION 'class_cuts of risk model % must be {"A": number, "B": number, "C": number}', p_model
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('It is %s.', m.class_cuts);
    END IF;
    v_cuts := ARRAY[(m.class_cuts ->> 'A')::float8, (m.class_cuts ->> 'B')::float8, (m.class_cuts ->> 'C')::float8];
    IF NOT (v_cuts[1] >= 0 AND v_cuts[1] <= v_cuts[2] AND v_cuts[2] <= v_cuts[3]
            AND v_cuts[3] <= CASE m.class_method WHEN 'threshold' THEN 100 ELSE 1 END) THEN
        RAISE EXCEPTION 'class_cuts of risk model % must ascend within %', p_model,
                        CASE m.class_method WHEN 'threshold' THEN '0 .. 100 (scores)' ELSE '0 .. 1 (shares)' END
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('A %s, B %s, C %s.', v_cuts[1], v_cuts[2], v_cuts[3]);
    END IF;
    -- the tree: every node's parent exists, leaves at level 3, siblings with some weight
    SELECT i.code INTO r FROM supervision.risk_indicator i
     WHERE i.model_id = p_model AND length(i.code) > 1
       AND NOT EXISTS (SELECT 1 FROM supervision.risk_indicator p
                        WHERE p.model_id = p_model AND p.code = left(i.code, length(i.code) - 2))
     ORDER BY i.code LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'indicator % of risk model % has no parent %', r.code, p_model, left(r.code, length(r.code) - 2)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Codes have three levels: A, A01, A0101.';
    END IF;
    SELECT i.code INTO r FROM supervision.risk_indicator i
     WHERE i.model_id = p_model AND i.source IS NULL
       AND NOT EXISTS (SELECT 1 FROM supervision.risk_indicator c
                        WHERE c.model_id = p_model AND left(c.code, length(i.code)) = i.code AND c.code <> i.code)
     ORDER BY i.code LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'indicator % of risk model % has neither children nor a source', r.code, p_model
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Leaves are five-character codes (A0101) with a source.';
    END IF;
    SELECT coalesce(left(i.code, length(i.code) - 2), '') AS parent INTO r FROM supervision.risk_indicator i
     WHERE i.model_id = p_model
     GROUP BY left(i.code, length(i.code) - 2) HAVING sum(i.weight) <= 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the indicators under % of risk model % all weigh 0', CASE WHEN r.parent = '' THEN 'the root' ELSE r.parent END, p_model
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervision.risk_indicator WHERE model_id = p_model AND source IS NOT NULL) THEN
        RAISE EXCEPTION 'risk model % has no indicators', p_model USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- sources: each runs and gives (subject_id, value) (planned and run with no row wanted)
    FOR r IN SELECT DISTINCT x.source, s.query FROM (
                 SELECT i.source FROM supervision.risk_indicator i WHERE i.model_id = p_model AND i.source IS NOT NULL
                 UNION SELECT f.source FROM supervision.risk_forced_rule f WHERE f.model_id = p_model) x
               JOIN supervision.risk_source s ON s.code = x.source ORDER BY x.source LOOP
        BEGIN
            EXECUTE format('SELECT q.subject_id::bigint, q.value::float8 FROM (%s) q LIMIT 0', r.query) USING current_date;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'risk source "%" used by risk model % does not run: %', r.source, p_model, SQLERRM
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A source is a query giving subject_id and value, and may use $1, the as-of date.';
        END;
    END LOOP;
    -- transforms
    FOR r IN SELECT i.code, i.transform FROM supervision.risk_indicator i
              WHERE i.model_id = p_model AND i.transform IS NOT NULL ORDER BY i.code LOOP
        IF NOT supervision.risk_transform_valid(r.transform) THEN
            RAISE EXCEPTION 'transform of indicator % of risk model % is not valid', r.code, p_model
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('It is %s.', r.transform),
                      HINT = 'Use {"flag": true}, {"cap": c} with c > 0, {"cap": c, "log": true}, or {"bins": [ascending numbers]}.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.risk_model_check(bigint) IS
    'Checks a risk model: class cuts, tree (parents, leaves with sources at level 3, weights), transforms; raises 22023 naming what is wrong';

-- One parser of transforms, the C one that scoring uses: valid when it accepts it.
CREATE FUNCTION supervision.risk_transform_valid(p jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    PERFORM supervision.risk_transform(0, p, 'risk');
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION supervision.risk_transform_valid(jsonb) IS
    'Whether a transform of a risk indicator is one of {"flag": true}, {"cap": c > 0}, {"cap": c, "log": true}, {"bins": [ascending numbers]} (or NULL)';

-- A model is frozen once active: results must say which model produced them.
CREATE FUNCTION supervision.risk_model_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_model bigint;
    v_status text;
BEGIN
    IF TG_TABLE_NAME = 'risk_model' THEN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN
                RAISE EXCEPTION 'risk model % is %: only drafts can be deleted', OLD.id, OLD.status
                    USING ERRCODE = 'object_in_use';
            END IF;
            RETURN OLD;
        END IF;
        IF OLD.status <> 'draft' AND (NEW.name, NEW.version, NEW.class_method, NEW.class_cuts, NEW.created_at, NEW.created_by)
                                     IS DISTINCT FROM (OLD.name, OLD.version, OLD.class_method, OLD.class_cuts, OLD.created_at, OLD.created_by) THEN
            RAISE EXCEPTION 'risk model % is %: it cannot change', OLD.id, OLD.status
                USING ERRCODE = 'object_in_use', HINT = 'Copy it to a new version with supervision.risk_model_copy.';
        END IF;
        IF (OLD.status, NEW.status) NOT IN (('draft', 'draft'), ('draft', 'active'), ('active', 'active'),
                                            ('active', 'retired'), ('retired', 'retired')) THEN
            RAISE EXCEPTION 'risk model % cannot go from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'object_in_use', HINT = 'Activate a draft with supervision.risk_model_activate.';
        END IF;
        RETURN NEW;
    END IF;
    v_model := CASE WHEN TG_OP = 'DELETE' THEN OLD.model_id ELSE NEW.model_id END;
    SELECT status INTO v_status FROM supervision.risk_model WHERE id = v_model;
    IF v_status <> 'draft' OR (TG_OP = 'UPDATE' AND OLD.model_id <> NEW.model_id
                               AND (SELECT status FROM supervision.risk_model WHERE id = OLD.model_id) <> 'draft') THEN
        RAISE EXCEPTION 'risk model % is %: its indicators and rules cannot change', v_model, v_status
            USING ERRCODE = 'object_in_use', HINT = 'Copy it to a new version with supervision.risk_model_copy.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION supervision.risk_model_guard() IS
    'Trigger: a model is edited only as a draft; once active or retired its fields, indicators and rules are frozen; status goes draft -> active -> retired; only drafts are deleted';
CREATE TRIGGER risk_model_guard BEFORE UPDATE OR DELETE ON supervision.risk_model
    FOR EACH ROW EXECUTE FUNCTION supervision.risk_model_guard();
CREATE TRIGGER risk_model_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.risk_indicator
    FOR EACH ROW EXECUTE FUNCTION supervision.risk_model_guard();
CREATE TRIGGER risk_model_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.risk_forced_rule
    FOR EACH ROW EXECUTE FUNCTION supervision.risk_model_guard();

-- Activates a draft (checked first); the active model, if any, retires.
CREATE FUNCTION supervision.risk_model_activate(p_model bigint) RETURNS supervision.risk_model
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE m supervision.risk_model;
BEGIN
    SELECT * INTO m FROM supervision.risk_model WHERE id = p_model FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'risk model % does not exist', p_model USING ERRCODE = 'no_data_found';
    END IF;
    IF m.status <> 'draft' THEN
        RAISE EXCEPTION 'risk model % is %, not a draft', p_model, m.status USING ERRCODE = 'object_in_use';
    END IF;
    PERFORM supervision.risk_model_check(p_model);
    UPDATE supervision.risk_model SET status = 'retired' WHERE status = 'active';
    UPDATE supervision.risk_model SET status = 'active', activated_at = now(), activated_by = supervision.actor_user()
     WHERE id = p_model RETURNING * INTO m;
    RETURN m;
END
$$;
COMMENT ON FUNCTION supervision.risk_model_activate(bigint) IS
    'Checks a draft model and makes it the active one (the previous active model retires); active and retired models are frozen';

-- Copies a model (any status) into a new draft version of the same name.
CREATE FUNCTION supervision.risk_model_copy(p_model bigint, p_description text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m supervision.risk_model;
    v_new bigint;
BEGIN
    SELECT * INTO m FROM supervision.risk_model WHERE id = p_model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'risk model % does not exist', p_model USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO supervision.risk_model (name, version, class_method, class_cuts, description)
    VALUES (m.name, (SELECT max(version) + 1 FROM supervision.risk_model WHERE name = m.name), m.class_method, m.class_cuts,
            coalesce(p_description, m.description))
    RETURNING id INTO v_new;
    INSERT INTO supervision.risk_indicator (model_id, code, name, weight, source, direction, transform, missing)
    SELECT v_new, code, name, weight, source, direction, transform, missing FROM supervision.risk_indicator WHERE model_id = p_model;
    INSERT INTO supervision.risk_forced_rule (model_id, code, name, source, class, priority)
    SELECT v_new, code, name, source, class, priority FROM supervision.risk_forced_rule WHERE model_id = p_model;
    RETURN v_new;
END
$$;
COMMENT ON FUNCTION supervision.risk_model_copy(bigint, text) IS
    'Copies a model with its indicators and forced rules into a new draft (next version of the same name); returns its id';

-- Effective weight of each leaf: the product of its weight share among
-- siblings at each of the three levels (they add up to 1).
CREATE VIEW supervision.risk_leaf_weight WITH (security_invoker = true) AS
    WITH share AS (
        SELECT i.model_id, i.code, i.name, i.source, i.direction, i.transform, i.missing,
               i.weight / nullif(sum(i.weight) OVER (PARTITION BY i.model_id, left(i.code, length(i.code) - 2)), 0) AS share
          FROM supervision.risk_indicator i
    )
    SELECT l.model_id, l.code, l.name, l.source, l.direction, l.transform, l.missing,
           l.share * g2.share * g1.share AS weight
      FROM share l
      JOIN share g2 ON g2.model_id = l.model_id AND g2.code = left(l.code, 3)
      JOIN share g1 ON g1.model_id = l.model_id AND g1.code = left(l.code, 1)
     WHERE length(l.code) = 5;
COMMENT ON VIEW supervision.risk_leaf_weight IS
    'Leaves of each risk model with their effective weight: the product of the weight shares among siblings at the three levels (adding up to 1 per model); a score is 100 x the sum of weight x risk share';

---------------------------------------------------------------------------
-- Scoring (C) and runs
---------------------------------------------------------------------------

CREATE FUNCTION supervision.risk_transform(p_value float8, p_transform jsonb, p_direction text DEFAULT 'risk')
RETURNS float8
    AS 'MODULE_PATHNAME', 'risk_transform'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION supervision.risk_transform(float8, jsonb, text) IS
    'The risk share t in [0, 1] of a raw value under a transform and direction (see risk_indicator.transform); what risk_compute applies to every value';

CREATE FUNCTION supervision.risk_compute(p_model bigint, p_as_of date)
RETURNS TABLE (subject_id bigint, score float8, score_class char(1), class char(1), forced_by text,
               top_codes text[], top_points float8[])
    AS 'MODULE_PATHNAME', 'risk_compute'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION supervision.risk_compute(bigint, date) IS
    'Scores and classifies every subject (not merged into another) under a model as of a date, in one pass: each leaf''s source is read once, values transformed, weighted and summed (0 .. 100), classes by thresholds or quantiles, forced rules applied, the three indicators contributing most. Runs the sources'' queries as the caller. Writes nothing: risk_run stores the result.';

CREATE FUNCTION supervision.risk_run(p_model bigint DEFAULT NULL, p_as_of date DEFAULT current_date)
RETURNS supervision.risk_run
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m   supervision.risk_model;
    r   supervision.risk_run;
    v_prev bigint;
BEGIN
    IF p_as_of IS NULL THEN
        RAISE EXCEPTION 'the as-of date of a risk run is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_model IS NULL THEN
        SELECT * INTO m FROM supervision.risk_model WHERE status = 'active';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no active risk model' USING ERRCODE = 'no_data_found',
                HINT = 'Activate one with supervision.risk_model_activate, or name a model.';
        END IF;
    ELSE
        SELECT * INTO m FROM supervision.risk_model WHERE id = p_model;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'risk model % does not exist', p_model USING ERRCODE = 'no_data_found';
        END IF;
        PERFORM supervision.risk_model_check(p_model);
    END IF;
    -- one run at a time: the class history is a sequence
    PERFORM pg_advisory_xact_lock(7310287315610005);
    SELECT id INTO v_prev FROM supervision.risk_run
     WHERE finished_at IS NOT NULL AND model_id IN (SELECT id FROM supervision.risk_model WHERE status <> 'draft')
     ORDER BY id DESC LIMIT 1;
    INSERT INTO supervision.risk_run (model_id, as_of) VALUES (m.id, p_as_of) RETURNING * INTO r;
    INSERT INTO supervision.risk_score (run_id, subject_id, score, score_class, class, forced_by, top_codes, top_points)
    SELECT r.id, c.subject_id, c.score, c.score_class, c.class, c.forced_by, c.top_codes, c.top_points
      FROM supervision.risk_compute(m.id, p_as_of) c;
    -- drafts are trial runs: they neither count as history nor set the classes draws use
    IF m.status <> 'draft' THEN
        INSERT INTO supervision.risk_class_change (run_id, subject_id, old_class, new_class)
        SELECT r.id, s.subject_id, o.class, s.class
          FROM supervision.risk_score s
          LEFT JOIN supervision.risk_score o ON o.run_id = v_prev AND o.subject_id = s.subject_id
         WHERE s.run_id = r.id AND o.class IS DISTINCT FROM s.class;
        DELETE FROM supervision.subject_credit_class c
         WHERE NOT EXISTS (SELECT 1 FROM supervision.risk_score s WHERE s.run_id = r.id AND s.subject_id = c.subject_id);
        -- only changed classes are written (the table is audited row by row; the runs keep every score)
        INSERT INTO supervision.subject_credit_class (subject_id, class, assessed_on, model)
        SELECT s.subject_id, s.class, p_as_of, format('%s v%s (run %s)', m.name, m.version, r.id)
          FROM supervision.risk_score s WHERE s.run_id = r.id
        ON CONFLICT (subject_id) DO UPDATE SET class = EXCLUDED.class, assessed_on = EXCLUDED.assessed_on, model = EXCLUDED.model
         WHERE subject_credit_class.class IS DISTINCT FROM EXCLUDED.class;
    END IF;
    UPDATE supervision.risk_run SET finished_at = clock_timestamp(),
           subjects = (SELECT count(*) FROM supervision.risk_score WHERE run_id = r.id),
           class_counts = (SELECT jsonb_object_agg(k, (SELECT count(*) FROM supervision.risk_score s WHERE s.run_id = r.id AND s.class = k))
                             FROM unnest(ARRAY['A', 'B', 'C', 'D']) k),
           changes = CASE WHEN m.status <> 'draft' THEN (SELECT count(*) FROM supervision.risk_class_change WHERE run_id = r.id) END
     WHERE id = r.id RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION supervision.risk_run(bigint, date) IS
    'Classifies every subject under a model (default: the active one) as of a date and stores the run, the scores, the class changes against the previous run, and the classes double-random draws read (subject_credit_class). A draft model gives a trial run that changes no class.';

-- Why a subject has its class: the latest run's score, class and top indicators with their names.
CREATE VIEW supervision.risk_explanation WITH (security_invoker = true) AS
    SELECT s.run_id, s.subject_id, s.score, s.score_class, s.class, s.forced_by, f.name AS forced_rule,
           t.ord AS rank, t.code, i.name AS indicator, t.points
      FROM supervision.risk_score s
      JOIN supervision.risk_run r ON r.id = s.run_id
      LEFT JOIN supervision.risk_forced_rule f ON f.model_id = r.model_id AND f.code = s.forced_by
      LEFT JOIN LATERAL unnest(s.top_codes, s.top_points) WITH ORDINALITY t(code, points, ord) ON true
      LEFT JOIN supervision.risk_indicator i ON i.model_id = r.model_id AND i.code = t.code;
COMMENT ON VIEW supervision.risk_explanation IS
    'For each scored subject and run: score, class by score, class, the forced rule if any, and the indicators that contributed most (rank, code, name, points out of 100)';

-- Keeps the latest runs; scores of older runs go (class changes stay with their runs until then).
CREATE FUNCTION supervision.risk_run_purge(p_keep integer DEFAULT 24) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v bigint;
BEGIN
    IF p_keep IS NULL OR p_keep < 1 THEN
        RAISE EXCEPTION 'at least one run must be kept, not %', p_keep USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM supervision.risk_run WHERE finished_at IS NOT NULL
       AND id NOT IN (SELECT id FROM supervision.risk_run ORDER BY id DESC LIMIT p_keep);
    GET DIAGNOSTICS v = ROW_COUNT;
    RETURN v;
END
$$;
COMMENT ON FUNCTION supervision.risk_run_purge(integer) IS
    'Deletes all but the latest runs (default 24: two years of monthly runs) with their scores and class changes; returns how many runs went';

---------------------------------------------------------------------------
-- The shipped model (a starting point; weights are not national figures)
---------------------------------------------------------------------------

INSERT INTO supervision.risk_model (name, version, class_method, class_cuts, description, created_by, builtin)
VALUES ('enterprise credit risk', 1, 'threshold', '{"A": 8, "B": 25, "C": 50}',
        'Starting point shipped with the extension: no national weights are published, so these are for a DBA to change (copy to a new version, edit, activate)',
        'extension', true);
INSERT INTO supervision.risk_indicator (model_id, code, name, weight, source, direction, transform, missing)
SELECT (SELECT id FROM supervision.risk_model WHERE name = 'enterprise credit risk' AND version = 1), c, n, w, s, d, t::jsonb, m
  FROM (VALUES
    ('A', '基础属性信息', 15, NULL, NULL, NULL, 0),
    ('A01', '主体存续情况', 1, NULL, NULL, NULL, 0),
    ('A0101', '成立年限', 1, 'age_years', 'protective', '{"bins": [1, 3, 5, 10]}', 5),
    ('A0102', '登记状态异常', 2, 'status_abnormal', 'risk', '{"flag": true}', 0),
    ('B', '动态信息', 15, NULL, NULL, NULL, 0),
    ('B01', '经营异常', 1, NULL, NULL, NULL, 0),
    ('B0101', '列入经营异常名录', 1, 'abnormal_listing', 'risk', '{"flag": true}', 0),
    ('C', '监管信息', 40, NULL, NULL, NULL, 0),
    ('C01', '行政处罚', 3, NULL, NULL, NULL, 0),
    ('C0101', '近1年行政处罚次数', 2, 'penalties_1y', 'risk', '{"cap": 3}', 0),
    ('C0102', '近3年行政处罚次数', 1, 'penalties_3y', 'risk', '{"cap": 10, "log": true}', 0),
    ('C02', '抽查检查', 2, NULL, NULL, NULL, 0),
    ('C0201', '近3年抽查发现问题次数', 1, 'inspection_problems_3y', 'risk', '{"cap": 3}', 0),
    ('C03', '行政强制', 1, NULL, NULL, NULL, 0),
    ('C0301', '近3年行政强制次数', 1, 'coercive_3y', 'risk', '{"cap": 2}', 0),
    ('C04', '严重违法失信', 2, NULL, NULL, NULL, 0),
    ('C0401', '列入严重违法失信名单', 1, 'serious_violation', 'risk', '{"flag": true}', 0),
    ('D', '关联关系信息', 10, NULL, NULL, NULL, 0),
    ('D01', '关联主体失信', 1, NULL, NULL, NULL, 0),
    ('D0101', '同一法定代表人的失信主体数', 1, 'related_serious_violation', 'risk', '{"cap": 3}', 0),
    ('E', '社会评价信息', 20, NULL, NULL, NULL, 0),
    ('E01', '舆情', 2, NULL, NULL, NULL, 0),
    ('E0101', '近1年负面舆情条数', 1, 'negative_internet_1y', 'risk', '{"cap": 5, "log": true}', 0),
    ('E02', '信用承诺与激励', 1, NULL, NULL, NULL, 0),
    ('E0201', '信用承诺', 1, 'commitments', 'protective', '{"flag": true}', 0),
    ('E0202', '近3年守信激励', 1, 'rewards_3y', 'protective', '{"flag": true}', 0)
  ) v(c, n, w, s, d, t, m);
INSERT INTO supervision.risk_forced_rule (model_id, code, name, source, class, priority)
SELECT id, 'F01', '列入严重违法失信名单的直接列为D类', 'serious_violation', 'D', 10
  FROM supervision.risk_model WHERE name = 'enterprise credit risk' AND version = 1;
UPDATE supervision.risk_model SET status = 'active', activated_at = now(), activated_by = 'extension'
 WHERE name = 'enterprise credit risk' AND version = 1;

-- The monthly run, registered with pg_cron on request (supervision.jobs_schedule).
INSERT INTO supervision.job_definition (name, schedule, command, description, builtin) VALUES
    ('supervision-risk-monthly', '0 18 1 * *', 'SELECT id FROM supervision.risk_run()',
     'Classifies every subject under the active credit-risk model (02:00 Beijing time on the 1st)', true);

---------------------------------------------------------------------------
-- Security
---------------------------------------------------------------------------

DO $$
DECLARE t text;
BEGIN
    -- models: everybody reads; administrators write (drafts only, see the guard), changes audited
    FOREACH t IN ARRAY ARRAY['risk_model', 'risk_indicator', 'risk_forced_rule'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY all_read ON supervision.%I FOR SELECT USING (true)', t);
        EXECUTE format('CREATE POLICY admin_write ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_officer, supervision_auditor', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON supervision.%I TO supervision_admin', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
    -- results: classes are internal (not published): officers, auditors and administrators read them;
    -- runs write them as the administrator (or pg_cron's superuser) who runs them
    FOREACH t IN ARRAY ARRAY['risk_run', 'risk_score', 'risk_class_change'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY staff_read ON supervision.%I FOR SELECT TO supervision_officer, supervision_auditor USING (true)', t);
        EXECUTE format('CREATE POLICY admin_all ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_officer, supervision_auditor', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON supervision.%I TO supervision_admin', t);
        PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
    END LOOP;
END
$$;
SELECT supervision.audit_attach('supervision.risk_run');
-- sources: everybody reads; only superusers write (the queries run as whoever runs a model)
ALTER TABLE supervision.risk_source ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_read ON supervision.risk_source FOR SELECT USING (true);
REVOKE ALL ON supervision.risk_source FROM PUBLIC;
GRANT SELECT ON supervision.risk_source TO supervision_officer, supervision_auditor, supervision_admin;
SELECT supervision.audit_attach('supervision.risk_source');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_source', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_model', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_indicator',
    'WHERE model_id NOT IN (SELECT id FROM supervision.risk_model WHERE builtin)');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_forced_rule',
    'WHERE model_id NOT IN (SELECT id FROM supervision.risk_model WHERE builtin)');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.risk_run_id_seq', '');
-- subject_credit_class is written by runs
GRANT SELECT, INSERT, UPDATE, DELETE ON supervision.subject_credit_class TO supervision_admin;

REVOKE ALL ON supervision.risk_leaf_weight, supervision.risk_explanation FROM PUBLIC;
GRANT SELECT ON supervision.risk_leaf_weight, supervision.risk_explanation
    TO supervision_officer, supervision_auditor, supervision_admin;
REVOKE ALL ON FUNCTION supervision.risk_compute(bigint, date), supervision.risk_run(bigint, date),
    supervision.risk_run_purge(integer), supervision.risk_model_activate(bigint),
    supervision.risk_model_copy(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.risk_compute(bigint, date), supervision.risk_run(bigint, date),
    supervision.risk_run_purge(integer), supervision.risk_model_activate(bigint),
    supervision.risk_model_copy(bigint, text) TO supervision_admin;
