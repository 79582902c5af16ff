-- supervision_api: the functions PostgREST-style HTTP clients call
-- (POST /rpc/<name> with a JSON body of named arguments). They take and return
-- JSON, run as the caller (row-level security applies), and leave the work to
-- the functions of schema supervision.

CREATE FUNCTION supervision_api.whoami() RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT to_jsonb(a) || jsonb_build_object('role', current_user) FROM supervision.actor() a;
END;
COMMENT ON FUNCTION supervision_api.whoami() IS 'Who the server thinks is acting: user, department, division, agency, source of that, role';

CREATE FUNCTION supervision_api.catalog(as_of date DEFAULT current_date, department text DEFAULT NULL,
                                        q text DEFAULT NULL, lim integer DEFAULT 100, "offset" integer DEFAULT 0)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text := supervision.catalog_name_key(q);
    v_result jsonb;
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 1000 THEN
        PERFORM supervision.field_error('lim', 'expected 1 to 1000', lim::text);
    END IF;
    IF "offset" IS NULL OR "offset" < 0 THEN
        PERFORM supervision.field_error('offset', 'expected 0 or more', "offset"::text);
    END IF;
    WITH hits AS (
        SELECT v.* FROM supervision.catalog_as_of(coalesce(as_of, current_date)) v
         WHERE (department IS NULL OR v.department_code = department)
           AND (v_key IS NULL OR strpos(supervision.catalog_name_key(concat(v.main_item_name, v.sub_item_name)), v_key) > 0)
    )
    SELECT jsonb_build_object('as_of', coalesce(as_of, current_date), 'total', (SELECT count(*) FROM hits),
               'items', coalesce(jsonb_agg(jsonb_build_object(
                   'code', h.item_code, 'version', h.version_no, 'department', h.department_code,
                   'main_item_name', h.main_item_name, 'sub_item_name', h.sub_item_name, 'method', h.method,
                   'object', h.object, 'item_type', h.item_type, 'effective_from', h.effective_from)
                   ORDER BY h.item_code), '[]'))
      INTO v_result
      FROM (SELECT * FROM hits ORDER BY item_code LIMIT lim OFFSET "offset") h;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION supervision_api.catalog(date, text, text, integer, integer) IS
    'The catalog in force on a date, filtered by department and by a name fragment (compared after normalisation), paged';

CREATE FUNCTION supervision_api.catalog_item(code text, as_of date DEFAULT current_date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE v_item jsonb;
BEGIN
    SELECT e INTO v_item
      FROM jsonb_array_elements(supervision.catalog_export(coalesce(as_of, current_date)) -> 'items') e
     WHERE e ->> 'code' = catalog_item.code;
    IF v_item IS NULL THEN
        RAISE EXCEPTION 'no catalog item with code "%" is in force', code
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('Looked for it in the catalog as of %s.', to_char(coalesce(as_of, current_date), 'YYYY-MM-DD'));
    END IF;
    RETURN v_item;
END
$$;
COMMENT ON FUNCTION supervision_api.catalog_item(text, date) IS 'One item in force, with its check items and contents';

CREATE FUNCTION supervision_api.catalog_versions(code text) RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(jsonb_build_object('version_id', v.id, 'version', v.version_no, 'status', v.status,
               'reason', v.reason, 'author', v.author, 'created_at', v.created_at, 'effective_from', v.effective_from,
               'published_at', v.published_at, 'reviewed_by', v.reviewed_by, 'review_note', v.review_note,
               'retired_at', v.retired_at, 'retire_reason', v.retire_reason) ORDER BY v.version_no), '[]')
      FROM supervision.catalog_version v WHERE v.item_code = catalog_versions.code;
END;
COMMENT ON FUNCTION supervision_api.catalog_versions(text) IS 'The version history of an item that the caller may see';

CREATE FUNCTION supervision_api.catalog_draft(item jsonb) RETURNS jsonb
LANGUAGE sql
BEGIN ATOMIC
    SELECT to_jsonb(d) FROM supervision.catalog_draft(item) d;
END;
COMMENT ON FUNCTION supervision_api.catalog_draft(jsonb) IS 'Drafts a new item (see supervision.catalog_draft)';

CREATE FUNCTION supervision_api.catalog_revise(code text, changes jsonb) RETURNS jsonb
LANGUAGE sql
BEGIN ATOMIC
    SELECT to_jsonb(d) FROM supervision.catalog_revise(code, changes) d;
END;
COMMENT ON FUNCTION supervision_api.catalog_revise(text, jsonb) IS 'Starts a new draft version of an item (see supervision.catalog_revise)';

CREATE FUNCTION supervision_api.catalog_submit(version_id bigint) RETURNS jsonb
LANGUAGE sql
BEGIN ATOMIC
    SELECT jsonb_build_object('version_id', v.id, 'code', v.item_code, 'version', v.version_no, 'status', v.status)
      FROM supervision.catalog_submit(version_id) v;
END;
COMMENT ON FUNCTION supervision_api.catalog_submit(bigint) IS 'Submits a draft for review';

REVOKE ALL ON FUNCTION supervision_api.catalog_draft(jsonb), supervision_api.catalog_revise(text, jsonb),
    supervision_api.catalog_submit(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision_api.catalog_draft(jsonb), supervision_api.catalog_revise(text, jsonb),
    supervision_api.catalog_submit(bigint) TO supervision_api_user, supervision_officer, supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.catalog_draft(jsonb), supervision.catalog_revise(text, jsonb),
    supervision.catalog_submit(bigint) TO supervision_api_user;

-- Data center over HTTP.
CREATE FUNCTION supervision_api.ingest(kind text, source text, source_key text, payload jsonb, op text DEFAULT 'i')
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE v_result jsonb;
BEGIN
    v_result := supervision.ingest_record(kind, source, source_key, payload, op, 'api');
    -- a rejected record is kept with its reasons (the transaction commits); the HTTP client still gets an
    -- error status (PostgREST reads response.status) with the reasons in the body
    IF v_result ->> 'status' = 'rejected' THEN
        PERFORM set_config('response.status', '422', true);
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION supervision_api.ingest(text, text, text, jsonb, text) IS
    'Sends one record (kind, source, key in the source, JSON payload, operation i/u/d); returns status, reasons, warnings, record id and, for subjects, the link made; a rejected record answers HTTP 422 (kept, with its reasons)';

CREATE FUNCTION supervision_api.subject_search(q text, max integer DEFAULT 20) RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.score DESC, s.subject_id), '[]')
      FROM supervision.subject_search(q, max) s;
END;
COMMENT ON FUNCTION supervision_api.subject_search(text, integer) IS 'Fuzzy search over supervised objects by name or credit code';

CREATE FUNCTION supervision_api.subject(id bigint) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object('subject', to_jsonb(s) - 'name_bigrams' - 'lineage'
                                         || jsonb_build_object('phone', supervision.personal_data(s.phone, 'phone')),
                              'lineage', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.field), '[]')
                                            FROM supervision.subject_lineage(s.id) l),
                              'records', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'source', r.source_code,
                                                     'source_key', r.source_key, 'name', r.name, 'confidence', r.match_confidence)
                                                     ORDER BY r.id), '[]')
                                            FROM supervision.subject_record r WHERE r.entity_id = s.id AND NOT r.deleted))
      FROM supervision.subject s WHERE s.id = subject.id;
END;
COMMENT ON FUNCTION supervision_api.subject(bigint) IS 'A supervised object: golden record (phone masked unless allowed), per-field lineage and its source records';

REVOKE ALL ON FUNCTION supervision_api.ingest(text, text, text, jsonb, text), supervision_api.subject_search(text, integer),
    supervision_api.subject(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision_api.ingest(text, text, text, jsonb, text), supervision_api.subject_search(text, integer),
    supervision_api.subject(bigint) TO supervision_api_user, supervision_officer, supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.ingest_record(text, text, text, jsonb, text, text) TO supervision_api_user;

-- Evaluation reports over HTTP, for officers and auditors. Not for anonymous
-- clients: a run ranks government bodies for internal supervision of
-- supervision; what of it is published is decided outside the database.
CREATE FUNCTION supervision_api.evaluation_report(run_id bigint, format text DEFAULT 'json') RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_format text := lower(btrim(coalesce(format, '')));
BEGIN
    IF run_id IS NULL THEN
        PERFORM supervision.field_error('run_id', 'the run id is required', NULL, '22004');
    END IF;
    IF v_format = 'json' THEN
        RETURN supervision.evaluation_report_json(run_id);
    END IF;
    IF v_format NOT IN ('markdown', 'md', 'html') THEN
        PERFORM supervision.field_error('format', 'expected json, markdown or html', format);
    END IF;
    RETURN jsonb_build_object('run_id', run_id, 'format', CASE v_format WHEN 'html' THEN 'html' ELSE 'markdown' END,
                              'media_type', CASE v_format WHEN 'html' THEN 'text/html; charset=utf-8' ELSE 'text/markdown; charset=utf-8' END,
                              'content', supervision.evaluation_report(run_id, v_format));
END
$$;
COMMENT ON FUNCTION supervision_api.evaluation_report(bigint, text) IS
    'The report of an evaluation run: format json gives the structured report itself; markdown and html give {run_id, format, media_type, content} with the document as a string (the HTML is one self-contained page to save as a file)';
REVOKE ALL ON FUNCTION supervision_api.evaluation_report(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision_api.evaluation_report(bigint, text)
    TO supervision_api_user, supervision_officer, supervision_auditor, supervision_admin;
-- auditors read evaluations over HTTP too
GRANT USAGE ON SCHEMA supervision_api TO supervision_auditor;

-- Internal helpers, documented like everything else.
COMMENT ON FUNCTION supervision.audit_refuse() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE on the audit log';
COMMENT ON FUNCTION supervision.code_scheme_check() IS 'Trigger: a coding scheme is activated only when its segments are usable';
COMMENT ON FUNCTION supervision.code_scheme_problems(text) IS 'Why a coding scheme cannot be used (NULL when it can)';
COMMENT ON FUNCTION supervision.actor_require_department() IS 'The acting user''s department, or an error (42501) when there is none';
COMMENT ON FUNCTION supervision.catalog_version_guard() IS
    'Trigger: the catalog workflow (allowed transitions, who may do each, immutability of published versions)';
COMMENT ON FUNCTION supervision.catalog_check_guard() IS 'Trigger: check items change only while their version is a draft';
COMMENT ON FUNCTION supervision.field_error(text, text, text, text) IS
    'Raises an error naming a field, the problem and the value given (default SQLSTATE 22023)';
COMMENT ON FUNCTION supervision.catalog_apply_fields(supervision.catalog_version, jsonb) IS
    'Overlays JSON fields on a catalog version, validating each; unknown fields are errors';
COMMENT ON FUNCTION supervision.catalog_write_checks(bigint, text, jsonb) IS
    'Replaces the check items and contents of a draft version from JSON';
COMMENT ON FUNCTION supervision.catalog_transition(bigint, text, text, date) IS
    'Moves a catalog version to another status; the guard trigger decides whether that is allowed';

-- No role but the owner may truncate a table (that would bypass row triggers,
-- the audit trail and row-level security) or attach triggers of its own.
REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA supervision
    FROM PUBLIC, supervision_admin, supervision_officer, supervision_auditor, supervision_api_anon, supervision_api_user;

-- pg_dump keeps the data of the tables marked with pg_extension_config_dump;
-- their identity sequences must be kept too, or a restored database would
-- hand out ids that already exist.
DO $$
DECLARE s regclass;
BEGIN
    FOR s IN
        SELECT DISTINCT pg_get_serial_sequence(c.oid::regclass::text, a.attname)::regclass
          FROM pg_extension e, unnest(e.extconfig) cfg(oid)
          JOIN pg_class c ON c.oid = cfg.oid
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE e.extname = 'supervision' AND c.relkind IN ('r', 'p')
           AND pg_get_serial_sequence(c.oid::regclass::text, a.attname) IS NOT NULL
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(s, '');
    END LOOP;
END
$$;
