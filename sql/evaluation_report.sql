-- Evaluation reports (issue 5, §3): a run as Markdown, HTML or JSON, with a bar
-- chart of the scores and a map of Jiangsu's cities coloured by score, both
-- SVG drawn here from the stored run and the PostGIS boundaries.
-- docs/evaluation.md ("Reports") describes the formats.

-- Text for HTML and SVG (element content and quoted attributes alike).
CREATE FUNCTION supervision.evaluation_xml_escape(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN replace(replace(replace(replace(replace(p, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;');
COMMENT ON FUNCTION supervision.evaluation_xml_escape(text) IS
    'Escapes text for HTML/XML content and attributes: & < > " '' become character references';

-- Text for a Markdown table cell: no HTML gets through, no Markdown syntax
-- takes effect, no line break or pipe splits the cell.
CREATE FUNCTION supervision.evaluation_md_escape(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
           regexp_replace(replace(replace(replace(p, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                          '([\\`*_\[\]|~])', '\\\1', 'g'),
           '[\r\n\t]+', ' ', 'g');
COMMENT ON FUNCTION supervision.evaluation_md_escape(text) IS
    'Escapes text for a Markdown table cell: & < > as character references, the characters that start emphasis, code, links and strikethrough (\\ ` * _ [ ] ~) and the cell separator | backslash-escaped, line breaks as spaces';

-- The colour of a score (0-100) on the reports' sequential scale.
CREATE FUNCTION supervision.evaluation_colour(p_score double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    -- stops at 0, 25, 50, 75, 100: pale yellow, light green, green, teal, dark blue
    r int[] := ARRAY[255, 199, 124, 47, 27];
    g int[] := ARRAY[245, 227, 192, 143, 79];
    b int[] := ARRAY[214, 161, 143, 138, 114];
    v float8 := greatest(0, least(100, p_score)) / 25;
    i int := least(4, floor(v)::int);
    f float8 := v - i;
BEGIN
    IF i = 4 THEN
        i := 3; f := 1;
    END IF;
    RETURN '#' || lpad(to_hex(round(r[i + 1] + f * (r[i + 2] - r[i + 1]))::int), 2, '0')
               || lpad(to_hex(round(g[i + 1] + f * (g[i + 2] - g[i + 1]))::int), 2, '0')
               || lpad(to_hex(round(b[i + 1] + f * (b[i + 2] - b[i + 1]))::int), 2, '0');
END
$$;
COMMENT ON FUNCTION supervision.evaluation_colour(double precision) IS
    'Colour (#rrggbb) of a score on the reports'' scale: 0 pale yellow, 25 light green, 50 green, 75 teal, 100 dark blue, linear in between';

CREATE FUNCTION supervision.evaluation_fmt(p double precision, p_digits integer DEFAULT 2, p_signed boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p IS NULL THEN NULL
            WHEN p_signed AND round(p::numeric, p_digits) > 0 THEN '+' || round(p::numeric, p_digits)::text
            ELSE round(p::numeric, p_digits)::text END;
COMMENT ON FUNCTION supervision.evaluation_fmt(double precision, integer, boolean) IS
    'A number rounded for reports (NULL stays NULL); signed adds + to positive values';

CREATE FUNCTION supervision.evaluation_fmt_value(p double precision) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale(round(p::numeric, 4))::text;
COMMENT ON FUNCTION supervision.evaluation_fmt_value(double precision) IS
    'A raw indicator value for reports: at most 4 decimals, no trailing zeros (NULL stays NULL)';

CREATE FUNCTION supervision.evaluation_rank_change(p_rank_delta integer, p_has_previous boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN NOT p_has_previous THEN 'new'
            WHEN p_rank_delta > 0 THEN '↑' || p_rank_delta
            WHEN p_rank_delta < 0 THEN '↓' || -p_rank_delta
            ELSE '=' END;
COMMENT ON FUNCTION supervision.evaluation_rank_change(integer, boolean) IS
    'A rank change for reports: ↑n moved up n places, ↓n down, = same rank, new = not in the previous run';

-- The run, or an error when it does not exist (or the caller may not see it).
CREATE FUNCTION supervision.evaluation_report_run(p_run bigint) RETURNS supervision.evaluation_run
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r supervision.evaluation_run;
BEGIN
    SELECT * INTO r FROM supervision.evaluation_run WHERE id = p_run;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no evaluation run %', p_run
            USING ERRCODE = 'no_data_found', HINT = 'The runs are listed in supervision.evaluation_run.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_report_run(bigint) IS 'Internal: the run of a report, or error P0002';

-- Structured report: everything the other formats show.
CREATE FUNCTION supervision.evaluation_report_json(p_run bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r supervision.evaluation_run := supervision.evaluation_report_run(p_run);
BEGIN
    RETURN (
    WITH nodes AS (
        SELECT n.*, (SELECT d.node_code FROM supervision.evaluation_run_node d
                      WHERE d.run_id = n.run_id AND d.depth = 1 AND (n.sort_key = d.sort_key OR n.sort_key LIKE d.sort_key || '/%')) AS dimension
          FROM supervision.evaluation_run_node n WHERE n.run_id = r.id
    )
    SELECT jsonb_build_object(
        'report', 'supervision.evaluation_report',
        'run', jsonb_build_object(
            'id', r.id, 'period_start', r.period_start, 'period_end', r.period_end, 'unit_level', r.unit_level,
            'unit_count', r.unit_count, 'missing', r.missing, 'created_by', r.created_by, 'created_at', r.created_at,
            'system', jsonb_build_object('id', s.id, 'code', s.code, 'version', s.version, 'name', s.name),
            'previous_run', (SELECT jsonb_build_object('id', p.id, 'period_start', p.period_start, 'period_end', p.period_end,
                                                       'system_version', ps.version)
                               FROM supervision.evaluation_run p JOIN supervision.evaluation_system ps ON ps.id = p.system_id
                              WHERE p.id = r.previous_run_id)),
        'scale', 'score 0-100 = 100 x the weighted sum of the indicators'' min-max normalised values: 100 = best of the units on every indicator, 0 = worst on every indicator; points = a node''s contribution to the score',
        'nodes', (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                        'code', n.node_code, 'parent', n.parent_code, 'name', n.name, 'kind', n.kind, 'depth', n.depth,
                        'method', n.method, 'direction', n.direction, 'source', n.source, 'unit', n.value_unit,
                        'weight', round(n.weight::numeric, 6), 'global_weight', round(n.global_weight::numeric, 6),
                        'excluded', n.excluded)) || jsonb_build_object('detail', n.detail) ORDER BY n.sort_key)
                    FROM nodes n),
        'units', (SELECT jsonb_agg(jsonb_build_object(
                        'rank', u.rank, 'code', u.unit_code, 'name', u.unit_name, 'score', round(u.score::numeric, 4),
                        'previous_score', round(u.previous_score::numeric, 4), 'score_delta', round(u.score_delta::numeric, 4),
                        'previous_rank', u.previous_rank, 'rank_delta', u.rank_delta,
                        'dimensions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                              'code', n.node_code, 'name', n.name, 'weight', round(n.weight::numeric, 6),
                                              'score', round((100 * sc.value)::numeric, 4),
                                              'points', round((100 * n.global_weight * coalesce(sc.value, 0))::numeric, 4))
                                              ORDER BY n.sort_key), '[]')
                                         FROM nodes n
                                         LEFT JOIN supervision.evaluation_run_score sc
                                           ON sc.run_id = r.id AND sc.unit_code = u.unit_code AND sc.node_code = n.node_code
                                        WHERE n.depth = 1),
                        'indicators', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                              'code', n.node_code, 'name', n.name, 'dimension', n.dimension,
                                              'raw', sc.raw_value, 'normalized', round(sc.value::numeric, 6),
                                              'points', round((100 * n.global_weight * coalesce(sc.value, 0))::numeric, 4),
                                              'imputed', sc.imputed)
                                              ORDER BY n.sort_key), '[]')
                                         FROM nodes n
                                         LEFT JOIN supervision.evaluation_run_score sc
                                           ON sc.run_id = r.id AND sc.unit_code = u.unit_code AND sc.node_code = n.node_code
                                        WHERE n.kind = 'indicator'))
                        ORDER BY u.rank, u.unit_code)
                    FROM supervision.evaluation_run_unit u WHERE u.run_id = r.id))
      FROM supervision.evaluation_system s WHERE s.id = r.system_id);
END
$$;
COMMENT ON FUNCTION supervision.evaluation_report_json(bigint) IS
    'The report of a run as JSON: run (system, period, previous run), nodes with the weights used, units in rank order with score, changes, points per dimension and every indicator''s raw and normalised value';

-- Bar chart of the scores, best first.
CREATE FUNCTION supervision.evaluation_svg_bars(p_run bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r       supervision.evaluation_run := supervision.evaluation_report_run(p_run);
    v_left  constant int := 150;     -- room for the names
    v_bar   constant int := 360;     -- 100 points
    v_row   constant int := 24;
    v_top   constant int := 34;
    v_h     int := v_top + r.unit_count * v_row + 12;
    v_w     int := v_left + v_bar + 70;
BEGIN
    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="bars-title">',
                  v_w, v_h, v_w, v_h)
        || '<title id="bars-title">' || supervision.evaluation_xml_escape(format('Scores of run %s (0-100)', r.id)) || '</title>'
        || '<g font-family="sans-serif" font-size="12" fill="#1d2b36">'
        || (SELECT string_agg(format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#d5dde5"/><text x="%s" y="%s" text-anchor="middle" fill="#5b6b78">%s</text>',
                                     v_left + t * v_bar / 100, v_top - 6, v_left + t * v_bar / 100, v_h - 8,
                                     v_left + t * v_bar / 100, v_top - 12, t), '' ORDER BY t)
              FROM generate_series(0, 100, 25) t)
        || (SELECT string_agg(format('<g class="bar" id="bar-%s"><title>%s</title><text x="%s" y="%s" text-anchor="end">%s</text><rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#5b6b78" stroke-width="0.5"/><text x="%s" y="%s">%s</text></g>',
                                     supervision.evaluation_xml_escape(u.unit_code),
                                     supervision.evaluation_xml_escape(format('%s: %s (rank %s)', u.unit_name, supervision.evaluation_fmt(u.score), u.rank)),
                                     v_left - 8, v_top + (o - 1) * v_row + 16,
                                     supervision.evaluation_xml_escape(u.rank || '. ' || u.unit_name),
                                     v_left, v_top + (o - 1) * v_row + 4, round((u.score * v_bar / 100)::numeric, 1), v_row - 8,
                                     supervision.evaluation_colour(u.score),
                                     v_left + round((u.score * v_bar / 100)::numeric, 1) + 5, v_top + (o - 1) * v_row + 16,
                                     supervision.evaluation_fmt(u.score)), '' ORDER BY o)
              FROM (SELECT x.*, row_number() OVER (ORDER BY x.rank, x.unit_code) AS o
                      FROM supervision.evaluation_run_unit x WHERE x.run_id = r.id) u)
        || '</g></svg>';
END
$$;
COMMENT ON FUNCTION supervision.evaluation_svg_bars(bigint) IS
    'SVG bar chart of a run: one bar per unit in rank order, length = score (0-100), coloured by evaluation_colour';

-- Map of Jiangsu's 13 cities coloured by score (city-level runs; NULL otherwise).
-- Equirectangular projection scaled by cos(mid latitude), north up.
CREATE FUNCTION supervision.evaluation_svg_map(p_run bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    r       supervision.evaluation_run := supervision.evaluation_report_run(p_run);
    v_width constant float8 := 520;   -- drawing width in px
    v_pad   constant float8 := 12;
    v_tol   constant float8 := 0.004; -- simplification in degrees (about 400 m, under one pixel)
    e       record;
    v_kx    float8;
    v_k     float8;
    v_h     float8;
    v_map   text;
    v_labels text;
    v_legend text;
    v_none  boolean;
BEGIN
    IF r.unit_level <> 'city' THEN
        RETURN NULL;
    END IF;
    SELECT ST_XMin(x.ext) AS x0, ST_XMax(x.ext) AS x1, ST_YMin(x.ext) AS y0, ST_YMax(x.ext) AS y1 INTO e
      FROM (SELECT ST_Extent(b.geom)::geometry AS ext
              FROM supervision.division_boundary b JOIN supervision.division d ON d.code = b.code
             WHERE d.kind = 'city' AND d.level = 2 AND d.code LIKE '32%') x;
    IF e.x0 IS NULL THEN
        RETURN NULL;                      -- no boundaries stored
    END IF;
    v_kx := cos(radians((e.y0 + e.y1) / 2));
    v_k := v_width / ((e.x1 - e.x0) * v_kx);
    v_h := (e.y1 - e.y0) * v_k;
    -- ST_AsSVG writes -y: the affine map puts y' = k * lat - k * ymax - pad, so -y' grows southwards from the top
    WITH c AS (
        SELECT d.code, d.name, b.geom, u.score, u.rank
          FROM supervision.division d
          JOIN supervision.division_boundary b ON b.code = d.code
          LEFT JOIN supervision.evaluation_run_unit u ON u.run_id = r.id AND u.unit_code = d.code
         WHERE d.kind = 'city' AND d.level = 2 AND d.code LIKE '32%'
    )
    SELECT string_agg(format('<path id="city-%s" class="%s" d="%s" fill="%s" fill-rule="evenodd" stroke="#ffffff" stroke-width="1"><title>%s</title></path>',
                             supervision.evaluation_xml_escape(c.code), CASE WHEN c.score IS NULL THEN 'city none' ELSE 'city' END,
                             ST_AsSVG(ST_Affine(ST_SimplifyPreserveTopology(c.geom, v_tol), v_k * v_kx, 0, 0, v_k,
                                                v_pad - v_k * v_kx * e.x0, -v_k * e.y1 - v_pad), 0, 1),
                             CASE WHEN c.score IS NULL THEN '#e3e6e8' ELSE supervision.evaluation_colour(c.score) END,
                             supervision.evaluation_xml_escape(CASE WHEN c.score IS NULL THEN c.name || ': not evaluated'
                                                                    ELSE format('%s: %s (rank %s)', c.name, supervision.evaluation_fmt(c.score), c.rank) END)),
                      '' ORDER BY c.code),
           string_agg(format('<text x="%s" y="%s" text-anchor="middle">%s<tspan x="%s" dy="13" class="score">%s</tspan></text>',
                             round((v_pad + v_k * v_kx * (ST_X(p.pt) - e.x0))::numeric, 1), round((v_pad + v_k * (e.y1 - ST_Y(p.pt)))::numeric, 1),
                             supervision.evaluation_xml_escape(c.name),
                             round((v_pad + v_k * v_kx * (ST_X(p.pt) - e.x0))::numeric, 1),
                             coalesce(supervision.evaluation_fmt(c.score), '—')), '' ORDER BY c.code),
           bool_or(c.score IS NULL)
      INTO v_map, v_labels, v_none
      FROM c CROSS JOIN LATERAL (SELECT ST_PointOnSurface(c.geom) AS pt) p;
    -- the legend: the colour scale from 0 to 100
    v_legend := format('<g class="legend" transform="translate(%s,%s)" font-size="11">', v_pad, round((v_h + 2 * v_pad + 8)::numeric, 1))
        || '<defs><linearGradient id="score-scale" x1="0" x2="1" y1="0" y2="0">'
        || (SELECT string_agg(format('<stop offset="%s" stop-color="%s"/>', round(t / 100.0, 2), supervision.evaluation_colour(t)), '' ORDER BY t)
              FROM generate_series(0, 100, 25) t)
        || '</linearGradient></defs>'
        || '<text x="0" y="10">得分 Score</text>'
        || '<rect x="70" y="0" width="240" height="12" fill="url(#score-scale)" stroke="#5b6b78" stroke-width="0.5"/>'
        || (SELECT string_agg(format('<text x="%s" y="26" text-anchor="middle">%s</text>', 70 + t * 240 / 100, t), '' ORDER BY t)
              FROM generate_series(0, 100, 25) t)
        || CASE WHEN v_none THEN '<rect x="330" y="0" width="16" height="12" fill="#e3e6e8" stroke="#5b6b78" stroke-width="0.5"/><text x="352" y="10">未参评 not evaluated</text>' ELSE '' END
        || '</g>';
    RETURN format('<svg xmlns="http://www.w3.org/2000/svg" class="map" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="map-title">',
                  round((v_width + 2 * v_pad)::numeric), round((v_h + 2 * v_pad + 46)::numeric),
                  round((v_width + 2 * v_pad)::numeric), round((v_h + 2 * v_pad + 46)::numeric))
        || '<title id="map-title">' || supervision.evaluation_xml_escape(format('Jiangsu cities by score, run %s', r.id)) || '</title>'
        || '<g class="cities">' || v_map || '</g>'
        || '<g class="labels" font-family="sans-serif" font-size="12" fill="#1d2b36" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
        || v_labels || '</g>'
        || '<g font-family="sans-serif" fill="#1d2b36">' || v_legend || '</g>'
        || '</svg>';
END
$$;
COMMENT ON FUNCTION supervision.evaluation_svg_map(bigint) IS
    'SVG map of Jiangsu''s 13 cities (boundaries from supervision.division_boundary, simplified to about 400 m) coloured by the run''s scores, names and scores at ST_PointOnSurface, with the colour scale; NULL for a department-level run. Projection: x = k cos(mid latitude) (lon - west), y = k (north - lat).';

-- PostGIS lives in some schema (normally public): pin it on the map's search path.
DO $$
DECLARE
    v_schema name;
BEGIN
    SELECT n.nspname INTO STRICT v_schema
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'postgis';
    EXECUTE format('ALTER FUNCTION supervision.evaluation_svg_map(bigint) SET search_path = pg_catalog, %I, pg_temp', v_schema);
END
$$;

CREATE FUNCTION supervision.evaluation_report_markdown(p_run bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j      jsonb := supervision.evaluation_report_json(p_run);
    v_run  jsonb := j -> 'run';
    v_dims jsonb := (SELECT coalesce(jsonb_agg(n ORDER BY o), '[]') FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o)
                      WHERE (n ->> 'depth')::int = 1);
    v_inds jsonb := (SELECT coalesce(jsonb_agg(n ORDER BY o), '[]') FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o)
                      WHERE n ->> 'kind' = 'indicator');
    md     text;
BEGIN
    md := '# ' || supervision.evaluation_md_escape(v_run -> 'system' ->> 'name') || ' — 评估报告 evaluation report, run ' || (v_run ->> 'id') || E'\n\n'
       || '- 指标体系 Index system: `' || (v_run -> 'system' ->> 'code') || '` version ' || (v_run -> 'system' ->> 'version') || E'\n'
       || '- 评估期 Period: ' || (v_run ->> 'period_start') || ' to ' || (v_run ->> 'period_end') || E'\n'
       || '- 评估对象 Units: ' || (v_run ->> 'unit_count') || CASE v_run ->> 'unit_level' WHEN 'city' THEN ' cities (设区市)' ELSE ' departments (部门)' END || E'\n'
       || '- 对比 Compared with: ' || coalesce('run ' || (v_run -> 'previous_run' ->> 'id') || ' (' || (v_run -> 'previous_run' ->> 'period_start')
                                              || ' to ' || (v_run -> 'previous_run' ->> 'period_end') || ')', 'no earlier run') || E'\n'
       || '- 得分 Scores: 0–100, 100 × the weighted sum of the min-max normalised indicators (100 = best of the units on every indicator, 0 = worst on every one)'
       || CASE WHEN v_run ->> 'missing' = 'worst' THEN '; a missing value counted as the worst' ELSE '' END || E'\n\n';
    -- ranking, with a bar drawn in text
    md := md || E'## 排名 Ranking\n\n| 名次 Rank | 单位 Unit | 得分 Score | 变化 Change | 名次变化 Rank change | |\n|---:|:---|---:|---:|:---:|:---|\n'
       || (SELECT string_agg(format('| %s | %s | %s | %s | %s | %s |', u ->> 'rank', supervision.evaluation_md_escape(u ->> 'name'),
                                    supervision.evaluation_fmt((u ->> 'score')::float8),
                                    coalesce(supervision.evaluation_fmt((u ->> 'score_delta')::float8, 2, true), '—'),
                                    supervision.evaluation_rank_change((u ->> 'rank_delta')::int, u ->> 'previous_rank' IS NOT NULL),
                                    repeat('█', floor((u ->> 'score')::float8 / 5)::int)
                                        || CASE WHEN ((u ->> 'score')::float8 / 5) - floor((u ->> 'score')::float8 / 5) >= 0.5 THEN '▌' ELSE '' END),
                             E'\n' ORDER BY o)
             FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
       || E'\n\n';
    -- points per dimension
    md := md || E'## 各维度得分 Points by dimension\n\nPoints each dimension adds to the score (its share of the score in brackets).\n\n'
       || '| 名次 Rank | 单位 Unit | '
       || (SELECT string_agg(supervision.evaluation_md_escape(d ->> 'name') || ' (' || round(100 * (d ->> 'global_weight')::numeric, 1) || '%)', ' | ' ORDER BY o)
             FROM jsonb_array_elements(v_dims) WITH ORDINALITY t(d, o))
       || E' | 得分 Score |\n|---:|:---|' || repeat('---:|', jsonb_array_length(v_dims)) || E'---:|\n'
       || (SELECT string_agg('| ' || (u ->> 'rank') || ' | ' || supervision.evaluation_md_escape(u ->> 'name') || ' | '
                             || (SELECT string_agg(coalesce(supervision.evaluation_fmt((x ->> 'points')::float8), '—'), ' | ' ORDER BY p)
                                   FROM jsonb_array_elements(u -> 'dimensions') WITH ORDINALITY s(x, p))
                             || ' | ' || supervision.evaluation_fmt((u ->> 'score')::float8) || ' |', E'\n' ORDER BY o)
             FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
       || E'\n\n';
    -- raw values of the indicators
    md := md || E'## 指标原始值 Indicator values\n\n↑ more is better, ↓ less is better; * a missing value counted as the worst.\n\n'
       || '| 单位 Unit | '
       || (SELECT string_agg(supervision.evaluation_md_escape(d ->> 'name') || CASE d ->> 'direction' WHEN 'benefit' THEN ' ↑' ELSE ' ↓' END
                             || coalesce(' (' || supervision.evaluation_md_escape(d ->> 'unit') || ')', ''), ' | ' ORDER BY o)
             FROM jsonb_array_elements(v_inds) WITH ORDINALITY t(d, o))
       || E' |\n|:---|' || repeat('---:|', jsonb_array_length(v_inds)) || E'\n'
       || (SELECT string_agg('| ' || supervision.evaluation_md_escape(u ->> 'name') || ' | '
                             || (SELECT string_agg(coalesce(supervision.evaluation_fmt_value((x ->> 'raw')::float8), '—')
                                                   || CASE WHEN (x ->> 'imputed')::boolean THEN '*' ELSE '' END, ' | ' ORDER BY p)
                                   FROM jsonb_array_elements(u -> 'indicators') WITH ORDINALITY s(x, p))
                             || ' |', E'\n' ORDER BY o)
             FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
       || E'\n\n';
    -- the weights used
    md := md || E'## 权重 Weights\n\n| 节点 Node | 上级 Parent | 赋权方法 Method | 权重 Weight | 占总分 Share of score | 说明 Note |\n|:---|:---|:---|---:|---:|:---|\n'
       || (SELECT string_agg(format('| %s%s | %s | %s | %s | %s | %s |',
                                    repeat('· ', (n ->> 'depth')::int), supervision.evaluation_md_escape(n ->> 'name'),
                                    coalesce('`' || (n ->> 'parent') || '`', ''),
                                    coalesce(n ->> 'method', CASE n ->> 'source' WHEN 'query' THEN 'query `' || (n -> 'detail' ->> 'query') || '`'
                                                                                 ELSE 'entered `' || (n -> 'detail' ->> 'indicator') || '`' END),
                                    supervision.evaluation_fmt((n ->> 'weight')::float8, 4),
                                    round(100 * (n ->> 'global_weight')::numeric, 2) || '%',
                                    concat_ws('; ', CASE WHEN n ->> 'excluded' IS NOT NULL THEN 'left out: ' || (n ->> 'excluded') END,
                                              CASE WHEN n ->> 'method' = 'ahp' THEN 'CR ' || supervision.evaluation_fmt((n -> 'detail' ->> 'cr')::float8, 4) END)),
                             E'\n' ORDER BY o)
             FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o))
       || E'\n\n';
    md := md || E'## 图表 Charts\n\n'
       || 'The bar chart of the scores and the map of the cities are SVG pictures: they are in the HTML report '
       || '(`supervision.evaluation_report(' || (v_run ->> 'id') || ', ''html'')`), and each alone from '
       || '`supervision.evaluation_svg_bars(' || (v_run ->> 'id') || ')` and `supervision.evaluation_svg_map(' || (v_run ->> 'id') || ')`.'
       || E'\n';
    RETURN md;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_report_markdown(bigint) IS
    'The report of a run as Markdown: summary, ranking with a text bar, points per dimension, indicator values, weights; the SVG pictures are named, not embedded (see docs/evaluation.md)';

CREATE FUNCTION supervision.evaluation_report_html(p_run bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j      jsonb := supervision.evaluation_report_json(p_run);
    v_run  jsonb := j -> 'run';
    v_dims jsonb := (SELECT coalesce(jsonb_agg(n ORDER BY o), '[]') FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o)
                      WHERE (n ->> 'depth')::int = 1);
    v_inds jsonb := (SELECT coalesce(jsonb_agg(n ORDER BY o), '[]') FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o)
                      WHERE n ->> 'kind' = 'indicator');
    v_map  text := supervision.evaluation_svg_map(p_run);
    v_title text := format('%s — 评估报告 run %s (%s to %s)', v_run -> 'system' ->> 'name', v_run ->> 'id',
                           v_run ->> 'period_start', v_run ->> 'period_end');
    h      text;
BEGIN
    h := E'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8"/>\n'
      || E'<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
      || '<meta name="generator" content="supervision.evaluation_report"/>' || E'\n'
      || '<title>' || supervision.evaluation_xml_escape(v_title) || E'</title>\n'
      || E'<style>\n'
      || E'body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1d2b36; max-width: 1180px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }\n'
      || E'h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #c9d3dc; }\n'
      || E'table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }\n'
      || E'th, td { border: 1px solid #c9d3dc; padding: 0.25em 0.6em; }\n'
      || E'th { background: #eef2f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }\n'
      || E'.up { color: #1a7f37; } .down { color: #c62828; } .muted { color: #5b6b78; }\n'
      || E'.swatch { display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #5b6b78; vertical-align: middle; margin-right: 0.3em; }\n'
      || E'figure { display: inline-block; vertical-align: top; margin: 0 1.5em 1em 0; } figcaption { color: #5b6b78; font-size: 0.9em; }\n'
      || E'dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; } dl.meta dt { color: #5b6b78; } dl.meta dd { margin: 0; }\n'
      || E'</style>\n</head>\n<body>\n'
      || '<h1>' || supervision.evaluation_xml_escape(v_run -> 'system' ->> 'name') || ' — 评估报告 Evaluation report</h1>' || E'\n'
      || '<dl class="meta">'
      || '<dt>评估批次 Run</dt><dd>' || (v_run ->> 'id') || '</dd>'
      || '<dt>指标体系 Index system</dt><dd>' || supervision.evaluation_xml_escape(v_run -> 'system' ->> 'code') || ' version ' || (v_run -> 'system' ->> 'version') || '</dd>'
      || '<dt>评估期 Period</dt><dd>' || (v_run ->> 'period_start') || ' to ' || (v_run ->> 'period_end') || '</dd>'
      || '<dt>评估对象 Units</dt><dd>' || (v_run ->> 'unit_count') || CASE v_run ->> 'unit_level' WHEN 'city' THEN ' cities (设区市)' ELSE ' departments (部门)' END || '</dd>'
      || '<dt>对比 Compared with</dt><dd>' || coalesce('run ' || (v_run -> 'previous_run' ->> 'id') || ' (' || (v_run -> 'previous_run' ->> 'period_start')
                                                       || ' to ' || (v_run -> 'previous_run' ->> 'period_end') || ')', 'no earlier run') || '</dd>'
      || '<dt>得分 Scores</dt><dd>0–100: 100 × the weighted sum of the min-max normalised indicators; 100 = best of the units on every indicator, 0 = worst on every one'
      || CASE WHEN v_run ->> 'missing' = 'worst' THEN '; a missing value counted as the worst' ELSE '' END || '</dd>'
      || E'</dl>\n';
    -- ranking
    h := h || E'<section id="ranking">\n<h2>排名 Ranking</h2>\n<table>\n<thead><tr><th>名次 Rank</th><th>单位 Unit</th><th>得分 Score</th><th>变化 Change</th><th>名次变化 Rank change</th></tr></thead>\n<tbody>\n'
      || (SELECT string_agg(format('<tr id="unit-%s"><td class="num">%s</td><td><span class="swatch" style="background: %s"></span>%s</td><td class="num">%s</td><td class="num%s">%s</td><td class="num%s">%s</td></tr>',
                                   supervision.evaluation_xml_escape(u ->> 'code'), u ->> 'rank',
                                   supervision.evaluation_colour((u ->> 'score')::float8),
                                   supervision.evaluation_xml_escape(u ->> 'name'), supervision.evaluation_fmt((u ->> 'score')::float8),
                                   CASE WHEN (u ->> 'score_delta')::float8 > 0 THEN ' up' WHEN (u ->> 'score_delta')::float8 < 0 THEN ' down' ELSE '' END,
                                   coalesce(supervision.evaluation_fmt((u ->> 'score_delta')::float8, 2, true), '—'),
                                   CASE WHEN (u ->> 'rank_delta')::int > 0 THEN ' up' WHEN (u ->> 'rank_delta')::int < 0 THEN ' down' ELSE '' END,
                                   supervision.evaluation_rank_change((u ->> 'rank_delta')::int, u ->> 'previous_rank' IS NOT NULL)),
                            E'\n' ORDER BY o)
            FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
      || E'\n</tbody>\n</table>\n</section>\n';
    -- pictures
    h := h || E'<section id="charts">\n<h2>图表 Charts</h2>\n'
      || '<figure id="bar-chart">' || supervision.evaluation_svg_bars(p_run) || '<figcaption>得分 Scores, best first</figcaption></figure>' || E'\n'
      || CASE WHEN v_map IS NOT NULL
              THEN '<figure id="map">' || v_map || '<figcaption>江苏省设区市得分 Jiangsu''s cities coloured by score</figcaption></figure>'
              ELSE '<p class="muted">No map: the units are departments, not places.</p>' END
      || E'\n</section>\n';
    -- points per dimension
    h := h || E'<section id="dimensions">\n<h2>各维度得分 Points by dimension</h2>\n<p class="muted">Points each dimension adds to the score; its share of the score in brackets.</p>\n<table>\n<thead><tr><th>名次 Rank</th><th>单位 Unit</th>'
      || (SELECT string_agg('<th>' || supervision.evaluation_xml_escape(d ->> 'name') || ' (' || round(100 * (d ->> 'global_weight')::numeric, 1) || '%)</th>', '' ORDER BY o)
            FROM jsonb_array_elements(v_dims) WITH ORDINALITY t(d, o))
      || E'<th>得分 Score</th></tr></thead>\n<tbody>\n'
      || (SELECT string_agg('<tr><td class="num">' || (u ->> 'rank') || '</td><td>' || supervision.evaluation_xml_escape(u ->> 'name') || '</td>'
                            || (SELECT string_agg('<td class="num">' || coalesce(supervision.evaluation_fmt((x ->> 'points')::float8), '—') || '</td>', '' ORDER BY p)
                                  FROM jsonb_array_elements(u -> 'dimensions') WITH ORDINALITY s(x, p))
                            || '<td class="num">' || supervision.evaluation_fmt((u ->> 'score')::float8) || '</td></tr>', E'\n' ORDER BY o)
            FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
      || E'\n</tbody>\n</table>\n</section>\n';
    -- indicator values
    h := h || E'<section id="indicators">\n<h2>指标原始值 Indicator values</h2>\n<p class="muted">↑ more is better, ↓ less is better; the normalised value (0 worst, 1 best) in brackets; * a missing value counted as the worst.</p>\n<table>\n<thead><tr><th>单位 Unit</th>'
      || (SELECT string_agg('<th>' || supervision.evaluation_xml_escape(d ->> 'name') || CASE d ->> 'direction' WHEN 'benefit' THEN ' ↑' ELSE ' ↓' END
                            || coalesce(' (' || supervision.evaluation_xml_escape(d ->> 'unit') || ')', '') || '</th>', '' ORDER BY o)
            FROM jsonb_array_elements(v_inds) WITH ORDINALITY t(d, o))
      || E'</tr></thead>\n<tbody>\n'
      || (SELECT string_agg('<tr><td>' || supervision.evaluation_xml_escape(u ->> 'name') || '</td>'
                            || (SELECT string_agg('<td class="num">' || coalesce(supervision.evaluation_fmt_value((x ->> 'raw')::float8), '—')
                                                  || CASE WHEN (x ->> 'imputed')::boolean THEN '*' ELSE '' END
                                                  || coalesce(' <span class="muted">(' || supervision.evaluation_fmt((x ->> 'normalized')::float8, 3) || ')</span>', '')
                                                  || '</td>', '' ORDER BY p)
                                  FROM jsonb_array_elements(u -> 'indicators') WITH ORDINALITY s(x, p))
                            || '</tr>', E'\n' ORDER BY o)
            FROM jsonb_array_elements(j -> 'units') WITH ORDINALITY t(u, o))
      || E'\n</tbody>\n</table>\n</section>\n';
    -- weights
    h := h || E'<section id="weights">\n<h2>权重 Weights</h2>\n<table>\n<thead><tr><th>节点 Node</th><th>赋权方法 / 来源 Method / source</th><th>权重 Weight</th><th>占总分 Share of score</th><th>说明 Note</th></tr></thead>\n<tbody>\n'
      || (SELECT string_agg(format('<tr><td style="padding-left: %sem">%s</td><td>%s</td><td class="num">%s</td><td class="num">%s%%</td><td>%s</td></tr>',
                                   0.6 + 1.2 * (n ->> 'depth')::int, supervision.evaluation_xml_escape(n ->> 'name'),
                                   supervision.evaluation_xml_escape(coalesce(n ->> 'method', CASE n ->> 'source' WHEN 'query' THEN 'query ' || (n -> 'detail' ->> 'query')
                                                                                                ELSE 'entered ' || (n -> 'detail' ->> 'indicator') END)),
                                   supervision.evaluation_fmt((n ->> 'weight')::float8, 4), round(100 * (n ->> 'global_weight')::numeric, 2),
                                   supervision.evaluation_xml_escape(concat_ws('; ', CASE WHEN n ->> 'excluded' IS NOT NULL THEN 'left out: ' || (n ->> 'excluded') END,
                                                                               CASE WHEN n ->> 'method' = 'ahp' THEN 'CR ' || supervision.evaluation_fmt((n -> 'detail' ->> 'cr')::float8, 4) END))),
                            E'\n' ORDER BY o)
            FROM jsonb_array_elements(j -> 'nodes') WITH ORDINALITY t(n, o))
      || E'\n</tbody>\n</table>\n</section>\n';
    h := h || E'<section id="method">\n<h2>计算方法 How the scores are computed</h2>\n<ol>\n'
      || E'<li>Each indicator''s raw values are normalised over the units: (x − min)/(max − min) when more is better, (max − x)/(max − min) when less is better, so the best unit gets 1 and the worst 0. An indicator with the same value for every unit is left out and its siblings share its weight.</li>\n'
      || E'<li>Each group weights its children by its method: fixed weights, AHP (principal eigenvector of the pairwise comparisons, CR below 0.1), or entropy weights of the children''s values in this period. Weights are scaled to sum 1.</li>\n'
      || E'<li>A group''s value is the weighted sum of its children''s; the score is 100 × the value of the whole system; a node''s points are 100 × its share of the score × its value.</li>\n'
      || E'<li>Equal scores share a rank. Changes compare with the previous run of the same index system and unit level.</li>\n'
      || E'</ol>\n</section>\n</body>\n</html>\n';
    RETURN h;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_report_html(bigint) IS
    'The report of a run as one self-contained HTML page (inline CSS and SVG, no script, no external resource), also well-formed XML';

CREATE FUNCTION supervision.evaluation_report(run_id bigint, format text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF run_id IS NULL THEN
        PERFORM supervision.field_error('run_id', 'the run id is required', NULL, '22004');
    END IF;
    IF format IS NULL THEN
        PERFORM supervision.field_error('format', 'the format is required: markdown, html or json', NULL, '22004');
    END IF;
    CASE lower(btrim(format))
    WHEN 'markdown', 'md' THEN RETURN supervision.evaluation_report_markdown(run_id);
    WHEN 'html' THEN RETURN supervision.evaluation_report_html(run_id);
    WHEN 'json' THEN RETURN jsonb_pretty(supervision.evaluation_report_json(run_id));
    ELSE
        RAISE EXCEPTION 'unknown report format "%"', format
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Formats: markdown, html, json.';
    END CASE;
END
$$;
COMMENT ON FUNCTION supervision.evaluation_report(bigint, text) IS
    'The report of an evaluation run as text: markdown (tables), html (one self-contained page with a bar chart and a map of the cities) or json (structured data, pretty-printed)';

REVOKE ALL ON FUNCTION supervision.evaluation_report(bigint, text), supervision.evaluation_report_json(bigint),
    supervision.evaluation_report_markdown(bigint), supervision.evaluation_report_html(bigint),
    supervision.evaluation_svg_bars(bigint), supervision.evaluation_svg_map(bigint), supervision.evaluation_report_run(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION supervision.evaluation_report(bigint, text), supervision.evaluation_report_json(bigint),
    supervision.evaluation_report_markdown(bigint), supervision.evaluation_report_html(bigint),
    supervision.evaluation_svg_bars(bigint), supervision.evaluation_svg_map(bigint), supervision.evaluation_report_run(bigint)
    TO supervision_admin, supervision_officer, supervision_auditor;
