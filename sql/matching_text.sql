-- Matching engine, text layer: name normalisation, name cores and parts,
-- pinyin keys, string similarities on code points, Chinese addresses.
-- C functions in extension/normalize.c and extension/similarity.c (contract:
-- extension/textsim.h); docs/matching.md, section "Text layer".
--
-- Loaded after sql/divisions.sql (name_core and the address functions read
-- supervision.division) and before sql/matching.sql (record matching).

-- ---------------------------------------------------------------------------
-- Functions that need no table

CREATE FUNCTION supervision.name_normalize(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'normalize_name_normalize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.name_normalize(text) IS
    'Normalised organisation name for matching: ICU NFKC (full-width to half-width), traditional to simplified characters (ICU Traditional-Simplified, character by character), every bracket as ( ), white space, punctuation and symbols removed (bracket contents kept, empty brackets dropped), letters upper case. Idempotent; independent of the database locale.';

CREATE FUNCTION supervision.pinyin_key(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'normalize_pinyin_key'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.pinyin_key(name text) IS
    'Toneless pinyin of the normalised name (ICU Han-Latin, one reading per character), syllables concatenated in ASCII upper case, ü as V; letters and digits kept, brackets dropped. Homophones share a key on purpose: 华信 and 华新 are both HUAXIN.';

CREATE FUNCTION supervision.jaro_winkler(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'similarity_jaro_winkler'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity on code points, in [0, 1]: Winkler prefix scale 0.1, common prefix up to 4 characters, no boost threshold. 1 for equal strings (also two empty ones), 0 when one is empty. Symmetric.';

CREATE FUNCTION supervision.levenshtein(a text, b text) RETURNS int
    AS 'MODULE_PATHNAME', 'similarity_levenshtein'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.levenshtein(text, text) IS
    'Edit distance in code points (insertions, deletions, substitutions cost 1), not bytes. Bit-parallel (Myers): memory grows with the shorter string only.';

CREATE FUNCTION supervision.bigram_dice(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'similarity_bigram_dice'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.bigram_dice(text, text) IS
    'Dice coefficient 2|A∩B|/(|A|+|B|) of the code-point bigram multisets, in [0, 1]; a one-character string is its unigram; 1 for two empty strings, 0 when only one is empty.';

-- ---------------------------------------------------------------------------
-- Dictionaries: organisation forms (and branch markers), industry words.
-- Shipped rows are builtin; a DBA adds rows with builtin = false, which
-- pg_dump keeps. The C side reads them (and supervision.division) once per
-- backend and reloads them when a statement changes them (trigger below).

CREATE TABLE supervision.name_org_form (
    form    text    PRIMARY KEY,
    kind    text    NOT NULL DEFAULT 'form',
    builtin boolean NOT NULL DEFAULT false,
    CONSTRAINT name_org_form_kind CHECK (kind IN ('form', 'branch')),
    CONSTRAINT name_org_form_not_empty CHECK (supervision.name_normalize(form) <> '')
);
CREATE UNIQUE INDEX name_org_form_normalized_idx ON supervision.name_org_form (supervision.name_normalize(form));
COMMENT ON TABLE supervision.name_org_form IS
    'Organisation forms removed from the end of a name by name_core (有限公司, 股份有限公司, 合作社, 厂...) and branch markers that start a name''s branch part (分公司, 分店, 支行...). Compared after name_normalize. See docs/matching.md.';
COMMENT ON COLUMN supervision.name_org_form.form IS 'The form as written; it is normalised (name_normalize) when used, and must not normalise to the empty string';
COMMENT ON COLUMN supervision.name_org_form.kind IS 'form: an organisation form (有限公司); branch: a branch marker ending a branch''s name (分公司)';
COMMENT ON COLUMN supervision.name_org_form.builtin IS
    'true for rows shipped with the extension (replaced by extension upgrades, read-only for supervision_admin); rows a DBA adds have false and are kept by pg_dump';

CREATE TABLE supervision.name_industry_word (
    word    text    PRIMARY KEY,
    builtin boolean NOT NULL DEFAULT false,
    CONSTRAINT name_industry_word_length CHECK (char_length(supervision.name_normalize(word)) >= 2)
);
CREATE UNIQUE INDEX name_industry_word_normalized_idx ON supervision.name_industry_word (supervision.name_normalize(word));
COMMENT ON TABLE supervision.name_industry_word IS
    'Industry words (行业表述: 科技, 商贸, 建筑, 工程, 餐饮, 管理...). name_parts splits the end of a name made of these words from the trade name (字号) before it; name_core gives a leading division name back to the trade name when nothing else is left (南京医药). See docs/matching.md.';
COMMENT ON COLUMN supervision.name_industry_word.word IS 'The word as written, at least two characters after name_normalize; words combine (建筑 + 工程)';
COMMENT ON COLUMN supervision.name_industry_word.builtin IS
    'true for rows shipped with the extension (replaced by extension upgrades, read-only for supervision_admin); rows a DBA adds have false and are kept by pg_dump';

INSERT INTO supervision.name_org_form (form, kind, builtin) VALUES
    ('股份有限公司', 'form', true), ('有限责任公司', 'form', true), ('有限公司', 'form', true), ('股份公司', 'form', true), ('股份合作公司', 'form', true), ('集团有限公司', 'form', true),
    ('集团股份有限公司', 'form', true), ('集团有限责任公司', 'form', true), ('(集团)有限公司', 'form', true), ('(集团)股份有限公司', 'form', true), ('(集团)有限责任公司', 'form', true), ('集团公司', 'form', true),
    ('(集团)公司', 'form', true), ('集团', 'form', true), ('(集团)', 'form', true), ('总公司', 'form', true), ('公司', 'form', true), ('有限合伙', 'form', true),
    ('(有限合伙)', 'form', true), ('普通合伙', 'form', true), ('(普通合伙)', 'form', true), ('特殊普通合伙', 'form', true), ('(特殊普通合伙)', 'form', true), ('合伙企业', 'form', true),
    ('个人独资企业', 'form', true), ('独资企业', 'form', true), ('个体工商户', 'form', true), ('(个体工商户)', 'form', true), ('个体户', 'form', true), ('农民专业合作社联合社', 'form', true),
    ('专业合作社联合社', 'form', true), ('农民专业合作社', 'form', true), ('专业合作社', 'form', true), ('股份经济合作社', 'form', true), ('经济合作社', 'form', true), ('合作社', 'form', true),
    ('联合社', 'form', true), ('工厂', 'form', true), ('总厂', 'form', true), ('厂', 'form', true), ('商行', 'form', true), ('经营部', 'form', true),
    ('门市部', 'form', true), ('工作室', 'form', true), ('事务所', 'form', true), ('协会', 'form', true), ('商会', 'form', true), ('学会', 'form', true),
    ('研究会', 'form', true), ('促进会', 'form', true), ('联合会', 'form', true), ('基金会', 'form', true), ('研究院', 'form', true), ('研究所', 'form', true),
    ('设计院', 'form', true),
    ('分公司', 'branch', true), ('分店', 'branch', true), ('分厂', 'branch', true), ('分行', 'branch', true), ('支行', 'branch', true), ('分理处', 'branch', true),
    ('分部', 'branch', true), ('分所', 'branch', true), ('分中心', 'branch', true), ('分社', 'branch', true), ('分院', 'branch', true), ('分校', 'branch', true),
    ('营业部', 'branch', true), ('营业所', 'branch', true), ('办事处', 'branch', true), ('代表处', 'branch', true), ('分支机构', 'branch', true);

INSERT INTO supervision.name_industry_word (word, builtin) VALUES
    ('科技', true), ('技术', true), ('信息', true), ('信息技术', true), ('网络', true), ('网络科技', true), ('电子', true), ('电子商务', true), ('电商', true), ('软件', true),
    ('数据', true), ('大数据', true), ('云计算', true), ('物联网', true), ('人工智能', true), ('智能', true), ('智能化', true), ('数字', true), ('数码', true), ('计算机', true),
    ('通信', true), ('通讯', true), ('互联网', true), ('半导体', true), ('集成电路', true), ('芯片', true), ('微电子', true), ('光电', true), ('光学', true), ('激光', true),
    ('传感', true), ('自动化', true), ('机器人', true), ('无人机', true), ('航空', true), ('航天', true), ('仪器', true), ('仪表', true), ('精密', true), ('生物', true),
    ('生物科技', true), ('生物医药', true), ('医药', true), ('药业', true), ('制药', true), ('医疗', true), ('医疗器械', true), ('器械', true), ('健康', true), ('卫生', true),
    ('中医', true), ('中药', true), ('药房', true), ('大药房', true), ('药店', true), ('诊所', true), ('门诊', true), ('口腔', true), ('康复', true), ('护理', true),
    ('养老', true), ('母婴', true), ('月子', true), ('美容', true), ('美发', true), ('美业', true), ('化妆品', true), ('日化', true), ('保健', true), ('保健品', true),
    ('新能源', true), ('能源', true), ('环保', true), ('环境', true), ('节能', true), ('光伏', true), ('太阳能', true), ('风电', true), ('储能', true), ('电池', true),
    ('电力', true), ('电气', true), ('电器', true), ('电机', true), ('机电', true), ('电缆', true), ('线缆', true), ('照明', true), ('燃气', true), ('热力', true),
    ('供水', true), ('水务', true), ('水处理', true), ('净化', true), ('污水', true), ('固废', true), ('再生资源', true), ('回收', true), ('废旧物资', true), ('机械', true),
    ('设备', true), ('机械设备', true), ('制造', true), ('装备', true), ('模具', true), ('铸造', true), ('锻造', true), ('五金', true), ('紧固件', true), ('轴承', true),
    ('阀门', true), ('泵业', true), ('液压', true), ('汽车', true), ('汽配', true), ('汽车配件', true), ('汽车服务', true), ('零部件', true), ('配件', true), ('汽修', true),
    ('维修', true), ('摩托车', true), ('电动车', true), ('自行车', true), ('船舶', true), ('船务', true), ('航运', true), ('港口', true), ('港务', true), ('建筑', true),
    ('工程', true), ('建筑工程', true), ('建设', true), ('建设工程', true), ('施工', true), ('安装', true), ('装饰', true), ('装修', true), ('装潢', true), ('设计', true),
    ('规划', true), ('勘察', true), ('测绘', true), ('监理', true), ('造价', true), ('园林', true), ('绿化', true), ('景观', true), ('市政', true), ('路桥', true),
    ('交通', true), ('水利', true), ('钢结构', true), ('幕墙', true), ('门窗', true), ('防水', true), ('保温', true), ('涂料', true), ('油漆', true), ('地板', true),
    ('卫浴', true), ('厨具', true), ('家居', true), ('家具', true), ('建材', true), ('石材', true), ('水泥', true), ('混凝土', true), ('砂石', true), ('玻璃', true),
    ('陶瓷', true), ('木业', true), ('木材', true), ('竹木', true), ('房地产', true), ('地产', true), ('置业', true), ('房产', true), ('物业', true), ('物业管理', true),
    ('开发', true), ('投资', true), ('控股', true), ('实业', true), ('发展', true), ('产业', true), ('资产', true), ('资产管理', true), ('基金', true), ('金融', true),
    ('融资', true), ('租赁', true), ('融资租赁', true), ('担保', true), ('保险', true), ('典当', true), ('证券', true), ('期货', true), ('财务', true), ('会计', true),
    ('会计师', true), ('税务', true), ('税务师', true), ('审计', true), ('评估', true), ('资产评估', true), ('律师', true), ('法律', true), ('知识产权', true), ('专利', true),
    ('商标', true), ('认证', true), ('检测', true), ('检验', true), ('咨询', true), ('管理', true), ('管理咨询', true), ('企业管理', true), ('信息咨询', true), ('服务', true),
    ('技术服务', true), ('技术开发', true), ('研发', true), ('外包', true), ('人力资源', true), ('劳务', true), ('劳务派遣', true), ('家政', true), ('保洁', true), ('保安', true),
    ('安保', true), ('安防', true), ('消防', true), ('监控', true), ('安全', true), ('商贸', true), ('贸易', true), ('国际贸易', true), ('进出口', true), ('外贸', true),
    ('经贸', true), ('商务', true), ('供应链', true), ('物流', true), ('运输', true), ('货运', true), ('快递', true), ('配送', true), ('仓储', true), ('搬家', true),
    ('客运', true), ('出租', true), ('汽车租赁', true), ('停车', true), ('加油', true), ('票务', true), ('旅游', true), ('旅行社', true), ('酒店', true), ('宾馆', true),
    ('餐饮', true), ('餐饮管理', true), ('饮食', true), ('小吃', true), ('快餐', true), ('火锅', true), ('烧烤', true), ('面馆', true), ('饭店', true), ('酒楼', true),
    ('餐厅', true), ('茶楼', true), ('咖啡', true), ('烘焙', true), ('食品', true), ('食品科技', true), ('饮料', true), ('饮品', true), ('乳业', true), ('酒业', true),
    ('茶业', true), ('茶叶', true), ('粮油', true), ('米业', true), ('面粉', true), ('肉类', true), ('肉制品', true), ('水产', true), ('水产品', true), ('蔬菜', true),
    ('水果', true), ('果蔬', true), ('生鲜', true), ('农产品', true), ('副食品', true), ('调味品', true), ('农业', true), ('农业科技', true), ('种植', true), ('养殖', true),
    ('林业', true), ('牧业', true), ('渔业', true), ('畜牧', true), ('花卉', true), ('苗木', true), ('种子', true), ('种业', true), ('饲料', true), ('肥料', true),
    ('农资', true), ('农机', true), ('兽药', true), ('宠物', true), ('生态', true), ('生态农业', true), ('农林', true), ('家庭农场', true), ('农场', true), ('纺织', true),
    ('服装', true), ('服饰', true), ('针织', true), ('丝绸', true), ('家纺', true), ('布艺', true), ('鞋业', true), ('箱包', true), ('皮革', true), ('皮具', true),
    ('制衣', true), ('织造', true), ('印染', true), ('化纤', true), ('纺织品', true), ('化工', true), ('化学', true), ('化学品', true), ('新材料', true), ('材料', true),
    ('塑料', true), ('塑胶', true), ('橡胶', true), ('包装', true), ('包装材料', true), ('印刷', true), ('纸业', true), ('造纸', true), ('纸品', true), ('金属', true),
    ('金属制品', true), ('钢铁', true), ('钢材', true), ('不锈钢', true), ('有色金属', true), ('铝业', true), ('铜业', true), ('矿业', true), ('石油', true), ('石化', true),
    ('天然气', true), ('煤炭', true), ('冶金', true), ('文化', true), ('文化传媒', true), ('传媒', true), ('传播', true), ('文化传播', true), ('广告', true), ('广告传媒', true),
    ('影视', true), ('娱乐', true), ('游戏', true), ('动漫', true), ('艺术', true), ('音乐', true), ('乐器', true), ('文具', true), ('玩具', true), ('体育', true),
    ('健身', true), ('体育用品', true), ('会展', true), ('展览', true), ('礼仪', true), ('婚庆', true), ('摄影', true), ('出版', true), ('图书', true), ('书店', true),
    ('发行', true), ('演艺', true), ('艺术品', true), ('工艺品', true), ('工艺', true), ('教育', true), ('教育科技', true), ('培训', true), ('教育咨询', true), ('职业培训', true),
    ('留学', true), ('幼儿', true), ('托育', true), ('早教', true), ('学校', true), ('幼儿园', true), ('研究', true), ('实验', true), ('百货', true), ('超市', true),
    ('便利店', true), ('商店', true), ('商场', true), ('商城', true), ('批发', true), ('零售', true), ('销售', true), ('营销', true), ('市场营销', true), ('策划', true),
    ('市场', true), ('调查', true), ('翻译', true), ('中介', true), ('经纪', true), ('代理', true), ('招标', true), ('采购', true), ('供应', true), ('日用品', true),
    ('用品', true), ('办公', true), ('办公用品', true), ('烟酒', true), ('烟草', true), ('眼镜', true), ('珠宝', true), ('首饰', true), ('黄金', true), ('钟表', true),
    ('礼品', true), ('银行', true), ('商业银行', true), ('农商银行', true), ('村镇银行', true), ('信用社', true), ('信托', true), ('小额贷款', true), ('贷款', true), ('支付', true),
    ('小吃店', true), ('专卖店', true), ('门店', true), ('花店', true), ('水果店', true), ('面包店', true), ('理发店', true), ('服装店', true), ('五金店', true), ('烟酒店', true),
    ('百货店', true), ('快餐店', true), ('洗衣店', true), ('干洗店', true), ('修理', true), ('维修店', true), ('旅馆', true), ('招待所', true), ('洗浴', true), ('足浴', true),
    ('推拿', true), ('棋牌', true), ('网吧', true), ('加工', true), ('制品', true), ('生产', true), ('经营', true)
;

SELECT pg_catalog.pg_extension_config_dump('supervision.name_org_form', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('supervision.name_industry_word', 'WHERE NOT builtin');

-- Everyone may read; supervision_admin may add, change and remove its own
-- (non-builtin) rows. Shipped rows change only through extension upgrades.
ALTER TABLE supervision.name_org_form ENABLE ROW LEVEL SECURITY;
CREATE POLICY name_org_form_read ON supervision.name_org_form FOR SELECT USING (true);
CREATE POLICY name_org_form_admin_insert ON supervision.name_org_form FOR INSERT TO supervision_admin
    WITH CHECK (NOT builtin);
CREATE POLICY name_org_form_admin_update ON supervision.name_org_form FOR UPDATE TO supervision_admin
    USING (NOT builtin) WITH CHECK (NOT builtin);
CREATE POLICY name_org_form_admin_delete ON supervision.name_org_form FOR DELETE TO supervision_admin
    USING (NOT builtin);

ALTER TABLE supervision.name_industry_word ENABLE ROW LEVEL SECURITY;
CREATE POLICY name_industry_word_read ON supervision.name_industry_word FOR SELECT USING (true);
CREATE POLICY name_industry_word_admin_insert ON supervision.name_industry_word FOR INSERT TO supervision_admin
    WITH CHECK (NOT builtin);
CREATE POLICY name_industry_word_admin_update ON supervision.name_industry_word FOR UPDATE TO supervision_admin
    USING (NOT builtin) WITH CHECK (NOT builtin);
CREATE POLICY name_industry_word_admin_delete ON supervision.name_industry_word FOR DELETE TO supervision_admin
    USING (NOT builtin);

GRANT SELECT ON supervision.name_org_form, supervision.name_industry_word
    TO supervision_officer, supervision_auditor, supervision_api_anon, supervision_api_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON supervision.name_org_form, supervision.name_industry_word
    TO supervision_admin;

SELECT supervision.audit_attach('supervision.name_org_form');
SELECT supervision.audit_attach('supervision.name_industry_word');

-- Every backend caches the three dictionaries; a statement that changes one
-- marks every cache stale (a relcache invalidation, sent at commit).
CREATE FUNCTION supervision.text_dictionary_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'normalize_dictionary_changed'
    LANGUAGE C;
COMMENT ON FUNCTION supervision.text_dictionary_changed() IS
    'Statement trigger on supervision.division, name_org_form and name_industry_word: makes every backend reload the dictionaries of name_core, name_parts and the address functions once the change commits';
REVOKE EXECUTE ON FUNCTION supervision.text_dictionary_changed() FROM PUBLIC;

CREATE TRIGGER text_dictionary_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON supervision.division FOR EACH STATEMENT EXECUTE FUNCTION supervision.text_dictionary_changed();
CREATE TRIGGER text_dictionary_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON supervision.name_org_form FOR EACH STATEMENT EXECUTE FUNCTION supervision.text_dictionary_changed();
CREATE TRIGGER text_dictionary_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON supervision.name_industry_word FOR EACH STATEMENT EXECUTE FUNCTION supervision.text_dictionary_changed();

-- ---------------------------------------------------------------------------
-- Functions that read the dictionaries (STABLE)

CREATE FUNCTION supervision.name_core(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'normalize_name_core'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.name_core(text) IS
    'The normalised name without leading division names (江苏省, 江苏, 南京市, 南京, 玄武区...: full and short forms from supervision.division) and without organisation forms (supervision.name_org_form); trade name and industry words stay. A branch keeps its branch part (某某公司南京分公司 -> 某某南京分公司), so a branch and its head office never share a core. When only industry words would remain, the last division name stays as the trade name in short form (南京医药股份有限公司 -> 南京医药).';

CREATE FUNCTION supervision.name_parts(name text,
    OUT region text, OUT trade_name text, OUT industry text, OUT org_form text, OUT branch text)
    AS 'MODULE_PATHNAME', 'normalize_name_parts'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.name_parts(text) IS
    'The parts of a normalised name: region (leading division names as written, and a bracketed division after the trade name), trade_name (字号), industry (行业表述, words of supervision.name_industry_word), org_form (有限公司...), branch (南京分公司...); NULL for a part that is absent.';

CREATE FUNCTION supervision.address_parse(address text,
    OUT province text, OUT city text, OUT county text, OUT town text,
    OUT road text, OUT number text, OUT building text, OUT rest text)
    AS 'MODULE_PATHNAME', 'similarity_address_parse'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.address_parse(text) IS
    'Splits a Chinese address (after normalisation: full-width digits, traditional characters, 十八号 -> 18号, # -> 号) into province, city, county, town (full names from supervision.division, also for short forms: 南京 -> 南京市; other towns as XX街道/镇/乡), road (路, 街, 大道, 大街, 巷, 弄, 胡同), number (18号, 18-1号, 100弄5号), building (3栋, 2单元, 301室, B座...) and the rest; NULL for a part that is absent.';

CREATE FUNCTION supervision.address_similarity(a text, b text) RETURNS float8
    AS 'MODULE_PATHNAME', 'similarity_address_similarity'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION supervision.address_similarity(text, text) IS
    'Similarity of two addresses in [0, 1] from their parsed parts: divisions (a part missing on one side is no mismatch; 玄武区 implies 南京市), road (Jaro-Winkler), house number (exact 1, same main number 0.8, on the same road 2 apart 0.5, 10 apart 0.2), building and rest (bigram Dice); weights 0.05/0.10/0.15/0.10/0.25/0.20/0.10/0.05, see docs/matching.md. Symmetric; 1 for equal addresses.';
