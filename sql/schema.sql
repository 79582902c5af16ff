-- Schemas and roles. Roles are cluster-wide: created once, reused by every
-- database that installs the extension.

CREATE SCHEMA IF NOT EXISTS supervision_api;
COMMENT ON SCHEMA supervision IS 'Internet + Supervision: tables and core functions';
COMMENT ON SCHEMA supervision_api IS 'Internet + Supervision: functions for HTTP/JSON clients (PostgREST-style)';

DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['supervision_admin', 'supervision_officer', 'supervision_auditor',
                             'supervision_api_anon', 'supervision_api_user']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

-- Authenticated API users act as officers of the department in their claims;
-- everything the anonymous role may see, they may see too.
GRANT supervision_api_anon TO supervision_api_user;
GRANT supervision_officer TO supervision_api_user;

REVOKE ALL ON SCHEMA supervision FROM PUBLIC;
GRANT USAGE ON SCHEMA supervision TO supervision_admin, supervision_officer, supervision_auditor,
    supervision_api_anon, supervision_api_user;
GRANT USAGE ON SCHEMA supervision_api TO supervision_admin, supervision_officer,
    supervision_api_anon, supervision_api_user;
