-- Supervision-item catalog (监管事项目录清单): items with one code each across
-- the province, versioned, with a review workflow, implementation lists,
-- consistency checks, and exchange with the national catalog.

---------------------------------------------------------------------------
-- Coding scheme (kept as data) and allocation
---------------------------------------------------------------------------

CREATE TABLE supervision.code_scheme (
    scheme          text PRIMARY KEY CHECK (scheme ~ '^[A-Za-z0-9_-]{1,32}$'),
    description     text NOT NULL,
    check_algorithm text NOT NULL DEFAULT 'iso7064_mod11_10'
                         CHECK (check_algorithm IN ('iso7064_mod11_10')),
    active          boolean NOT NULL DEFAULT false,
    builtin         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX code_scheme_one_active ON supervision.code_scheme (active) WHERE active;
COMMENT ON TABLE supervision.code_scheme IS
    'Coding schemes for 14-digit catalog codes; exactly one is active. Codes already allocated keep their scheme.';

CREATE TABLE supervision.code_segment (
    scheme      text NOT NULL REFERENCES supervision.code_scheme ON UPDATE CASCADE,
    position    smallint NOT NULL CHECK (position BETWEEN 1 AND 14),
    name        text NOT NULL,
    width       smallint NOT NULL CHECK (width BETWEEN 1 AND 13),
    source      text NOT NULL CHECK (source IN ('constant', 'department', 'main_seq', 'sub_seq', 'check')),
    value       text CHECK (value ~ '^[0-9]+$'),
    description text,
    builtin     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (scheme, position),
    UNIQUE (scheme, source),
    CHECK ((source = 'constant') = (value IS NOT NULL)),
    CHECK (value IS NULL OR length(value) = width),
    CHECK (source <> 'check' OR width = 1)
);
COMMENT ON TABLE supervision.code_segment IS
    'Segments of a coding scheme, left to right: constant (e.g. province 32), department code, main-item sequence, sub-item sequence (zeros for a main item), check digit';

INSERT INTO supervision.code_scheme (scheme, description, active, builtin) VALUES
    ('JS2019', 'Jiangsu catalog code: 32 + department (3) + main item (4) + sub-item (4, 0000 for a main item) + ISO 7064 MOD 11,10 check digit', true, true);
INSERT INTO supervision.code_segment (scheme, position, name, width, source, value, description, builtin) VALUES
    ('JS2019', 1, 'province',   2, 'constant',   '32', 'GB/T 2260 province code of Jiangsu', true),
    ('JS2019', 2, 'department', 3, 'department', NULL, 'Provincial department code (supervision.department.code)', true),
    ('JS2019', 3, 'main_item',  4, 'main_seq',   NULL, 'Main item number within the department, 0001-9999, never reused', true),
    ('JS2019', 4, 'sub_item',   4, 'sub_seq',    NULL, 'Sub-item number within the main item, 0001-9999; 0000 = the main item itself', true),
    ('JS2019', 5, 'check',      1, 'check',      NULL, 'ISO 7064 MOD 11,10 check digit over the 13 digits before it', true);

-- A scheme is usable when its segments tile 14 digits and include every source once.
CREATE FUNCTION supervision.code_scheme_problems(p_scheme text) RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE
        WHEN count(*) = 0 THEN 'scheme has no segments'
        WHEN sum(width) <> 14 THEN format('segments cover %s digits, expected 14', sum(width))
        WHEN count(DISTINCT source) <> 5 AND bool_or(source = 'constant') THEN 'scheme needs department, main_seq, sub_seq and check segments'
        WHEN count(DISTINCT source) < 4 THEN 'scheme needs department, main_seq, sub_seq and check segments'
        WHEN max(position) FILTER (WHERE source = 'check') <> max(position) THEN 'the check digit must be the last segment'
        WHEN max(position) FILTER (WHERE source = 'main_seq') > max(position) FILTER (WHERE source = 'sub_seq')
             THEN 'the main-item segment must come before the sub-item segment'
        WHEN max(position) FILTER (WHERE source = 'department') > max(position) FILTER (WHERE source = 'main_seq')
             THEN 'the department segment must come before the main-item segment'
        WHEN max(width) FILTER (WHERE source = 'department') <> 3 THEN 'the department segment must be 3 digits wide'
        END
      FROM supervision.code_segment WHERE scheme = p_scheme;
END;

CREATE FUNCTION supervision.code_scheme_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE v_problem text;
BEGIN
    IF NEW.active THEN
        v_problem := supervision.code_scheme_problems(NEW.scheme);
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION 'coding scheme "%" cannot be activated', NEW.scheme
                USING ERRCODE = 'invalid_parameter_value', DETAIL = v_problem || '.',
                      HINT = 'Fix its rows in supervision.code_segment first.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER code_scheme_check BEFORE INSERT OR UPDATE OF active ON supervision.code_scheme
    FOR EACH ROW EXECUTE FUNCTION supervision.code_scheme_check();

-- The segments of a scheme that is active or has handed out codes never change.
CREATE FUNCTION supervision.code_segment_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_scheme text := CASE WHEN TG_OP = 'INSERT' THEN NEW.scheme ELSE OLD.scheme END;
BEGIN
    IF EXISTS (SELECT 1 FROM supervision.code_scheme s WHERE s.scheme = v_scheme AND s.active)
       OR EXISTS (SELECT 1 FROM supervision.code_registry r WHERE r.scheme = v_scheme) THEN
        RAISE EXCEPTION 'the segments of coding scheme "%" cannot change', v_scheme
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The scheme is active or has handed out codes.',
                  HINT = 'Define a new scheme and activate it.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION supervision.code_segment_guard() IS
    'Trigger: segments of an active scheme, or of one that has handed out codes, are frozen';

-- ISO 7064 MOD 11,10 (hybrid system): one check digit for a string of digits.
CREATE FUNCTION supervision.mod11_10_check_digit(p_digits text) RETURNS char
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    p int := 10;
    s int;
BEGIN
    IF p_digits !~ '^[0-9]+$' THEN
        RAISE EXCEPTION 'invalid digit string "%"', p_digits
            USING ERRCODE = 'invalid_text_representation', DETAIL = 'Only the digits 0-9 are allowed.';
    END IF;
    FOR i IN 1 .. length(p_digits) LOOP
        s := (p + ascii(substr(p_digits, i, 1)) - 48) % 10;
        IF s = 0 THEN s := 10; END IF;
        p := (s * 2) % 11;
    END LOOP;
    RETURN ((11 - p) % 10)::text;
END
$$;
COMMENT ON FUNCTION supervision.mod11_10_check_digit(text) IS 'ISO 7064 MOD 11,10 check digit of a string of decimal digits';

CREATE FUNCTION supervision.catalog_code_valid(p_code text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_code ~ '^[0-9]{14}$'
            THEN supervision.mod11_10_check_digit(left(p_code, 13)) = right(p_code, 1)
            ELSE false END;
COMMENT ON FUNCTION supervision.catalog_code_valid(text) IS
    'True when the text is 14 digits whose last is the ISO 7064 MOD 11,10 check digit of the first 13 (false for any other input, never an error)';

CREATE TABLE supervision.code_counter (
    scheme     text NOT NULL REFERENCES supervision.code_scheme ON UPDATE CASCADE,
    prefix     text NOT NULL,
    last_value integer NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    PRIMARY KEY (scheme, prefix)
);
COMMENT ON TABLE supervision.code_counter IS
    'Last sequence number handed out per code prefix; only grows, so codes are never reused';

CREATE TABLE supervision.code_registry (
    code           text PRIMARY KEY CHECK (supervision.catalog_code_valid(code)),
    scheme         text NOT NULL REFERENCES supervision.code_scheme ON UPDATE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('main', 'sub')),
    department_code text NOT NULL REFERENCES supervision.department,
    parent_code    text REFERENCES supervision.code_registry,
    allocated_at   timestamptz NOT NULL DEFAULT now(),
    allocated_by   text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE supervision.code_registry IS
    'Every catalog code ever allocated, used or not: a code is never handed out twice, even after its item is retired';

-- Allocates the next code: a main item of a department, or a sub-item of a main item.
CREATE FUNCTION supervision.catalog_allocate_code(p_department text, p_main_code text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_scheme text;
    v_prefix text := '';
    v_suffix text := '';
    v_seq_width int;
    v_seq int;
    v_body text;
    v_code text;
    v_kind text := CASE WHEN p_main_code IS NULL THEN 'main' ELSE 'sub' END;
    seg record;
    v_seen_target boolean := false;
    v_pos int := 1;
    v_caller text := supervision.actor_department();
BEGIN
    IF p_department IS NULL OR NOT EXISTS (SELECT 1 FROM supervision.department WHERE code = p_department) THEN
        RAISE EXCEPTION 'unknown department "%"', p_department
            USING ERRCODE = 'foreign_key_violation', HINT = 'Departments are listed in supervision.department.';
    END IF;
    IF NOT supervision.actor_is_admin() AND v_caller IS DISTINCT FROM p_department THEN
        RAISE EXCEPTION 'role "%" may not allocate codes for department %', supervision.actor_role(), p_department
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user''s department is %s.', coalesce(v_caller, 'unknown'));
    END IF;
    IF p_main_code IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM supervision.code_registry r
                        WHERE r.code = p_main_code AND r.kind = 'main' AND r.department_code = p_department) THEN
            RAISE EXCEPTION 'main item code "%" is not a main item of department %', p_main_code, p_department
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT r.scheme INTO v_scheme FROM supervision.code_registry r WHERE r.code = p_main_code;
    ELSE
        SELECT s.scheme INTO v_scheme FROM supervision.code_scheme s WHERE s.active;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no active coding scheme' USING ERRCODE = 'object_not_in_prerequisite_state',
                HINT = 'Activate one row of supervision.code_scheme.';
        END IF;
    END IF;

    -- compose: segments before the allocated one form the counter's prefix
    FOR seg IN SELECT * FROM supervision.code_segment WHERE scheme = v_scheme ORDER BY position LOOP
        v_pos := v_pos + seg.width;
        IF seg.source = 'check' THEN
            CONTINUE;
        ELSIF v_seen_target THEN
            v_suffix := v_suffix || repeat('0', seg.width);
        ELSIF (v_kind = 'main' AND seg.source = 'main_seq') OR (v_kind = 'sub' AND seg.source = 'sub_seq') THEN
            v_seen_target := true;
            v_seq_width := seg.width;
        ELSIF v_kind = 'sub' THEN
            v_prefix := v_prefix || substr(p_main_code, v_pos - seg.width, seg.width);
        ELSIF seg.source = 'constant' THEN
            v_prefix := v_prefix || seg.value;
        ELSIF seg.source = 'department' THEN
            v_prefix := v_prefix || p_department;
        END IF;
    END LOOP;

    LOOP
        INSERT INTO supervision.code_counter AS c (scheme, prefix, last_value) VALUES (v_scheme, v_prefix, 1)
        ON CONFLICT (scheme, prefix) DO UPDATE SET last_value = c.last_value + 1
        RETURNING last_value INTO v_seq;
        IF v_seq >= 10 ^ v_seq_width THEN
            RAISE EXCEPTION 'catalog code space exhausted for prefix %', v_prefix
                USING ERRCODE = 'program_limit_exceeded',
                      DETAIL = format('All %s numbers of the %s-digit segment are used.', (10 ^ v_seq_width)::bigint - 1, v_seq_width),
                      HINT = 'Define and activate a new coding scheme.';
        END IF;
        v_body := v_prefix || lpad(v_seq::text, v_seq_width, '0') || v_suffix;
        v_code := v_body || supervision.mod11_10_check_digit(v_body);
        -- a code another scheme already handed out is skipped, never handed out twice
        INSERT INTO supervision.code_registry (code, scheme, kind, department_code, parent_code, allocated_by)
        VALUES (v_code, v_scheme, v_kind, p_department, p_main_code, supervision.actor_person())
        ON CONFLICT (code) DO NOTHING;
        EXIT WHEN FOUND;
    END LOOP;
    RETURN v_code;
END
$$;
COMMENT ON FUNCTION supervision.catalog_allocate_code(text, text) IS
    'Allocates the next 14-digit catalog code of a department (main item) or of a main item (sub-item); concurrency-safe, never reuses a code';

---------------------------------------------------------------------------
-- Items, versions, check items and contents
---------------------------------------------------------------------------

-- The normalised form of a name used to compare names across sources:
-- NFKC (full-width to half-width), no white space or punctuation, lower case.
CREATE FUNCTION supervision.catalog_name_key(p_name text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN lower(regexp_replace(normalize(p_name, NFKC),
        '[[:space:][:punct:]　、，。：；！？“”‘’（）《》【】〔〕·…—「」『』]+', '', 'g'));
COMMENT ON FUNCTION supervision.catalog_name_key(text) IS
    'Name comparison key: NFKC, lower case, white space and punctuation removed';

CREATE TABLE supervision.catalog_item (
    code            text PRIMARY KEY REFERENCES supervision.code_registry,
    kind            text NOT NULL CHECK (kind IN ('main', 'sub')),
    parent_code     text REFERENCES supervision.catalog_item,
    department_code text NOT NULL REFERENCES supervision.department,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL DEFAULT coalesce(supervision.actor_user(), session_user),
    CHECK ((kind = 'main') = (parent_code IS NULL))
);
CREATE INDEX ON supervision.catalog_item (parent_code);
COMMENT ON TABLE supervision.catalog_item IS
    'Supervision items (main items and sub-items), one row per code; their content lives in versions (supervision.catalog_version)';

-- An item is what its code was allocated for, and stays so.
CREATE FUNCTION supervision.catalog_item_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE r supervision.code_registry;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.code, NEW.kind, NEW.parent_code, NEW.department_code, NEW.created_at, NEW.created_by)
           IS DISTINCT FROM (OLD.code, OLD.kind, OLD.parent_code, OLD.department_code, OLD.created_at, OLD.created_by) THEN
            RAISE EXCEPTION 'catalog item % cannot change its code, kind, parent or department', OLD.code
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Retire it and draft a new item.';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'catalog item % cannot be deleted', OLD.code
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Codes are kept for ever: retire the item.';
    END IF;
    SELECT * INTO r FROM supervision.code_registry WHERE code = NEW.code;
    IF NOT FOUND OR r.kind <> NEW.kind OR r.department_code <> NEW.department_code
       OR r.parent_code IS DISTINCT FROM NEW.parent_code THEN
        RAISE EXCEPTION 'code % was not allocated for this item', NEW.code
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN r.code IS NULL THEN 'The code is not in supervision.code_registry.'
                                ELSE format('It was allocated as a %s item of department %s%s.', r.kind, r.department_code,
                                            coalesce(' under ' || r.parent_code, '')) END,
                  HINT = 'Draft items with supervision.catalog_draft(), which allocates their codes.';
    END IF;
    NEW.created_at := now();
    NEW.created_by := supervision.actor_person();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION supervision.catalog_item_guard() IS
    'Trigger: an item matches the allocation of its code (kind, department, parent) and never changes or disappears';
CREATE TRIGGER catalog_item_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.catalog_item
    FOR EACH ROW EXECUTE FUNCTION supervision.catalog_item_guard();

CREATE TABLE supervision.catalog_version (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_code       text NOT NULL REFERENCES supervision.catalog_item,
    version_no      integer NOT NULL CHECK (version_no >= 1),
    status          text NOT NULL DEFAULT 'draft'
                         CHECK (status IN ('draft', 'review', 'published', 'retired')),
    -- the ten elements
    department_code text NOT NULL REFERENCES supervision.department,            -- 监管部门
    main_item_name  text NOT NULL CHECK (btrim(main_item_name) <> '' AND length(main_item_name) <= 200),  -- 主项名称
    sub_item_name   text CHECK (btrim(sub_item_name) <> '' AND length(sub_item_name) <= 200),             -- 子项名称
    method          text NOT NULL CHECK (btrim(method) <> ''),                   -- 监管方式
    measures        text,                                                        -- 监管措施
    object          text NOT NULL CHECK (btrim(object) <> ''),                   -- 监管对象
    legal_basis     jsonb NOT NULL,                                              -- 设定依据
    process         text,                                                        -- 监管流程
    result          text,                                                        -- 监管结果
    levels          smallint[] NOT NULL,                                         -- 监管层级
    -- classification and mappings
    item_type       text NOT NULL DEFAULT '行政检查' CHECK (btrim(item_type) <> ''),
    scope           text NOT NULL DEFAULT 'province' CHECK (scope IN ('province', 'city', 'county')),
    national_item_code text,
    power_item_code text,
    -- the change and its workflow
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    author          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_edited_by  text,
    submitted_at    timestamptz,
    submitted_by    text,
    reviewed_at     timestamptz,
    reviewed_by     text,
    review_note     text,
    effective_from  date,
    published_at    timestamptz,
    retired_at      timestamptz,
    retired_by      text,
    retire_reason   text,
    retire_effective date,
    UNIQUE (item_code, version_no),
    CHECK (jsonb_typeof(legal_basis) = 'array' AND jsonb_array_length(legal_basis) >= 1),
    CHECK (cardinality(levels) >= 1 AND levels <@ ARRAY[1, 2, 3, 4, 5]::smallint[]),
    CHECK (status NOT IN ('published', 'retired') OR (effective_from IS NOT NULL AND published_at IS NOT NULL)),
    CHECK (status <> 'retired' OR (retired_at IS NOT NULL AND retire_effective IS NOT NULL AND retire_reason IS NOT NULL)),
    CHECK (national_item_code IS NULL OR national_item_code ~ '^[0-9A-Za-z-]{1,40}$'),
    CHECK (power_item_code IS NULL OR power_item_code ~ '^[0-9A-Za-z-]{1,40}$')
);
CREATE UNIQUE INDEX catalog_version_one_open ON supervision.catalog_version (item_code)
    WHERE status IN ('draft', 'review');
CREATE INDEX ON supervision.catalog_version (department_code, status);
COMMENT ON TABLE supervision.catalog_version IS
    'Versions of catalog items: the ten elements (department, main item, sub-item, method, measures, object, legal basis, process, result, level) with reason, author and effective date. draft -> review -> published -> retired; published versions are immutable.';
COMMENT ON COLUMN supervision.catalog_version.legal_basis IS
    '设定依据: JSON array of {"law": ..., "article": ..., "text": ...}, one element per article';
COMMENT ON COLUMN supervision.catalog_version.levels IS
    '监管层级: levels that carry the item out: 1 national, 2 provincial, 3 city, 4 county, 5 township';
COMMENT ON COLUMN supervision.catalog_version.scope IS 'Where the item applies: province-wide, or specific to cities or counties';
COMMENT ON COLUMN supervision.catalog_version.national_item_code IS 'The matching item of the national catalog (supervision.national_item)';
COMMENT ON COLUMN supervision.catalog_version.power_item_code IS 'The matching item of the power-and-responsibility list (权力事项)';

CREATE TABLE supervision.catalog_check (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id    bigint NOT NULL REFERENCES supervision.catalog_version ON DELETE CASCADE,
    parent_id     bigint REFERENCES supervision.catalog_check ON DELETE CASCADE,
    seq           smallint NOT NULL CHECK (seq BETWEEN 1 AND 999),
    code          text NOT NULL,
    name          text NOT NULL CHECK (btrim(name) <> ''),
    method        text,
    penalty_basis text,
    check_type    text CHECK (check_type IN ('daily', 'random', 'special', 'temporary')),
    UNIQUE (version_id, code),
    CHECK (parent_id IS NOT NULL OR check_type IS NULL)
);
CREATE INDEX ON supervision.catalog_check (parent_id);
COMMENT ON TABLE supervision.catalog_check IS
    'Check items (parent_id NULL) and their check contents (parent_id = the check item) of an item version; code = item code + -NNN (+ -NNN)';
COMMENT ON COLUMN supervision.catalog_check.check_type IS 'For check contents: daily, random (double-random), special or temporary checks';

-- Guards the workflow: allowed transitions, who may do each, immutability.
CREATE FUNCTION supervision.catalog_version_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_admin  boolean := supervision.actor_is_admin();
    v_dept   text := supervision.actor_department();
    v_user   text := supervision.actor_person();
    v_item   record;
    v_prev_effective date;
    v_workflow_cols text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'reviewed_at', 'reviewed_by',
                                    'review_note', 'effective_from', 'published_at', 'retired_at', 'retired_by',
                                    'retire_reason', 'retire_effective', 'last_edited_by'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'version % of item % is %, only drafts can be deleted', OLD.version_no, OLD.item_code, OLD.status
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN OLD;
    END IF;

    IF TG_OP = 'INSERT' THEN
        SELECT * INTO v_item FROM supervision.catalog_item WHERE code = NEW.item_code;
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a new version must start as a draft, not %', NEW.status
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF NEW.department_code IS DISTINCT FROM v_item.department_code THEN
            RAISE EXCEPTION 'item % belongs to department %, not %', NEW.item_code, v_item.department_code, NEW.department_code
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT v_admin AND v_dept IS DISTINCT FROM NEW.department_code THEN
            RAISE EXCEPTION 'role "%" may not draft items of department %', supervision.actor_role(), NEW.department_code
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('The acting user''s department is %s.', coalesce(v_dept, 'unknown'));
        END IF;
        IF (v_item.kind = 'sub') <> (NEW.sub_item_name IS NOT NULL) THEN
            RAISE EXCEPTION 'field sub_item_name: %', CASE WHEN v_item.kind = 'sub'
                THEN 'a sub-item needs a sub-item name' ELSE 'a main item has no sub-item name' END
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        NEW.author := v_user;
        NEW.last_edited_by := v_user;
        NEW.created_at := now();
        NEW.submitted_at := NULL; NEW.submitted_by := NULL; NEW.reviewed_at := NULL; NEW.reviewed_by := NULL;
        NEW.review_note := NULL; NEW.effective_from := NULL; NEW.published_at := NULL;
        NEW.retired_at := NULL; NEW.retired_by := NULL; NEW.retire_reason := NULL; NEW.retire_effective := NULL;
        RETURN NEW;
    END IF;

    -- UPDATE
    IF NEW.id <> OLD.id OR NEW.item_code <> OLD.item_code OR NEW.version_no <> OLD.version_no
       OR NEW.author <> OLD.author OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'the identity of a version cannot change' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NEW.status = OLD.status THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'version % of item % is % and cannot be edited', OLD.version_no, OLD.item_code, OLD.status
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Changes are made in a new version: supervision.catalog_revise().';
        END IF;
        IF NOT v_admin AND v_dept IS DISTINCT FROM OLD.department_code THEN
            RAISE EXCEPTION 'role "%" may not edit items of department %', supervision.actor_role(), OLD.department_code
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(to_jsonb(NEW)) e
             WHERE e.key = ANY (v_workflow_cols) AND e.key <> 'last_edited_by')
           IS DISTINCT FROM
           (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(to_jsonb(OLD)) e
             WHERE e.key = ANY (v_workflow_cols) AND e.key <> 'last_edited_by') THEN
            RAISE EXCEPTION 'workflow fields change only with the status' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        NEW.last_edited_by := v_user;     -- whoever changed the content last may not publish it
        IF NEW.department_code <> OLD.department_code THEN
            RAISE EXCEPTION 'an item cannot move to another department' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NEW;
    END IF;

    -- a transition: content must not change with it
    IF (to_jsonb(NEW) - v_workflow_cols) <> (to_jsonb(OLD) - v_workflow_cols) THEN
        RAISE EXCEPTION 'content cannot change together with the status' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    CASE OLD.status || '>' || NEW.status
    WHEN 'draft>review' THEN
        IF NOT v_admin AND v_dept IS DISTINCT FROM OLD.department_code THEN
            RAISE EXCEPTION 'only department % or an administrator may submit version % of item %',
                OLD.department_code, OLD.version_no, OLD.item_code USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.submitted_at := now(); NEW.submitted_by := v_user;
    WHEN 'review>draft' THEN
        IF NOT v_admin THEN
            RAISE EXCEPTION 'only an administrator may return a version under review' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF coalesce(btrim(NEW.review_note), '') = '' THEN
            RAISE EXCEPTION 'field review_note: returning a version needs a note' USING ERRCODE = 'not_null_violation';
        END IF;
        NEW.reviewed_at := now(); NEW.reviewed_by := v_user;
    WHEN 'review>published' THEN
        IF NOT v_admin THEN
            RAISE EXCEPTION 'only an administrator may publish' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF v_user = OLD.author OR v_user = OLD.last_edited_by THEN
            RAISE EXCEPTION 'the author of version % of item % may not publish it', OLD.version_no, OLD.item_code
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('"%s" wrote or last edited this version.', v_user),
                      HINT = 'Another administrator reviews and publishes.';
        END IF;
        IF EXISTS (SELECT 1 FROM supervision.catalog_version r WHERE r.item_code = OLD.item_code AND r.status = 'retired') THEN
            RAISE EXCEPTION 'item % is retired; its versions cannot be published', OLD.item_code
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Retired codes are never reused: draft a new item.';
        END IF;
        NEW.effective_from := coalesce(NEW.effective_from, current_date);
        IF NEW.effective_from < current_date THEN
            RAISE EXCEPTION 'field effective_from: the date is in the past'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('The value given was %s; today is %s.', to_char(NEW.effective_from, 'YYYY-MM-DD'),
                                      to_char(current_date, 'YYYY-MM-DD')),
                      HINT = 'A version takes effect today or later; history is not rewritten.';
        END IF;
        IF OLD.sub_item_name IS NOT NULL AND (
               NOT EXISTS (SELECT 1 FROM supervision.catalog_version p JOIN supervision.catalog_item i ON i.parent_code = p.item_code
                            WHERE i.code = OLD.item_code AND p.status = 'published')
               OR EXISTS (SELECT 1 FROM supervision.catalog_version p JOIN supervision.catalog_item i ON i.parent_code = p.item_code
                            WHERE i.code = OLD.item_code AND p.status = 'retired')) THEN
            RAISE EXCEPTION 'sub-item % can be published only while its main item is published and not retired', OLD.item_code
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        -- effective dates only move forward, so a later version never hides behind an earlier one
        SELECT max(p.effective_from) INTO v_prev_effective FROM supervision.catalog_version p
         WHERE p.item_code = OLD.item_code AND p.status IN ('published', 'retired') AND p.id <> OLD.id;
        IF NEW.effective_from < v_prev_effective THEN
            RAISE EXCEPTION 'field effective_from: the version would take effect before the version it replaces'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('The value given was %s; the latest published version takes effect on %s.',
                                      to_char(NEW.effective_from, 'YYYY-MM-DD'), to_char(v_prev_effective, 'YYYY-MM-DD')),
                      HINT = 'Publish it from that date or later.';
        END IF;
        NEW.reviewed_at := now(); NEW.reviewed_by := v_user; NEW.published_at := now();
    WHEN 'published>retired' THEN
        IF NOT v_admin THEN
            RAISE EXCEPTION 'only an administrator may retire an item' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF coalesce(btrim(NEW.retire_reason), '') = '' THEN
            RAISE EXCEPTION 'field retire_reason: retiring needs a reason' USING ERRCODE = 'not_null_violation';
        END IF;
        NEW.retire_effective := coalesce(NEW.retire_effective, current_date);
        IF NEW.retire_effective < current_date THEN
            RAISE EXCEPTION 'field retire_effective: the date is in the past'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('The value given was %s; today is %s.', to_char(NEW.retire_effective, 'YYYY-MM-DD'),
                                      to_char(current_date, 'YYYY-MM-DD')),
                      HINT = 'An item is retired from today or later; history is not rewritten.';
        END IF;
        NEW.retired_at := now(); NEW.retired_by := v_user;
    ELSE
        RAISE EXCEPTION 'a version cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Allowed: draft -> review, review -> draft, review -> published, published -> retired.';
    END CASE;
    RETURN NEW;
END
$$;
CREATE TRIGGER catalog_version_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.catalog_version
    FOR EACH ROW EXECUTE FUNCTION supervision.catalog_version_guard();

-- Check items and contents change only while their version is a draft.
CREATE FUNCTION supervision.catalog_check_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE v_status text;
BEGIN
    SELECT status INTO v_status FROM supervision.catalog_version
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
    IF TG_OP = 'DELETE' AND v_status IS NULL THEN
        RETURN OLD;                       -- cascading from a deleted draft
    END IF;
    IF v_status IS DISTINCT FROM 'draft' THEN
        RAISE EXCEPTION 'check items of a % version cannot change', coalesce(v_status, 'missing')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER catalog_check_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.catalog_check
    FOR EACH ROW EXECUTE FUNCTION supervision.catalog_check_guard();

---------------------------------------------------------------------------
-- Editing through functions (what applications call)
---------------------------------------------------------------------------

-- Raises a field error in one place so messages read the same everywhere.
CREATE FUNCTION supervision.field_error(p_field text, p_problem text, p_value text DEFAULT NULL,
                                        p_sqlstate text DEFAULT '22023')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'field %: %', p_field, p_problem
        USING ERRCODE = p_sqlstate,
              DETAIL = CASE WHEN p_value IS NULL THEN 'No value was given.'
                            ELSE format('The value given was %s.', left(p_value, 200)) END;
END
$$;

-- Overlays the fields of a JSON object on a version; validates every field.
CREATE FUNCTION supervision.catalog_apply_fields(p_base supervision.catalog_version, p jsonb)
RETURNS supervision.catalog_version
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v   supervision.catalog_version := p_base;
    k   text;
    e   jsonb;
    t   text;
    n   int;
    v_allowed text[] := ARRAY['department', 'parent_code', 'main_item_name', 'sub_item_name', 'method', 'measures',
                              'object', 'legal_basis', 'process', 'result', 'levels', 'item_type', 'scope',
                              'national_item_code', 'power_item_code', 'reason', 'checks'];
    v_text  text[] := ARRAY['main_item_name', 'sub_item_name', 'method', 'measures', 'object', 'process', 'result',
                            'item_type', 'national_item_code', 'power_item_code', 'reason', 'scope'];
BEGIN
    IF p IS NULL OR jsonb_typeof(p) <> 'object' THEN
        PERFORM supervision.field_error('(item)', 'expected a JSON object', p::text);
    END IF;
    FOR k IN SELECT jsonb_object_keys(p) LOOP
        IF NOT k = ANY (v_allowed) THEN
            PERFORM supervision.field_error(k, 'unknown field; expected one of ' || array_to_string(v_allowed, ', '), p ->> k);
        END IF;
        IF k = ANY (v_text) AND jsonb_typeof(p -> k) NOT IN ('string', 'null') THEN
            PERFORM supervision.field_error(k, 'expected a string', (p -> k)::text);
        END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['main_item_name', 'sub_item_name', 'method', 'object', 'reason', 'item_type'] LOOP
        IF p ? k AND jsonb_typeof(p -> k) = 'string' AND btrim(p ->> k) = '' THEN
            PERFORM supervision.field_error(k, 'must not be empty', quote_literal(p ->> k));
        END IF;
        IF p ? k AND length(p ->> k) > 200 AND k IN ('main_item_name', 'sub_item_name') THEN
            PERFORM supervision.field_error(k, format('is %s characters long, at most 200 allowed', length(p ->> k)), p ->> k);
        END IF;
    END LOOP;
    IF p ? 'main_item_name' THEN v.main_item_name := btrim(p ->> 'main_item_name'); END IF;
    IF p ? 'sub_item_name'  THEN v.sub_item_name  := nullif(btrim(p ->> 'sub_item_name'), ''); END IF;
    IF p ? 'method'         THEN v.method         := btrim(p ->> 'method'); END IF;
    IF p ? 'measures'       THEN v.measures       := p ->> 'measures'; END IF;
    IF p ? 'object'         THEN v.object         := btrim(p ->> 'object'); END IF;
    IF p ? 'process'        THEN v.process        := p ->> 'process'; END IF;
    IF p ? 'result'         THEN v.result         := p ->> 'result'; END IF;
    IF p ? 'item_type'      THEN v.item_type      := btrim(p ->> 'item_type'); END IF;
    IF p ? 'reason'         THEN v.reason         := btrim(p ->> 'reason'); END IF;
    IF p ? 'scope' THEN
        IF NOT (p ->> 'scope') IN ('province', 'city', 'county') THEN
            PERFORM supervision.field_error('scope', 'expected province, city or county', p ->> 'scope');
        END IF;
        v.scope := p ->> 'scope';
    END IF;
    FOREACH k IN ARRAY ARRAY['national_item_code', 'power_item_code'] LOOP
        IF p ? k AND p ->> k IS NOT NULL AND (p ->> k) !~ '^[0-9A-Za-z-]{1,40}$' THEN
            PERFORM supervision.field_error(k, 'expected 1 to 40 letters, digits or hyphens', p ->> k);
        END IF;
    END LOOP;
    IF p ? 'national_item_code' THEN v.national_item_code := p ->> 'national_item_code'; END IF;
    IF p ? 'power_item_code'    THEN v.power_item_code    := p ->> 'power_item_code'; END IF;
    IF p ? 'legal_basis' THEN
        IF jsonb_typeof(p -> 'legal_basis') <> 'array' OR jsonb_array_length(p -> 'legal_basis') = 0 THEN
            PERFORM supervision.field_error('legal_basis', 'expected a non-empty array of {"law", "article", "text"}',
                                            (p -> 'legal_basis')::text);
        END IF;
        n := 0;
        FOR e IN SELECT * FROM jsonb_array_elements(p -> 'legal_basis') LOOP
            n := n + 1;
            IF jsonb_typeof(e) <> 'object' OR coalesce(btrim(e ->> 'law'), '') = '' THEN
                PERFORM supervision.field_error(format('legal_basis[%s].law', n), 'each article needs the name of its law', e::text);
            END IF;
            FOR t IN SELECT jsonb_object_keys(e) LOOP
                IF t NOT IN ('law', 'article', 'text') THEN
                    PERFORM supervision.field_error(format('legal_basis[%s].%s', n, t), 'unknown field; expected law, article, text', e ->> t);
                END IF;
            END LOOP;
        END LOOP;
        v.legal_basis := p -> 'legal_basis';
    END IF;
    IF p ? 'levels' THEN
        IF jsonb_typeof(p -> 'levels') <> 'array' OR jsonb_array_length(p -> 'levels') = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(p -> 'levels') x
                       WHERE jsonb_typeof(x) <> 'number' OR x::text NOT IN ('1', '2', '3', '4', '5')) THEN
            PERFORM supervision.field_error('levels', 'expected a non-empty array of levels 1-5 (national, provincial, city, county, township)',
                                            (p -> 'levels')::text);
        END IF;
        v.levels := ARRAY(SELECT DISTINCT x::smallint FROM jsonb_array_elements_text(p -> 'levels') x ORDER BY 1);
    END IF;
    RETURN v;
END
$$;

-- Writes the check items and contents of a draft version from JSON:
-- [{"name": ..., "contents": [{"content": ..., "method": ..., "penalty_basis": ..., "check_type": ...}]}]
CREATE FUNCTION supervision.catalog_write_checks(p_version_id bigint, p_item_code text, p_checks jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c   jsonb;
    x   jsonb;
    i   int := 0;
    j   int;
    v_parent bigint;
BEGIN
    IF p_checks IS NULL OR jsonb_typeof(p_checks) = 'null' THEN RETURN; END IF;
    IF jsonb_typeof(p_checks) <> 'array' THEN
        PERFORM supervision.field_error('checks', 'expected an array of check items', p_checks::text);
    END IF;
    DELETE FROM supervision.catalog_check WHERE version_id = p_version_id;
    FOR c IN SELECT * FROM jsonb_array_elements(p_checks) LOOP
        i := i + 1;
        IF jsonb_typeof(c) <> 'object' OR coalesce(btrim(c ->> 'name'), '') = '' THEN
            PERFORM supervision.field_error(format('checks[%s].name', i), 'each check item needs a name', c::text);
        END IF;
        INSERT INTO supervision.catalog_check (version_id, seq, code, name, method, penalty_basis)
        VALUES (p_version_id, i, p_item_code || '-' || lpad(i::text, 3, '0'), btrim(c ->> 'name'),
                c ->> 'method', c ->> 'penalty_basis')
        RETURNING id INTO v_parent;
        j := 0;
        IF c ? 'contents' AND jsonb_typeof(c -> 'contents') <> 'array' THEN
            PERFORM supervision.field_error(format('checks[%s].contents', i), 'expected an array', (c -> 'contents')::text);
        END IF;
        FOR x IN SELECT * FROM jsonb_array_elements(coalesce(c -> 'contents', '[]')) LOOP
            j := j + 1;
            IF jsonb_typeof(x) <> 'object' OR coalesce(btrim(x ->> 'content'), '') = '' THEN
                PERFORM supervision.field_error(format('checks[%s].contents[%s].content', i, j), 'each check content needs a text', x::text);
            END IF;
            IF coalesce(x ->> 'check_type', 'daily') NOT IN ('daily', 'random', 'special', 'temporary') THEN
                PERFORM supervision.field_error(format('checks[%s].contents[%s].check_type', i, j),
                                                'expected daily, random, special or temporary', x ->> 'check_type');
            END IF;
            INSERT INTO supervision.catalog_check (version_id, parent_id, seq, code, name, method, penalty_basis, check_type)
            VALUES (p_version_id, v_parent, j, p_item_code || '-' || lpad(i::text, 3, '0') || '-' || lpad(j::text, 3, '0'),
                    btrim(x ->> 'content'), x ->> 'method', x ->> 'penalty_basis', coalesce(x ->> 'check_type', 'daily'));
        END LOOP;
    END LOOP;
END
$$;

-- A new item (main item, or sub-item when parent_code is given) as a draft.
CREATE FUNCTION supervision.catalog_draft(p_item jsonb)
RETURNS TABLE (code text, version_id bigint, version_no integer, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v       supervision.catalog_version;
    v_dept  text := p_item ->> 'department';
    v_parent text := p_item ->> 'parent_code';
    v_code  text;
    v_main  supervision.catalog_version;
BEGIN
    IF NOT has_table_privilege(supervision.actor_role(), 'supervision.catalog_version', 'INSERT') THEN
        RAISE EXCEPTION 'role "%" may not draft catalog items', supervision.actor_role()
            USING ERRCODE = 'insufficient_privilege', HINT = 'Catalog officers and administrators draft items.';
    END IF;
    IF p_item IS NULL OR jsonb_typeof(p_item) <> 'object' THEN
        PERFORM supervision.field_error('(item)', 'expected a JSON object', p_item::text);
    END IF;
    IF v_parent IS NOT NULL THEN
        SELECT cv.* INTO v_main FROM supervision.catalog_version cv
         WHERE cv.item_code = v_parent ORDER BY cv.version_no DESC LIMIT 1;
        IF NOT FOUND OR (SELECT i.kind FROM supervision.catalog_item i WHERE i.code = v_parent) <> 'main' THEN
            PERFORM supervision.field_error('parent_code', 'no main item has this code', v_parent, '23503');
        END IF;
        IF v_main.status = 'retired' THEN
            PERFORM supervision.field_error('parent_code', 'the main item is retired', v_parent, '55000');
        END IF;
        IF v_dept IS NOT NULL AND v_dept <> v_main.department_code THEN
            PERFORM supervision.field_error('department', format('a sub-item belongs to its main item''s department %s', v_main.department_code), v_dept);
        END IF;
        v_dept := v_main.department_code;
        IF coalesce(p_item ->> 'sub_item_name', '') = '' THEN
            PERFORM supervision.field_error('sub_item_name', 'a sub-item needs a sub-item name', p_item ->> 'sub_item_name', '23502');
        END IF;
        -- the sub-item inherits the main item's elements unless it gives its own
        v := v_main;
        v.national_item_code := NULL; v.power_item_code := NULL;
    ELSE
        IF v_dept IS NULL THEN
            PERFORM supervision.field_error('department', 'is required', NULL, '23502');
        END IF;
        IF p_item ? 'sub_item_name' AND p_item ->> 'sub_item_name' IS NOT NULL THEN
            PERFORM supervision.field_error('sub_item_name', 'a main item has no sub-item name; give parent_code to draft a sub-item',
                                            p_item ->> 'sub_item_name');
        END IF;
        v.levels := ARRAY[2, 3, 4]::smallint[];
        v.item_type := '行政检查';
        v.scope := 'province';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM supervision.department d WHERE d.code = v_dept) THEN
        PERFORM supervision.field_error('department', 'no department has this code', v_dept, '23503');
    END IF;
    IF NOT supervision.actor_is_admin() AND supervision.actor_department() IS DISTINCT FROM v_dept THEN
        RAISE EXCEPTION 'role "%" may not draft items of department %', supervision.actor_role(), v_dept
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user''s department is %s.', coalesce(supervision.actor_department(), 'unknown'));
    END IF;
    v := supervision.catalog_apply_fields(v, p_item);
    FOREACH v_code IN ARRAY ARRAY['main_item_name', 'method', 'object', 'legal_basis', 'reason'] LOOP
        IF (to_jsonb(v) ->> v_code) IS NULL THEN
            PERFORM supervision.field_error(v_code, 'is required', NULL, '23502');
        END IF;
    END LOOP;
    IF v_parent IS NOT NULL AND p_item ? 'main_item_name' AND v.main_item_name <> v_main.main_item_name THEN
        PERFORM supervision.field_error('main_item_name', format('a sub-item keeps its main item''s name "%s"', v_main.main_item_name),
                                        v.main_item_name);
    END IF;

    v_code := supervision.catalog_allocate_code(v_dept, v_parent);
    INSERT INTO supervision.catalog_item (code, kind, parent_code, department_code)
    VALUES (v_code, CASE WHEN v_parent IS NULL THEN 'main' ELSE 'sub' END, v_parent, v_dept);
    INSERT INTO supervision.catalog_version AS cv
        (item_code, version_no, status, department_code, main_item_name, sub_item_name, method, measures, object,
         legal_basis, process, result, levels, item_type, scope, national_item_code, power_item_code, reason, author)
    VALUES (v_code, 1, 'draft', v_dept, v.main_item_name, v.sub_item_name, v.method, v.measures, v.object,
            v.legal_basis, v.process, v.result, v.levels, v.item_type, v.scope, v.national_item_code,
            v.power_item_code, v.reason, '')
    RETURNING cv.id INTO version_id;
    PERFORM supervision.catalog_write_checks(version_id, v_code, p_item -> 'checks');
    code := v_code; version_no := 1; status := 'draft';
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION supervision.catalog_draft(jsonb) IS
    'Drafts a new item from JSON (department, main_item_name, method, object, legal_basis, reason, ...; parent_code for a sub-item); allocates its code';

-- A new draft version of an item: the latest version with the given fields changed.
CREATE FUNCTION supervision.catalog_revise(p_code text, p_changes jsonb)
RETURNS TABLE (code text, version_id bigint, version_no integer, status text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_base supervision.catalog_version;
    v      supervision.catalog_version;
    v_new  bigint;
BEGIN
    IF p_changes IS NULL OR NOT p_changes ? 'reason' THEN
        PERFORM supervision.field_error('reason', 'every change needs a reason', NULL, '23502');
    END IF;
    IF p_changes ? 'department' OR p_changes ? 'parent_code' THEN
        PERFORM supervision.field_error(CASE WHEN p_changes ? 'department' THEN 'department' ELSE 'parent_code' END,
                                        'cannot change; retire the item and draft a new one', p_changes::text);
    END IF;
    SELECT cv.* INTO v_base FROM supervision.catalog_version cv
     WHERE cv.item_code = p_code ORDER BY cv.version_no DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no catalog item has code "%"', p_code USING ERRCODE = 'no_data_found';
    END IF;
    IF v_base.status IN ('draft', 'review') THEN
        RAISE EXCEPTION 'item % already has version % in %', p_code, v_base.version_no, v_base.status
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Edit that version, or wait until it is published.';
    ELSIF v_base.status = 'retired' THEN
        RAISE EXCEPTION 'item % is retired', p_code USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Retired codes are never reused: draft a new item.';
    END IF;
    v := supervision.catalog_apply_fields(v_base, p_changes);
    INSERT INTO supervision.catalog_version AS cv
        (item_code, version_no, status, department_code, main_item_name, sub_item_name, method, measures, object,
         legal_basis, process, result, levels, item_type, scope, national_item_code, power_item_code, reason, author)
    VALUES (p_code, v_base.version_no + 1, 'draft', v_base.department_code, v.main_item_name, v.sub_item_name, v.method,
            v.measures, v.object, v.legal_basis, v.process, v.result, v.levels, v.item_type, v.scope,
            v.national_item_code, v.power_item_code, v.reason, '')
    RETURNING cv.id INTO v_new;
    IF p_changes ? 'checks' THEN
        PERFORM supervision.catalog_write_checks(v_new, p_code, p_changes -> 'checks');
    ELSE
        -- carry the check items and contents over, keeping their codes
        INSERT INTO supervision.catalog_check (version_id, seq, code, name, method, penalty_basis, check_type)
        SELECT v_new, c.seq, c.code, c.name, c.method, c.penalty_basis, c.check_type
          FROM supervision.catalog_check c WHERE c.version_id = v_base.id AND c.parent_id IS NULL;
        INSERT INTO supervision.catalog_check (version_id, parent_id, seq, code, name, method, penalty_basis, check_type)
        SELECT v_new, np.id, c.seq, c.code, c.name, c.method, c.penalty_basis, c.check_type
          FROM supervision.catalog_check c
          JOIN supervision.catalog_check op ON op.id = c.parent_id
          JOIN supervision.catalog_check np ON np.version_id = v_new AND np.code = op.code
         WHERE c.version_id = v_base.id;
    END IF;
    code := p_code; version_id := v_new; version_no := v_base.version_no + 1; status := 'draft';
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION supervision.catalog_revise(text, jsonb) IS
    'Starts a new draft version of an item from its latest version with the given fields changed (reason required)';

-- Edits fields of a draft in place.
CREATE FUNCTION supervision.catalog_edit_draft(p_version_id bigint, p_changes jsonb)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_base supervision.catalog_version;
    v      supervision.catalog_version;
BEGIN
    SELECT * INTO v_base FROM supervision.catalog_version WHERE id = p_version_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no catalog version has id %', p_version_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_changes ? 'department' OR p_changes ? 'parent_code' THEN
        PERFORM supervision.field_error(CASE WHEN p_changes ? 'department' THEN 'department' ELSE 'parent_code' END,
                                        'cannot change', p_changes::text);
    END IF;
    v := supervision.catalog_apply_fields(v_base, p_changes);
    UPDATE supervision.catalog_version cv SET
        main_item_name = v.main_item_name, sub_item_name = v.sub_item_name, method = v.method, measures = v.measures,
        object = v.object, legal_basis = v.legal_basis, process = v.process, result = v.result, levels = v.levels,
        item_type = v.item_type, scope = v.scope, national_item_code = v.national_item_code,
        power_item_code = v.power_item_code, reason = v.reason
     WHERE cv.id = p_version_id;
    IF p_changes ? 'checks' THEN
        PERFORM supervision.catalog_write_checks(p_version_id, v_base.item_code, p_changes -> 'checks');
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.catalog_edit_draft(bigint, jsonb) IS 'Changes fields of a draft version';

-- Moves a version along the workflow.
CREATE FUNCTION supervision.catalog_transition(p_version_id bigint, p_to text, p_note text DEFAULT NULL,
                                               p_effective date DEFAULT NULL)
RETURNS supervision.catalog_version
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v supervision.catalog_version;
BEGIN
    SELECT * INTO v FROM supervision.catalog_version WHERE id = p_version_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no catalog version has id %', p_version_id USING ERRCODE = 'no_data_found',
            HINT = 'The version may not exist or may not be visible to this role.';
    END IF;
    IF v.status = p_to THEN
        RAISE EXCEPTION 'version % of item % is already %', v.version_no, v.item_code, v.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE supervision.catalog_version cv SET
        status = p_to,
        review_note = CASE WHEN p_to IN ('draft', 'published') THEN p_note ELSE cv.review_note END,
        effective_from = CASE WHEN p_to = 'published' THEN p_effective ELSE cv.effective_from END,
        retire_reason = CASE WHEN p_to = 'retired' THEN p_note ELSE cv.retire_reason END,
        retire_effective = CASE WHEN p_to = 'retired' THEN p_effective ELSE cv.retire_effective END
     WHERE cv.id = p_version_id
    RETURNING * INTO v;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" may not change version % of item %', current_user, v.version_no, v.item_code
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN v;
END
$$;

CREATE FUNCTION supervision.catalog_submit(p_version_id bigint) RETURNS supervision.catalog_version
LANGUAGE sql BEGIN ATOMIC SELECT supervision.catalog_transition(p_version_id, 'review'); END;
CREATE FUNCTION supervision.catalog_return(p_version_id bigint, p_note text) RETURNS supervision.catalog_version
LANGUAGE sql BEGIN ATOMIC SELECT supervision.catalog_transition(p_version_id, 'draft', p_note); END;
CREATE FUNCTION supervision.catalog_publish(p_version_id bigint, p_effective_from date DEFAULT current_date,
                                            p_note text DEFAULT NULL) RETURNS supervision.catalog_version
LANGUAGE sql BEGIN ATOMIC SELECT supervision.catalog_transition(p_version_id, 'published', p_note, p_effective_from); END;
COMMENT ON FUNCTION supervision.catalog_submit(bigint) IS 'draft -> review (the item''s department or an administrator)';
COMMENT ON FUNCTION supervision.catalog_return(bigint, text) IS 'review -> draft with a note (an administrator)';
COMMENT ON FUNCTION supervision.catalog_publish(bigint, date, text) IS
    'review -> published from the given date, today or later (an administrator other than the author)';

-- Retires an item (and its sub-items) from a date: its current published version becomes retired.
CREATE FUNCTION supervision.catalog_retire(p_code text, p_reason text, p_effective date DEFAULT current_date)
RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM supervision.catalog_item WHERE code = p_code) THEN
        RAISE EXCEPTION 'no catalog item has code "%"', p_code USING ERRCODE = 'no_data_found';
    END IF;
    SELECT v.item_code, v.version_no, v.status INTO r
      FROM supervision.catalog_version v JOIN supervision.catalog_item i ON i.code = v.item_code
     WHERE (i.code = p_code OR i.parent_code = p_code) AND v.status IN ('draft', 'review')
     ORDER BY v.item_code LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'item % has version % in %', r.item_code, r.version_no, r.status
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Return or delete open versions before retiring the item.';
    END IF;
    FOR r IN
        SELECT DISTINCT ON (cv.item_code) cv.id, cv.item_code, cv.status
          FROM supervision.catalog_version cv JOIN supervision.catalog_item i ON i.code = cv.item_code
         WHERE (i.code = p_code OR i.parent_code = p_code) AND cv.status IN ('published', 'retired')
         ORDER BY cv.item_code, cv.version_no DESC
    LOOP
        IF r.status = 'published' THEN
            PERFORM supervision.catalog_transition(r.id, 'retired', p_reason, p_effective);
            RETURN NEXT r.item_code;
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM supervision.catalog_version WHERE item_code = p_code AND status = 'retired') THEN
        RAISE EXCEPTION 'item % has no published version to retire', p_code USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'A draft that was never published can be deleted instead.';
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.catalog_retire(text, text, date) IS
    'Retires a published item and its sub-items from a date (an administrator); the codes are never reused';

---------------------------------------------------------------------------
-- Reading the catalog
---------------------------------------------------------------------------

-- The version of each item in force on a date (valid time: effective dates).
CREATE FUNCTION supervision.catalog_as_of(p_date date DEFAULT current_date)
RETURNS SETOF supervision.catalog_version
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT DISTINCT ON (v.item_code) v.*
      FROM supervision.catalog_version v
     WHERE v.status IN ('published', 'retired') AND v.effective_from <= p_date
       AND NOT EXISTS (SELECT 1 FROM supervision.catalog_version r
                        WHERE r.item_code = v.item_code AND r.status = 'retired' AND r.retire_effective <= p_date)
     ORDER BY v.item_code, v.effective_from DESC, v.version_no DESC;
END;
COMMENT ON FUNCTION supervision.catalog_as_of(date) IS
    'The catalog as it stood on a date: for each item in force, the published version effective then';

CREATE VIEW supervision.catalog_current AS
    SELECT i.kind, i.parent_code, v.item_code AS code, v.version_no, v.department_code, d.name AS department_name,
           v.main_item_name, v.sub_item_name, v.method, v.measures, v.object, v.legal_basis, v.process, v.result,
           v.levels, v.item_type, v.scope, v.national_item_code, v.power_item_code, v.effective_from
      FROM supervision.catalog_as_of(current_date) v
      JOIN supervision.catalog_item i ON i.code = v.item_code
      JOIN supervision.department d ON d.code = v.department_code;
COMMENT ON VIEW supervision.catalog_current IS 'The catalog in force today, one row per item';

---------------------------------------------------------------------------
-- Inspection implementation lists (检查实施清单)
---------------------------------------------------------------------------

CREATE TABLE supervision.implementation_counter (
    prefix     text PRIMARY KEY CHECK (prefix ~ '^[0-9A-Z]{18}[1-5]$'),
    last_value integer NOT NULL CHECK (last_value >= 0)
);
COMMENT ON TABLE supervision.implementation_counter IS 'Last sequence number per agency and level; only grows';

CREATE TABLE supervision.catalog_implementation (
    code            text PRIMARY KEY CHECK (code ~ '^[0-9A-Z]{18}[1-5][0-9]{4}$'),
    item_code       text NOT NULL REFERENCES supervision.catalog_item,
    agency_uscc     text NOT NULL REFERENCES supervision.agency,
    level           smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    local_name      text NOT NULL CHECK (btrim(local_name) <> ''),
    local_basis     jsonb CHECK (local_basis IS NULL OR jsonb_typeof(local_basis) = 'array'),
    local_item_type text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL DEFAULT coalesce(supervision.actor_user(), session_user),
    withdrawn_at    timestamptz,
    CHECK (substr(code, 1, 18) = agency_uscc AND substr(code, 19, 1)::smallint = level)
);
CREATE INDEX ON supervision.catalog_implementation (item_code);
COMMENT ON TABLE supervision.catalog_implementation IS
    'Inspection implementation lists: an agency''s local implementation of a catalog item; code = agency credit code + level digit (1-5) + 4-digit sequence';

CREATE FUNCTION supervision.catalog_implement(p_item_code text, p_agency text, p_local_name text DEFAULT NULL,
                                              p_local_basis jsonb DEFAULT NULL, p_local_item_type text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a       record;
    v       supervision.catalog_version;
    v_seq   int;
    v_code  text;
BEGIN
    SELECT * INTO a FROM supervision.agency WHERE uscc = p_agency;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('agency', 'no agency has this credit code', p_agency, '23503');
    END IF;
    IF NOT supervision.actor_is_admin() AND supervision.actor_department() IS DISTINCT FROM a.department_code THEN
        RAISE EXCEPTION 'role "%" may not add implementation lists for agency %', supervision.actor_role(), a.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO v FROM supervision.catalog_as_of(current_date) x WHERE x.item_code = p_item_code;
    IF NOT FOUND THEN
        PERFORM supervision.field_error('item_code', 'no catalog item with this code is in force', p_item_code, '23503');
    END IF;
    IF v.department_code <> a.department_code THEN
        PERFORM supervision.field_error('agency', format('item %s belongs to department %s, the agency to %s',
                                        p_item_code, v.department_code, a.department_code), p_agency);
    END IF;
    IF p_local_basis IS NOT NULL AND jsonb_typeof(p_local_basis) <> 'array' THEN
        PERFORM supervision.field_error('local_basis', 'expected an array of {"law", "article", "text"}', p_local_basis::text);
    END IF;
    INSERT INTO supervision.implementation_counter AS c VALUES (p_agency || a.level, 1)
    ON CONFLICT (prefix) DO UPDATE SET last_value = c.last_value + 1 RETURNING last_value INTO v_seq;
    IF v_seq > 9999 THEN
        RAISE EXCEPTION 'implementation list numbers of agency % are exhausted', p_agency USING ERRCODE = 'program_limit_exceeded';
    END IF;
    v_code := p_agency || a.level || lpad(v_seq::text, 4, '0');
    INSERT INTO supervision.catalog_implementation (code, item_code, agency_uscc, level, local_name, local_basis, local_item_type, created_by)
    VALUES (v_code, p_item_code, p_agency, a.level,
            coalesce(nullif(btrim(p_local_name), ''), concat_ws('-', v.main_item_name, v.sub_item_name)),
            coalesce(p_local_basis, v.legal_basis), coalesce(p_local_item_type, v.item_type),
            coalesce(supervision.actor_user(), session_user));
    RETURN v_code;
END
$$;
COMMENT ON FUNCTION supervision.catalog_implement(text, text, text, jsonb, text) IS
    'Adds an agency''s implementation of an item in force; returns its implementation list code';

---------------------------------------------------------------------------
-- The national catalog: import, mapping, export
---------------------------------------------------------------------------

CREATE TABLE supervision.national_item (
    code            text PRIMARY KEY CHECK (code ~ '^[0-9A-Za-z-]{1,40}$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    parent_code     text,
    department_name text,
    item_type       text,
    basis           text,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    import_batch    text NOT NULL,
    payload         jsonb NOT NULL,
    withdrawn_at    timestamptz
);
COMMENT ON COLUMN supervision.national_item.withdrawn_at IS
    'When a full import no longer contained the item (the national catalog dropped it)';
COMMENT ON TABLE supervision.national_item IS 'Items of the national supervision catalog, as last imported';

-- Staging table for CSV files: \copy supervision.national_item_staging FROM 'x.csv' CSV HEADER
CREATE TABLE supervision.national_item_staging (
    code text, name text, parent_code text, department_name text, item_type text, basis text
);
COMMENT ON TABLE supervision.national_item_staging IS
    'Load a national catalog CSV here (\copy ... CSV HEADER), then call supervision.catalog_import_national_staged()';

-- Imports national items from a JSON array; returns counts and every rejected row with its reason.
CREATE FUNCTION supervision.catalog_import_national(p_items jsonb, p_batch text DEFAULT NULL, p_full boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e       jsonb;
    n       int := 0;
    v_ins   int := 0;
    v_upd   int := 0;
    v_same  int := 0;
    v_rej   jsonb := '[]';
    v_batch text := coalesce(p_batch, to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS'));
    v_old   supervision.national_item;
    v_why   text;
    v_seen  jsonb := '{}';
    v_wd    int := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('supervision.national_item', 0));   -- one import at a time
    IF p_items IS NULL OR jsonb_typeof(p_items) <> 'array' THEN
        PERFORM supervision.field_error('(items)', 'expected a JSON array of national items', left(p_items::text, 100));
    END IF;
    FOR e IN SELECT * FROM jsonb_array_elements(p_items) LOOP
        n := n + 1;
        v_why := CASE
            WHEN jsonb_typeof(e) <> 'object' THEN 'not a JSON object'
            WHEN coalesce(e ->> 'code', '') = '' THEN 'field code is missing'
            WHEN (e ->> 'code') !~ '^[0-9A-Za-z-]{1,40}$' THEN format('field code "%s" is not 1-40 letters, digits or hyphens', e ->> 'code')
            WHEN coalesce(btrim(e ->> 'name'), '') = '' THEN 'field name is missing'
            WHEN EXISTS (SELECT 1 FROM jsonb_object_keys(e) k
                          WHERE k NOT IN ('code', 'name', 'parent_code', 'department_name', 'item_type', 'basis'))
                THEN format('unknown field %s; expected code, name, parent_code, department_name, item_type, basis',
                            (SELECT min(k) FROM jsonb_object_keys(e) k
                              WHERE k NOT IN ('code', 'name', 'parent_code', 'department_name', 'item_type', 'basis')))
            WHEN v_seen ? (e ->> 'code') THEN format('code %s appears twice in this import (first in row %s)',
                                                    e ->> 'code', v_seen ->> (e ->> 'code'))
            END;
        IF v_why IS NOT NULL THEN
            v_rej := v_rej || jsonb_build_object('row', n, 'reason', v_why, 'value', e);
            CONTINUE;
        END IF;
        v_seen := v_seen || jsonb_build_object(e ->> 'code', n);
        SELECT * INTO v_old FROM supervision.national_item WHERE code = e ->> 'code';
        IF NOT FOUND THEN
            INSERT INTO supervision.national_item (code, name, parent_code, department_name, item_type, basis, import_batch, payload)
            VALUES (e ->> 'code', btrim(e ->> 'name'), e ->> 'parent_code', e ->> 'department_name', e ->> 'item_type',
                    e ->> 'basis', v_batch, e);
            v_ins := v_ins + 1;
        ELSIF v_old.payload = e AND v_old.withdrawn_at IS NULL THEN
            v_same := v_same + 1;
        ELSE
            UPDATE supervision.national_item SET name = btrim(e ->> 'name'), parent_code = e ->> 'parent_code',
                   department_name = e ->> 'department_name', item_type = e ->> 'item_type', basis = e ->> 'basis',
                   imported_at = now(), import_batch = v_batch, payload = e, withdrawn_at = NULL
             WHERE code = e ->> 'code';
            v_upd := v_upd + 1;
        END IF;
    END LOOP;
    IF p_full THEN
        -- a full import is the whole national catalog: items it lacks were withdrawn
        UPDATE supervision.national_item SET withdrawn_at = now()
         WHERE withdrawn_at IS NULL AND NOT v_seen ? code;
        GET DIAGNOSTICS v_wd = ROW_COUNT;
    END IF;
    RETURN jsonb_build_object('batch', v_batch, 'rows', n, 'inserted', v_ins, 'updated', v_upd,
                              'unchanged', v_same, 'withdrawn', v_wd, 'rejected', v_rej);
END
$$;
COMMENT ON FUNCTION supervision.catalog_import_national(jsonb, text, boolean) IS
    'Imports national catalog items from a JSON array of {code, name, parent_code, department_name, item_type, basis}; bad rows (missing or unknown fields, duplicate codes) are reported, good rows kept; re-importing the same data changes nothing; with p_full, items absent from the import are marked withdrawn';

CREATE FUNCTION supervision.catalog_import_national_staged(p_batch text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE v_result jsonb;
BEGIN
    SELECT supervision.catalog_import_national(coalesce(jsonb_agg(jsonb_strip_nulls(to_jsonb(s))), '[]'), p_batch, false)
      INTO v_result FROM supervision.national_item_staging s;
    DELETE FROM supervision.national_item_staging;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION supervision.catalog_import_national_staged(text) IS
    'Imports the rows loaded into supervision.national_item_staging (from a CSV file) and empties it';

-- The local catalog as of a date, as one JSON document for exchange.
CREATE FUNCTION supervision.catalog_export(p_as_of date DEFAULT current_date)
RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'format', 'supervision-catalog/1',
        'source', jsonb_build_object('province', '320000', 'name', '江苏省'),
        'as_of', p_as_of,
        'item_count', count(*),
        'items', coalesce(jsonb_agg(jsonb_build_object(
            'code', v.item_code, 'kind', i.kind, 'parent_code', i.parent_code, 'version', v.version_no,
            'department', jsonb_build_object('code', v.department_code, 'name', d.name),
            'main_item_name', v.main_item_name, 'sub_item_name', v.sub_item_name, 'method', v.method,
            'measures', v.measures, 'object', v.object, 'legal_basis', v.legal_basis, 'process', v.process,
            'result', v.result, 'levels', to_jsonb(v.levels), 'item_type', v.item_type, 'scope', v.scope,
            'national_item_code', v.national_item_code, 'power_item_code', v.power_item_code,
            'effective_from', v.effective_from,
            'checks', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', c.code, 'name', c.name, 'method', c.method,
                              'penalty_basis', c.penalty_basis,
                              'contents', (SELECT coalesce(jsonb_agg(jsonb_build_object('code', x.code, 'content', x.name,
                                               'method', x.method, 'penalty_basis', x.penalty_basis, 'check_type', x.check_type)
                                               ORDER BY x.seq), '[]')
                                             FROM supervision.catalog_check x WHERE x.parent_id = c.id)) ORDER BY c.seq), '[]')
                         FROM supervision.catalog_check c WHERE c.version_id = v.id AND c.parent_id IS NULL)
            ) ORDER BY v.item_code), '[]'))
      FROM supervision.catalog_as_of(p_as_of) v
      JOIN supervision.catalog_item i ON i.code = v.item_code
      JOIN supervision.department d ON d.code = v.department_code;
END;
COMMENT ON FUNCTION supervision.catalog_export(date) IS
    'The local catalog in force on a date as a JSON document (format supervision-catalog/1) for the national system';

---------------------------------------------------------------------------
-- Consistency
---------------------------------------------------------------------------

CREATE FUNCTION supervision.catalog_consistency()
RETURNS TABLE (finding text, code text, detail text, refs jsonb)
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH cur AS (
        SELECT v.*, supervision.catalog_name_key(concat(v.main_item_name, v.sub_item_name)) AS name_key
          FROM supervision.catalog_as_of(current_date) v
    ), impl AS (
        SELECT m.*, a.division_code, a.name AS agency_name, c.main_item_name, c.sub_item_name, c.item_type, c.legal_basis,
               supervision.catalog_name_key(m.local_name) <> c.name_key AS name_differs,
               m.local_item_type IS DISTINCT FROM c.item_type AS type_differs,
               m.local_basis IS DISTINCT FROM c.legal_basis AS basis_differs
          FROM supervision.catalog_implementation m
          JOIN supervision.agency a ON a.uscc = m.agency_uscc
          JOIN cur c ON c.item_code = m.item_code
         WHERE m.withdrawn_at IS NULL
    )
    SELECT * FROM (
        SELECT 'code_shared_with_different_content'::text AS finding, i.item_code AS code,
               format('%s local implementation(s) of %s differ in %s', count(*), i.item_code,
                      concat_ws(', ', CASE WHEN bool_or(i.name_differs) THEN 'name' END,
                                      CASE WHEN bool_or(i.basis_differs) THEN 'legal basis' END,
                                      CASE WHEN bool_or(i.type_differs) THEN 'item type' END)) AS detail,
               jsonb_agg(jsonb_build_object('implementation', i.code, 'agency', i.agency_name, 'division', i.division_code,
                         'name', i.local_name, 'item_type', i.local_item_type,
                         'fields', to_jsonb(array_remove(ARRAY[CASE WHEN i.name_differs THEN 'name' END,
                                                             CASE WHEN i.basis_differs THEN 'legal_basis' END,
                                                             CASE WHEN i.type_differs THEN 'item_type' END], NULL)))
                         ORDER BY i.code) AS refs
          FROM impl i
         WHERE i.name_differs OR i.type_differs OR i.basis_differs
         GROUP BY i.item_code
        UNION ALL
        SELECT 'same_name_different_codes', min(c.item_code),
               format('%s items in force share the name "%s"', count(*), min(concat_ws(' / ', c.main_item_name, c.sub_item_name))),
               jsonb_agg(jsonb_build_object('code', c.item_code, 'department', c.department_code,
                                            'name', concat_ws(' / ', c.main_item_name, c.sub_item_name)) ORDER BY c.item_code)
          FROM cur c GROUP BY c.name_key HAVING count(*) > 1
        UNION ALL
        SELECT 'national_code_unknown', c.item_code,
               format('national item code %s is not in the imported national catalog', c.national_item_code),
               jsonb_build_object('national_item_code', c.national_item_code)
          FROM cur c
         WHERE c.national_item_code IS NOT NULL AND EXISTS (SELECT 1 FROM supervision.national_item)
           AND NOT EXISTS (SELECT 1 FROM supervision.national_item n WHERE n.code = c.national_item_code AND n.withdrawn_at IS NULL)
        UNION ALL
        SELECT 'national_type_differs', c.item_code,
               format('item type "%s" differs from the national item''s "%s"', c.item_type, n.item_type),
               jsonb_build_object('national_item_code', n.code, 'national_name', n.name)
          FROM cur c JOIN supervision.national_item n ON n.code = c.national_item_code
         WHERE n.item_type IS NOT NULL AND n.item_type <> c.item_type
        UNION ALL
        SELECT 'national_item_unmapped', n.code,
               format('national item "%s" has no local item', n.name),
               jsonb_build_object('national_item_code', n.code, 'department', n.department_name)
          FROM supervision.national_item n
         WHERE n.withdrawn_at IS NULL AND NOT EXISTS (SELECT 1 FROM cur c WHERE c.national_item_code = n.code)
    ) f
    ORDER BY 1, 2;
END;
COMMENT ON FUNCTION supervision.catalog_consistency() IS
    'Consistency findings: implementations sharing a code with different name/basis/type, items with the same normalised name under different codes, national mapping gaps';

---------------------------------------------------------------------------
-- Row-level security and grants
---------------------------------------------------------------------------

ALTER TABLE supervision.catalog_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.catalog_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.catalog_check ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.catalog_implementation ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.national_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.national_item_staging ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.code_scheme ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.code_segment ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.code_counter ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.code_registry ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.implementation_counter ENABLE ROW LEVEL SECURITY;

-- administrators and auditors see everything; administrators write everything
CREATE POLICY admin_all ON supervision.catalog_item FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.catalog_version FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.catalog_check FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.catalog_implementation FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.national_item FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.national_item_staging FOR ALL TO supervision_admin USING (true) WITH CHECK (true);
CREATE POLICY admin_all ON supervision.code_scheme FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);
CREATE POLICY admin_all ON supervision.code_segment FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);
CREATE TRIGGER code_segment_guard BEFORE INSERT OR UPDATE OR DELETE ON supervision.code_segment
    FOR EACH ROW EXECUTE FUNCTION supervision.code_segment_guard();
CREATE POLICY auditor_read ON supervision.catalog_item FOR SELECT TO supervision_auditor USING (true);
CREATE POLICY auditor_read ON supervision.catalog_version FOR SELECT TO supervision_auditor USING (true);
CREATE POLICY auditor_read ON supervision.catalog_check FOR SELECT TO supervision_auditor USING (true);
CREATE POLICY auditor_read ON supervision.catalog_implementation FOR SELECT TO supervision_auditor USING (true);
CREATE POLICY all_read ON supervision.national_item FOR SELECT USING (true);
CREATE POLICY all_read ON supervision.code_scheme FOR SELECT USING (true);
CREATE POLICY all_read ON supervision.code_segment FOR SELECT USING (true);
CREATE POLICY auditor_read ON supervision.code_registry FOR SELECT TO supervision_admin, supervision_auditor USING (true);
CREATE POLICY officer_read ON supervision.code_registry FOR SELECT TO supervision_officer
    USING (department_code = (SELECT supervision.actor_department())
           OR EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.item_code = code AND v.status IN ('published', 'retired')));

-- officers: their own department's items in any state, everybody's published ones
CREATE POLICY officer_read ON supervision.catalog_version FOR SELECT TO supervision_officer
    USING (status IN ('published', 'retired') OR department_code = (SELECT supervision.actor_department()));
CREATE POLICY officer_write ON supervision.catalog_version FOR INSERT TO supervision_officer
    WITH CHECK (department_code = (SELECT supervision.actor_department()));
CREATE POLICY officer_update ON supervision.catalog_version FOR UPDATE TO supervision_officer
    USING (department_code = (SELECT supervision.actor_department()))
    WITH CHECK (department_code = (SELECT supervision.actor_department()));
CREATE POLICY officer_delete ON supervision.catalog_version FOR DELETE TO supervision_officer
    USING (department_code = (SELECT supervision.actor_department()) AND status = 'draft');
CREATE POLICY officer_read ON supervision.catalog_item FOR SELECT TO supervision_officer
    USING (department_code = (SELECT supervision.actor_department())
           OR EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.item_code = code));
CREATE POLICY officer_write ON supervision.catalog_item FOR INSERT TO supervision_officer
    WITH CHECK (department_code = (SELECT supervision.actor_department()));
CREATE POLICY officer_read ON supervision.catalog_check FOR SELECT TO supervision_officer
    USING (EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.id = version_id));
CREATE POLICY officer_write ON supervision.catalog_check FOR ALL TO supervision_officer
    USING (EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.id = version_id
                    AND v.department_code = (SELECT supervision.actor_department())))
    WITH CHECK (EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.id = version_id
                         AND v.department_code = (SELECT supervision.actor_department())));
CREATE POLICY officer_read ON supervision.catalog_implementation FOR SELECT TO supervision_officer USING (true);

-- anonymous API clients: published versions only
CREATE POLICY anon_read ON supervision.catalog_version FOR SELECT TO supervision_api_anon
    USING (status IN ('published', 'retired'));
CREATE POLICY anon_read ON supervision.catalog_item FOR SELECT TO supervision_api_anon
    USING (EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.item_code = code));
CREATE POLICY anon_read ON supervision.catalog_check FOR SELECT TO supervision_api_anon
    USING (EXISTS (SELECT 1 FROM supervision.catalog_version v WHERE v.id = version_id));

REVOKE ALL ON supervision.catalog_item, supervision.catalog_version, supervision.catalog_check,
    supervision.catalog_implementation, supervision.national_item, supervision.national_item_staging,
    supervision.code_scheme, supervision.code_segment, supervision.code_counter, supervision.code_registry,
    supervision.implementation_counter, supervision.catalog_current FROM PUBLIC;
GRANT ALL ON supervision.catalog_item, supervision.catalog_version, supervision.catalog_check,
    supervision.catalog_implementation, supervision.national_item, supervision.national_item_staging,
    supervision.code_scheme, supervision.code_segment TO supervision_admin;
GRANT SELECT ON supervision.code_counter, supervision.code_registry, supervision.implementation_counter TO supervision_admin;
GRANT SELECT ON supervision.catalog_item, supervision.catalog_version, supervision.catalog_check,
    supervision.catalog_implementation, supervision.national_item, supervision.code_scheme, supervision.code_segment,
    supervision.code_registry, supervision.catalog_current TO supervision_officer, supervision_auditor;
GRANT INSERT ON supervision.catalog_item TO supervision_officer;
GRANT INSERT, UPDATE, DELETE ON supervision.catalog_version, supervision.catalog_check TO supervision_officer;
GRANT SELECT ON supervision.catalog_item, supervision.catalog_version, supervision.catalog_check,
    supervision.code_scheme, supervision.code_segment, supervision.catalog_current
    TO supervision_api_anon;

REVOKE ALL ON FUNCTION supervision.catalog_allocate_code(text, text), supervision.catalog_implement(text, text, text, jsonb, text),
    supervision.catalog_import_national(jsonb, text, boolean), supervision.catalog_import_national_staged(text) FROM PUBLIC;
-- codes are allocated by catalog_draft only, so that every code belongs to an item
GRANT EXECUTE ON FUNCTION supervision.catalog_implement(text, text, text, jsonb, text)
    TO supervision_admin, supervision_officer;
GRANT EXECUTE ON FUNCTION supervision.catalog_import_national(jsonb, text, boolean), supervision.catalog_import_national_staged(text)
    TO supervision_admin;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['catalog_item', 'catalog_version', 'catalog_check', 'catalog_implementation',
                             'national_item', 'national_item_staging', 'code_scheme', 'code_segment', 'code_registry'] LOOP
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
END
$$;
SELECT pg_catalog.pg_extension_config_dump('supervision.code_scheme', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.code_segment', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.code_counter', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.code_registry', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.catalog_item', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.catalog_version', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.catalog_check', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.implementation_counter', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.catalog_implementation', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.national_item', '');
