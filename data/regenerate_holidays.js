#!/usr/bin/env node
// Regenerates data/holidays.csv (China's public holidays and adjusted working
// days, 2019 onward) from the npm package chinese-days. Run through
// data/regenerate_holidays.sh, which installs the package and then writes the
// rows into sql/calendar.sql; the build never runs this file.
//
// Usage: node data/regenerate_holidays.js NODE_MODULES_DIR DATA_DIR
//
// Output layout: header "day,kind,name,source", one row per day, sorted by day:
//   day     YYYY-MM-DD
//   kind    holiday (a day of an official holiday period, whatever the
//           weekday) or workday (a Saturday or Sunday made a working day, 调休)
//   name    the holiday in Chinese (春节, 国庆节, ...); for a workday, the
//           holiday it makes up for
//   source  "npm chinese-days <version>"
// No field is quoted or holds a comma (checked below), so sh and awk can read it.
//
// Prints a report per year (holiday periods and adjusted working days) to
// compare with the State Council's notices, and stops with an error when the
// data does not have the expected shape.
'use strict';

const fs = require('fs');
const path = require('path');

// The first year shipped. Earlier years are in the package too, but the
// extension's calendar starts here (see docs/calendar.md).
const FIRST_YEAR = 2019;

const [modulesDir, dataDir] = process.argv.slice(2);
if (!modulesDir || !dataDir) {
    console.error('usage: node regenerate_holidays.js NODE_MODULES_DIR DATA_DIR');
    process.exit(2);
}

const pkgDir = path.join(modulesDir, 'chinese-days');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const data = JSON.parse(fs.readFileSync(path.join(pkgDir, 'dist', 'chinese-days.json'), 'utf8'));
const source = `npm chinese-days ${pkg.version}`;

const problems = [];
function problem(msg) { problems.push(msg); }

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
function dayOfWeek(day) {
    return new Date(`${day}T00:00:00Z`).getUTCDay();
}
function validDay(day) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
    const d = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

// Values look like "Spring Festival,春节,4": English name, Chinese name, the
// statutory number of days. Only the Chinese name is kept.
function chineseName(day, value) {
    const parts = String(value).split(',');
    if (parts.length !== 3) {
        problem(`${day}: unexpected value "${value}"`);
        return '';
    }
    const name = parts[1].trim();
    if (name === '' || /[",'\r\n]/.test(name)) problem(`${day}: unusable name "${name}"`);
    return name;
}

if (!data || typeof data.holidays !== 'object' || typeof data.workdays !== 'object') {
    console.error('regenerate_holidays.js: dist/chinese-days.json has no "holidays" or "workdays" object');
    process.exit(1);
}

const rows = new Map();
for (const [kind, table] of [['holiday', data.holidays], ['workday', data.workdays]]) {
    for (const [day, value] of Object.entries(table)) {
        if (!validDay(day)) { problem(`${kind} "${day}" is not a date`); continue; }
        if (Number(day.slice(0, 4)) < FIRST_YEAR) continue;
        if (rows.has(day)) { problem(`${day} is both a holiday and an adjusted working day`); continue; }
        const dow = dayOfWeek(day);
        if (kind === 'workday' && dow !== 0 && dow !== 6) {
            problem(`${day} (${WEEKDAY[dow]}) is listed as an adjusted working day but is not a Saturday or Sunday`);
        }
        rows.set(day, { day, kind, name: chineseName(day, value) });
    }
}

const days = [...rows.keys()].sort();
const lastYear = days.length ? Number(days[days.length - 1].slice(0, 4)) : FIRST_YEAR - 1;
if (lastYear < FIRST_YEAR) problem(`no data from ${FIRST_YEAR} on`);

// Report, and check that every year has a schedule (the calendar treats the
// years from the first to the last as covered: a year without rows would
// silently count as a year without holidays).
for (let year = FIRST_YEAR; year <= lastYear; year++) {
    const ofYear = days.filter(d => d.startsWith(`${year}-`)).map(d => rows.get(d));
    const holidays = ofYear.filter(r => r.kind === 'holiday');
    const workdays = ofYear.filter(r => r.kind === 'workday');
    if (holidays.length === 0) problem(`${year}: no holidays`);
    const weekdayHolidays = holidays.filter(r => ![0, 6].includes(dayOfWeek(r.day))).length;
    console.log(`${year}: ${holidays.length} holiday days (${weekdayHolidays} on Mon-Fri), ${workdays.length} adjusted working days`);
    // Holiday periods: runs of consecutive days with the same name.
    let run = null;
    const flush = () => {
        if (run) console.log(`  off   ${run.from} .. ${run.to}  ${run.name}`);
        run = null;
    };
    for (const r of holidays) {
        const prev = run && new Date(`${run.to}T00:00:00Z`);
        const next = prev && new Date(prev.getTime() + 86400000).toISOString().slice(0, 10);
        if (run && run.name === r.name && next === r.day) { run.to = r.day; continue; }
        flush();
        run = { from: r.day, to: r.day, name: r.name };
    }
    flush();
    for (const r of workdays) console.log(`  work  ${r.day} (${WEEKDAY[dayOfWeek(r.day)]})  ${r.name}`);
}

if (problems.length) {
    console.error(`regenerate_holidays.js: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
}

const lines = ['day,kind,name,source'];
for (const day of days) {
    const r = rows.get(day);
    lines.push(`${r.day},${r.kind},${r.name},${source}`);
}
fs.writeFileSync(path.join(dataDir, 'holidays.csv'), lines.join('\n') + '\n');
console.log(`wrote ${days.length} rows (${FIRST_YEAR}-${lastYear}, ${source}) to ${path.join(dataDir, 'holidays.csv')}`);
