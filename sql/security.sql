-- Security base: departments, agencies, who is acting, and the helpers every
-- row-level-security policy uses.
--
-- A department (部门) is a line of supervision across the province, e.g. market
-- regulation; it has a 3-digit provincial code that also appears in catalog
-- codes. An agency (实施机构) is one body of that line in one division, e.g. the
-- Nanjing market regulation bureau, identified by its credit code.

CREATE TABLE supervision.department (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    short_name  text,
    national_code text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.department IS 'Supervision departments (lines of supervision) of the province; code = 3-digit segment of catalog codes';
COMMENT ON COLUMN supervision.department.national_code IS 'The department''s code in the national Internet+Supervision system, when known';

CREATE TABLE supervision.agency (
    uscc            supervision.uscc PRIMARY KEY,
    name            text NOT NULL CHECK (btrim(name) <> ''),
    department_code text NOT NULL REFERENCES supervision.department,
    division_code   text NOT NULL REFERENCES supervision.division,
    level           smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.agency IS 'Implementing agencies (实施机构): one body of a department in one division';
COMMENT ON COLUMN supervision.agency.level IS '1 national, 2 provincial, 3 city, 4 county, 5 township';

-- Direct SQL users: which department and division a database role acts for.
CREATE TABLE supervision.actor_map (
    db_role         name PRIMARY KEY,
    display_name    text,
    department_code text REFERENCES supervision.department,
    division_code   text REFERENCES supervision.division,
    agency_uscc     text REFERENCES supervision.agency,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.actor_map IS
    'For users who connect with SQL: the department, division and agency a database role acts for (API clients use JWT claims instead)';

-- Who is acting. API roles (members of supervision_api_anon, which includes
-- supervision_api_user) are identified by the PostgREST claims of the request;
-- every other role by actor_map. Claims are not trusted from other roles (any
-- session can set them), nor from administrators or superusers.
CREATE FUNCTION supervision.actor_from(p_role name,
    OUT user_id text, OUT department_code text, OUT division_code text,
    OUT agency_uscc text, OUT source text)
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_claims jsonb;
    m        record;
BEGIN
    IF pg_has_role(p_role, 'supervision_api_anon', 'MEMBER')
       AND NOT pg_has_role(p_role, 'supervision_admin', 'MEMBER') THEN
        BEGIN
            v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'request.jwt.claims is not valid JSON'
                USING ERRCODE = 'invalid_authorization_specification';
        END;
        user_id         := coalesce(v_claims ->> 'sub', p_role::text);
        department_code := v_claims ->> 'department';
        division_code   := v_claims ->> 'division';
        agency_uscc     := v_claims ->> 'agency';
        source          := CASE WHEN v_claims IS NULL THEN 'anonymous' ELSE 'jwt' END;
        RETURN;
    END IF;
    SELECT * INTO m FROM supervision.actor_map a WHERE a.db_role = p_role;
    user_id := p_role::text;
    IF FOUND THEN
        department_code := m.department_code;
        division_code   := m.division_code;
        agency_uscc     := m.agency_uscc;
        source          := 'actor_map';
    ELSE
        source          := 'unmapped';
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.actor_from(name) IS
    'Who a database role acts as: from PostgREST claims for API roles, from actor_map otherwise';

-- The role the session acts as: the role of SET ROLE (PostgREST switches to the
-- request's role that way), else the login role. Unlike current_user it stays
-- the same inside SECURITY DEFINER functions, so they can check the caller.
CREATE FUNCTION supervision.actor_role() RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(current_setting('role'), 'none'), session_user)::name;
COMMENT ON FUNCTION supervision.actor_role() IS
    'The role the session acts as (SET ROLE, else the login role); the same inside SECURITY DEFINER functions';

CREATE FUNCTION supervision.actor(
    OUT user_id text, OUT department_code text, OUT division_code text,
    OUT agency_uscc text, OUT source text)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM supervision.actor_from(supervision.actor_role());
END;
COMMENT ON FUNCTION supervision.actor() IS
    'Who is acting: user, department, division, agency, and where that came from (jwt, anonymous, actor_map, unmapped). The one answer every policy uses.';

CREATE FUNCTION supervision.actor_user() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC SELECT (supervision.actor()).user_id; END;
CREATE FUNCTION supervision.actor_department() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC SELECT (supervision.actor()).department_code; END;
CREATE FUNCTION supervision.actor_division() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC SELECT (supervision.actor()).division_code; END;
COMMENT ON FUNCTION supervision.actor_user() IS 'The acting user (see supervision.actor())';

-- The person behind the session, for rules such as "the author may not
-- publish": the JWT subject for API users; the login role for SQL users (a
-- person who switches to a group role with SET ROLE stays the same person);
-- for a superuser session, the role it switched to (superusers act for
-- others in tools and tests, and can bypass every rule anyway).
CREATE FUNCTION supervision.actor_person() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE
        WHEN a.source = 'jwt' THEN 'jwt:' || a.user_id
        WHEN (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user) THEN supervision.actor_role()::text
        ELSE session_user::text END
      FROM supervision.actor() a;
END;
COMMENT ON FUNCTION supervision.actor_person() IS
    'The person acting: JWT subject (jwt:<sub>) for API users, the login role for SQL users, the SET ROLE role for superuser sessions';
COMMENT ON FUNCTION supervision.actor_department() IS 'The acting user''s department code (see supervision.actor())';
COMMENT ON FUNCTION supervision.actor_division() IS 'The acting user''s division code (see supervision.actor())';

-- Is the current role an administrator (the admin role or a superuser)?
CREATE FUNCTION supervision.actor_is_admin() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_has_role(supervision.actor_role(), 'supervision_admin', 'MEMBER')
        OR (SELECT rolsuper FROM pg_roles WHERE rolname = supervision.actor_role());
END;
COMMENT ON FUNCTION supervision.actor_is_admin() IS 'True for members of supervision_admin and superusers';

-- Raises when nobody identifiable is acting: used by functions that write.
CREATE FUNCTION supervision.actor_require_department() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE a record;
BEGIN
    a := supervision.actor();
    IF a.department_code IS NULL THEN
        RAISE EXCEPTION 'role "%" acts for no department', supervision.actor_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user was identified by %s and has no department.', a.source),
                  HINT = 'Map the role in supervision.actor_map, or send a "department" claim.';
    END IF;
    RETURN a.department_code;
END
$$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['department', 'agency', 'actor_map'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON supervision.%I FOR SELECT USING (true)', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t || '_admin', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT ALL ON supervision.%I TO supervision_admin', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
        PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
    END LOOP;
END
$$;
GRANT SELECT ON supervision.department, supervision.agency
    TO supervision_officer, supervision_auditor, supervision_api_anon, supervision_api_user;
GRANT SELECT ON supervision.actor_map TO supervision_auditor;

-- Personal data (ID numbers, phone numbers): masked for roles that must not
-- see it. Views and API functions of later capabilities show personal fields
-- through supervision.personal_data(value, kind).
CREATE FUNCTION supervision.mask_id_number(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
    WHEN length(p_value) = 18 THEN left(p_value, 6) || repeat('*', 8) || right(p_value, 4)
    WHEN length(p_value) > 4 THEN left(p_value, 2) || repeat('*', length(p_value) - 4) || right(p_value, 2)
    ELSE repeat('*', length(p_value)) END;
COMMENT ON FUNCTION supervision.mask_id_number(text) IS
    'Masks an identity number: 18 characters keep the division (1-6) and the last 4, e.g. 110105********002X; others keep 2 at each end';

CREATE FUNCTION supervision.mask_phone(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE
    WHEN p_value ~ '^1[0-9]{10}$' THEN left(p_value, 3) || '****' || right(p_value, 4)
    WHEN length(p_value) > 4 THEN regexp_replace(left(p_value, length(p_value) - 4), '[0-9]', '*', 'g') || right(p_value, 4)
    ELSE repeat('*', length(p_value)) END;
COMMENT ON FUNCTION supervision.mask_phone(text) IS
    'Masks a phone number: mobile numbers keep 3 + 4 digits (138****5678), others keep the last 4 digits';

CREATE FUNCTION supervision.actor_sees_personal_data() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT supervision.actor_is_admin()
        OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER');
END;
COMMENT ON FUNCTION supervision.actor_sees_personal_data() IS
    'True for administrators and auditors, who see personal data unmasked; officers and API roles see it masked';

CREATE FUNCTION supervision.personal_data(p_value text, p_kind text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    IF p_kind NOT IN ('id_number', 'phone') THEN
        RAISE EXCEPTION 'unknown kind of personal data "%"', p_kind
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use id_number or phone.';
    END IF;
    IF p_value IS NULL OR supervision.actor_sees_personal_data() THEN
        RETURN p_value;
    END IF;
    RETURN CASE p_kind WHEN 'id_number' THEN supervision.mask_id_number(p_value) ELSE supervision.mask_phone(p_value) END;
END
$$;
COMMENT ON FUNCTION supervision.personal_data(text, text) IS
    'A personal value (kind id_number or phone) as the acting role may see it: unmasked for administrators and auditors, masked for everyone else';

-- A field's value as the acting role may see it: the personal fields (phone,
-- id_number) through personal_data, the others as they are.
CREATE FUNCTION supervision.personal_field(p_field text, p_value text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN p_field IN ('phone', 'id_number') THEN supervision.personal_data(p_value, p_field) ELSE p_value END;
COMMENT ON FUNCTION supervision.personal_field(text, text) IS
    'The value of a field as the acting role may see it: phone and id_number masked unless the role sees personal data, other fields unchanged';

CREATE FUNCTION supervision.personal_field(p_field text, p_value jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN p_field IN ('phone', 'id_number') THEN to_jsonb(supervision.personal_data(p_value #>> '{}', p_field))
            ELSE p_value END;
COMMENT ON FUNCTION supervision.personal_field(text, jsonb) IS
    'The JSON value of a field (as received) as the acting role may see it: phone and id_number masked unless the role sees personal data';

REVOKE ALL ON FUNCTION supervision.actor_from(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.actor_from(name) TO supervision_admin, supervision_auditor;
