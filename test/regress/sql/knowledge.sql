-- Knowledge base (知识库): laws and their articles, cited by catalog items and
-- by supervision behaviour; citations in any usual form find the same article.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
\set VERBOSITY terse

-- article numbers: Chinese numerals, Arabic digits, 之一, paragraphs and items dropped
SELECT a, supervision.article_key(a) AS key
  FROM (VALUES ('第一百一十条'), ('第110条'), ('110'), (' 第 110 条 '), ('第１１０条'), ('第一百一十条第一款'),
               ('第一百一十条第二款第三项'), ('第十条'), ('第十二条之一'), ('第二百零五条'), ('第两千条'), ('第〇条'),
               ('附则'), ('第X条'), ('')) x(a);
SELECT n, supervision.cn_integer(n) FROM (VALUES ('三十'), ('十五'), ('一百零五'), ('一千二百三十四'), ('42'), ('四十二点五'), ('abc')) x(n);

-- the knowledge base is kept by administrators
INSERT INTO supervision.law (name, short_name, issuer, level, effective_on) VALUES
    ('中华人民共和国食品安全法(知识库测试)', '食品安全法(知识库测试)', '全国人民代表大会常务委员会', 'law', '2015-10-01'),
    ('中华人民共和国行政处罚法(知识库测试)', '行政处罚法(知识库测试)', '全国人民代表大会常务委员会', 'law', '2021-07-15');
INSERT INTO supervision.law_article (law_id, article_no, content)
SELECT l.id, a, c FROM supervision.law l, (VALUES ('第一百一十条', '县级以上人民政府食品安全监督管理部门履行食品安全监督管理职责，有权采取下列措施'),
                                                  ('第一百二十四条', '违反本法规定，有下列情形之一……')) x(a, c)
 WHERE l.name = '中华人民共和国食品安全法(知识库测试)';
-- one article, one row: another spelling of the same number is refused
INSERT INTO supervision.law_article (law_id, article_no)
SELECT id, '第110条' FROM supervision.law WHERE name = '中华人民共和国食品安全法(知识库测试)';

-- resolving a citation: full or short name, brackets and spaces ignored, any form of the number
SELECT q, a, (r.law_id IS NOT NULL) AS law_found, art.article_no AS article
  FROM (VALUES ('中华人民共和国食品安全法(知识库测试)', '第一百一十条'), ('《食品安全法（知识库测试）》', '110'),
               ('食品安全法 (知识库测试)', '第110条第一款'), ('食品安全法(知识库测试)', '第九十九条'),
               ('食品安全法(知识库测试)', NULL), ('不存在的法(知识库测试)', '第一条')) x(q, a)
  CROSS JOIN LATERAL supervision.law_resolve(q, a) r
  LEFT JOIN supervision.law_article art ON art.id = r.article_id;

-- catalog items cite the knowledge base
INSERT INTO supervision.department (code, name) VALUES ('301', '知识库测试局') ON CONFLICT DO NOTHING;
SELECT version_no, status FROM supervision.catalog_draft('{
  "department": "301", "main_item_name": "对食品经营活动的监督检查(知识库测试)", "method": "双随机抽查", "object": "食品经营者",
  "legal_basis": [{"law": "食品安全法(知识库测试)", "article": "第一百一十条"}, {"law": "食品安全法(知识库测试)", "article": "第三百条"},
                  {"law": "某地方条例(知识库测试)", "article": "第三条"}],
  "reason": "初次编制"}');
SELECT c.basis_no, c.law_name, c.article_no, l.short_name AS law, a.article_no AS resolved_article
  FROM supervision.law_citation c
  JOIN supervision.catalog_item i ON i.code = c.item_code
  LEFT JOIN supervision.law l ON l.id = c.law_id
  LEFT JOIN supervision.law_article a ON a.id = c.article_id
 WHERE i.department_code = '301' ORDER BY c.basis_no;

-- behaviour cites the knowledge base when it is ingested
INSERT INTO supervision.source_system (code, name, department_code, trust) VALUES ('kb_penalty', '处罚系统(知识库测试)', '301', 80);
CREATE ROLE kb_officer LOGIN IN ROLE supervision_officer;
INSERT INTO supervision.actor_map (db_role, department_code) VALUES ('kb_officer', '301');
SET ROLE kb_officer;
SELECT k, s ->> 'status' AS status, jsonb_path_query_array(s, '$.reasons[*].message') AS reasons,
       jsonb_path_query_array(s, '$.warnings[*].message') AS warnings
  FROM (VALUES
    ('KB-1', supervision.ingest_record('behaviour', 'kb_penalty', 'KB-1', '{"kind": "penalty", "behaviour_no": "CF-1",
        "behaviour_name": "行政处罚", "counterpart_name": "某食品店",
        "legal_basis": [{"law": "《食品安全法(知识库测试)》", "article": "第124条"}, {"law": "中华人民共和国食品安全法(知识库测试)", "article": "一百一十"}]}')),
    ('KB-2', supervision.ingest_record('behaviour', 'kb_penalty', 'KB-2', '{"kind": "penalty", "behaviour_no": "CF-2",
        "behaviour_name": "行政处罚", "counterpart_name": "某食品店",
        "legal_basis": [{"law": "行政处罚法(知识库测试)", "article": "第二十八条"}, {"law": "无此法(知识库测试)"}]}')),
    ('KB-3', supervision.ingest_record('behaviour', 'kb_penalty', 'KB-3', '{"kind": "penalty", "behaviour_no": "CF-3",
        "behaviour_name": "行政处罚", "counterpart_name": "某食品店",
        "legal_basis": ["食品安全法第一百二十四条", {"article": "第一条"}, {"law": "  "}, {"law": "食品安全法(知识库测试)", "article": {"n": 1}},
                        {"law": "食品安全法(知识库测试)", "article": "附则第X条"}, {"law": "食品安全法(知识库测试)", "clause": "1"}]}')),
    ('KB-4', supervision.ingest_record('behaviour', 'kb_penalty', 'KB-4', '{"kind": "penalty", "behaviour_no": "CF-4",
        "behaviour_name": "行政处罚", "counterpart_name": "某食品店", "legal_basis": {"law": "食品安全法(知识库测试)"}}'))
  ) t(k, s) ORDER BY k;
-- what was kept: the citations as sent and the articles they named at ingestion
SELECT b.source_key, jsonb_array_length(b.legal_basis) AS citations,
       (SELECT array_agg(a.article_no ORDER BY o) FROM unnest(b.legal_articles) WITH ORDINALITY u(id, o)
          JOIN supervision.law_article a ON a.id = u.id) AS articles
  FROM supervision.behaviour b WHERE b.source_code = 'kb_penalty' ORDER BY b.source_key;
SELECT b.source_key, c.basis_no, c.law_name, c.article_no, c.law_id IS NOT NULL AS law_found, c.article_id IS NOT NULL AS article_found
  FROM supervision.behaviour_citation c JOIN supervision.behaviour b ON b.id = c.behaviour_id
 WHERE b.source_code = 'kb_penalty' ORDER BY b.source_key, c.basis_no;
-- officers keep to reading the knowledge base
INSERT INTO supervision.law (name) VALUES ('officer law (知识库测试)');
RESET ROLE;

-- an article added later: the live view finds it at once; the behaviour rows point at it after law_relink()
INSERT INTO supervision.law_article (law_id, article_no)
SELECT id, '第28条' FROM supervision.law WHERE name = '中华人民共和国行政处罚法(知识库测试)';
SELECT b.source_key, c.basis_no, c.article_id IS NOT NULL AS article_found, cardinality(b.legal_articles) AS linked
  FROM supervision.behaviour_citation c JOIN supervision.behaviour b ON b.id = c.behaviour_id
 WHERE b.source_key = 'KB-2' AND b.source_code = 'kb_penalty' ORDER BY c.basis_no;
SET ROLE kb_officer;
SELECT supervision.law_relink();
RESET ROLE;
SELECT supervision.law_relink() >= 1 AS relinked;
SELECT a.article_no FROM supervision.behaviour b, unnest(b.legal_articles) u(id), supervision.law_article a
 WHERE a.id = u.id AND b.source_code = 'kb_penalty' AND b.source_key = 'KB-2';
SELECT supervision.law_relink() AS relinked_again;

-- the anonymous web role sees none of it
SET ROLE supervision_api_anon;
SELECT count(*) FROM supervision.behaviour_citation;
RESET ROLE;
