#!/usr/bin/env node
// CPU profile of one `plan` command in a benchmark repository, summarised by self time and mapped
// through dist/'s source maps back to src/ and node_modules/ (the bundle is minified).
//
//   node test/bench/profile.mjs large                      # plan lint --format json in .bench/large
//   node test/bench/profile.mjs small -- lint --staged     # any plan arguments after --
//   node test/bench/profile.mjs states -- transition PL0001 update_plan
//   node test/bench/profile.mjs seal -- seal big --key ../seal.keys/lead.key.pem
//     (commands run in .bench/<repo>/; the bench's key passphrase is set unless PLAN_KEY_PASSPHRASE is;
//     a command that changes .plan/ is undone by the next bench run, which restores the working tree)
//   node test/bench/profile.mjs path/to/file.cpuprofile    # summarise an existing profile
//   options: --top N (rows per table, default 25), --json
//
// Run `npm run build` (or `npm run bench`) first; the repositories are the bench's cached ones.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEAL_PASSPHRASE } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

// ---------------------------------------------------------------------------------------------
// source maps (VLQ mappings, no dependency)

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

function decodeMappings(mappings) {
  const lines = [];
  let srcIdx = 0;
  let srcLine = 0;
  let srcCol = 0;
  let nameIdx = 0;
  for (const lineText of mappings.split(';')) {
    const segments = [];
    let genCol = 0;
    if (lineText) {
      for (const seg of lineText.split(',')) {
        if (!seg) continue;
        const values = [];
        let value = 0;
        let shift = 0;
        for (const ch of seg) {
          const digit = B64.get(ch);
          value += (digit & 31) << shift;
          if (digit & 32) shift += 5;
          else {
            values.push(value & 1 ? -(value >>> 1) : value >>> 1);
            value = 0;
            shift = 0;
          }
        }
        genCol += values[0];
        if (values.length >= 4) {
          srcIdx += values[1];
          srcLine += values[2];
          srcCol += values[3];
          if (values.length >= 5) nameIdx += values[4];
          segments.push([genCol, srcIdx, srcLine, srcCol, values.length >= 5 ? nameIdx : -1]);
        }
      }
    }
    lines.push(segments);
  }
  return lines;
}

const maps = new Map();

function loadMap(file) {
  if (maps.has(file)) return maps.get(file);
  let map = null;
  const mapFile = `${file}.map`;
  if (existsSync(mapFile)) {
    const raw = JSON.parse(readFileSync(mapFile, 'utf8'));
    const base = dirname(mapFile);
    map = { sources: raw.sources.map((s) => resolve(base, raw.sourceRoot ?? '', s)), names: raw.names ?? [], lines: decodeMappings(raw.mappings) };
  }
  maps.set(file, map);
  return map;
}

/** Original position of a 0-based generated (line, column), or undefined. */
function originalPosition(file, line, column) {
  const map = loadMap(file);
  const segments = map?.lines[line];
  if (!segments?.length) return undefined;
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid][0] <= column) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  const [, srcIdx, srcLine, , nameIdx] = segments[found];
  // The name at the function's own position is usually absent; look a few segments ahead for it.
  let name = nameIdx >= 0 ? map.names[nameIdx] : undefined;
  for (let k = found + 1; !name && k < Math.min(found + 4, segments.length); k++) if (segments[k][4] >= 0 && segments[k][2] === srcLine) name = map.names[segments[k][4]];
  return { source: map.sources[srcIdx], line: srcLine + 1, name };
}

const sourceLines = new Map();

function sourceLine(path, line) {
  if (!sourceLines.has(path)) sourceLines.set(path, existsSync(path) ? readFileSync(path, 'utf8').split('\n') : []);
  return (sourceLines.get(path)[line - 1] ?? '').trim();
}

// ---------------------------------------------------------------------------------------------
// profile

function rel(path) {
  const r = relative(ROOT, path);
  return r.startsWith('..') ? path : r;
}

/** Where a call frame comes from: { key, label, group }. */
function describeFrame(frame) {
  const { functionName, url, lineNumber, columnNumber } = frame;
  if (!url) return { key: functionName || '(anonymous)', label: functionName || '(anonymous)', group: functionName.startsWith('(') ? functionName : '(native)' };
  if (url.startsWith('node:')) return { key: `${url}:${functionName}`, label: `${functionName || '(anonymous)'} [${url}]`, group: 'node internals' };
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pos = lineNumber >= 0 ? originalPosition(file, lineNumber, columnNumber) : undefined;
  if (pos) {
    const where = `${rel(pos.source)}:${pos.line}`;
    const text = sourceLine(pos.source, pos.line).replace(/\s+/g, ' ').slice(0, 70);
    return { key: where, label: `${where}  ${text}`, group: groupOf(rel(pos.source)) };
  }
  const where = `${rel(file)}:${lineNumber + 1}:${columnNumber + 1}`;
  return { key: where, label: `${functionName || '(anonymous)'} ${where}`, group: groupOf(rel(file)) };
}

/** Files grouped as the lead reads them: one src/ file each, one node_modules package each. */
function groupOf(path) {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  return path;
}

export function summarise(profile, top = 25) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const info = new Map();
  for (const n of profile.nodes) info.set(n.id, describeFrame(n.callFrame));

  const samples = profile.samples;
  const deltas = profile.timeDeltas;
  const totalUs = profile.endTime - profile.startTime;
  const self = new Map();
  const selfGroup = new Map();
  const inclusive = new Map();
  const inclusiveGroup = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one.
    const us = i + 1 < deltas.length ? deltas[i + 1] : (deltas[i] ?? 0);
    const id = samples[i];
    const d = info.get(id);
    add(self, d.key, us);
    add(selfGroup, d.group, us);
    const seen = new Set();
    const seenGroup = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = info.get(at);
      if (!seen.has(f.key)) {
        seen.add(f.key);
        add(inclusive, f.key, us);
      }
      if (!seenGroup.has(f.group)) {
        seenGroup.add(f.group);
        add(inclusiveGroup, f.group, us);
      }
    }
  }
  const labels = new Map([...info.values()].map((d) => [d.key, d.label]));
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ name: labels.get(k) ?? k, ms: Math.round(us / 100) / 10, pct: Math.round((us / totalUs) * 1000) / 10 }));
  return {
    totalMs: Math.round(totalUs / 1000),
    samples: samples.length,
    selfByFunction: rank(self),
    selfByFile: rank(selfGroup),
    inclusiveByFile: rank(inclusiveGroup),
    inclusiveByFunction: rank(inclusive),
  };
}

function printSummary(s, title) {
  const out = [`## CPU profile: ${title}`, '', `${s.totalMs} ms profiled, ${s.samples} samples`, ''];
  const table = (heading, rows) => {
    out.push(`### ${heading}`, '', '| ms | % | where |', '|---:|---:|---|');
    for (const r of rows) out.push(`| ${r.ms.toFixed(1)} | ${r.pct.toFixed(1)} | ${r.name.replaceAll('|', '\\|')} |`);
    out.push('');
  };
  table('self time by file / package', s.selfByFile);
  table('self time by function', s.selfByFunction);
  table('inclusive time by file / package (phases)', s.inclusiveByFile);
  table('inclusive time by function', s.inclusiveByFunction);
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

function main(argv) {
  let top = 25;
  let json = false;
  const positional = [];
  let planArgs = ['lint', '--format', 'json'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      planArgs = argv.slice(i + 1);
      break;
    } else if (a === '--top') top = Number(argv[++i]);
    else if (a === '--json') json = true;
    else positional.push(a);
  }
  const target = positional[0] ?? 'large';
  let profilePath;
  let title;
  if (target.endsWith('.cpuprofile')) {
    profilePath = resolve(target);
    title = profilePath;
  } else {
    const repo = existsSync(target) && statSync(target).isDirectory() ? resolve(target) : join(ROOT, '.bench', target);
    if (!existsSync(join(repo, '.git'))) {
      process.stderr.write(`${repo} is not a generated repository; run \`npm run bench -- --only ${target}\` or generate.mjs first\n`);
      return 2;
    }
    const outDir = join(ROOT, '.bench', 'profiles');
    mkdirSync(outDir, { recursive: true });
    const name = `plan-${Date.now()}.cpuprofile`;
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=${name}`, join(ROOT, 'bin', 'plan.js'), ...planArgs], { cwd: repo, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { PLAN_KEY_PASSPHRASE: SEAL_PASSPHRASE, ...process.env, NO_COLOR: '1' } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    profilePath = join(outDir, name);
    title = `plan ${planArgs.join(' ')} in ${rel(repo)} (exit ${r.status}, ${Math.round(ms)} ms wall)`;
    if (!existsSync(profilePath)) {
      process.stderr.write(`no profile written; plan exited ${r.status}: ${r.stderr.trim().split('\n')[0]}\n`);
      return 2;
    }
  }
  const summary = summarise(JSON.parse(readFileSync(profilePath, 'utf8')), top);
  if (json) process.stdout.write(`${JSON.stringify({ title, profile: profilePath, ...summary }, null, 2)}\n`);
  else {
    printSummary(summary, title);
    process.stdout.write(`profile: ${rel(profilePath)} (open in Chrome DevTools > Performance, or speedscope)\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
