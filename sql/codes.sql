-- Identifier codes: unified social credit codes (GB 32100-2015), the
-- organisation codes they embed (GB 11714-1997) and citizen identity numbers
-- (GB 11643-1999). C functions in extension/codes.c; docs/codes.md.
--
-- Loaded before sql/divisions.sql: supervision.division is only read by
-- uscc_parse() at call time, never referenced here at creation time.

-- ---------------------------------------------------------------------------
-- Validators (C, never raise an error)

CREATE FUNCTION supervision.uscc_valid(code text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'codes_uscc_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION supervision.uscc_valid(text) IS
    'True when the text is a valid unified social credit code (GB 32100-2015): 18 characters of 0123456789ABCDEFGHJKLMNPQRTUWXY, GB 11714 check character 17 and check character 18 right. Upper case only; normalise first with uscc_normalize(). Never raises an error; NULL for NULL.';

CREATE FUNCTION supervision.uscc_invalid_reason(code text) RETURNS text
    AS 'MODULE_PATHNAME', 'codes_uscc_invalid_reason'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.uscc_invalid_reason(text) IS
    'Why the text is not a valid unified social credit code, as one sentence naming the first problem (length, a character outside the code set, check character 17 or 18); NULL when it is valid (and for NULL). Never raises an error.';

CREATE FUNCTION supervision.uscc_check_char(prefix text) RETURNS text
    AS 'MODULE_PATHNAME', 'codes_uscc_check_char'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.uscc_check_char(text) IS
    'Check character 18 of a unified social credit code for its first 17 characters. The prefix must be 17 characters of the code set with a right GB 11714 check character 17, else error 22P02; prefix || uscc_check_char(prefix) is then always valid.';

CREATE FUNCTION supervision.uscc_normalize(code text) RETURNS text
    AS 'MODULE_PATHNAME', 'codes_uscc_normalize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.uscc_normalize(text) IS
    'Cleans a typed or pasted code before validation: full-width forms U+FF01..U+FF5E become ASCII, U+3000 a space, ASCII letters upper case, surrounding white space is removed. Does not validate.';

CREATE FUNCTION supervision.org_code_valid(code text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'codes_org_code_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION supervision.org_code_valid(text) IS
    'True when the text is a GB 11714 organisation code: 8 digits or upper-case letters and the check character (0-9 or X), written XXXXXXXXC or XXXXXXXX-C. Never raises an error.';

CREATE FUNCTION supervision.id_card_valid(code text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'codes_id_card_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION supervision.id_card_valid(text) IS
    'True when the text is an 18-character citizen identity number (GB 11643): 17 digits with a real birth date YYYYMMDD (year 1800 or later) in characters 7-14, then the ISO 7064 MOD 11-2 check character (0-9, upper-case X for 10). Never raises an error.';

-- ---------------------------------------------------------------------------
-- The domain

-- The domain's check raises the reason itself, so a refused value says which
-- character is wrong rather than only naming the constraint.
CREATE FUNCTION supervision.uscc_domain_check(code text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_reason text := supervision.uscc_invalid_reason(code);
BEGIN
    IF v_reason IS NOT NULL THEN
        RAISE EXCEPTION 'invalid unified social credit code "%"', left(code, 100)
            USING ERRCODE = 'invalid_text_representation', DETAIL = v_reason,
                  HINT = 'A value of type supervision.uscc is 18 characters of 0-9 and A-Y without I, O, Z, S, V, with both check characters right; supervision.uscc_normalize() fixes case and full-width characters.';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION supervision.uscc_domain_check(text) IS
    'Check of the uscc domain: true for a valid code, else an error (22P02) giving the reason';

CREATE DOMAIN supervision.uscc AS text
    CONSTRAINT uscc_valid CHECK (supervision.uscc_domain_check(VALUE));
COMMENT ON DOMAIN supervision.uscc IS
    'A unified social credit code (统一社会信用代码, GB 32100-2015) with both check characters verified. Upper case, no spaces: store supervision.uscc_normalize(input). supervision.uscc_invalid_reason(input) says why a value is refused.';

-- ---------------------------------------------------------------------------
-- Registration authorities and institution types (GB 32100 characters 1 and 2).
-- The published list has grown since 2015, so it is data a DBA extends.
-- Rows shipped with the extension have builtin = true; pg_dump saves only the
-- rows a DBA added (pg_extension_config_dump ... 'WHERE NOT builtin').

CREATE TABLE supervision.uscc_authority (
    code    text    PRIMARY KEY
                    CONSTRAINT uscc_authority_code_check
                    CHECK (code ~ '^[0123456789ABCDEFGHJKLMNPQRTUWXY]$'),
    name    text    NOT NULL CONSTRAINT uscc_authority_name_check CHECK (btrim(name) <> ''),
    builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE supervision.uscc_authority IS
    'Registration authorities (登记管理部门): character 1 of a unified social credit code. Rows with builtin are shipped with the extension; add others as they are published.';
COMMENT ON COLUMN supervision.uscc_authority.code IS 'Character 1 of the code';
COMMENT ON COLUMN supervision.uscc_authority.builtin IS
    'Shipped with the extension (GB 32100-2015 and later published values); only rows with builtin = false are saved by pg_dump';

CREATE TABLE supervision.uscc_institution_type (
    code      text    PRIMARY KEY
                      CONSTRAINT uscc_institution_type_code_check
                      CHECK (code ~ '^[0123456789ABCDEFGHJKLMNPQRTUWXY]{2}$'),
    authority text    NOT NULL REFERENCES supervision.uscc_authority (code),
    name      text    NOT NULL CONSTRAINT uscc_institution_type_name_check CHECK (btrim(name) <> ''),
    builtin   boolean NOT NULL DEFAULT false,
    CONSTRAINT uscc_institution_type_authority_check CHECK (substr(code, 1, 1) = authority)
);
CREATE INDEX uscc_institution_type_authority_idx ON supervision.uscc_institution_type (authority);
COMMENT ON TABLE supervision.uscc_institution_type IS
    'Institution types (机构类别): characters 1-2 of a unified social credit code, e.g. 91 enterprise. Rows with builtin are shipped with the extension; add others as they are published.';
COMMENT ON COLUMN supervision.uscc_institution_type.code IS 'Characters 1-2 of the code: authority then type, e.g. 91';
COMMENT ON COLUMN supervision.uscc_institution_type.authority IS 'Character 1: the registration authority';
COMMENT ON COLUMN supervision.uscc_institution_type.builtin IS
    'Shipped with the extension; only rows with builtin = false are saved by pg_dump';

-- GB 32100-2015 Appendix A, with the authorities and types published since.
INSERT INTO supervision.uscc_authority (code, name, builtin) VALUES
    ('1', '机构编制', true),
    ('2', '外交', true),
    ('3', '司法行政', true),
    ('4', '文化', true),
    ('5', '民政', true),
    ('6', '旅游', true),
    ('7', '宗教', true),
    ('8', '工会', true),
    ('9', '工商', true),
    ('A', '中央军委改革和编制办公室', true),
    ('N', '农业', true),
    ('Y', '其他', true);

INSERT INTO supervision.uscc_institution_type (code, authority, name, builtin) VALUES
    ('11', '1', '机关', true),
    ('12', '1', '事业单位', true),
    ('13', '1', '中央编办直接管理机构编制的群众团体', true),
    ('19', '1', '其他', true),
    ('21', '2', '外国常驻新闻机构', true),
    ('29', '2', '其他', true),
    ('31', '3', '律师执业机构', true),
    ('32', '3', '公证处', true),
    ('33', '3', '基层法律服务所', true),
    ('34', '3', '司法鉴定机构', true),
    ('35', '3', '仲裁委员会', true),
    ('39', '3', '其他', true),
    ('41', '4', '外国在华文化中心', true),
    ('49', '4', '其他', true),
    ('51', '5', '社会团体', true),
    ('52', '5', '民办非企业单位', true),
    ('53', '5', '基金会', true),
    ('59', '5', '其他', true),
    ('61', '6', '外国旅游部门常驻代表机构', true),
    ('62', '6', '港澳台地区旅游部门常驻内地（大陆）代表机构', true),
    ('69', '6', '其他', true),
    ('71', '7', '宗教活动场所', true),
    ('72', '7', '宗教院校', true),
    ('79', '7', '其他', true),
    ('81', '8', '基层工会', true),
    ('89', '8', '其他', true),
    ('91', '9', '企业', true),
    ('92', '9', '个体工商户', true),
    ('93', '9', '农民专业合作社', true),
    ('A1', 'A', '军队事业单位', true),
    ('A9', 'A', '其他', true),
    ('N1', 'N', '组级集体经济组织', true),
    ('N2', 'N', '村级集体经济组织', true),
    ('N3', 'N', '乡镇级集体经济组织', true),
    ('N9', 'N', '其他', true),
    ('Y1', 'Y', '其他', true);

SELECT pg_catalog.pg_extension_config_dump('supervision.uscc_authority', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.uscc_institution_type', 'WHERE NOT builtin');

-- Everyone who may use the schema reads; supervision_admin adds, changes and
-- removes its own rows. Built-in rows are changed by extension upgrades only:
-- an edited built-in row would not be dumped, so the policy keeps admins to
-- rows with builtin = false (the extension owner bypasses RLS).
ALTER TABLE supervision.uscc_authority ENABLE ROW LEVEL SECURITY;
CREATE POLICY uscc_authority_read ON supervision.uscc_authority
    FOR SELECT USING (true);
CREATE POLICY uscc_authority_admin ON supervision.uscc_authority
    FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);

ALTER TABLE supervision.uscc_institution_type ENABLE ROW LEVEL SECURITY;
CREATE POLICY uscc_institution_type_read ON supervision.uscc_institution_type
    FOR SELECT USING (true);
CREATE POLICY uscc_institution_type_admin ON supervision.uscc_institution_type
    FOR ALL TO supervision_admin USING (NOT builtin) WITH CHECK (NOT builtin);

GRANT SELECT ON supervision.uscc_authority, supervision.uscc_institution_type
    TO supervision_officer, supervision_auditor, supervision_api_anon, supervision_api_user;
GRANT ALL ON supervision.uscc_authority, supervision.uscc_institution_type TO supervision_admin;

-- Attached after the seed rows, which are part of the extension, not changes.
SELECT supervision.audit_attach('supervision.uscc_authority');
SELECT supervision.audit_attach('supervision.uscc_institution_type');

-- ---------------------------------------------------------------------------
-- Parsing (C; reads the tables above and supervision.division at call time)

CREATE FUNCTION supervision.uscc_parse(code text,
        OUT authority_code text, OUT authority_name text,
        OUT institution_type_code text, OUT institution_type_name text,
        OUT division_code text, OUT division_name text,
        OUT organization_code text, OUT check_char text)
    RETURNS record
    AS 'MODULE_PATHNAME', 'codes_uscc_parse'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.uscc_parse(text) IS
    'Splits a valid unified social credit code into authority (character 1), institution type (1-2), registering division (3-8), organisation code (9-17) and check character (18), with names from uscc_authority, uscc_institution_type and division (NULL when unknown). An invalid code raises 22P02 naming the first problem.';
