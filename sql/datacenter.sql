-- Supervision data center (监管数据中心): the libraries, ingestion that loses
-- nothing, the data-quality pipeline, and the link to the matching engine.
--
-- Libraries: catalog (sql/catalog.sql), supervised objects (subject,
-- subject_record), enforcement personnel (inspector), supervision behaviour
-- (behaviour), credit (credit_record), internet and third-party information
-- (internet_info), knowledge base (law, law_article, law_citation);
-- complaints and reports come with the 12345 capability.
--
-- Data flow: source rows arrive (bulk through staging, one at a time, or over
-- HTTP) -> ingest_raw keeps each as received, immutable -> validation and
-- cleaning rules (data) -> the cleaned per-source record (subject_record, ...)
-- with its outcome and reasons -> matching links records of one subject ->
-- golden records (subject) with per-field lineage.

---------------------------------------------------------------------------
-- Sources and batches
---------------------------------------------------------------------------

CREATE TABLE supervision.source_system (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{2,32}$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    department_code text REFERENCES supervision.department,
    division_code   text REFERENCES supervision.division,
    trust           smallint NOT NULL DEFAULT 50 CHECK (trust BETWEEN 0 AND 100),
    description     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.source_system IS
    'Systems that send data (registry, tax, departmental systems, cities); trust (0-100) ranks them when values disagree';

CREATE TABLE supervision.ingest_batch (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_code  text NOT NULL REFERENCES supervision.source_system,
    kind         text NOT NULL CHECK (kind IN ('subject', 'inspector', 'behaviour', 'credit', 'internet')),
    batch_no     text NOT NULL CHECK (batch_no ~ '^[0-9A-Za-z_.-]{1,64}$'),
    channel      text NOT NULL CHECK (channel IN ('bulk', 'record', 'api')),
    received_at  timestamptz NOT NULL DEFAULT now(),
    received_by  text NOT NULL DEFAULT coalesce(supervision.actor_user(), session_user),
    status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed')),
    processed_at timestamptz,
    rows_total   integer NOT NULL DEFAULT 0,
    rows_accepted integer NOT NULL DEFAULT 0,
    rows_rejected integer NOT NULL DEFAULT 0,
    rows_duplicate integer NOT NULL DEFAULT 0,
    UNIQUE (source_code, kind, channel, batch_no)
);
COMMENT ON TABLE supervision.ingest_batch IS
    'Batches of incoming data: source, kind, channel, batch number (e.g. date + sequence 2019041100002), counts; a bulk batch is processed once; single records of a day share one open batch per channel';

-- Every incoming row, exactly as received. Never updated or deleted.
CREATE TABLE supervision.ingest_raw (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id     bigint NOT NULL REFERENCES supervision.ingest_batch,
    row_no       integer NOT NULL,
    source_code  text NOT NULL,
    kind         text NOT NULL,
    source_key   text,
    op           text,
    payload      jsonb NOT NULL,
    payload_text text,
    payload_hash bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (batch_id, row_no)
);
CREATE INDEX ingest_raw_source_key ON supervision.ingest_raw (source_code, kind, source_key);
COMMENT ON TABLE supervision.ingest_raw IS
    'Every incoming row as received (payload), with its batch and row number; immutable';
COMMENT ON COLUMN supervision.ingest_raw.payload_text IS
    'The row as received when it was not valid JSON (payload is then JSON null)';

-- What became of each raw row.
CREATE TABLE supervision.ingest_outcome (
    raw_id       bigint PRIMARY KEY REFERENCES supervision.ingest_raw,
    status       text NOT NULL CHECK (status IN ('accepted', 'rejected', 'duplicate')),
    reasons      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(reasons) = 'array'),
    warnings     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(warnings) = 'array'),
    record_id    bigint,
    processed_at timestamptz NOT NULL DEFAULT now(),
    fields       text[],
    cleaned      jsonb
);
CREATE INDEX ON supervision.ingest_outcome (status);
COMMENT ON COLUMN supervision.ingest_outcome.fields IS 'Fields the accepted row carried after cleaning (for the batch''s completeness figures, as of processing)';
COMMENT ON COLUMN supervision.ingest_outcome.cleaned IS 'Per field, the cleaning or mapping rule that changed the value as received';
COMMENT ON TABLE supervision.ingest_outcome IS
    'The outcome of each raw row: accepted (with the record it produced), rejected (with every reason), or duplicate of an earlier identical row';

CREATE FUNCTION supervision.ingest_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are kept as received and never changed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s is refused.', TG_OP);
END
$$;
COMMENT ON FUNCTION supervision.ingest_refuse_change() IS 'Trigger: raw rows and their outcomes are immutable';
CREATE TRIGGER ingest_raw_immutable BEFORE UPDATE OR DELETE ON supervision.ingest_raw
    FOR EACH ROW EXECUTE FUNCTION supervision.ingest_refuse_change();
CREATE TRIGGER ingest_raw_no_truncate BEFORE TRUNCATE ON supervision.ingest_raw
    FOR EACH STATEMENT EXECUTE FUNCTION supervision.ingest_refuse_change();
CREATE TRIGGER ingest_outcome_immutable BEFORE UPDATE OR DELETE ON supervision.ingest_outcome
    FOR EACH ROW EXECUTE FUNCTION supervision.ingest_refuse_change();

-- Bulk loading: COPY rows here, then call supervision.ingest_process().
CREATE TABLE supervision.ingest_staging (
    staged_seq  bigint GENERATED ALWAYS AS IDENTITY,
    source_code text NOT NULL,
    kind        text NOT NULL,
    batch_no    text NOT NULL,
    row_no      integer,
    source_key  text,
    op          text,
    payload     text NOT NULL
);
COMMENT ON TABLE supervision.ingest_staging IS
    'Bulk loading area: COPY (source_code, kind, batch_no, source_key, op, payload) rows, payload as JSON text; supervision.ingest_process(source, kind, batch_no) takes them';

-- The same for flat files of subjects: one text column per field.
CREATE TABLE supervision.ingest_staging_subject (
    staged_seq  bigint GENERATED ALWAYS AS IDENTITY,
    source_code text NOT NULL,
    batch_no    text NOT NULL,
    source_key  text,
    op          text,
    kind        text,
    uscc        text,
    name        text,
    legal_representative text,
    address     text,
    division_code text,
    industry_code text,
    phone       text,
    established_on text,
    status      text,
    lon         text,
    lat         text
);
COMMENT ON TABLE supervision.ingest_staging_subject IS
    'Bulk loading area for CSV files of subjects (all columns text, as in the file); supervision.ingest_process(source, ''subject'', batch_no) takes them';

---------------------------------------------------------------------------
-- The libraries
---------------------------------------------------------------------------

-- Supervised objects: one golden record per real-world subject.
CREATE TABLE supervision.subject (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL DEFAULT 'enterprise'
                         CHECK (kind IN ('enterprise', 'individual_business', 'institution', 'social_organisation',
                                         'farmers_cooperative', 'product', 'project', 'other')),
    uscc            text CHECK (uscc IS NULL OR supervision.uscc_valid(uscc)),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    legal_representative text,
    address         text,
    division_code   text REFERENCES supervision.division,
    industry_code   text CHECK (industry_code ~ '^[A-T]([0-9]{2}([0-9]{1,2})?)?$'),
    phone           text,
    location        geometry(Point, 4326),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'revoked', 'moved', 'unknown')),
    established_on  date,
    name_core       text,
    pinyin_key      text,
    name_bigrams    text[],
    lineage         jsonb NOT NULL DEFAULT '{}',
    record_count    integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subject_uscc ON supervision.subject (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX subject_name_core ON supervision.subject (name_core);
CREATE INDEX subject_pinyin ON supervision.subject (pinyin_key);
CREATE INDEX subject_bigrams ON supervision.subject USING gin (name_bigrams);
CREATE INDEX subject_division ON supervision.subject (division_code);
CREATE INDEX subject_location ON supervision.subject USING gist (location);
COMMENT ON TABLE supervision.subject IS
    'Supervised objects (监管对象): the golden record of each subject, built from its source records by survivorship; lineage says where each value came from';
COMMENT ON COLUMN supervision.subject.industry_code IS 'GB/T 4754 industry: section letter A-T, optionally division (2 digits), group (3), class (4)';
COMMENT ON COLUMN supervision.subject.lineage IS
    'Per field: {"record_id", "source", "batch_id", "raw_id", "rule"} of the value chosen';

-- Subjects as each source sent them, cleaned; linked to their golden record.
CREATE TABLE supervision.subject_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_code     text NOT NULL REFERENCES supervision.source_system,
    source_key      text NOT NULL,
    raw_id          bigint NOT NULL REFERENCES supervision.ingest_raw,
    batch_id        bigint NOT NULL REFERENCES supervision.ingest_batch,
    deleted         boolean NOT NULL DEFAULT false,
    kind            text,
    uscc            text,
    name            text NOT NULL,
    legal_representative text,
    address         text,
    division_code   text,
    industry_code   text,
    phone           text,
    location        geometry(Point, 4326),
    status          text,
    established_on  date,
    name_core       text,
    pinyin_key      text,
    name_bigrams    text[],
    cleaning        jsonb NOT NULL DEFAULT '{}',
    entity_id       bigint REFERENCES supervision.subject,
    match_confidence float8,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_code, source_key)
);
CREATE INDEX ON supervision.subject_record (entity_id);
CREATE INDEX subject_record_uscc ON supervision.subject_record (uscc) WHERE uscc IS NOT NULL;
CREATE INDEX subject_record_core ON supervision.subject_record (name_core);
CREATE INDEX subject_record_pinyin ON supervision.subject_record (pinyin_key);
CREATE INDEX subject_record_bigrams ON supervision.subject_record USING gin (name_bigrams);
COMMENT ON TABLE supervision.subject_record IS
    'Subjects as each source sent them, after cleaning (one row per source + source key, the latest version); entity_id links them to their golden record';
COMMENT ON COLUMN supervision.subject_record.cleaning IS
    'Per field that cleaning changed: {"from": value as received, "rule": cleaning rule}';

-- Enforcement personnel (执法检查人员).
CREATE TABLE supervision.inspector (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    certificate_no   text NOT NULL UNIQUE CHECK (certificate_no ~ '^[0-9A-Za-z-]{4,32}$'),
    name             text NOT NULL CHECK (btrim(name) <> ''),
    id_number        text CHECK (id_number IS NULL OR supervision.id_card_valid(id_number)),
    phone            text,
    department_code  text NOT NULL REFERENCES supervision.department,
    agency_uscc      text REFERENCES supervision.agency,
    division_code    text NOT NULL REFERENCES supervision.division,
    specialties      text[] NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked', 'retired')),
    certificate_valid_from date,
    certificate_valid_to   date,
    source_code      text REFERENCES supervision.source_system,
    raw_id           bigint REFERENCES supervision.ingest_raw,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (certificate_valid_to IS NULL OR certificate_valid_from IS NULL OR certificate_valid_to >= certificate_valid_from)
);
CREATE INDEX ON supervision.inspector (department_code, division_code) WHERE status = 'active';
COMMENT ON TABLE supervision.inspector IS
    'Enforcement personnel (执法检查人员名录): certificate, department, jurisdiction, specialties, status; ID number and phone are shown masked to roles that must not see them (supervision.inspector_public)';

-- Supervision behaviour (监管行为): inspections, penalties, licences, coercive measures, other.
CREATE TABLE supervision.behaviour (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('inspection', 'penalty', 'licence', 'coercive_measure', 'other')),
    behaviour_no        text NOT NULL,
    behaviour_name      text NOT NULL,
    catalog_item_code   text REFERENCES supervision.catalog_item,
    implementation_code text REFERENCES supervision.catalog_implementation,
    agency_uscc         text REFERENCES supervision.agency,
    agency_name         text,
    entrusted_department text,
    object_type         text,
    subject_id          bigint REFERENCES supervision.subject,
    counterpart_code    text,
    counterpart_name    text NOT NULL,
    address             text,
    division_code       text REFERENCES supervision.division,
    check_form          text,
    check_class         text,
    check_method        text,
    result              text,
    check_time          timestamptz,
    inspectors          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(inspectors) = 'array'),
    report_time         timestamptz,
    reporter            text,
    legal_basis         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(legal_basis) = 'array'),
    legal_articles      bigint[] NOT NULL DEFAULT '{}',
    source_code         text NOT NULL REFERENCES supervision.source_system,
    source_key          text NOT NULL,
    raw_id              bigint NOT NULL REFERENCES supervision.ingest_raw,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_code, source_key),
    CHECK (report_time IS NULL OR check_time IS NULL OR report_time > check_time)
);
CREATE INDEX ON supervision.behaviour (subject_id);
CREATE INDEX ON supervision.behaviour (kind, check_time);
COMMENT ON TABLE supervision.behaviour IS
    'Supervision behaviour reported by departments (行政检查, 行政处罚, 行政许可, 行政强制, other) with the fields of the national exchange; report time must be after check time';

-- Credit (信用): listings, publications, commitments, rewards.
CREATE TABLE supervision.credit_record (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   bigint REFERENCES supervision.subject,
    counterpart_code text,
    counterpart_name text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('abnormal_listing', 'serious_violation', 'penalty_publication',
                                               'commitment', 'reward', 'other')),
    reason       text,
    authority    text,
    listed_on    date NOT NULL,
    removed_on   date CHECK (removed_on IS NULL OR removed_on >= listed_on),
    source_code  text NOT NULL REFERENCES supervision.source_system,
    source_key   text NOT NULL,
    raw_id       bigint NOT NULL REFERENCES supervision.ingest_raw,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_code, source_key)
);
CREATE INDEX ON supervision.credit_record (subject_id, kind);
COMMENT ON TABLE supervision.credit_record IS
    'Credit records: abnormal-operation listings, serious-violation listings, penalty publications, commitments, rewards';

-- Internet and third-party information.
CREATE TABLE supervision.internet_info (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   bigint REFERENCES supervision.subject,
    counterpart_name text,
    channel      text NOT NULL,
    url          text,
    title        text NOT NULL,
    content      text,
    published_at timestamptz,
    category     text,
    sentiment    smallint CHECK (sentiment BETWEEN -2 AND 2),
    source_code  text NOT NULL REFERENCES supervision.source_system,
    source_key   text NOT NULL,
    raw_id       bigint NOT NULL REFERENCES supervision.ingest_raw,
    UNIQUE (source_code, source_key)
);
CREATE INDEX ON supervision.internet_info (subject_id);
COMMENT ON TABLE supervision.internet_info IS
    'Internet and third-party information about subjects (public opinion, platform data): channel, title, content, sentiment -2..2';

-- Knowledge base: laws, their articles, and what cites them.
CREATE TABLE supervision.law (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    short_name  text,
    issuer      text,
    level       text CHECK (level IN ('law', 'administrative_regulation', 'local_regulation', 'department_rule',
                                      'local_rule', 'normative_document')),
    effective_on date,
    repealed_on date,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE supervision.law IS 'Knowledge base: laws, regulations and rules cited by catalog items and supervision behaviour';

CREATE TABLE supervision.law_article (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    law_id      bigint NOT NULL REFERENCES supervision.law ON DELETE CASCADE,
    article_no  text NOT NULL,
    content     text,
    UNIQUE (law_id, article_no)
);
COMMENT ON TABLE supervision.law_article IS 'Knowledge base: articles of a law (第X条), with their text';

-- Article numbers are written 第三十条, 第30条, 30 or 第十二条之一 (with or without
-- 第X款 / 第X项): one key per article, so every form finds the same article.
CREATE FUNCTION supervision.cn_integer(p text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_total integer := 0;
    v_cur   integer := 0;
    ch      text;
BEGIN
    IF p ~ '^[0-9]{1,6}$' THEN
        RETURN p::integer;
    END IF;
    IF p !~ '^[零〇一二两三四五六七八九十百千]{1,12}$' THEN
        RETURN NULL;
    END IF;
    FOREACH ch IN ARRAY regexp_split_to_array(p, '') LOOP
        CASE ch
        WHEN '十' THEN v_total := v_total + greatest(v_cur, 1) * 10; v_cur := 0;
        WHEN '百' THEN v_total := v_total + v_cur * 100; v_cur := 0;
        WHEN '千' THEN v_total := v_total + v_cur * 1000; v_cur := 0;
        ELSE v_cur := strpos('零一二三四五六七八九', ch) - 1;
             IF ch = '〇' THEN v_cur := 0; ELSIF ch = '两' THEN v_cur := 2; END IF;
        END CASE;
    END LOOP;
    RETURN v_total + v_cur;
END
$$;
COMMENT ON FUNCTION supervision.cn_integer(text) IS
    'An integer written in Arabic digits or Chinese numerals (三十, 一百零五, 两千); NULL when it is neither';

CREATE FUNCTION supervision.article_key(p_article text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN m IS NULL THEN nullif(a, '')
                ELSE supervision.cn_integer(m[1]) || coalesce('之' || supervision.cn_integer(m[3]), '') END
      FROM (SELECT a, regexp_match(a, '^第?([0-9]+|[零〇一二两三四五六七八九十百千]+)条?(之([0-9]+|[零〇一二两三四五六七八九十百千]+))?(第[0-9零〇一二两三四五六七八九十百千]+[款项目])*$') AS m
              FROM (SELECT regexp_replace(normalize(p_article, NFKC), '\s+', '', 'g') AS a) x) y
$$;
COMMENT ON FUNCTION supervision.article_key(text) IS
    'The key of an article number: 第三十条, 第30条 and 30 give 30; 第十二条之一 gives 12之1; 第X款/第X项 are dropped; other labels are kept as written';

CREATE UNIQUE INDEX law_article_key_idx ON supervision.law_article (law_id, supervision.article_key(article_no));

-- A citation (law name or short name, article number in any usual form)
-- resolved against the knowledge base; NULLs when it is not there.
CREATE FUNCTION supervision.law_resolve(p_law text, p_article text, OUT law_id bigint, OUT article_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT l.id, a.id
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT l.id FROM supervision.law l
                          WHERE supervision.catalog_name_key(l.name) = supervision.catalog_name_key(p_law)
                             OR supervision.catalog_name_key(l.short_name) = supervision.catalog_name_key(p_law)
                          ORDER BY supervision.catalog_name_key(l.name) = supervision.catalog_name_key(p_law) DESC, l.id
                          LIMIT 1) l ON true
      LEFT JOIN supervision.law_article a
             ON a.law_id = l.id AND supervision.article_key(a.article_no) = supervision.article_key(p_article)
$$;
COMMENT ON FUNCTION supervision.law_resolve(text, text) IS
    'The law (by name or short name, ignoring spaces and bracket forms) and article (第三十条 = 第30条 = 30) a citation names; NULL where the knowledge base does not have them';

-- Which catalog item versions cite which articles (from their legal_basis).
CREATE VIEW supervision.law_citation AS
    SELECT v.item_code, v.version_no, v.status, b.ordinality AS basis_no, b.value ->> 'law' AS law_name,
           b.value ->> 'article' AS article_no, r.law_id, r.article_id
      FROM supervision.catalog_version v
      CROSS JOIN LATERAL jsonb_array_elements(v.legal_basis) WITH ORDINALITY b
      CROSS JOIN LATERAL supervision.law_resolve(b.value ->> 'law', b.value ->> 'article') r;
-- The articles a list of citations names, in citation order (those the knowledge base has).
CREATE FUNCTION supervision.law_articles_of(p_citations jsonb) RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x.article_id ORDER BY e.n), '{}')
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_citations) = 'array' THEN p_citations ELSE '[]' END)
           WITH ORDINALITY e(c, n)
     CROSS JOIN LATERAL supervision.law_resolve(e.c ->> 'law', e.c ->> 'article') x
     WHERE jsonb_typeof(e.c) = 'object' AND x.article_id IS NOT NULL
$$;
COMMENT ON FUNCTION supervision.law_articles_of(jsonb) IS
    'The law_article ids a list of citations [{"law", "article"}] names, in citation order, leaving out those the knowledge base lacks';

COMMENT ON VIEW supervision.law_citation IS
    'Legal basis of each catalog item version resolved against the knowledge base (law_id / article_id NULL when not found there)';

-- Complaints and reports (12345) come with their own capability: tables
-- supervision.complaint* will join the libraries here.

---------------------------------------------------------------------------
-- The data-quality pipeline: fields, cleaning, mapping, validation rules
---------------------------------------------------------------------------

-- The fields each kind of row may carry, and their types.
CREATE TABLE supervision.dq_field (
    kind        text NOT NULL CHECK (kind IN ('subject', 'inspector', 'behaviour', 'credit', 'internet')),
    field       text NOT NULL CHECK (field ~ '^[a-z_]{1,40}$'),
    type        text NOT NULL CHECK (type IN ('text', 'code', 'enum', 'name', 'address', 'phone', 'date', 'timestamp',
                                              'number', 'text_array', 'json_array')),
    max_length  integer NOT NULL DEFAULT 200 CHECK (max_length BETWEEN 1 AND 100000),
    description text,
    builtin     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (kind, field)
);
COMMENT ON TABLE supervision.dq_field IS
    'Fields each kind of incoming row may carry, with the type that decides how they are cleaned and parsed';

INSERT INTO supervision.dq_field (kind, field, type, max_length, description, builtin)
SELECT k, f, t, m, d, true FROM (VALUES
    ('subject', 'kind', 'enum', 30, 'enterprise, individual_business, institution, ...'),
    ('subject', 'uscc', 'code', 40, 'unified social credit code'),
    ('subject', 'name', 'name', 200, 'registered name'),
    ('subject', 'legal_representative', 'name', 100, 'legal representative or operator'),
    ('subject', 'address', 'address', 300, 'registered or business address'),
    ('subject', 'division_code', 'code', 12, 'GB/T 2260 division'),
    ('subject', 'industry_code', 'code', 10, 'GB/T 4754 industry'),
    ('subject', 'phone', 'phone', 40, 'contact phone'),
    ('subject', 'established_on', 'date', 40, 'date of establishment'),
    ('subject', 'status', 'enum', 30, 'active, cancelled, revoked, moved, unknown'),
    ('subject', 'lon', 'number', 30, 'longitude (WGS 84)'),
    ('subject', 'lat', 'number', 30, 'latitude (WGS 84)'),
    ('inspector', 'certificate_no', 'code', 32, 'enforcement certificate number'),
    ('inspector', 'name', 'name', 50, 'name'),
    ('inspector', 'id_number', 'code', 30, 'identity number (personal data)'),
    ('inspector', 'phone', 'phone', 40, 'phone (personal data)'),
    ('inspector', 'department_code', 'code', 3, 'department'),
    ('inspector', 'agency_uscc', 'code', 40, 'agency credit code'),
    ('inspector', 'division_code', 'code', 12, 'jurisdiction'),
    ('inspector', 'specialties', 'text_array', 2000, 'specialties'),
    ('inspector', 'status', 'enum', 20, 'active, suspended, revoked, retired'),
    ('inspector', 'certificate_valid_from', 'date', 40, 'certificate valid from'),
    ('inspector', 'certificate_valid_to', 'date', 40, 'certificate valid to'),
    ('behaviour', 'kind', 'enum', 30, 'inspection, penalty, licence, coercive_measure, other'),
    ('behaviour', 'behaviour_no', 'code', 64, 'behaviour number'),
    ('behaviour', 'behaviour_name', 'name', 200, 'behaviour name'),
    ('behaviour', 'catalog_item_code', 'code', 14, 'catalog item code'),
    ('behaviour', 'implementation_code', 'code', 30, 'implementation list code'),
    ('behaviour', 'agency_uscc', 'code', 40, 'implementing agency credit code'),
    ('behaviour', 'agency_name', 'name', 200, 'implementing agency'),
    ('behaviour', 'entrusted_department', 'name', 200, 'entrusted department'),
    ('behaviour', 'object_type', 'code', 40, 'type of the object'),
    ('behaviour', 'counterpart_code', 'code', 40, 'credit code or identity number of the counterpart'),
    ('behaviour', 'counterpart_name', 'name', 200, 'counterpart'),
    ('behaviour', 'address', 'address', 300, 'address'),
    ('behaviour', 'division_code', 'code', 12, 'division'),
    ('behaviour', 'check_form', 'text', 100, 'form of the check'),
    ('behaviour', 'check_class', 'text', 100, 'class of the check'),
    ('behaviour', 'check_method', 'text', 100, 'method of the check'),
    ('behaviour', 'result', 'text', 2000, 'result'),
    ('behaviour', 'check_time', 'timestamp', 40, 'check time'),
    ('behaviour', 'inspectors', 'json_array', 4000, 'inspectors: [{"name", "certificate_no"}]'),
    ('behaviour', 'report_time', 'timestamp', 40, 'report time (after check time)'),
    ('behaviour', 'reporter', 'name', 100, 'reporter'),
    ('behaviour', 'legal_basis', 'json_array', 8000, 'laws and articles applied: [{"law": name or short name, "article": "第X条"}]'),
    ('credit', 'counterpart_code', 'code', 40, 'credit code'),
    ('credit', 'counterpart_name', 'name', 200, 'name'),
    ('credit', 'kind', 'enum', 30, 'abnormal_listing, serious_violation, penalty_publication, commitment, reward, other'),
    ('credit', 'reason', 'text', 2000, 'reason'),
    ('credit', 'authority', 'name', 200, 'deciding authority'),
    ('credit', 'listed_on', 'date', 40, 'listed on'),
    ('credit', 'removed_on', 'date', 40, 'removed on'),
    ('internet', 'counterpart_name', 'name', 200, 'subject named'),
    ('internet', 'channel', 'text', 100, 'channel'),
    ('internet', 'url', 'text', 2000, 'address of the page'),
    ('internet', 'title', 'text', 500, 'title'),
    ('internet', 'content', 'text', 20000, 'content'),
    ('internet', 'published_at', 'timestamp', 40, 'published at'),
    ('internet', 'category', 'text', 100, 'category'),
    ('internet', 'sentiment', 'number', 5, '-2 .. 2')
) v(k, f, t, m, d);

-- Validation rules, kept as data.
CREATE TABLE supervision.dq_rule (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    field       text NOT NULL,
    check_type  text NOT NULL CHECK (check_type IN ('required', 'uscc', 'id_number', 'org_code_or_uscc', 'division',
                                                    'department', 'agency', 'catalog_item', 'enum', 'regex',
                                                    'after', 'range', 'not_future', 'law_citation')),
    params      jsonb NOT NULL DEFAULT '{}',
    severity    text NOT NULL DEFAULT 'reject' CHECK (severity IN ('reject', 'warn')),
    message     text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    builtin     boolean NOT NULL DEFAULT false,
    FOREIGN KEY (kind, field) REFERENCES supervision.dq_field
);
COMMENT ON TABLE supervision.dq_rule IS
    'Validation rules per kind and field: required, code validity, reference exists, enumerations, patterns, order of times, ranges; reject or warn';
COMMENT ON COLUMN supervision.dq_rule.params IS
    'enum: {"values": [...]}; regex: {"pattern": ...}; after: {"field": other field}; range: {"min": n, "max": n}; law_citation: {} checks the form of each citation, {"known": true} that the knowledge base has its law and article';

INSERT INTO supervision.dq_rule (kind, field, check_type, params, severity, message, builtin)
SELECT k, f, c, p::jsonb, s, m, true FROM (VALUES
    ('subject', 'name', 'required', '{}', 'reject', 'a subject needs a name'),
    ('subject', 'uscc', 'uscc', '{}', 'reject', 'not a valid unified social credit code'),
    ('subject', 'division_code', 'division', '{}', 'reject', 'unknown division'),
    ('subject', 'kind', 'enum', '{"values": ["enterprise", "individual_business", "institution", "social_organisation", "farmers_cooperative", "product", "project", "other"]}', 'reject', 'unknown kind of subject'),
    ('subject', 'status', 'enum', '{"values": ["active", "cancelled", "revoked", "moved", "unknown"]}', 'reject', 'unknown status'),
    ('subject', 'industry_code', 'regex', '{"pattern": "^[A-T]([0-9]{2}([0-9]{1,2})?)?$"}', 'reject', 'not a GB/T 4754 industry code'),
    ('subject', 'phone', 'regex', '{"pattern": "^(1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8}|[0-9]{7,8})$"}', 'warn', 'not a mainland phone number'),
    ('subject', 'established_on', 'not_future', '{}', 'reject', 'date of establishment in the future'),
    ('subject', 'lon', 'range', '{"min": 73, "max": 136}', 'reject', 'longitude outside China'),
    ('subject', 'lat', 'range', '{"min": 3, "max": 54}', 'reject', 'latitude outside China'),
    ('subject', 'uscc', 'required', '{}', 'warn', 'no credit code: matching relies on name and address'),
    ('inspector', 'certificate_no', 'required', '{}', 'reject', 'an inspector needs an enforcement certificate number'),
    ('inspector', 'certificate_no', 'regex', '{"pattern": "^[0-9A-Za-z-]{4,32}$"}', 'reject', 'not a certificate number'),
    ('inspector', 'name', 'required', '{}', 'reject', 'an inspector needs a name'),
    ('inspector', 'id_number', 'id_number', '{}', 'reject', 'not a valid identity number'),
    ('inspector', 'department_code', 'required', '{}', 'reject', 'an inspector needs a department'),
    ('inspector', 'department_code', 'department', '{}', 'reject', 'unknown department'),
    ('inspector', 'agency_uscc', 'agency', '{}', 'reject', 'unknown agency'),
    ('inspector', 'division_code', 'required', '{}', 'reject', 'an inspector needs a jurisdiction'),
    ('inspector', 'division_code', 'division', '{}', 'reject', 'unknown division'),
    ('inspector', 'status', 'enum', '{"values": ["active", "suspended", "revoked", "retired"]}', 'reject', 'unknown status'),
    ('inspector', 'certificate_valid_to', 'after', '{"field": "certificate_valid_from"}', 'reject', 'certificate ends before it starts'),
    ('behaviour', 'kind', 'required', '{}', 'reject', 'the kind of behaviour is required'),
    ('behaviour', 'kind', 'enum', '{"values": ["inspection", "penalty", "licence", "coercive_measure", "other"]}', 'reject', 'unknown kind of behaviour'),
    ('behaviour', 'behaviour_no', 'required', '{}', 'reject', 'the behaviour number is required'),
    ('behaviour', 'behaviour_name', 'required', '{}', 'reject', 'the behaviour name is required'),
    ('behaviour', 'counterpart_name', 'required', '{}', 'reject', 'the counterpart is required'),
    ('behaviour', 'counterpart_code', 'org_code_or_uscc', '{}', 'reject', 'not a valid credit code or identity number'),
    ('behaviour', 'catalog_item_code', 'catalog_item', '{}', 'reject', 'unknown catalog item'),
    ('behaviour', 'agency_uscc', 'agency', '{}', 'warn', 'agency not in the agency list'),
    ('behaviour', 'division_code', 'division', '{}', 'reject', 'unknown division'),
    ('behaviour', 'check_time', 'not_future', '{}', 'reject', 'check time in the future'),
    ('behaviour', 'report_time', 'after', '{"field": "check_time"}', 'reject', 'report time must be after check time'),
    ('behaviour', 'legal_basis', 'law_citation', '{}', 'reject', 'each citation is {"law": name, "article": number}'),
    ('behaviour', 'legal_basis', 'law_citation', '{"known": true}', 'warn', 'cited law or article not in the knowledge base'),
    ('credit', 'counterpart_name', 'required', '{}', 'reject', 'the subject is required'),
    ('credit', 'counterpart_code', 'uscc', '{}', 'reject', 'not a valid unified social credit code'),
    ('credit', 'kind', 'required', '{}', 'reject', 'the kind of credit record is required'),
    ('credit', 'kind', 'enum', '{"values": ["abnormal_listing", "serious_violation", "penalty_publication", "commitment", "reward", "other"]}', 'reject', 'unknown kind of credit record'),
    ('credit', 'listed_on', 'required', '{}', 'reject', 'the listing date is required'),
    ('credit', 'removed_on', 'after', '{"field": "listed_on"}', 'reject', 'removed before listed'),
    ('internet', 'title', 'required', '{}', 'reject', 'a title is required'),
    ('internet', 'channel', 'required', '{}', 'reject', 'a channel is required'),
    ('internet', 'sentiment', 'range', '{"min": -2, "max": 2}', 'reject', 'sentiment is -2 to 2')
) v(k, f, c, p, s, m);

-- Standardisation: a source's local codes mapped to provincial ones.
CREATE TABLE supervision.dq_code_map (
    source_code    text NOT NULL REFERENCES supervision.source_system,
    kind           text NOT NULL,
    field          text NOT NULL,
    local_value    text NOT NULL,
    standard_value text NOT NULL,
    PRIMARY KEY (source_code, kind, field, local_value),
    FOREIGN KEY (kind, field) REFERENCES supervision.dq_field
);
COMMENT ON TABLE supervision.dq_code_map IS
    'Standardisation: a source''s local values (e.g. status "1", division names) and the provincial value they stand for';

COMMENT ON COLUMN supervision.dq_field.type IS
    'code: NFKC, no spaces, upper case; enum: NFKC, lower case; name/text: trimmed, spaces collapsed; address: NFKC, spaces collapsed; phone: +86 and separators removed; date/timestamp: parsed from the usual Chinese formats; number; text_array; json_array';

-- Bigrams of a string (code points), for the fuzzy-search index.
CREATE FUNCTION supervision.text_bigrams(p text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN length(p) < 2 THEN ARRAY[p]
            ELSE ARRAY(SELECT DISTINCT substr(p, i, 2) FROM generate_series(1, length(p) - 1) i) END;
COMMENT ON FUNCTION supervision.text_bigrams(text) IS 'Distinct code-point bigrams of a string (the string itself when shorter than 2)';

-- Parses a date written in the usual ways: 2019-04-11, 2019/4/11, 2019.4.11, 2019年4月11日, 20190411.
CREATE FUNCTION supervision.parse_date(p text) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE m text[];
BEGIN
    m := regexp_match(btrim(p), '^([0-9]{4})(?:[-/.年])([0-9]{1,2})(?:[-/.月])([0-9]{1,2})日?$');
    IF m IS NULL THEN
        m := regexp_match(btrim(p), '^([0-9]{4})([0-9]{2})([0-9]{2})$');
    END IF;
    IF m IS NULL OR m[2]::int NOT BETWEEN 1 AND 12 OR m[3]::int < 1 OR m[1]::int < 1 THEN
        RETURN NULL;
    END IF;
    -- no exception block (a subtransaction per value): check the day against the month's length
    IF m[3]::int > extract(day FROM make_date(m[1]::int, m[2]::int, 1) + interval '1 month' - interval '1 day') THEN
        RETURN NULL;
    END IF;
    RETURN make_date(m[1]::int, m[2]::int, m[3]::int);
END
$$;
COMMENT ON FUNCTION supervision.parse_date(text) IS
    'A date from 2019-04-11, 2019/4/11, 2019.4.11, 2019年4月11日 or 20190411; NULL when it is none of these or not a real date';

-- Parses a time stamp: ISO 8601 (with or without zone; Beijing time when none) or a date as above plus HH:MI[:SS].
CREATE FUNCTION supervision.parse_timestamp(p text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE AS $$
DECLARE
    m   text[];
    d   date;
    ts  timestamp;
    off interval;
BEGIN
    m := regexp_match(btrim(p), '^([0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?|[0-9]{8})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]{1,6})?))?)?\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$');
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    d := supervision.parse_date(m[1]);
    IF d IS NULL OR coalesce(m[2]::int, 0) > 23 OR coalesce(m[3]::int, 0) > 59 OR coalesce(m[4]::numeric, 0) >= 60 THEN
        RETURN NULL;
    END IF;
    ts := d + make_interval(hours => coalesce(m[2]::int, 0), mins => coalesce(m[3]::int, 0),
                            secs => coalesce(m[4]::float8, 0));
    IF m[5] IS NULL THEN
        RETURN ts AT TIME ZONE 'Asia/Shanghai';
    ELSIF m[5] = 'Z' THEN
        RETURN ts AT TIME ZONE 'UTC';
    END IF;
    -- an ISO offset: local time = UTC + offset
    off := make_interval(hours => substr(m[5], 2, 2)::int, mins => coalesce(nullif(substr(replace(m[5], ':', ''), 4, 2), '')::int, 0));
    IF left(m[5], 1) = '-' THEN off := -off; END IF;
    RETURN (ts - off) AT TIME ZONE 'UTC';
END
$$;
COMMENT ON FUNCTION supervision.parse_timestamp(text) IS
    'A time stamp from ISO 8601 or the date formats of parse_date plus HH:MI[:SS]; without a zone it is Beijing time; NULL when unreadable';

-- "an object", "a number"...: the kind of a JSON value, for messages.
CREATE FUNCTION supervision.dq_json_kind(p jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE jsonb_typeof(p) WHEN 'object' THEN 'an object' WHEN 'array' THEN 'an array' ELSE 'a ' || jsonb_typeof(p) END;
COMMENT ON FUNCTION supervision.dq_json_kind(jsonb) IS 'The kind of a JSON value with its article, for messages';

-- Cleans one value of an incoming row. Returns the cleaned value as text
-- (JSON text for json_array), the cleaning rule applied when the value
-- changed, and an error when the value cannot be read as its type.
CREATE FUNCTION supervision.dq_clean(p_type text, p_max_length integer, p_value jsonb,
                                     OUT value text, OUT rule text, OUT error text)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v_raw text;
    v_num numeric;
BEGIN
    IF p_value IS NULL OR jsonb_typeof(p_value) = 'null' THEN
        RETURN;
    END IF;
    IF p_type = 'json_array' THEN
        IF jsonb_typeof(p_value) <> 'array' THEN
            error := format('expected a JSON array, got %s', supervision.dq_json_kind(p_value));
        ELSIF length(p_value::text) > p_max_length THEN
            error := format('is %s characters long, at most %s allowed', length(p_value::text), p_max_length);
        ELSE
            value := p_value::text;
        END IF;
        RETURN;
    END IF;
    IF p_type = 'text_array' THEN
        IF jsonb_typeof(p_value) = 'array' THEN
            IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_value) e WHERE jsonb_typeof(e) <> 'string') THEN
                error := 'expected an array of strings';
                RETURN;
            END IF;
            value := (SELECT coalesce(array_agg(btrim(e)), '{}')::text FROM jsonb_array_elements_text(p_value) e WHERE btrim(e) <> '');
        ELSIF jsonb_typeof(p_value) = 'string' THEN
            value := (SELECT coalesce(array_agg(btrim(e)), '{}')::text
                        FROM regexp_split_to_table(p_value #>> '{}', '[,，、;；]') e WHERE btrim(e) <> '');
            rule := 'split_list';
        ELSE
            error := format('expected an array of strings, got %s', supervision.dq_json_kind(p_value));
            RETURN;
        END IF;
        IF length(value) > p_max_length THEN
            error := format('is %s characters long, at most %s allowed', length(value), p_max_length);
            value := NULL;
        END IF;
        RETURN;
    END IF;
    IF jsonb_typeof(p_value) NOT IN ('string', 'number') THEN
        error := format('expected a string, got %s', supervision.dq_json_kind(p_value));
        RETURN;
    END IF;
    v_raw := p_value #>> '{}';
    IF length(v_raw) > p_max_length THEN
        error := format('is %s characters long, at most %s allowed', length(v_raw), p_max_length);
        RETURN;
    END IF;
    value := CASE p_type
        WHEN 'code' THEN upper(regexp_replace(normalize(v_raw, NFKC), '\s+', '', 'g'))
        WHEN 'enum' THEN lower(btrim(normalize(v_raw, NFKC)))
        WHEN 'name' THEN regexp_replace(btrim(v_raw, E' \t\r\n\u3000'), '\s+', ' ', 'g')
        WHEN 'text' THEN btrim(v_raw, E' \t\r\n\u3000')
        WHEN 'address' THEN regexp_replace(btrim(normalize(v_raw, NFKC)), '\s+', ' ', 'g')
        WHEN 'phone' THEN regexp_replace(regexp_replace(regexp_replace(normalize(v_raw, NFKC),
                              '^\s*\+?86[- ]?', ''), '[\s().（）-]+', '-', 'g'), '^-+|-+$', '', 'g')
        ELSE v_raw END;
    IF p_type = 'phone' THEN
        -- 025-8345-6789 -> 025-83456789; 13812345678 stays
        value := regexp_replace(value, '^(0[0-9]{2,3})-([0-9]{3,4})-([0-9]{4})$', '\1-\2\3');
        value := regexp_replace(value, '^(1[0-9]{2})-([0-9]{4})-([0-9]{4})$', '\1\2\3');
    ELSIF p_type = 'date' THEN
        value := to_char(supervision.parse_date(v_raw), 'YYYY-MM-DD');
        IF value IS NULL THEN
            error := format('"%s" is not a date (expected YYYY-MM-DD, YYYY/M/D, YYYY年M月D日 or YYYYMMDD)', v_raw);
            RETURN;
        END IF;
    ELSIF p_type = 'timestamp' THEN
        value := to_char(supervision.parse_timestamp(v_raw) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
        IF value IS NULL THEN
            error := format('"%s" is not a time (expected ISO 8601 or YYYY-MM-DD HH:MI[:SS])', v_raw);
            RETURN;
        END IF;
    ELSIF p_type = 'number' THEN
        IF btrim(v_raw) !~ '^[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})$' THEN
            error := format('"%s" is not a number', v_raw);
            value := NULL;
            RETURN;
        END IF;
        v_num := btrim(v_raw)::numeric;
        value := v_num::text;
    END IF;
    IF value = '' THEN
        value := NULL;
    END IF;
    IF value IS DISTINCT FROM v_raw THEN
        rule := 'clean_' || p_type;
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.dq_clean(text, integer, jsonb) IS
    'Cleans one incoming value by its field type; returns the value, the cleaning rule when it changed, or an error when unreadable';

-- Checks one rule against a cleaned row (field -> text); NULL when it passes.
CREATE FUNCTION supervision.dq_rule_fails(r supervision.dq_rule, p_row jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v text := p_row ->> r.field;
    o text;
BEGIN
    IF r.check_type = 'required' THEN
        RETURN CASE WHEN v IS NULL THEN r.message END;
    END IF;
    IF v IS NULL THEN
        RETURN NULL;                      -- other rules apply to values that are there
    END IF;
    CASE r.check_type
    WHEN 'uscc' THEN
        IF NOT supervision.uscc_valid(v) THEN
            RETURN r.message || ': ' || supervision.uscc_invalid_reason(v);
        END IF;
    WHEN 'id_number' THEN
        IF NOT supervision.id_card_valid(v) THEN RETURN r.message; END IF;
    WHEN 'org_code_or_uscc' THEN
        IF NOT (supervision.uscc_valid(v) OR supervision.id_card_valid(v) OR supervision.org_code_valid(v)) THEN
            RETURN r.message;
        END IF;
    WHEN 'division' THEN
        IF NOT EXISTS (SELECT 1 FROM supervision.division d WHERE d.code = v) THEN RETURN r.message; END IF;
    WHEN 'department' THEN
        IF NOT EXISTS (SELECT 1 FROM supervision.department d WHERE d.code = v) THEN RETURN r.message; END IF;
    WHEN 'agency' THEN
        IF NOT EXISTS (SELECT 1 FROM supervision.agency a WHERE a.uscc = v) THEN RETURN r.message; END IF;
    WHEN 'catalog_item' THEN
        IF NOT EXISTS (SELECT 1 FROM supervision.catalog_item c WHERE c.code = v) THEN RETURN r.message; END IF;
    WHEN 'enum' THEN
        IF NOT (r.params -> 'values') ? v THEN
            RETURN r.message || ': expected one of ' || (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(r.params -> 'values') x);
        END IF;
    WHEN 'regex' THEN
        IF v !~ (r.params ->> 'pattern') THEN RETURN r.message; END IF;
    WHEN 'range' THEN
        IF v::numeric < (r.params ->> 'min')::numeric OR v::numeric > (r.params ->> 'max')::numeric THEN
            RETURN r.message || format(' (%s to %s)', r.params ->> 'min', r.params ->> 'max');
        END IF;
    WHEN 'not_future' THEN
        IF (CASE WHEN v ~ 'T' THEN v::timestamptz > now() + interval '1 day' ELSE v::date > current_date + 1 END) THEN
            RETURN r.message;
        END IF;
    WHEN 'law_citation' THEN
        -- {} lists the citations of the wrong form; {"known": true} the well-formed ones the knowledge base lacks
        SELECT string_agg(format('[%s] %s', e.n, left(e.c::text, 200)), '; ' ORDER BY e.n) INTO o
          FROM jsonb_array_elements(v::jsonb) WITH ORDINALITY e(c, n)
          CROSS JOIN LATERAL (SELECT jsonb_typeof(e.c) = 'object'
                                     AND jsonb_typeof(e.c -> 'law') IS NOT DISTINCT FROM 'string' AND btrim(e.c ->> 'law') <> ''
                                     AND (NOT e.c ? 'article' OR (jsonb_typeof(e.c -> 'article') IN ('string', 'number')
                                                                  AND supervision.article_key(e.c ->> 'article') IS NOT NULL))
                                     AND NOT EXISTS (SELECT 1 FROM jsonb_object_keys(e.c) k WHERE k NOT IN ('law', 'article', 'text'))
                                     AS well_formed) f
         WHERE CASE WHEN coalesce((r.params ->> 'known')::boolean, false)
                    THEN f.well_formed AND (SELECT x.law_id IS NULL OR (x.article_id IS NULL AND e.c ? 'article')
                                              FROM supervision.law_resolve(e.c ->> 'law', e.c ->> 'article') x)
                    ELSE NOT f.well_formed END;
        IF o IS NOT NULL THEN
            RETURN r.message || ': ' || o;
        END IF;
    WHEN 'after' THEN
        o := p_row ->> (r.params ->> 'field');
        IF o IS NOT NULL AND (CASE WHEN v ~ 'T' THEN v::timestamptz <= o::timestamptz ELSE v::date < o::date END) THEN
            RETURN r.message;
        END IF;
    END CASE;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION supervision.dq_rule_fails(supervision.dq_rule, jsonb) IS
    'The message of a validation rule that a cleaned row breaks, or NULL when it passes';

ALTER TABLE supervision.behaviour ADD COLUMN deleted boolean NOT NULL DEFAULT false;
ALTER TABLE supervision.credit_record ADD COLUMN deleted boolean NOT NULL DEFAULT false;
ALTER TABLE supervision.internet_info ADD COLUMN deleted boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN supervision.behaviour.deleted IS 'The source withdrew the row (operation d); kept, never removed';
COMMENT ON COLUMN supervision.behaviour.legal_basis IS
    'Laws and articles the behaviour applied, as sent: [{"law": name or short name, "article": "第X条", "text": ...}]';
COMMENT ON COLUMN supervision.behaviour.legal_articles IS
    'The cited articles the knowledge base has (law_article ids, in citation order): resolved at ingestion and again by law_relink() after the knowledge base changes; behaviour_citation resolves them live';

-- After the knowledge base changes: behaviour points at the articles it cites as the knowledge base is now.
CREATE FUNCTION supervision.law_relink() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_count bigint;
BEGIN
    UPDATE supervision.behaviour b SET legal_articles = x.articles, updated_at = now()
      FROM (SELECT id, supervision.law_articles_of(legal_basis) AS articles
              FROM supervision.behaviour WHERE legal_basis <> '[]') x
     WHERE b.id = x.id AND b.legal_articles IS DISTINCT FROM x.articles;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION supervision.law_relink() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.law_relink() TO supervision_admin;
COMMENT ON FUNCTION supervision.law_relink() IS
    'Re-resolves the citations of every behaviour against the knowledge base as it is now (after laws or articles were added or renumbered); returns how many behaviour rows changed. Administrators only.';

-- Which behaviour cites which articles, resolved against the knowledge base as it is now.
CREATE VIEW supervision.behaviour_citation WITH (security_invoker = true) AS
    SELECT b.id AS behaviour_id, b.kind, b.behaviour_no, c.n AS basis_no, c.e ->> 'law' AS law_name,
           c.e ->> 'article' AS article_no, r.law_id, r.article_id
      FROM supervision.behaviour b
      CROSS JOIN LATERAL jsonb_array_elements(b.legal_basis) WITH ORDINALITY c(e, n)
      CROSS JOIN LATERAL supervision.law_resolve(c.e ->> 'law', c.e ->> 'article') r
     WHERE NOT b.deleted;
COMMENT ON VIEW supervision.behaviour_citation IS
    'Legal basis of each (not withdrawn) behaviour resolved against the knowledge base as it is now (law_id / article_id NULL when not found there)';

-- Runs the pipeline on one incoming row: fields known, values mapped
-- (dq_code_map), cleaned and typed (dq_field), then validated (dq_rule).
CREATE FUNCTION supervision.dq_process(p_kind text, p_source text, p_payload jsonb,
    OUT cleaned jsonb, OUT cleaning jsonb, OUT reasons jsonb, OUT warnings jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    v_fields jsonb;
    v_map    jsonb;
    c   record;
    r   supervision.dq_rule;
    k   text;
    v   jsonb;
    f   jsonb;
    msg text;
    v_unreadable text[] := '{}';
BEGIN
    cleaned := '{}'; cleaning := '{}'; reasons := '[]'; warnings := '[]';
    IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
        reasons := jsonb_build_array(jsonb_build_object('field', NULL, 'rule', 'json_object',
                       'message', format('the row is %s, not a JSON object', coalesce(supervision.dq_json_kind(p_payload), 'a null'))));
        RETURN;
    END IF;
    -- the kind's fields and the source's mappings, read once per row
    SELECT jsonb_object_agg(d.field, jsonb_build_array(d.type, d.max_length)) INTO v_fields
      FROM supervision.dq_field d WHERE d.kind = p_kind;
    SELECT jsonb_object_agg(m.field || chr(31) || m.local_value, m.standard_value) INTO v_map
      FROM supervision.dq_code_map m WHERE m.source_code = p_source AND m.kind = p_kind;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(p_payload) e ORDER BY e.key LOOP
        f := v_fields -> k;
        IF f IS NULL THEN
            reasons := reasons || jsonb_build_object('field', k, 'rule', 'unknown_field',
                           'message', format('field %s is not a field of a %s row', k, p_kind),
                           'value', left(v #>> '{}', 200));
            CONTINUE;
        END IF;
        -- standardisation: the source's local value -> the provincial one
        IF v_map IS NOT NULL AND jsonb_typeof(v) IN ('string', 'number') AND v_map ? (k || chr(31) || (v #>> '{}')) THEN
            cleaning := cleaning || jsonb_build_object(k, jsonb_build_object('from', v, 'rule', 'code_map'));
            v := v_map -> (k || chr(31) || (v #>> '{}'));
        END IF;
        c := supervision.dq_clean(f ->> 0, (f ->> 1)::int, v);
        IF c.error IS NOT NULL THEN
            reasons := reasons || jsonb_build_object('field', k, 'rule', 'type',
                           'message', format('field %s: %s', k, CASE WHEN f ->> 0 = 'phone' OR k = 'id_number'
                                                                      THEN 'not readable' ELSE c.error END),
                           'value', CASE WHEN f ->> 0 = 'phone' OR k = 'id_number' THEN NULL ELSE left(v #>> '{}', 200) END);
            v_unreadable := v_unreadable || k;
            CONTINUE;
        END IF;
        IF c.value IS NOT NULL THEN
            cleaned := cleaned || jsonb_build_object(k, c.value);
        END IF;
        IF c.rule IS NOT NULL AND NOT cleaning ? k THEN
            cleaning := cleaning || jsonb_build_object(k, jsonb_build_object('from', v, 'rule', c.rule));
        END IF;
    END LOOP;
    IF p_kind = 'subject' AND (cleaned ? 'lon') <> (cleaned ? 'lat') THEN
        reasons := reasons || jsonb_build_object('field', CASE WHEN cleaned ? 'lon' THEN 'lat' ELSE 'lon' END,
                       'rule', 'required', 'message', 'a location needs both lon and lat');
    END IF;
    FOR r IN SELECT * FROM supervision.dq_rule d WHERE d.kind = p_kind AND d.active ORDER BY d.field, d.id LOOP
        CONTINUE WHEN r.field = ANY (v_unreadable);          -- unreadable already
        msg := supervision.dq_rule_fails(r, cleaned);
        IF msg IS NOT NULL THEN
            IF r.severity = 'reject' THEN
                reasons := reasons || jsonb_build_object('field', r.field, 'rule', r.check_type, 'rule_id', r.id,
                               'message', format('field %s: %s', r.field, msg),
                               'value', CASE WHEN r.field IN ('phone', 'id_number') THEN NULL ELSE cleaned ->> r.field END);
            ELSE
                warnings := warnings || jsonb_build_object('field', r.field, 'rule', r.check_type, 'rule_id', r.id,
                               'message', format('field %s: %s', r.field, msg),
                               'value', CASE WHEN r.field IN ('phone', 'id_number') THEN NULL ELSE cleaned ->> r.field END);
            END IF;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION supervision.dq_process(text, text, jsonb) IS
    'The pipeline on one row: unknown fields, mapping (dq_code_map), cleaning and types (dq_field), validation (dq_rule); returns the cleaned row, what cleaning changed, the reasons to reject and the warnings';

---------------------------------------------------------------------------
-- Writing accepted rows into the libraries
---------------------------------------------------------------------------

-- Withdrawal (operation d): the record is marked, nothing else changes.
CREATE FUNCTION supervision.dc_withdraw(p_raw supervision.ingest_raw) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE v_id bigint;
BEGIN
    CASE p_raw.kind
    WHEN 'subject' THEN
        UPDATE supervision.subject_record SET deleted = true, raw_id = p_raw.id, batch_id = p_raw.batch_id, updated_at = now()
         WHERE source_code = p_raw.source_code AND source_key = p_raw.source_key RETURNING id INTO v_id;
    WHEN 'behaviour' THEN
        UPDATE supervision.behaviour SET deleted = true, raw_id = p_raw.id, updated_at = now()
         WHERE source_code = p_raw.source_code AND source_key = p_raw.source_key RETURNING id INTO v_id;
    WHEN 'credit' THEN
        UPDATE supervision.credit_record SET deleted = true, raw_id = p_raw.id, updated_at = now()
         WHERE source_code = p_raw.source_code AND source_key = p_raw.source_key RETURNING id INTO v_id;
    WHEN 'internet' THEN
        UPDATE supervision.internet_info SET deleted = true, raw_id = p_raw.id
         WHERE source_code = p_raw.source_code AND source_key = p_raw.source_key RETURNING id INTO v_id;
    WHEN 'inspector' THEN
        UPDATE supervision.inspector SET status = 'revoked', raw_id = p_raw.id, updated_at = now()
         WHERE certificate_no = p_raw.source_key AND source_code = p_raw.source_code RETURNING id INTO v_id;
    END CASE;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'no % with key % from source % to withdraw', p_raw.kind, p_raw.source_key, p_raw.source_code
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION supervision.dc_withdraw(supervision.ingest_raw) IS
    'Operation d: marks the record of this source and key withdrawn (inspectors: revoked); it is kept, and nothing else changes';

CREATE FUNCTION supervision.dc_write(p_raw supervision.ingest_raw, p_row jsonb, p_cleaning jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id      bigint;
    v_norm    text;
    v_core    text;
BEGIN
    CASE p_raw.kind
    WHEN 'subject' THEN
        v_norm := supervision.name_normalize(p_row ->> 'name');
        v_core := supervision.name_core(p_row ->> 'name');
        INSERT INTO supervision.subject_record AS s
            (source_code, source_key, raw_id, batch_id, deleted, kind, uscc, name, legal_representative, address,
             division_code, industry_code, phone, location, status, established_on, name_core, pinyin_key, name_bigrams,
             cleaning)
        VALUES (p_raw.source_code, p_raw.source_key, p_raw.id, p_raw.batch_id, false,
                p_row ->> 'kind', p_row ->> 'uscc', p_row ->> 'name',
                p_row ->> 'legal_representative', p_row ->> 'address', p_row ->> 'division_code',
                p_row ->> 'industry_code', p_row ->> 'phone',
                CASE WHEN p_row ? 'lon' AND p_row ? 'lat'
                     THEN ST_SetSRID(ST_MakePoint((p_row ->> 'lon')::float8, (p_row ->> 'lat')::float8), 4326) END,
                p_row ->> 'status', (p_row ->> 'established_on')::date,
                v_core, supervision.pinyin_key(v_core), supervision.text_bigrams(v_core), p_cleaning)
        ON CONFLICT (source_code, source_key) DO UPDATE SET
            raw_id = EXCLUDED.raw_id, batch_id = EXCLUDED.batch_id, deleted = EXCLUDED.deleted,
            kind = EXCLUDED.kind, uscc = EXCLUDED.uscc, name = EXCLUDED.name,
            legal_representative = EXCLUDED.legal_representative, address = EXCLUDED.address,
            division_code = EXCLUDED.division_code, industry_code = EXCLUDED.industry_code, phone = EXCLUDED.phone,
            location = EXCLUDED.location, status = EXCLUDED.status, established_on = EXCLUDED.established_on,
            name_core = EXCLUDED.name_core, pinyin_key = EXCLUDED.pinyin_key, name_bigrams = EXCLUDED.name_bigrams,
            cleaning = EXCLUDED.cleaning, updated_at = now()
        RETURNING s.id INTO v_id;
    WHEN 'inspector' THEN
        -- a source writes only its own department's inspectors, and never takes over another department's
        IF (p_row ->> 'department_code') IS DISTINCT FROM
           (SELECT ss.department_code FROM supervision.source_system ss WHERE ss.code = p_raw.source_code)
           OR EXISTS (SELECT 1 FROM supervision.inspector x WHERE x.certificate_no = p_row ->> 'certificate_no'
                       AND x.department_code <> p_row ->> 'department_code') THEN
            RAISE EXCEPTION 'inspector % does not belong to the department of source %', p_row ->> 'certificate_no', p_raw.source_code
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        INSERT INTO supervision.inspector AS i
            (certificate_no, name, id_number, phone, department_code, agency_uscc, division_code, specialties, status,
             certificate_valid_from, certificate_valid_to, source_code, raw_id)
        VALUES (p_row ->> 'certificate_no', p_row ->> 'name', p_row ->> 'id_number', p_row ->> 'phone',
                p_row ->> 'department_code', p_row ->> 'agency_uscc', p_row ->> 'division_code',
                coalesce((p_row ->> 'specialties')::text[], '{}'),
                coalesce(p_row ->> 'status', 'active'),
                (p_row ->> 'certificate_valid_from')::date, (p_row ->> 'certificate_valid_to')::date,
                p_raw.source_code, p_raw.id)
        ON CONFLICT (certificate_no) DO UPDATE SET
            name = EXCLUDED.name, id_number = EXCLUDED.id_number, phone = EXCLUDED.phone,
            department_code = EXCLUDED.department_code, agency_uscc = EXCLUDED.agency_uscc,
            division_code = EXCLUDED.division_code, specialties = EXCLUDED.specialties, status = EXCLUDED.status,
            certificate_valid_from = EXCLUDED.certificate_valid_from, certificate_valid_to = EXCLUDED.certificate_valid_to,
            source_code = EXCLUDED.source_code, raw_id = EXCLUDED.raw_id, updated_at = now()
        RETURNING i.id INTO v_id;
    WHEN 'behaviour' THEN
        INSERT INTO supervision.behaviour AS b
            (kind, behaviour_no, behaviour_name, catalog_item_code, implementation_code, agency_uscc, agency_name,
             entrusted_department, object_type, subject_id, counterpart_code, counterpart_name, address, division_code,
             check_form, check_class, check_method, result, check_time, inspectors, report_time, reporter,
             legal_basis, legal_articles, source_code, source_key, raw_id, deleted)
        VALUES (p_row ->> 'kind', p_row ->> 'behaviour_no', p_row ->> 'behaviour_name', p_row ->> 'catalog_item_code',
                p_row ->> 'implementation_code', p_row ->> 'agency_uscc', p_row ->> 'agency_name',
                p_row ->> 'entrusted_department', p_row ->> 'object_type',
                (SELECT s.id FROM supervision.subject s WHERE s.uscc = p_row ->> 'counterpart_code' LIMIT 1),
                p_row ->> 'counterpart_code', p_row ->> 'counterpart_name', p_row ->> 'address', p_row ->> 'division_code',
                p_row ->> 'check_form', p_row ->> 'check_class', p_row ->> 'check_method', p_row ->> 'result',
                (p_row ->> 'check_time')::timestamptz, coalesce((p_row ->> 'inspectors')::jsonb, '[]'),
                (p_row ->> 'report_time')::timestamptz, p_row ->> 'reporter',
                coalesce((p_row ->> 'legal_basis')::jsonb, '[]'),
                supervision.law_articles_of(coalesce((p_row ->> 'legal_basis')::jsonb, '[]')),
                p_raw.source_code, p_raw.source_key, p_raw.id, false)
        ON CONFLICT (source_code, source_key) DO UPDATE SET
            kind = EXCLUDED.kind, behaviour_no = EXCLUDED.behaviour_no, behaviour_name = EXCLUDED.behaviour_name,
            catalog_item_code = EXCLUDED.catalog_item_code, implementation_code = EXCLUDED.implementation_code,
            agency_uscc = EXCLUDED.agency_uscc, agency_name = EXCLUDED.agency_name,
            entrusted_department = EXCLUDED.entrusted_department, object_type = EXCLUDED.object_type,
            subject_id = EXCLUDED.subject_id, counterpart_code = EXCLUDED.counterpart_code,
            counterpart_name = EXCLUDED.counterpart_name, address = EXCLUDED.address,
            division_code = EXCLUDED.division_code, check_form = EXCLUDED.check_form,
            check_class = EXCLUDED.check_class, check_method = EXCLUDED.check_method, result = EXCLUDED.result,
            check_time = EXCLUDED.check_time, inspectors = EXCLUDED.inspectors, report_time = EXCLUDED.report_time,
            reporter = EXCLUDED.reporter, legal_basis = EXCLUDED.legal_basis, legal_articles = EXCLUDED.legal_articles,
            raw_id = EXCLUDED.raw_id, deleted = EXCLUDED.deleted, updated_at = now()
        RETURNING b.id INTO v_id;
    WHEN 'credit' THEN
        INSERT INTO supervision.credit_record AS c
            (subject_id, counterpart_code, counterpart_name, kind, reason, authority, listed_on, removed_on,
             source_code, source_key, raw_id, deleted)
        VALUES ((SELECT s.id FROM supervision.subject s WHERE s.uscc = p_row ->> 'counterpart_code' LIMIT 1),
                p_row ->> 'counterpart_code', p_row ->> 'counterpart_name', p_row ->> 'kind', p_row ->> 'reason',
                p_row ->> 'authority', (p_row ->> 'listed_on')::date, (p_row ->> 'removed_on')::date,
                p_raw.source_code, p_raw.source_key, p_raw.id, false)
        ON CONFLICT (source_code, source_key) DO UPDATE SET
            subject_id = EXCLUDED.subject_id, counterpart_code = EXCLUDED.counterpart_code,
            counterpart_name = EXCLUDED.counterpart_name, kind = EXCLUDED.kind, reason = EXCLUDED.reason,
            authority = EXCLUDED.authority, listed_on = EXCLUDED.listed_on, removed_on = EXCLUDED.removed_on,
            raw_id = EXCLUDED.raw_id, deleted = EXCLUDED.deleted, updated_at = now()
        RETURNING c.id INTO v_id;
    WHEN 'internet' THEN
        INSERT INTO supervision.internet_info AS n
            (counterpart_name, channel, url, title, content, published_at, category, sentiment,
             source_code, source_key, raw_id, deleted)
        VALUES (p_row ->> 'counterpart_name', p_row ->> 'channel', p_row ->> 'url', p_row ->> 'title',
                p_row ->> 'content', (p_row ->> 'published_at')::timestamptz, p_row ->> 'category',
                (p_row ->> 'sentiment')::smallint, p_raw.source_code, p_raw.source_key, p_raw.id, false)
        ON CONFLICT (source_code, source_key) DO UPDATE SET
            counterpart_name = EXCLUDED.counterpart_name, channel = EXCLUDED.channel, url = EXCLUDED.url,
            title = EXCLUDED.title, content = EXCLUDED.content, published_at = EXCLUDED.published_at,
            category = EXCLUDED.category, sentiment = EXCLUDED.sentiment, raw_id = EXCLUDED.raw_id,
            deleted = EXCLUDED.deleted
        RETURNING n.id INTO v_id;
    END CASE;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION supervision.dc_write(supervision.ingest_raw, jsonb, jsonb) IS
    'Writes an accepted, cleaned row into its library (upsert by source + source key; a row sent again after a withdrawal is live again)';

---------------------------------------------------------------------------
-- Ingestion: one pipeline, three ways in
---------------------------------------------------------------------------

-- May the acting user send data for this source?
CREATE FUNCTION supervision.ingest_check_source(p_source text, p_kind text) RETURNS supervision.source_system
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE s supervision.source_system;
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('subject', 'inspector', 'behaviour', 'credit', 'internet') THEN
        RAISE EXCEPTION 'unknown kind of data "%"', p_kind
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Kinds: subject, inspector, behaviour, credit, internet.';
    END IF;
    SELECT * INTO s FROM supervision.source_system WHERE code = p_source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown source system "%"', p_source
            USING ERRCODE = 'foreign_key_violation', HINT = 'Sources are registered in supervision.source_system.';
    END IF;
    IF NOT supervision.actor_is_admin() AND s.department_code IS DISTINCT FROM supervision.actor_department() THEN
        RAISE EXCEPTION 'role "%" may not send data for source %', supervision.actor_role(), p_source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The source belongs to department %s; the acting user''s is %s.',
                                  coalesce(s.department_code, 'none'), coalesce(supervision.actor_department(), 'none'));
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION supervision.ingest_check_source(text, text) IS
    'The source system, when the acting user may send data of this kind for it (its department, or an administrator); else an error';

-- Processes one raw row through the pipeline and records its outcome.
CREATE FUNCTION supervision.ingest_process_raw(p_raw supervision.ingest_raw) RETURNS supervision.ingest_outcome
LANGUAGE plpgsql AS $$
DECLARE
    o      supervision.ingest_outcome;
    p      record;
    v_prev bigint;
BEGIN
    o.raw_id := p_raw.id; o.reasons := '[]'; o.warnings := '[]'; o.processed_at := now();
    IF p_raw.payload_text IS NOT NULL THEN
        o.status := 'rejected';
        o.reasons := jsonb_build_array(jsonb_build_object('field', NULL, 'rule', 'json',
                         'message', 'the row is not valid JSON', 'value', left(p_raw.payload_text, 200)));
    ELSIF p_raw.source_key IS NULL OR btrim(p_raw.source_key) = '' OR length(p_raw.source_key) > 200 THEN
        o.status := 'rejected';
        o.reasons := jsonb_build_array(jsonb_build_object('field', 'source_key', 'rule', 'required',
                         'message', 'every row needs its key in the source system (at most 200 characters)'));
    ELSIF coalesce(p_raw.op, 'i') NOT IN ('i', 'u', 'd') THEN
        o.status := 'rejected';
        o.reasons := jsonb_build_array(jsonb_build_object('field', 'op', 'rule', 'enum',
                         'message', 'the operation is i (insert), u (update) or d (delete)', 'value', p_raw.op));
    ELSE
        -- the same row sent again (same source, key, operation and content) changes nothing
        SELECT r.id INTO v_prev
          FROM supervision.ingest_raw r JOIN supervision.ingest_outcome x ON x.raw_id = r.id
         WHERE r.source_code = p_raw.source_code AND r.kind = p_raw.kind AND r.source_key = p_raw.source_key
           AND r.id < p_raw.id AND x.status = 'accepted'
         ORDER BY r.id DESC LIMIT 1;
        IF v_prev IS NOT NULL AND (SELECT r.payload_hash = p_raw.payload_hash AND coalesce(r.op, 'i') = coalesce(p_raw.op, 'i')
                                     FROM supervision.ingest_raw r WHERE r.id = v_prev) THEN
            o.status := 'duplicate';
            o.record_id := (SELECT x.record_id FROM supervision.ingest_outcome x WHERE x.raw_id = v_prev);
            o.warnings := jsonb_build_array(jsonb_build_object('rule', 'duplicate',
                              'message', format('identical to row %s, already accepted', v_prev)));
        ELSIF coalesce(p_raw.op, 'i') = 'd' THEN
            BEGIN
                o.record_id := supervision.dc_withdraw(p_raw);
                o.status := 'accepted';
            EXCEPTION WHEN OTHERS THEN
                o.status := 'rejected';
                o.reasons := jsonb_build_array(jsonb_build_object('field', 'source_key', 'rule', 'withdraw',
                                 'message', SQLERRM, 'sqlstate', SQLSTATE));
            END;
        ELSE
            -- whatever goes wrong with one row (a rule that does not fit its data, a constraint) is that
            -- row's reason; the batch goes on
            BEGIN
                p := supervision.dq_process(p_raw.kind, p_raw.source_code, p_raw.payload);
                o.warnings := p.warnings;
                IF jsonb_array_length(p.reasons) > 0 THEN
                    o.status := 'rejected';
                    o.reasons := p.reasons;
                ELSE
                    o.record_id := supervision.dc_write(p_raw, p.cleaned, p.cleaning);
                    o.status := 'accepted';
                    o.fields := ARRAY(SELECT jsonb_object_keys(p.cleaned) ORDER BY 1);
                    o.cleaned := (SELECT jsonb_object_agg(e.key, e.value ->> 'rule') FROM jsonb_each(p.cleaning) e);
                END IF;
            EXCEPTION WHEN OTHERS THEN
                o.status := 'rejected';
                o.record_id := NULL;
                o.reasons := o.reasons || jsonb_build_array(jsonb_build_object('field', NULL, 'rule', 'error',
                                 'message', SQLERRM, 'sqlstate', SQLSTATE));
            END;
        END IF;
    END IF;
    INSERT INTO supervision.ingest_outcome VALUES (o.*);
    RETURN o;
END
$$;
COMMENT ON FUNCTION supervision.ingest_process_raw(supervision.ingest_raw) IS
    'Runs one raw row through the pipeline and records its outcome (accepted, rejected with every reason, or duplicate)';

-- The batch a source is sending, opened when missing.
CREATE FUNCTION supervision.ingest_batch_open(p_source text, p_kind text, p_batch_no text, p_channel text)
RETURNS supervision.ingest_batch
LANGUAGE plpgsql AS $$
DECLARE b supervision.ingest_batch;
BEGIN
    IF p_batch_no IS NULL OR p_batch_no !~ '^[0-9A-Za-z_.-]{1,64}$' THEN
        PERFORM supervision.field_error('batch_no', 'expected 1 to 64 letters, digits, dots, hyphens or underscores', p_batch_no);
    END IF;
    -- one session at a time per batch: a second one waits, then sees what the first did
    PERFORM pg_advisory_xact_lock(hashtextextended(p_source || '/' || p_kind || '/' || p_channel || '/' || p_batch_no, 731));
    SELECT * INTO b FROM supervision.ingest_batch
     WHERE source_code = p_source AND kind = p_kind AND channel = p_channel AND batch_no = p_batch_no;
    IF NOT FOUND THEN
        INSERT INTO supervision.ingest_batch (source_code, kind, batch_no, channel)
        VALUES (p_source, p_kind, p_batch_no, p_channel) RETURNING * INTO b;
    END IF;
    RETURN b;
END
$$;
COMMENT ON FUNCTION supervision.ingest_batch_open(text, text, text, text) IS
    'Finds or opens a batch, holding a lock on it until the end of the transaction';

-- Adds one raw row to a batch (as received) and processes it.
CREATE FUNCTION supervision.ingest_add_row(p_batch supervision.ingest_batch, p_row_no integer, p_source_key text,
                                           p_op text, p_payload_text text, p_payload jsonb)
RETURNS supervision.ingest_outcome
LANGUAGE plpgsql AS $$
DECLARE
    r supervision.ingest_raw;
    v_payload jsonb := p_payload;
    v_text text;
BEGIN
    IF v_payload IS NULL THEN
        BEGIN
            v_payload := p_payload_text::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            v_payload := 'null';
            v_text := p_payload_text;
        END;
    END IF;
    INSERT INTO supervision.ingest_raw (batch_id, row_no, source_code, kind, source_key, op, payload, payload_text, payload_hash)
    VALUES (p_batch.id, p_row_no, p_batch.source_code, p_batch.kind, p_source_key, p_op, v_payload, v_text,
            sha256(convert_to(coalesce(v_text, v_payload::text), 'UTF8')))
    RETURNING * INTO r;
    RETURN supervision.ingest_process_raw(r);
END
$$;
COMMENT ON FUNCTION supervision.ingest_add_row(supervision.ingest_batch, integer, text, text, text, jsonb) IS
    'Keeps one incoming row as received in its batch, then runs it through the pipeline';

CREATE FUNCTION supervision.ingest_batch_summary(p_batch_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object('batch_id', b.id, 'source', b.source_code, 'kind', b.kind, 'batch_no', b.batch_no,
               'channel', b.channel, 'status', b.status, 'rows', b.rows_total, 'accepted', b.rows_accepted,
               'rejected', b.rows_rejected, 'duplicate', b.rows_duplicate)
      FROM supervision.ingest_batch b WHERE b.id = p_batch_id;
END;
COMMENT ON FUNCTION supervision.ingest_batch_summary(bigint) IS 'Counts and status of a batch as JSON';

-- Bulk: processes the rows COPYed into the staging tables for one batch.
CREATE FUNCTION supervision.ingest_process(p_source text, p_kind text, p_batch_no text, p_link boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    b       supervision.ingest_batch;
    s       record;
    o       supervision.ingest_outcome;
    n       int := 0;
    v_acc   int := 0;
    v_rej   int := 0;
    v_dup   int := 0;
    v_stale int;
    v_links jsonb;
    v_decision text;
BEGIN
    PERFORM supervision.ingest_check_source(p_source, p_kind);
    b := supervision.ingest_batch_open(p_source, p_kind, p_batch_no, 'bulk');
    IF b.status = 'processed' THEN
        -- the same batch again: nothing changes; its staged copy is dropped
        DELETE FROM supervision.ingest_staging WHERE source_code = p_source AND kind = p_kind AND batch_no = p_batch_no;
        GET DIAGNOSTICS v_stale = ROW_COUNT;
        IF p_kind = 'subject' THEN
            DELETE FROM supervision.ingest_staging_subject WHERE source_code = p_source AND batch_no = p_batch_no;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_stale := v_stale + n;
        END IF;
        RETURN supervision.ingest_batch_summary(b.id) || jsonb_build_object('already_processed', true, 'resubmitted_rows', v_stale);
    END IF;
    n := 0;
    -- every staged row is kept, in the order it was staged (row_no when the sender numbered its rows);
    -- a row sent twice is kept twice and the second is marked a duplicate
    FOR s IN
        SELECT x.* FROM (
            SELECT st.row_no, st.staged_seq, 1 AS part, st.source_key, st.op, st.payload AS payload_text, NULL::jsonb AS payload
              FROM supervision.ingest_staging st
             WHERE st.source_code = p_source AND st.kind = p_kind AND st.batch_no = p_batch_no
            UNION ALL
            SELECT NULL, ss.staged_seq, 2, ss.source_key, ss.op, NULL,
                   jsonb_strip_nulls(to_jsonb(ss) - ARRAY['source_code', 'batch_no', 'source_key', 'op', 'staged_seq'])
              FROM supervision.ingest_staging_subject ss
             WHERE p_kind = 'subject' AND ss.source_code = p_source AND ss.batch_no = p_batch_no) x
         ORDER BY x.part, x.row_no NULLS LAST, x.staged_seq
    LOOP
        n := n + 1;
        o := supervision.ingest_add_row(b, n, s.source_key, s.op, s.payload_text, s.payload);
        CASE o.status WHEN 'accepted' THEN v_acc := v_acc + 1; WHEN 'rejected' THEN v_rej := v_rej + 1;
                      ELSE v_dup := v_dup + 1; END CASE;
        IF n % 1000 = 0 THEN
            PERFORM pg_catalog.pg_sleep(0);   -- a point to cancel at
        END IF;
    END LOOP;
    DELETE FROM supervision.ingest_staging WHERE source_code = p_source AND kind = p_kind AND batch_no = p_batch_no;
    IF p_kind = 'subject' THEN
        DELETE FROM supervision.ingest_staging_subject WHERE source_code = p_source AND batch_no = p_batch_no;
    END IF;
    UPDATE supervision.ingest_batch SET status = 'processed', processed_at = now(), rows_total = n,
           rows_accepted = v_acc, rows_rejected = v_rej, rows_duplicate = v_dup
     WHERE id = b.id;
    -- linking record by record, in row order, as single records are linked (dc_match_record);
    -- for large first loads dc_resolve, which compares all records at once, is faster and better
    IF p_link AND p_kind = 'subject' THEN
        v_links := '{}';
        FOR s IN SELECT lo.record_id FROM supervision.ingest_raw lr JOIN supervision.ingest_outcome lo ON lo.raw_id = lr.id
                  WHERE lr.batch_id = b.id AND lo.status = 'accepted' AND lo.record_id IS NOT NULL
                    AND lr.op IS DISTINCT FROM 'd'
                  ORDER BY lr.row_no LOOP
            v_decision := supervision.dc_link_safely(s.record_id) ->> 'decision';
            v_links := v_links || jsonb_build_object(v_decision, coalesce((v_links ->> v_decision)::int, 0) + 1);
        END LOOP;
        RETURN supervision.ingest_batch_summary(b.id) || jsonb_build_object('linked', v_links);
    END IF;
    RETURN supervision.ingest_batch_summary(b.id);
END
$$;
COMMENT ON FUNCTION supervision.ingest_process(text, text, text, boolean) IS
    'Bulk ingestion: processes the rows of one batch loaded into ingest_staging (or ingest_staging_subject); each row is kept as received, accepted or rejected with its reasons; the same batch twice changes nothing. p_link: subject records accepted are then linked one by one like single records (result key "linked": counts by decision); otherwise run dc_resolve.';

-- One record at a time. Problems with the call itself (unknown source or
-- kind, not allowed) are errors; problems with the record are kept with the
-- record and returned in the result.
CREATE FUNCTION supervision.ingest_record(p_kind text, p_source text, p_source_key text, p_payload jsonb,
                                          p_op text DEFAULT 'i', p_channel text DEFAULT 'record')
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    b supervision.ingest_batch;
    o supervision.ingest_outcome;
    v_row integer;
BEGIN
    PERFORM supervision.ingest_check_source(p_source, p_kind);
    IF p_channel NOT IN ('record', 'api') THEN
        PERFORM supervision.field_error('channel', 'expected record or api', p_channel);
    END IF;
    -- single records of a day form one open batch per source, kind and channel
    b := supervision.ingest_batch_open(p_source, p_kind,
             upper(left(p_channel, 1)) || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD'), p_channel);
    v_row := b.rows_total + 1;
    o := supervision.ingest_add_row(b, v_row, p_source_key, p_op, NULL, coalesce(p_payload, 'null'));
    UPDATE supervision.ingest_batch SET rows_total = v_row,
           rows_accepted = rows_accepted + (o.status = 'accepted')::int,
           rows_rejected = rows_rejected + (o.status = 'rejected')::int,
           rows_duplicate = rows_duplicate + (o.status = 'duplicate')::int
     WHERE id = b.id;
    RETURN jsonb_build_object('raw_id', o.raw_id, 'batch_id', b.id, 'status', o.status, 'record_id', o.record_id,
                              'reasons', o.reasons, 'warnings', o.warnings)
        || CASE WHEN p_kind = 'subject' AND o.status = 'accepted'
                THEN jsonb_build_object('match', supervision.dc_link_safely(o.record_id))   -- incremental linking
                ELSE '{}' END;
END
$$;
COMMENT ON FUNCTION supervision.ingest_record(text, text, text, jsonb, text, text) IS
    'Ingests one record (kind, source, key in the source, JSON payload, operation i/u/d): kept as received, cleaned, validated; returns status, reasons, warnings and the record id; an accepted subject is linked to its subject at once (incremental matching)';

---------------------------------------------------------------------------
-- Views that mask personal data
---------------------------------------------------------------------------

CREATE VIEW supervision.inspector_directory WITH (security_barrier) AS
    SELECT i.id, i.certificate_no, i.name,
           supervision.personal_data(i.id_number, 'id_number') AS id_number,
           supervision.personal_data(i.phone, 'phone') AS phone,
           i.department_code, i.agency_uscc, i.division_code, i.specialties, i.status,
           i.certificate_valid_from, i.certificate_valid_to
      FROM supervision.inspector i;
COMMENT ON VIEW supervision.inspector_directory IS
    'The inspector directory (执法检查人员名录库) for every officer: identity numbers and phones masked unless the reader is an administrator or auditor';

---------------------------------------------------------------------------
-- Row-level security, grants, audit
---------------------------------------------------------------------------

DO $$
DECLARE t text;
BEGIN
    -- reference data and rules: everybody reads, administrators write, changes audited
    FOREACH t IN ARRAY ARRAY['source_system', 'dq_field', 'dq_rule', 'dq_code_map', 'law', 'law_article'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY all_read ON supervision.%I FOR SELECT USING (true)', t);
        EXECUTE format('CREATE POLICY admin_write ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_officer, supervision_auditor', t);
        EXECUTE format('GRANT ALL ON supervision.%I TO supervision_admin', t);
        PERFORM supervision.audit_attach(format('supervision.%I', t)::regclass);
    END LOOP;
    -- data of the libraries: administrators and auditors see all; officers read (data is shared),
    -- writes go through the ingestion functions
    FOREACH t IN ARRAY ARRAY['ingest_batch', 'ingest_raw', 'ingest_outcome', 'subject', 'subject_record',
                             'inspector', 'behaviour', 'credit_record', 'internet_info'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY admin_all ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format('CREATE POLICY auditor_read ON supervision.%I FOR SELECT TO supervision_auditor USING (true)', t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON supervision.%I TO supervision_admin, supervision_auditor', t);
    END LOOP;
    -- staging: officers load rows for their department's sources
    FOREACH t IN ARRAY ARRAY['ingest_staging', 'ingest_staging_subject'] LOOP
        EXECUTE format('ALTER TABLE supervision.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY admin_all ON supervision.%I FOR ALL TO supervision_admin USING (true) WITH CHECK (true)', t);
        EXECUTE format($p$CREATE POLICY own_sources ON supervision.%I FOR ALL TO supervision_officer
                           USING (source_code IN (SELECT s.code FROM supervision.source_system s
                                                   WHERE s.department_code = (SELECT supervision.actor_department())))
                           WITH CHECK (source_code IN (SELECT s.code FROM supervision.source_system s
                                                   WHERE s.department_code = (SELECT supervision.actor_department())))$p$, t);
        EXECUTE format('REVOKE ALL ON supervision.%I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON supervision.%I TO supervision_officer, supervision_admin', t);
    END LOOP;
END
$$;

-- officers: the batches, raw rows and outcomes of their department's sources
CREATE POLICY officer_read ON supervision.ingest_batch FOR SELECT TO supervision_officer
    USING (source_code IN (SELECT s.code FROM supervision.source_system s
                            WHERE s.department_code = (SELECT supervision.actor_department())));
CREATE POLICY officer_read ON supervision.ingest_raw FOR SELECT TO supervision_officer
    USING (source_code IN (SELECT s.code FROM supervision.source_system s
                            WHERE s.department_code = (SELECT supervision.actor_department())));
CREATE POLICY officer_read ON supervision.ingest_outcome FOR SELECT TO supervision_officer
    USING (EXISTS (SELECT 1 FROM supervision.ingest_raw r WHERE r.id = raw_id));
-- officers see what became of their rows, not the payloads (which may hold personal data)
GRANT SELECT ON supervision.ingest_batch, supervision.ingest_outcome TO supervision_officer;
GRANT SELECT (id, batch_id, row_no, source_code, kind, source_key, op, payload_hash, received_at)
    ON supervision.ingest_raw TO supervision_officer;
-- officers: supervised objects, behaviour, credit and internet information are shared with every department
CREATE POLICY officer_read ON supervision.subject FOR SELECT TO supervision_officer USING (true);
CREATE POLICY officer_read ON supervision.subject_record FOR SELECT TO supervision_officer USING (true);
CREATE POLICY officer_read ON supervision.behaviour FOR SELECT TO supervision_officer USING (true);
CREATE POLICY officer_read ON supervision.credit_record FOR SELECT TO supervision_officer USING (true);
CREATE POLICY officer_read ON supervision.internet_info FOR SELECT TO supervision_officer USING (true);
GRANT SELECT ON supervision.behaviour, supervision.credit_record, supervision.internet_info TO supervision_officer;
-- phone numbers are personal data: officers read subjects without them (supervision_api.subject and the
-- lineage functions show them masked)
GRANT SELECT (id, kind, uscc, name, legal_representative, address, division_code, industry_code, location, status,
              established_on, name_core, pinyin_key, name_bigrams, lineage, record_count, created_at, updated_at)
    ON supervision.subject TO supervision_officer;
GRANT SELECT (id, source_code, source_key, raw_id, batch_id, deleted, kind, uscc, name, legal_representative, address,
              division_code, industry_code, location, status, established_on, name_core, pinyin_key, name_bigrams,
              entity_id, match_confidence, updated_at)
    ON supervision.subject_record TO supervision_officer;
-- inspectors: officers use the masked directory, not the table
REVOKE ALL ON supervision.inspector_directory, supervision.law_citation, supervision.behaviour_citation FROM PUBLIC;
GRANT SELECT ON supervision.inspector_directory, supervision.law_citation, supervision.behaviour_citation
    TO supervision_officer, supervision_auditor, supervision_admin;

SELECT supervision.audit_attach('supervision.ingest_batch');
SELECT supervision.audit_attach('supervision.inspector');

REVOKE ALL ON FUNCTION supervision.ingest_process(text, text, text, boolean),
    supervision.ingest_record(text, text, text, jsonb, text, text),
    supervision.dc_write(supervision.ingest_raw, jsonb, jsonb),
    supervision.ingest_process_raw(supervision.ingest_raw),
    supervision.ingest_add_row(supervision.ingest_batch, integer, text, text, text, jsonb),
    supervision.ingest_batch_open(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.ingest_process(text, text, text, boolean),
    supervision.ingest_record(text, text, text, jsonb, text, text)
    TO supervision_officer, supervision_admin;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['source_system', 'dq_code_map', 'law', 'law_article', 'ingest_batch', 'ingest_raw',
                             'ingest_outcome', 'subject', 'subject_record', 'inspector', 'behaviour', 'credit_record',
                             'internet_info'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(format('supervision.%I', t)::regclass, '');
    END LOOP;
    PERFORM pg_catalog.pg_extension_config_dump('supervision.dq_field', 'WHERE NOT builtin');
    PERFORM pg_catalog.pg_extension_config_dump('supervision.dq_rule', 'WHERE NOT builtin');
END
$$;

---------------------------------------------------------------------------
-- Linking records into subjects: resolution, review, decisions, golden records
---------------------------------------------------------------------------

ALTER TABLE supervision.subject ADD COLUMN merged_into bigint REFERENCES supervision.subject;
GRANT SELECT (merged_into) ON supervision.subject TO supervision_officer;
COMMENT ON COLUMN supervision.subject.merged_into IS
    'Set when resolution found this subject to be another one: its records moved there; the row stays so ids never dangle';

-- The engine's input: any table or view with these columns (see resolve_entities).
CREATE VIEW supervision.subject_record_input AS
    SELECT r.id::text AS id, r.name, r.uscc, r.address, r.division_code, r.legal_representative
      FROM supervision.subject_record r
     WHERE NOT r.deleted;
COMMENT ON VIEW supervision.subject_record_input IS
    'Subject records (not withdrawn) in the shape the matching engine reads: id, name, uscc, address, division_code, legal_representative';

-- Human decisions on pairs of records; they hold in every later run.
CREATE TABLE supervision.match_decision (
    record_a   bigint NOT NULL REFERENCES supervision.subject_record,
    record_b   bigint NOT NULL REFERENCES supervision.subject_record,
    same       boolean NOT NULL,
    note       text,
    decided_by text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);
COMMENT ON TABLE supervision.match_decision IS
    'Human decisions on two subject records: the same subject or not; every later resolution keeps them (must-link / cannot-link)';

CREATE VIEW supervision.match_decision_pairs AS
    SELECT d.record_a::text AS id_a, d.record_b::text AS id_b, d.same FROM supervision.match_decision d;
COMMENT ON VIEW supervision.match_decision_pairs IS 'Human decisions in the shape resolve_entities reads (id_a, id_b, same)';

-- The review queue: pairs the model could not decide.
CREATE TABLE supervision.match_review (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_a    bigint NOT NULL REFERENCES supervision.subject_record,
    record_b    bigint NOT NULL REFERENCES supervision.subject_record,
    score       float8 NOT NULL,
    probability float8 NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided', 'obsolete')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    UNIQUE (record_a, record_b),
    CHECK (record_a < record_b)
);
CREATE INDEX ON supervision.match_review (status);
COMMENT ON TABLE supervision.match_review IS
    'Review queue: record pairs whose match score fell between the model''s thresholds, waiting for a human decision (supervision.match_decide)';

-- The default model's thresholds (log2 likelihood ratio).
CREATE FUNCTION supervision.dc_thresholds(OUT model_id bigint, OUT upper float8, OUT lower float8)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE 'SELECT id, upper, lower FROM supervision.match_model WHERE is_default ORDER BY id DESC LIMIT 1'
       INTO model_id, upper, lower;
    IF model_id IS NULL THEN
        RAISE EXCEPTION 'no default matching model' USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Train one with supervision.match_train() and mark it is_default.';
    END IF;
END
$$;
COMMENT ON FUNCTION supervision.dc_thresholds() IS 'The default matching model and its match / non-match thresholds';

-- Golden records: for each field the value of the best record of the subject:
-- the most trusted source, then the most recent batch, then the most complete
-- record; lineage names the record, source, batch, raw row and the rule.
CREATE FUNCTION supervision.dc_golden(p_subjects bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    WITH rec AS (
        SELECT r.*, s.trust, raw.received_at, b.batch_no,
               num_nonnulls(r.uscc, r.legal_representative, r.address, r.division_code, r.industry_code, r.phone,
                            r.location, r.established_on) AS completeness
          FROM supervision.subject_record r
          JOIN supervision.source_system s ON s.code = r.source_code
          JOIN supervision.ingest_batch b ON b.id = r.batch_id
          JOIN supervision.ingest_raw raw ON raw.id = r.raw_id        -- recency: when the row itself arrived
         WHERE r.entity_id = ANY (p_subjects) AND NOT r.deleted
    ), vals AS (
        SELECT rec.entity_id, f.key AS field, f.value, rec.id, rec.source_code, rec.batch_id, rec.batch_no, rec.raw_id,
               rec.trust, rec.received_at, rec.completeness, rec.cleaning -> f.key AS cleaning
          FROM rec, jsonb_each(jsonb_build_object(
                   'kind', rec.kind, 'uscc', rec.uscc, 'name', rec.name, 'legal_representative', rec.legal_representative,
                   'address', rec.address, 'division_code', rec.division_code, 'industry_code', rec.industry_code,
                   'phone', rec.phone, 'location', rec.location::text, 'status', rec.status,
                   'established_on', rec.established_on)) f
         WHERE jsonb_typeof(f.value) <> 'null'
           -- a value the golden record's constraints refuse (e.g. accepted while a rule was switched off) is skipped
           AND (f.key <> 'division_code' OR EXISTS (SELECT 1 FROM supervision.division d WHERE d.code = f.value #>> '{}'))
           AND (f.key <> 'uscc' OR supervision.uscc_valid(f.value #>> '{}'))
           AND (f.key <> 'industry_code' OR (f.value #>> '{}') ~ '^[A-T]([0-9]{2}([0-9]{1,2})?)?$')
           AND (f.key <> 'kind' OR (f.value #>> '{}') IN ('enterprise', 'individual_business', 'institution',
                    'social_organisation', 'farmers_cooperative', 'product', 'project', 'other'))
           AND (f.key <> 'status' OR (f.value #>> '{}') IN ('active', 'cancelled', 'revoked', 'moved', 'unknown'))
    ), ranked AS (
        SELECT v.*,
               row_number() OVER w AS rn,
               lead(v.trust) OVER w AS next_trust, lead(v.received_at) OVER w AS next_received,
               lead(v.completeness) OVER w AS next_completeness
          FROM vals v
        WINDOW w AS (PARTITION BY v.entity_id, v.field ORDER BY v.trust DESC, v.received_at DESC, v.completeness DESC, v.id)
    ), golden AS (
        SELECT entity_id, jsonb_object_agg(field, value) AS g,
               jsonb_object_agg(field, jsonb_build_object('record_id', id, 'source', source_code, 'batch_id', batch_id,
                   'batch_no', batch_no, 'raw_id', raw_id,
                   'rule', CASE WHEN next_trust IS NULL THEN 'only_value'
                                WHEN trust > next_trust THEN 'trusted_source'
                                WHEN received_at > next_received THEN 'recency'
                                WHEN completeness > next_completeness THEN 'completeness'
                                ELSE 'lowest_record_id' END,
                   'cleaning', cleaning)) AS lineage
          FROM ranked WHERE rn = 1 GROUP BY entity_id
    )
    UPDATE supervision.subject s SET
        kind = coalesce(g.g ->> 'kind', 'enterprise'), uscc = g.g ->> 'uscc', name = g.g ->> 'name',
        legal_representative = g.g ->> 'legal_representative', address = g.g ->> 'address',
        division_code = g.g ->> 'division_code', industry_code = g.g ->> 'industry_code', phone = g.g ->> 'phone',
        location = (g.g ->> 'location')::geometry, status = coalesce(g.g ->> 'status', 'active'),
        established_on = (g.g ->> 'established_on')::date,
        name_core = supervision.name_core(g.g ->> 'name'),
        pinyin_key = supervision.pinyin_key(supervision.name_core(g.g ->> 'name')),
        name_bigrams = supervision.text_bigrams(supervision.name_core(g.g ->> 'name')),
        lineage = g.lineage,
        record_count = (SELECT count(*) FROM supervision.subject_record r WHERE r.entity_id = s.id AND NOT r.deleted),
        merged_into = NULL, updated_at = now()
      FROM golden g
     WHERE s.id = g.entity_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- subjects left without records keep their last values, with no records
    UPDATE supervision.subject s SET record_count = 0, updated_at = now()
     WHERE s.id = ANY (p_subjects) AND s.record_count <> 0
       AND NOT EXISTS (SELECT 1 FROM supervision.subject_record r WHERE r.entity_id = s.id AND NOT r.deleted);
    RETURN n;
END
$$;
COMMENT ON FUNCTION supervision.dc_golden(bigint[]) IS
    'Rebuilds the golden records of subjects by survivorship (trusted source, then recency, then completeness) with per-field lineage';

-- A new subject for a record (its golden record is built by dc_golden).
CREATE FUNCTION supervision.dc_new_subject(p_record bigint) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO supervision.subject (name) SELECT r.name FROM supervision.subject_record r WHERE r.id = p_record
    RETURNING id;
$$;
COMMENT ON FUNCTION supervision.dc_new_subject(bigint) IS 'Opens a subject for a record that matches none';

-- Resolves every subject record again with the engine, keeping human decisions
-- and keeping subject ids stable: a cluster keeps the subject most of its
-- records already had; subjects that lose all their records point to where they went.
CREATE FUNCTION supervision.dc_resolve() RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t          record;
    v_started  timestamptz := clock_timestamp();
    v_records  bigint;
    v_clusters bigint;
    v_new      bigint;
    v_moved    bigint;
    v_review   bigint;
    v_subjects bigint[];
BEGIN
    IF NOT supervision.actor_is_admin() THEN
        RAISE EXCEPTION 'only an administrator may resolve all subjects' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('supervision.dc_resolve', 0));
    t := supervision.dc_thresholds();
    CREATE TEMP TABLE dc_res ON COMMIT DROP AS
        SELECT r.record_id::bigint AS record_id, r.entity_id AS cluster, r.confidence
          FROM supervision.resolve_entities('supervision.subject_record_input'::regclass, t.model_id,
                                            'supervision.match_decision_pairs'::regclass) r;
    SELECT count(*), count(DISTINCT cluster) INTO v_records, v_clusters FROM pg_temp.dc_res;
    -- each cluster keeps the subject most of its records had (a subject goes to one cluster only)
    CREATE TEMP TABLE dc_map ON COMMIT DROP AS
        WITH votes AS (
            SELECT d.cluster, r.entity_id AS subject_id, count(*) AS n
              FROM pg_temp.dc_res d JOIN supervision.subject_record r ON r.id = d.record_id
             WHERE r.entity_id IS NOT NULL GROUP BY 1, 2
        ), ranked AS (
            SELECT v.*, row_number() OVER (PARTITION BY v.subject_id ORDER BY v.n DESC, v.cluster) AS subject_rank
              FROM votes v
        )
        SELECT DISTINCT ON (cluster) cluster, subject_id FROM ranked WHERE subject_rank = 1
         ORDER BY cluster, n DESC, subject_id;
    -- clusters with no subject get new ones
    INSERT INTO pg_temp.dc_map (cluster, subject_id)
    SELECT c.cluster, supervision.dc_new_subject(c.first_record)
      FROM (SELECT d.cluster, min(d.record_id) AS first_record FROM pg_temp.dc_res d
             WHERE NOT EXISTS (SELECT 1 FROM pg_temp.dc_map m WHERE m.cluster = d.cluster) GROUP BY d.cluster) c;
    GET DIAGNOSTICS v_new = ROW_COUNT;
    -- subjects that will lose all their records, and where most of them go
    CREATE TEMP TABLE dc_merged ON COMMIT DROP AS
        SELECT DISTINCT ON (r.entity_id) r.entity_id AS old_subject, m.subject_id AS target
          FROM pg_temp.dc_res d JOIN pg_temp.dc_map m ON m.cluster = d.cluster JOIN supervision.subject_record r ON r.id = d.record_id
         WHERE r.entity_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_temp.dc_map x WHERE x.subject_id = r.entity_id)
         GROUP BY r.entity_id, m.subject_id
         ORDER BY r.entity_id, count(*) DESC, m.subject_id;
    -- move records whose subject changed
    WITH moved AS (
        UPDATE supervision.subject_record r SET entity_id = m.subject_id, match_confidence = d.confidence, updated_at = now()
          FROM pg_temp.dc_res d JOIN pg_temp.dc_map m ON m.cluster = d.cluster
         WHERE r.id = d.record_id
           AND (r.entity_id IS DISTINCT FROM m.subject_id OR r.match_confidence IS DISTINCT FROM d.confidence)
        RETURNING r.id
    ) SELECT count(*) INTO v_moved FROM moved;
    UPDATE supervision.subject s SET merged_into = g.target, record_count = 0, updated_at = now()
      FROM pg_temp.dc_merged g WHERE s.id = g.old_subject;
    SELECT array_agg(subject_id) INTO v_subjects FROM pg_temp.dc_map;
    PERFORM supervision.dc_golden(v_subjects);
    UPDATE supervision.subject s SET record_count = 0, updated_at = now()
     WHERE s.record_count <> 0 AND s.id <> ALL (v_subjects);
    -- the review band, minus pairs already decided
    UPDATE supervision.match_review SET status = 'obsolete', closed_at = now() WHERE status = 'open';
    INSERT INTO supervision.match_review AS q (record_a, record_b, score, probability)
    SELECT least(c.id_a::bigint, c.id_b::bigint), greatest(c.id_a::bigint, c.id_b::bigint), c.score, c.probability
      FROM supervision.match_candidates('supervision.subject_record_input'::regclass, t.model_id) c
     WHERE c.decision = 'review'
       AND NOT EXISTS (SELECT 1 FROM supervision.match_decision d
                        WHERE d.record_a = least(c.id_a::bigint, c.id_b::bigint) AND d.record_b = greatest(c.id_a::bigint, c.id_b::bigint))
    ON CONFLICT (record_a, record_b) DO UPDATE SET score = EXCLUDED.score, probability = EXCLUDED.probability,
        status = 'open', closed_at = NULL
    WHERE q.status <> 'decided';
    SELECT count(*) INTO v_review FROM supervision.match_review WHERE status = 'open';
    DROP TABLE pg_temp.dc_res, pg_temp.dc_map, pg_temp.dc_merged;
    RETURN jsonb_build_object('records', v_records, 'subjects', v_clusters, 'new_subjects', v_new,
                              'records_moved', v_moved, 'review_open', v_review, 'model_id', t.model_id,
                              'seconds', round(extract(epoch FROM clock_timestamp() - v_started)::numeric, 3));
END
$$;
COMMENT ON FUNCTION supervision.dc_resolve() IS
    'Resolves all subject records with the matching engine (human decisions kept), keeps subject ids stable, rebuilds golden records and refreshes the review queue';

-- Incremental: one record against the subjects that exist, without recomputing the rest.
CREATE FUNCTION supervision.dc_match_record(p_record bigint) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t      record;
    r      supervision.subject_record;
    best   record;
    forced record;
    v_sub  bigint;
    v_old  bigint;
    v_json jsonb;
    v_decision text;
BEGIN
    SELECT * INTO r FROM supervision.subject_record WHERE id = p_record;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no subject record has id %', p_record USING ERRCODE = 'no_data_found';
    END IF;
    v_old := r.entity_id;
    IF r.deleted THEN
        -- a withdrawn record keeps its subject (so a record sent again finds it); the golden record drops it
        IF v_old IS NOT NULL THEN PERFORM supervision.dc_golden(ARRAY[v_old]); END IF;
        RETURN jsonb_build_object('record_id', p_record, 'subject_id', v_old, 'decision', 'withdrawn');
    END IF;
    t := supervision.dc_thresholds();
    SELECT NULL::bigint AS entity_id, NULL::float8 AS score, NULL::bigint AS witness INTO best;
    v_json := jsonb_build_object('name', r.name, 'uscc', r.uscc, 'address', r.address,
                                 'division_code', r.division_code, 'legal_representative', r.legal_representative);
    -- human decisions first: a subject holding a record decided "the same" is chosen, unless another of its
    -- records was decided "not the same"
    SELECT x.entity_id INTO forced
      FROM supervision.match_decision d
      JOIN supervision.subject_record x ON x.id = CASE WHEN d.record_a = r.id THEN d.record_b ELSE d.record_a END
     WHERE (d.record_a = r.id OR d.record_b = r.id) AND d.same AND x.entity_id IS NOT NULL AND NOT x.deleted
       AND NOT EXISTS (SELECT 1 FROM supervision.match_decision n
                         JOIN supervision.subject_record y ON y.id = CASE WHEN n.record_a = r.id THEN n.record_b ELSE n.record_a END
                        WHERE (n.record_a = r.id OR n.record_b = r.id) AND NOT n.same AND y.entity_id = x.entity_id)
     ORDER BY x.entity_id LIMIT 1;
    IF forced.entity_id IS NOT NULL THEN
        v_sub := forced.entity_id;
        v_decision := 'match_by_decision';
    ELSE
        -- candidates sharing a blocking key, the strongest keys first, scored by the engine; a subject that holds a
        -- record decided "not the same" as this one is ruled out as a whole
        SELECT c.entity_id, max(supervision.match_score(v_json, jsonb_build_object('name', c.name, 'uscc', c.uscc,
                   'address', c.address, 'division_code', c.division_code,
                   'legal_representative', c.legal_representative), t.model_id)) AS score,
               min(c.id) AS witness
          INTO best
          FROM (SELECT DISTINCT ON (u.id) u.* FROM (
                    (SELECT x.* FROM supervision.subject_record x
                      WHERE r.uscc IS NOT NULL AND x.uscc = r.uscc AND x.id <> r.id AND NOT x.deleted AND x.entity_id IS NOT NULL
                      ORDER BY x.id LIMIT 100)
                    UNION ALL
                    (SELECT x.* FROM supervision.subject_record x
                      WHERE x.name_core = r.name_core AND x.id <> r.id AND NOT x.deleted AND x.entity_id IS NOT NULL
                      ORDER BY (x.division_code = r.division_code) DESC, x.id LIMIT 200)
                    UNION ALL
                    (SELECT x.* FROM supervision.subject_record x
                      WHERE x.pinyin_key = r.pinyin_key AND x.id <> r.id AND NOT x.deleted AND x.entity_id IS NOT NULL
                      ORDER BY (x.division_code = r.division_code) DESC, x.id LIMIT 200)
                    UNION ALL
                    (SELECT x.* FROM supervision.subject_record x
                      WHERE x.division_code = r.division_code AND x.name_bigrams && r.name_bigrams
                        AND x.id <> r.id AND NOT x.deleted AND x.entity_id IS NOT NULL
                      ORDER BY cardinality(ARRAY(SELECT unnest(x.name_bigrams) INTERSECT SELECT unnest(r.name_bigrams))) DESC, x.id
                      LIMIT 200)) u) c
         WHERE NOT EXISTS (SELECT 1 FROM supervision.match_decision n
                             JOIN supervision.subject_record y ON y.id = CASE WHEN n.record_a = r.id THEN n.record_b ELSE n.record_a END
                            WHERE (n.record_a = r.id OR n.record_b = r.id) AND NOT n.same AND y.entity_id = c.entity_id)
         GROUP BY c.entity_id
         ORDER BY 2 DESC NULLS LAST, 1
         LIMIT 1;
        IF best.entity_id IS NOT NULL AND best.score >= t.upper THEN
            v_sub := best.entity_id;
            v_decision := 'match';
        ELSE
            v_sub := CASE WHEN v_old IS NOT NULL AND NOT EXISTS (SELECT 1 FROM supervision.subject_record o
                                                                WHERE o.entity_id = v_old AND o.id <> r.id AND NOT o.deleted)
                          THEN v_old ELSE supervision.dc_new_subject(r.id) END;
            v_decision := CASE WHEN best.entity_id IS NOT NULL AND best.score >= t.lower THEN 'review' ELSE 'new' END;
            IF v_decision = 'review' THEN
                INSERT INTO supervision.match_review (record_a, record_b, score, probability)
                VALUES (least(r.id, best.witness), greatest(r.id, best.witness), best.score,
                        1 / (1 + power(2::float8, -least(best.score, 1000))))
                ON CONFLICT (record_a, record_b) DO NOTHING;
            END IF;
        END IF;
    END IF;
    UPDATE supervision.subject_record SET entity_id = v_sub,
           match_confidence = CASE WHEN v_decision = 'match' THEN 1 / (1 + power(2::float8, -least(best.score, 1000))) ELSE 1 END
     WHERE id = r.id;
    PERFORM supervision.dc_golden(array_remove(ARRAY[v_sub, v_old], NULL));
    RETURN jsonb_build_object('record_id', r.id, 'subject_id', v_sub, 'decision', v_decision,
                              'score', best.score, 'candidate_subject', best.entity_id);
END
$$;
COMMENT ON FUNCTION supervision.dc_match_record(bigint) IS
    'Incremental matching: links one subject record to the best existing subject (score at or above the model''s upper threshold), else opens a new subject; the uncertain band goes to the review queue';

-- Incremental linking from ingestion: a failure (e.g. no default model) leaves the record kept and unlinked.
CREATE FUNCTION supervision.dc_link_safely(p_record bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    RETURN supervision.dc_match_record(p_record);
EXCEPTION WHEN OTHERS THEN
    RETURN jsonb_build_object('record_id', p_record, 'decision', 'not_linked', 'error', SQLERRM, 'sqlstate', SQLSTATE);
END
$$;
COMMENT ON FUNCTION supervision.dc_link_safely(bigint) IS
    'Links a newly accepted record (dc_match_record); when linking fails the record stays kept and unlinked, and the error is returned';

-- A human decision on two records. It is kept for ever and applied at once.
CREATE FUNCTION supervision.match_decide(p_record_a bigint, p_record_b bigint, p_same boolean, p_note text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a supervision.subject_record;
    b supervision.subject_record;
    v_lo bigint := least(p_record_a, p_record_b);
    v_hi bigint := greatest(p_record_a, p_record_b);
    v_target bigint;
    v_split jsonb;
    v_conflict record;
BEGIN
    IF NOT (supervision.actor_is_admin() OR pg_has_role(supervision.actor_role(), 'supervision_officer', 'MEMBER')) THEN
        RAISE EXCEPTION 'role "%" may not decide matches', supervision.actor_role() USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_record_a IS NULL OR p_record_b IS NULL THEN
        PERFORM supervision.field_error(CASE WHEN p_record_a IS NULL THEN 'record_a' ELSE 'record_b' END,
                                        'two subject record ids are required', NULL, '23502');
    END IF;
    IF p_same IS NULL THEN
        PERFORM supervision.field_error('same', 'true (the same subject) or false (not the same) is required', NULL, '23502');
    END IF;
    IF v_lo = v_hi THEN
        PERFORM supervision.field_error('record_b', 'a record is always the same as itself', v_hi::text);
    END IF;
    SELECT * INTO a FROM supervision.subject_record WHERE id = v_lo;
    SELECT * INTO b FROM supervision.subject_record WHERE id = v_hi;
    IF a.id IS NULL OR b.id IS NULL THEN
        RAISE EXCEPTION 'no subject record has id %', CASE WHEN a.id IS NULL THEN v_lo ELSE v_hi END
            USING ERRCODE = 'no_data_found';
    END IF;
    -- an officer decides on records that come, at least one of them, from a source of their department
    IF NOT supervision.actor_is_admin() AND NOT EXISTS (
           SELECT 1 FROM supervision.source_system ss
            WHERE ss.code IN (a.source_code, b.source_code) AND ss.department_code = supervision.actor_department()) THEN
        RAISE EXCEPTION 'role "%" may not decide on records of other departments'' sources', supervision.actor_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The records come from %s and %s.', a.source_code, b.source_code);
    END IF;
    -- decisions must not contradict each other through the records they join
    IF p_same THEN
        SELECT d.record_a, d.record_b INTO v_conflict FROM supervision.match_decision d
          JOIN supervision.subject_record x ON x.id = d.record_a JOIN supervision.subject_record y ON y.id = d.record_b
         WHERE NOT d.same AND NOT (d.record_a = v_lo AND d.record_b = v_hi)
           AND ((x.id = v_lo OR x.entity_id IS NOT DISTINCT FROM a.entity_id AND a.entity_id IS NOT NULL)
                 AND (y.id = v_hi OR y.entity_id IS NOT DISTINCT FROM b.entity_id AND b.entity_id IS NOT NULL)
                OR (x.id = v_hi OR x.entity_id IS NOT DISTINCT FROM b.entity_id AND b.entity_id IS NOT NULL)
                 AND (y.id = v_lo OR y.entity_id IS NOT DISTINCT FROM a.entity_id AND a.entity_id IS NOT NULL))
         LIMIT 1;
    ELSE
        -- "not the same" contradicts a chain of "the same" decisions joining the two records
        WITH RECURSIVE reach(id) AS (
            SELECT v_lo
            UNION
            SELECT CASE WHEN d.record_a = r.id THEN d.record_b ELSE d.record_a END
              FROM reach r JOIN supervision.match_decision d ON d.same AND (d.record_a = r.id OR d.record_b = r.id)
        )
        SELECT v_lo AS record_a, v_hi AS record_b INTO v_conflict WHERE EXISTS (SELECT 1 FROM reach WHERE id = v_hi)
           AND NOT EXISTS (SELECT 1 FROM supervision.match_decision d WHERE d.record_a = v_lo AND d.record_b = v_hi AND d.same);
    END IF;
    IF v_conflict.record_a IS NOT NULL THEN
        RAISE EXCEPTION 'the decision contradicts earlier decisions'
            USING ERRCODE = 'check_violation',
                  DETAIL = CASE WHEN p_same
                      THEN format('Records %s and %s, which this decision would join, were decided not to be the same.',
                                  v_conflict.record_a, v_conflict.record_b)
                      ELSE format('Records %s and %s are joined by decisions that they are the same.', v_lo, v_hi) END,
                  HINT = 'Change the earlier decision first (match_decide on that pair).';
    END IF;
    INSERT INTO supervision.match_decision (record_a, record_b, same, note, decided_by)
    VALUES (v_lo, v_hi, p_same, p_note, supervision.actor_person())
    ON CONFLICT (record_a, record_b) DO UPDATE SET same = EXCLUDED.same, note = EXCLUDED.note,
        decided_by = EXCLUDED.decided_by, decided_at = now();
    UPDATE supervision.match_review SET status = 'decided', closed_at = now()
     WHERE record_a = v_lo AND record_b = v_hi AND status <> 'decided';
    IF p_same AND a.entity_id IS DISTINCT FROM b.entity_id THEN
        -- merge b's subject into a's
        v_target := coalesce(a.entity_id, b.entity_id);
        UPDATE supervision.subject_record SET entity_id = v_target, match_confidence = 1
         WHERE entity_id = b.entity_id OR id IN (v_lo, v_hi);
        UPDATE supervision.subject SET merged_into = v_target, record_count = 0, updated_at = now()
         WHERE id = b.entity_id AND id <> v_target;
        PERFORM supervision.dc_golden(ARRAY[v_target]);
    ELSIF NOT p_same AND a.entity_id = b.entity_id THEN
        -- split: resolve that subject's records again, under every decision
        v_split := supervision.dc_reresolve(a.entity_id);
    END IF;
    RETURN jsonb_build_object('record_a', v_lo, 'record_b', v_hi, 'same', p_same,
               'subject_a', (SELECT entity_id FROM supervision.subject_record WHERE id = v_lo),
               'subject_b', (SELECT entity_id FROM supervision.subject_record WHERE id = v_hi));
END
$$;
COMMENT ON FUNCTION supervision.match_decide(bigint, bigint, boolean, text) IS
    'Records a human decision on two subject records (the same or not), closes the review item and applies it: merging their subjects or splitting one; every later resolution keeps it';

-- Resolves the records of one subject again (after a "not the same" decision).
CREATE FUNCTION supervision.dc_reresolve(p_subject bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    c record;
    v_first boolean := true;
    v_sub bigint;
    v_subjects bigint[] := ARRAY[p_subject];
    -- work tables live in schema supervision, where callers cannot create objects of their own
    v_rec text := format('supervision.%I', 'dc_rr_records_' || pg_backend_pid() || '_' || txid_current());
    v_dec text := format('supervision.%I', 'dc_rr_decisions_' || pg_backend_pid() || '_' || txid_current());
BEGIN
    IF p_subject IS NULL THEN
        RETURN jsonb_build_object('subjects', '[]'::jsonb);
    END IF;
    t := supervision.dc_thresholds();
    EXECUTE format('CREATE UNLOGGED TABLE %s AS SELECT i.* FROM supervision.subject_record_input i
                    JOIN supervision.subject_record r ON r.id = i.id::bigint WHERE r.entity_id = %s', v_rec, p_subject);
    EXECUTE format('CREATE UNLOGGED TABLE %s AS SELECT p.* FROM supervision.match_decision_pairs p
                    WHERE p.id_a IN (SELECT id FROM %s) AND p.id_b IN (SELECT id FROM %s)', v_dec, v_rec, v_rec);
    -- the biggest cluster keeps the subject, the others get new ones
    FOR c IN EXECUTE format('SELECT x.entity_id, array_agg(x.record_id::bigint ORDER BY x.record_id::bigint) AS records
                               FROM supervision.resolve_entities(%L::regclass, %s, %L::regclass) x
                              GROUP BY x.entity_id ORDER BY count(*) DESC, x.entity_id', v_rec, t.model_id, v_dec)
    LOOP
        IF v_first THEN
            v_sub := p_subject; v_first := false;
        ELSE
            v_sub := supervision.dc_new_subject(c.records[1]);
            v_subjects := v_subjects || v_sub;
        END IF;
        UPDATE supervision.subject_record SET entity_id = v_sub WHERE id = ANY (c.records);
    END LOOP;
    EXECUTE format('DROP TABLE %s, %s', v_rec, v_dec);
    PERFORM supervision.dc_golden(v_subjects);
    RETURN jsonb_build_object('subjects', to_jsonb(v_subjects));
END
$$;
COMMENT ON FUNCTION supervision.dc_reresolve(bigint) IS
    'Resolves the records of one subject again under every human decision; the largest cluster keeps the subject';

-- Fuzzy search over subjects (查询检索): candidates through the blocking keys
-- and the rarer bigrams of the query, ranked by the matching engine's score.
CREATE FUNCTION supervision.subject_search(p_query text, p_max integer DEFAULT 20)
RETURNS TABLE (subject_id bigint, name text, uscc text, division_code text, address text, score float8)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_code  text := supervision.uscc_normalize(p_query);
    v_core  text;
    v_py    text;
    v_bi    text[];
    v_rare  text[];
    t       record;
BEGIN
    IF p_query IS NULL OR btrim(p_query) = '' THEN
        PERFORM supervision.field_error('query', 'must not be empty', p_query);
    END IF;
    IF p_max IS NULL OR p_max < 1 OR p_max > 1000 THEN
        PERFORM supervision.field_error('max', 'expected 1 to 1000', p_max::text);
    END IF;
    IF NOT (supervision.actor_is_admin() OR pg_has_role(supervision.actor_role(), 'supervision_officer', 'MEMBER')
            OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER')) THEN
        RAISE EXCEPTION 'role "%" may not search subjects', supervision.actor_role() USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF supervision.uscc_valid(v_code) THEN
        RETURN QUERY SELECT s.id, s.name, s.uscc, s.division_code, s.address, 'Infinity'::float8
                       FROM supervision.subject s WHERE s.uscc = v_code AND s.merged_into IS NULL AND s.record_count > 0
                      ORDER BY s.id LIMIT p_max;
        RETURN;
    END IF;
    t := supervision.dc_thresholds();
    v_core := supervision.name_core(p_query);
    v_py := supervision.pinyin_key(v_core);
    v_bi := supervision.text_bigrams(v_core);
    -- bigrams that are not among the most common ones select few candidates through the GIN index
    SELECT array_agg(b) INTO v_rare FROM unnest(v_bi) b
     WHERE NOT EXISTS (SELECT 1 FROM pg_stats st, unnest(st.most_common_elems::text::text[]) e
                        WHERE st.schemaname = 'supervision' AND st.tablename = 'subject' AND st.attname = 'name_bigrams'
                          AND e = b);
    -- candidates: the same core or pinyin first, then the most shared rarer bigrams; ranked by the engine's
    -- score (it compares name cores), ties by the closest full name
    RETURN QUERY
    SELECT c.id, c.name, c.uscc, c.division_code, c.address, c.score
      FROM (SELECT u.id, u.name, u.uscc, u.division_code, u.address,
                   supervision.match_score(jsonb_build_object('name', p_query), jsonb_build_object('name', u.name),
                                           t.model_id) AS score,
                   supervision.jaro_winkler(supervision.name_normalize(p_query), supervision.name_normalize(u.name)) AS closeness
              FROM (SELECT DISTINCT ON (k.id) k.* FROM (
                        (SELECT x.id, x.name, x.uscc, x.division_code, x.address FROM supervision.subject x
                          WHERE x.merged_into IS NULL AND x.record_count > 0
                            AND (x.name_core = v_core OR x.pinyin_key = v_py)
                          ORDER BY x.id LIMIT 1000)
                        UNION ALL
                        (SELECT x.id, x.name, x.uscc, x.division_code, x.address FROM supervision.subject x
                          WHERE x.merged_into IS NULL AND x.record_count > 0
                            AND x.name_bigrams && coalesce(v_rare, v_bi)
                          ORDER BY cardinality(ARRAY(SELECT unnest(x.name_bigrams) INTERSECT SELECT unnest(v_bi))) DESC, x.id
                          LIMIT 1000)) k
                     ORDER BY k.id) u) c
     ORDER BY c.score DESC, c.closeness DESC, c.id
     LIMIT p_max;
END
$$;
COMMENT ON FUNCTION supervision.subject_search(text, integer) IS
    'Fuzzy search over subjects: a credit code finds its subject; a name finds subjects with the same core, the same pinyin or shared rarer bigrams, ranked by the matching engine''s name score';

---------------------------------------------------------------------------
-- Lineage, comparison, quality reports
---------------------------------------------------------------------------

-- Where each value of a golden record came from.
CREATE FUNCTION supervision.subject_lineage(p_subject bigint)
RETURNS TABLE (field text, value text, record_id bigint, source text, batch_id bigint, batch_no text, raw_id bigint,
               row_no integer, survivorship_rule text, cleaning_rule text, value_as_received jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT l.key,
           supervision.personal_field(l.key, to_jsonb(s) ->> l.key),
           (l.value ->> 'record_id')::bigint, l.value ->> 'source',
           (l.value ->> 'batch_id')::bigint, l.value ->> 'batch_no', (l.value ->> 'raw_id')::bigint, r.row_no,
           l.value ->> 'rule', l.value -> 'cleaning' ->> 'rule',
           supervision.personal_field(l.key, coalesce(l.value -> 'cleaning' -> 'from', r.payload -> l.key))
      FROM supervision.subject s
      CROSS JOIN LATERAL jsonb_each(s.lineage) l
      LEFT JOIN supervision.ingest_raw r ON r.id = (l.value ->> 'raw_id')::bigint
     WHERE s.id = p_subject
     ORDER BY l.key;
END;
COMMENT ON FUNCTION supervision.subject_lineage(bigint) IS
    'Lineage of a golden record: for each field the record, source, batch, raw row, survivorship rule, cleaning rule and the value as received';

-- Where each value of a cleaned record came from: the raw row, its batch, and the cleaning or mapping rule.
CREATE FUNCTION supervision.subject_record_lineage(p_record bigint)
RETURNS TABLE (field text, value text, value_as_received jsonb, rule text, raw_id bigint, row_no integer,
               batch_id bigint, batch_no text, source text, received_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT f.field,
           supervision.personal_field(f.field, to_jsonb(s) ->> f.field),
           supervision.personal_field(f.field, coalesce(s.cleaning -> f.field -> 'from', r.payload -> f.field)),
           coalesce(s.cleaning -> f.field ->> 'rule', 'as_received'), r.id, r.row_no, b.id, b.batch_no, b.source_code,
           r.received_at
      FROM supervision.subject_record s
      JOIN supervision.ingest_raw r ON r.id = s.raw_id
      JOIN supervision.ingest_batch b ON b.id = r.batch_id
      JOIN supervision.dq_field f ON f.kind = 'subject' AND f.field NOT IN ('lon', 'lat')
     WHERE s.id = p_record AND (r.payload ? f.field OR s.cleaning ? f.field)
     ORDER BY f.field;
END;
COMMENT ON FUNCTION supervision.subject_record_lineage(bigint) IS
    'Lineage of a cleaned subject record: per field the value, the value as received, the cleaning or mapping rule, and the raw row and batch it came from';

-- 比对: the same subject's values that disagree across sources.
CREATE FUNCTION supervision.subject_comparison(p_subject bigint DEFAULT NULL)
RETURNS TABLE (subject_id bigint, field text, distinct_values integer, values_by_source jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH v AS (
        SELECT r.entity_id, f.key AS field,
               supervision.personal_field(f.key, f.value #>> '{}') AS value,
               r.source_code,
               CASE f.key WHEN 'address' THEN regexp_replace(normalize(f.value #>> '{}', NFKC), '[[:space:][:punct:]]', '', 'g')
                          ELSE upper(btrim(f.value #>> '{}')) END AS cmp
          FROM supervision.subject_record r
          CROSS JOIN LATERAL jsonb_each(jsonb_build_object('uscc', r.uscc, 'name', r.name,
                         'legal_representative', r.legal_representative, 'address', r.address,
                         'division_code', r.division_code, 'industry_code', r.industry_code, 'phone', r.phone,
                         'status', r.status, 'established_on', r.established_on)) f
         WHERE NOT r.deleted AND r.entity_id IS NOT NULL AND jsonb_typeof(f.value) <> 'null'
           AND (p_subject IS NULL OR r.entity_id = p_subject)
    )
    SELECT v.entity_id, v.field, count(DISTINCT v.cmp)::int,
           jsonb_agg(jsonb_build_object('source', v.source_code, 'value', v.value) ORDER BY v.source_code, v.value)
      FROM v
     GROUP BY v.entity_id, v.field
    HAVING count(DISTINCT v.cmp) > 1 AND count(DISTINCT v.source_code) > 1
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION supervision.subject_comparison(bigint) IS
    '比对: fields on which the sources of one subject disagree (addresses compared after NFKC and without spaces or punctuation)';

-- Quality of one batch: outcomes, reasons grouped by field and rule, warnings, completeness.
CREATE FUNCTION supervision.dq_report_batch(p_batch bigint) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT supervision.ingest_batch_summary(p_batch) || jsonb_build_object(
        'accept_rate', (SELECT round(b.rows_accepted::numeric / nullif(b.rows_total - b.rows_duplicate, 0), 4)
                          FROM supervision.ingest_batch b WHERE b.id = p_batch),
        'reasons', (SELECT coalesce(jsonb_agg(x ORDER BY x.n DESC, x.field, x.rule), '[]') FROM (
                      SELECT e ->> 'field' AS field, e ->> 'rule' AS rule, count(*) AS n, min(r.row_no) AS first_row,
                             min(e ->> 'message') AS example
                        FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id,
                             jsonb_array_elements(o.reasons) e
                       WHERE r.batch_id = p_batch GROUP BY 1, 2) x),
        'warnings', (SELECT coalesce(jsonb_agg(x ORDER BY x.n DESC, x.field, x.rule), '[]') FROM (
                      SELECT e ->> 'field' AS field, e ->> 'rule' AS rule, count(*) AS n
                        FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id,
                             jsonb_array_elements(o.warnings) e
                       WHERE r.batch_id = p_batch GROUP BY 1, 2) x),
        -- as of processing: kept with each outcome, so later batches do not change this report
        'cleaned', (SELECT coalesce(jsonb_object_agg(k, n), '{}') FROM (
                      SELECT k, count(*) AS n
                        FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id,
                             jsonb_object_keys(o.cleaned) k
                       WHERE r.batch_id = p_batch GROUP BY k) x),
        'completeness', (SELECT coalesce(jsonb_object_agg(f.field, round(
                                  (SELECT count(*) FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id
                                    WHERE r.batch_id = p_batch AND o.status = 'accepted' AND f.field = ANY (o.fields))::numeric
                                  / nullif((SELECT count(*) FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id
                                             WHERE r.batch_id = p_batch AND o.status = 'accepted' AND o.fields IS NOT NULL), 0), 4)), '{}')
                           FROM supervision.dq_field f JOIN supervision.ingest_batch b ON b.kind = f.kind
                          WHERE b.id = p_batch AND f.field NOT IN ('lon', 'lat')))
     WHERE supervision.actor_is_admin()
        OR pg_has_role(supervision.actor_role(), 'supervision_auditor', 'MEMBER')
        OR EXISTS (SELECT 1 FROM supervision.ingest_batch b JOIN supervision.source_system ss ON ss.code = b.source_code
                    WHERE b.id = p_batch AND ss.department_code = supervision.actor_department());
END;
COMMENT ON FUNCTION supervision.dq_report_batch(bigint) IS
    'Quality report of a batch, as of its processing: counts, accept rate, rejection reasons and warnings by field and rule, values cleaned per field, completeness of each field among accepted rows (NULL for a batch of another department''s source)';

CREATE VIEW supervision.dq_source_quality WITH (security_invoker = true) AS
    SELECT b.source_code, b.kind, count(*) AS batches, sum(b.rows_total) AS rows_total,
           sum(b.rows_accepted) AS rows_accepted, sum(b.rows_rejected) AS rows_rejected,
           sum(b.rows_duplicate) AS rows_duplicate,
           round(sum(b.rows_accepted)::numeric / nullif(sum(b.rows_total - b.rows_duplicate), 0), 4) AS accept_rate,
           max(b.received_at) AS last_received
      FROM supervision.ingest_batch b
     GROUP BY b.source_code, b.kind;
COMMENT ON VIEW supervision.dq_source_quality IS 'Quality per source and kind: batches, rows, accepted, rejected, duplicates, accept rate';

CREATE VIEW supervision.dq_reason_summary WITH (security_invoker = true) AS
    SELECT r.source_code, r.kind, e ->> 'field' AS field, e ->> 'rule' AS rule, count(*) AS rows_rejected
      FROM supervision.ingest_raw r JOIN supervision.ingest_outcome o ON o.raw_id = r.id,
           jsonb_array_elements(o.reasons) e
     GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW supervision.dq_reason_summary IS 'Rejection reasons per source, kind, field and rule';

ALTER TABLE supervision.match_decision ENABLE ROW LEVEL SECURITY;
ALTER TABLE supervision.match_review ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON supervision.match_decision FOR SELECT
    TO supervision_admin, supervision_auditor, supervision_officer USING (true);
CREATE POLICY read_all ON supervision.match_review FOR SELECT
    TO supervision_admin, supervision_auditor, supervision_officer USING (true);
REVOKE ALL ON supervision.match_decision, supervision.match_review, supervision.subject_record_input,
    supervision.match_decision_pairs, supervision.dq_source_quality, supervision.dq_reason_summary FROM PUBLIC;
GRANT SELECT ON supervision.match_decision, supervision.match_review, supervision.dq_source_quality,
    supervision.dq_reason_summary TO supervision_admin, supervision_auditor, supervision_officer;
SELECT supervision.audit_attach('supervision.match_decision');
SELECT pg_catalog.pg_extension_config_dump('supervision.match_decision', '');
SELECT pg_catalog.pg_extension_config_dump('supervision.match_review', '');
REVOKE ALL ON FUNCTION supervision.dc_resolve(), supervision.dc_match_record(bigint),
    supervision.match_decide(bigint, bigint, boolean, text), supervision.dc_reresolve(bigint),
    supervision.dc_golden(bigint[]), supervision.dc_new_subject(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.dc_resolve() TO supervision_admin;
GRANT EXECUTE ON FUNCTION supervision.match_decide(bigint, bigint, boolean, text) TO supervision_admin, supervision_officer;

-- Ingestion and linking write PostGIS points: pin their search_path to the
-- schema PostGIS lives in.
DO $$
DECLARE
    v_schema name;
    f text;
BEGIN
    SELECT n.nspname INTO v_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'postgis';
    FOREACH f IN ARRAY ARRAY['supervision.ingest_process(text, text, text, boolean)',
                             'supervision.ingest_record(text, text, text, jsonb, text, text)',
                             'supervision.dc_resolve()', 'supervision.dc_match_record(bigint)',
                             'supervision.match_decide(bigint, bigint, boolean, text)',
                             'supervision.subject_search(text, integer)'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, v_schema);
    END LOOP;
END
$$;
