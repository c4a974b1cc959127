/**
 * Property tests of the readers (DESIGN §2, §4): decodeText + parseYaml, parseJson and
 * parseStoryMap, and readArtifact that composes them, on arbitrary bytes and strings, on
 * mutations of real planning files and of the bad-input corpus, and on token soups shaped like
 * YAML, JSON and Markdown. Each must only ever return findings or throw the project's typed
 * errors, with well-formed findings, in bounded time. The inputs that can kill a process
 * (deep nesting at the stack limit) run in a child process, so a fatal abort is counted as a
 * crash instead of taking the test runner down.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { LineIndex } from '../../src/core/parse/lines.js';
import { decodeText, isDecoded } from '../../src/core/parse/text.js';
import { parseJson } from '../../src/core/parse/json.js';
import { parseYaml } from '../../src/core/parse/yaml.js';
import { yamlLintValidator } from '../../src/core/validators/yaml_lint.js';
import type { ValidationContext } from '../../src/core/validators/types.js';
import { FIXTURES } from '../helpers.js';
import { LIMITS, readEverything, readString, type ReadOutcome } from './readers-core.js';
import { BUDGET, cleanupAll, countOnce, record, SEED, tempDir } from './support.js';

const AREA = 'readers';
const RUNS = BUDGET.readerRuns;
/** No single input may take longer than this (a catastrophic regex or an alias expansion would). */
const PER_INPUT_MS = 2_000;
const params = (numRuns: number) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: false });

const stats = { inputs: 0, crashes: 0, violations: 0 };
afterAll(() => {
  record(AREA, { inputs: stats.inputs, crashes: stats.crashes, violations: stats.violations });
  cleanupAll();
});

/** Malformed results (a finding outside the file, no value without a finding), one example per kind, asserted at the end. */
const malformed = new Map<string, string>();

/**
 * Runs `read` on one input and fails the property (counting why) on an untyped throw or a slow
 * read; a malformed result is collected instead, so it does not hide a crash from the shrinker.
 */
function check(read: () => ReadOutcome, describeInput: () => string): void {
  stats.inputs++;
  const started = performance.now();
  const outcome = read();
  const ms = performance.now() - started;
  if (outcome.untyped) {
    countOnce(stats, 'crashes', outcome.untyped);
    throw new Error(`${outcome.untyped}\ninput: ${describeInput()}`);
  }
  for (const problem of outcome.problems) {
    const kind = problem.replace(/\d+/g, 'N');
    if (!malformed.has(kind)) {
      stats.violations++;
      malformed.set(kind, `${problem}\n    input: ${describeInput()}`);
    }
  }
  if (ms > PER_INPUT_MS) {
    countOnce(stats, 'violations', 'slow read');
    throw new Error(`reading took ${ms.toFixed(0)} ms (limit ${PER_INPUT_MS} ms)\ninput: ${describeInput()}`);
  }
}

const show = (bytes: Uint8Array) => () => JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 400));
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

// ---------------------------------------------------------------------------------------------
// seeds: real planning files and the corpus

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

const SEEDS: Uint8Array[] = [...filesUnder(join(FIXTURES, 'seed')), ...filesUnder(join(FIXTURES, 'corpus'))].map((f) => new Uint8Array(readFileSync(f)));

type Mutation = { op: 'flip' | 'set' | 'insert' | 'delete' | 'duplicate' | 'splice-seed'; at: number; value: number; length: number; seed: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'duplicate', 'splice-seed'),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  length: fc.integer({ min: 1, max: 64 }),
  seed: fc.nat(),
});

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Buffer.from(input);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    switch (m.op) {
      case 'flip':
        if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << (m.value % 8);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at % bytes.length] = m.value;
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.alloc(1 + (m.length % 4), m.value), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at, at + m.length), bytes.subarray(at + m.length)]);
        break;
      case 'splice-seed': {
        const other = SEEDS[m.seed % SEEDS.length]!;
        const from = other.length === 0 ? 0 : m.value % other.length;
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(other.subarray(from, from + m.length * 4)), bytes.subarray(at)]);
        break;
      }
    }
  }
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------------------------------------
// token soups

const YAML_TOKENS = [
  'version: "1.0.0"\n', 'tasks:\n', '  - id: P-001\n', '    title: ', '    dependencies: [', ']', '[', '{', '}', ', ', ': ', '- ', '? ', '\n', '\r\n', '  ', '    ', '\t',
  '&a ', '*a', '&b ', '*b', '<<: *a\n', '!!str ', '!!int ', '!!binary ', '!!set ', '!!omap ', '!custom ', '!<tag:x> ', '%YAML 1.1\n', '%TAG ! tag:x:\n', '---\n', '...\n', '--- ', '|', '>-', '|+2', '#', '# c\n',
  '"', "'", '"\\x41\\u00e9\\U0001F600"', "'it''s'", '"\\', 'yes', 'no', 'on', 'off', 'y', 'n', '~', 'null', 'Null', 'true', 'TRUE', '.inf', '-.inf', '.NaN', '0x1F', '0o17', '0b101', '010', '1_000', '+1', '1e3', '1e400', '-0', '12:30:00', '2024-01-15',
  '2024-13-45T25:61:00Z', '__proto__', 'constructor', 'P-001', 'P-002', '\ufeff', '\u2028', '\u0085', '\u00a0', 'é', '😀', '\u200b', '<<<<<<< HEAD\n', '=======\n', '>>>>>>> topic\n', '\\', '@', '`', '%', ',', '\x7f', '\x1b',
];
const JSON_TOKENS = ['{', '}', '[', ']', ',', ':', '"a"', '"a"', '"tasks"', '"\\u0000"', '"\\ud800"', '"\\uDFFF\\uD800"', '"\\x"', '"\\', '1', '-0', '1e999', '0.1e-400', '123456789012345678901234567890', 'true', 'false', 'null', 'NaN', 'Infinity', ' ', '\n', '\t', '\r', '\ufeff', '//', '/*', '*/', "'a'", '__proto__', '"__proto__"', '01', '.5', '+1', '0x10', '\u2028'];
const MD_TOKENS = [
  '# ', '## ', '### ', '#### ', '####### ', 'Epic: ', 'Epic:', 'Backbone', 'Release 1', 'Walking Skeleton (MVP)', 'Milestone', '\n', '\r\n', '- ', '* ', '+ ', '1. ', '123456789) ', '  ', '    ', '\t', '**', '__', '`', '```', '~~~', '```js\n',
  '<!--', '-->', '<!-- x -->', '[', ']', '(', ')', '](', '→', '->', 'P-001', 'P-002', 'AB-12-34', 'p-001', 'P-', '-1', 'X', ' ', 'text', '#', '\\', '<', '>', '|', '\u0000', '\ud800', '😀', '\u202e',
];

/** A soup of tokens, some repeated many times (long runs find quadratic paths). */
function soup(tokens: readonly string[], maxTokens: number): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...tokens) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...tokens), fc.integer({ min: 2, max: 400 })).map(([t, n]) => t.repeat(n)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  return fc.array(piece, { maxLength: maxTokens }).map((parts) => parts.join(''));
}

// ---------------------------------------------------------------------------------------------

describe(`readers never throw untyped errors (budget ${BUDGET.name}: ${RUNS} runs per property)`, () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => check(() => readEverything(bytes), show(bytes))), params(RUNS));
  });

  it('arbitrary bytes over the size limit are refused without being parsed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 65 * 1024, max: 256 * 1024 }), (pattern, size) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i += pattern.length) bytes.set(pattern.subarray(0, Math.min(pattern.length, size - i)), i);
        check(() => {
          const outcome = readEverything(bytes);
          if (!outcome.rules.includes('file/too-large')) outcome.problems.push(`a ${size}-byte file was not reported as too large: ${outcome.rules.join(', ')}`);
          return outcome;
        }, () => `${size} bytes of ${JSON.stringify(Buffer.from(pattern).toString('latin1'))}`);
      }),
      params(Math.max(20, RUNS / 50)),
    );
  });

  it('mutations of real planning files and of the bad-input corpus', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArb, { minLength: 1, maxLength: 8 }), (index, mutations) => {
        const bytes = mutate(SEEDS[index % SEEDS.length]!, mutations);
        check(() => readEverything(bytes), show(bytes));
      }),
      params(RUNS),
    );
  });

  it('YAML-shaped token soup (anchors, aliases, tags, directives, scalars of every type)', () => {
    fc.assert(fc.property(soup(YAML_TOKENS, 120), (text) => check(() => readEverything(bytesOf(text)), () => JSON.stringify(text.slice(0, 400)))), params(RUNS));
  });

  it('JSON-shaped token soup and mutated JSON values', () => {
    const arb = fc.oneof(soup(JSON_TOKENS, 120), fc.json({ maxDepth: 6 }).chain((json) => fc.array(mutationArb, { maxLength: 4 }).map((m) => Buffer.from(mutate(bytesOf(json), m)).toString('utf8'))));
    fc.assert(fc.property(arb, (text) => check(() => readEverything(bytesOf(text)), () => JSON.stringify(text.slice(0, 400)))), params(RUNS));
  });

  it('Markdown-shaped token soup (story maps: headings, lists, fences, comments, task ids)', () => {
    fc.assert(fc.property(soup(MD_TOKENS, 150), (text) => check(() => readEverything(bytesOf(text)), () => JSON.stringify(text.slice(0, 400)))), params(RUNS));
  });

  it('arbitrary strings, lone surrogates and NULs included, straight into the parsers', () => {
    const arb = fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.string({ unit: 'grapheme', maxLength: 500 }), soup([...YAML_TOKENS, ...JSON_TOKENS, ...MD_TOKENS], 80));
    fc.assert(fc.property(arb, (text) => check(() => readString(text), () => JSON.stringify(text.slice(0, 400)))), params(RUNS));
  });

  it('alias bombs of any width and depth are refused quickly, never expanded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.boolean(), (levels, width, flow) => {
        const lines = ['a0: &a0 ["lol"]'];
        for (let i = 1; i <= levels; i++) {
          const refs = Array.from({ length: width }, () => `*a${i - 1}`);
          lines.push(flow ? `a${i}: &a${i} [${refs.join(', ')}]` : `a${i}: &a${i}\n${refs.map((r) => `  - ${r}`).join('\n')}`);
        }
        lines.push(`tasks: *a${levels}`);
        const text = `${lines.join('\n')}\n`;
        check(() => {
          const outcome = readEverything(bytesOf(text));
          const expanded = width ** levels;
          if (levels * width > LIMITS.maxAliases && !outcome.rules.includes('yaml/alias-limit')) outcome.problems.push(`${levels * width} aliases (expanding to ${expanded}) but no yaml/alias-limit finding`);
          return outcome;
        }, () => `${levels} levels × ${width} aliases (${flow ? 'flow' : 'block'})`);
      }),
      params(Math.max(50, RUNS / 10)),
    );
  });
});

describe('reader results are well formed', () => {
  it('every finding lies inside the file it names, and a parse without findings has a value (over all the inputs above)', () => {
    const found = [...malformed.entries()].map(([kind, example]) => `${kind}\n    e.g. ${example}`);
    expect(found, found.join('\n')).toEqual([]);
  });
});

describe('the two YAML paths and JSON.parse agree with each other', () => {
  it('valid JSON without duplicate keys reads as JSON.parse reads it', () => {
    const arb = fc.oneof(fc.json({ maxDepth: 8 }), fc.jsonValue({ maxDepth: 8 }).map((v) => JSON.stringify(v, null, 2)));
    fc.assert(
      fc.property(arb, (text) => {
        stats.inputs++;
        const parsed = parseJson('f.json', text, LIMITS.maxDepth);
        const errors = parsed.findings.filter((f) => f.rule !== 'json/too-deep');
        if (errors.length > 0 || (parsed.findings.length === 0 && !isDeepStrictEqual(parsed.value, JSON.parse(text)))) {
          countOnce(stats, 'violations', 'parseJson disagrees with JSON.parse');
          throw new Error(`parseJson disagrees with JSON.parse on ${JSON.stringify(text.slice(0, 300))}: ${JSON.stringify(parsed.findings)} / ${JSON.stringify(parsed.value)?.slice(0, 200)}`);
        }
      }),
      params(RUNS),
    );
  });

  it('a file without anchors reads the same on the fast path (js-yaml) as on the careful path (yaml)', () => {
    // the careful path is what parseYaml uses as soon as an anchor or alias appears anywhere in the file
    const scalars = ['1', '-1', '+1', '0x1F', '0o17', '010', '1_000', '1e3', '1.5', '.5', '-.inf', '.NaN', '~', 'null', 'Null', 'NULL', 'true', 'True', 'FALSE', 'yes', 'no', 'on', '2024-01-15', '12:30', "'quoted'", '"x\\ty"', 'P-001', '"1"', 'a b', '0.0', '-0', '00', '0b11', '1e-400'];
    const line = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'tasks', 'id'), fc.constantFrom(...scalars)).map(([k, v]) => `${k}: ${v}`);
    const doc = fc.array(fc.oneof(line, line.map((l) => `  - ${l.replace(': ', ': ')}`), fc.constantFrom('list:', 'map:', '- x', '  - y')), { minLength: 1, maxLength: 12 }).map((ls) => `${ls.join('\n')}\n`);
    fc.assert(
      fc.property(doc, (text) => {
        stats.inputs++;
        const fast = parseYaml('f.yaml', text, new LineIndex(text), LIMITS);
        const careful = parseDocument(text, { schema: 'core', merge: false, uniqueKeys: true });
        if (careful.errors.length > 0 || fast.findings.length > 0) return; // both refuse, or the fast path fell back anyway
        const value = careful.toJS();
        if (!isDeepStrictEqual(noNegativeZero(fast.value), noNegativeZero(value))) {
          countOnce(stats, 'violations', 'fast and careful YAML paths disagree');
          throw new Error(`fast path ${JSON.stringify(fast.value)} but careful path ${JSON.stringify(value)} for:\n${text}`);
        }
      }),
      params(RUNS),
    );
  });
});

/** -0 and 0 are the same number to a planner. */
function noNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(noNegativeZero);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, noNegativeZero(v)]));
  return value;
}

describe('bounded time', () => {
  /** Median milliseconds of `fn` over three runs. */
  const time = (fn: () => void): number => {
    const runs = [0, 1, 2].map(() => {
      const started = performance.now();
      fn();
      return performance.now() - started;
    });
    return runs.sort((a, b) => a - b)[1]!;
  };

  /** A backlog of `n` tasks whose every task has one line `line`. */
  const backlog = (n: number, line: string): string => `version: "1.0.0"\ntasks:\n${Array.from({ length: n }, (_, i) => `  - id: P-${i + 1}\n    title: "t${i}"\n    ${line}\n`).join('')}`;

  const layoutLint = (text: string): void => {
    const decoded = decodeText('plans/p/be_backlog.yaml', Buffer.from(text), { maxFileBytes: 1 << 30 });
    if (!isDecoded(decoded)) throw new Error('not decoded');
    const artifact = { path: 'plans/p/be_backlog.yaml', name: 'be_backlog.yaml', kind: 'yaml', findings: [], text: decoded };
    const context = { workspace: { plans: new Map([['p', { id: 'p', artifacts: new Map([['be_backlog.yaml', artifact]]) }]]) }, inScope: () => true } as unknown as ValidationContext;
    yamlLintValidator.run(context, {});
  };

  it.each([
    ['parseYaml (fast path)', (t: string) => void parseYaml('f.yaml', t, new LineIndex(t), LIMITS), 'blocked: no'],
    ['yaml_lint layout rules, no truthy words', layoutLint, 'blocked: false'],
    ['yaml_lint layout rules, a YAML 1.1 truthy word in every task', layoutLint, 'blocked: no'],
  ])('%s grows linearly with the file (4x the tasks, at most ~8x the time)', (_name, fn, line) => {
    const small = backlog(1_000, line);
    const large = backlog(4_000, line);
    fn(small); // warm up
    const tSmall = time(() => fn(small));
    const tLarge = time(() => fn(large));
    stats.inputs += 8;
    const ratio = tLarge / Math.max(tSmall, 1);
    if (tLarge > 150 && ratio > 8) stats.violations++;
    expect(tLarge <= 150 || ratio <= 8, `${small.length} bytes: ${tSmall.toFixed(0)} ms; ${large.length} bytes: ${tLarge.toFixed(0)} ms (x${ratio.toFixed(1)}): quadratic`).toBe(true);
  });
});

describe('bounded time: complex keys', () => {
  it('locating a finding in a file with nested complex keys (`? ? ? x`) does not grow exponentially with the nesting', () => {
    // an anchor sends the file down the careful path, whose locate() stringifies collection keys
    const file = (n: number) => `version: "1.0.0"\nx: &a 1\n${'? '.repeat(n)}x\n: 1\ntasks:\n  - id: 5\n`;
    const timeOf = (n: number): number => {
      const text = file(n);
      const started = performance.now();
      parseYaml('f.yaml', text, new LineIndex(text), LIMITS).locate(['tasks', 0, 'id']);
      return performance.now() - started;
    };
    timeOf(4); // warm up
    const t18 = timeOf(18);
    const t25 = timeOf(25);
    stats.inputs += 3;
    const exponential = t25 > 100 && t25 / Math.max(t18, 1) > 8;
    if (exponential) stats.violations++;
    expect(exponential, `18 levels: ${t18.toFixed(0)} ms; 25 levels: ${t25.toFixed(0)} ms (x${(t25 / Math.max(t18, 1)).toFixed(0)}); each level about doubles the time and memory, and 30 levels of a 100-byte file end in "Invalid string length"`).toBe(false);
  });
});

describe('deep nesting, in a child process (a fatal abort there is a crash, not a lost run)', () => {
  it('nested flow and block collections of any depth are refused as too deep without killing the process', async () => {
    const dir = tempDir('plan-reliability-reader-worker-');
    const bundle = join(dir, 'worker.cjs');
    await build({ entryPoints: [join(import.meta.dirname, 'reader-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'error' });

    const shapes: Array<(n: number) => string> = [
      (n) => '['.repeat(n),
      (n) => '['.repeat(n) + ']'.repeat(n),
      (n) => '&a ['.repeat(n),
      (n) => '{a: '.repeat(n) + '1' + '}'.repeat(n),
      // indentation grows with depth: the file is quadratic in n, so these stop at 3,000 levels (9 MB)
      (n) => Array.from({ length: Math.min(n, 3_000) }, (_, i) => `${' '.repeat(i)}a:`).join('\n'),
      (n) => Array.from({ length: Math.min(n, 2_000) }, (_, i) => `${'  '.repeat(i)}- `).join('\n'),
      (n) => `tasks: ${'- '.repeat(n)}x`,
      (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n),
      (n) => '[{'.repeat(n),
      (n) => '? '.repeat(n) + 'x',
      (n) => Array.from({ length: Math.min(n, 2_000) }, (_, i) => `${'  '.repeat(i)}- level (P-${i + 1})`).join('\n'),
      (n) => '> '.repeat(n) + 'quote',
    ];
    const depths = BUDGET.name === 'smoke' ? [3_000] : BUDGET.name === 'ci' ? [70, 3_000] : [65, 200, 1_000, 3_000, 5_000, 10_000, 30_000, 100_000];
    // every shape at every depth, twice in a row: the second read of a deep document is what aborted V8 before
    const inputs = shapes.flatMap((shape, s) => depths.flatMap((d) => [{ name: `shape ${s} depth ${d}`, bytes: Buffer.from(shape(d)) }, { name: `shape ${s} depth ${d} (again)`, bytes: Buffer.from(shape(d)) }]));

    const deaths: string[] = [];
    const slow: string[] = [];
    const wrong: string[] = [];
    let next = 0;
    while (next < inputs.length) {
      // one worker at a time; it reads inputs until it dies or they run out
      const child = spawn(process.execPath, [bundle], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const answers = createInterface({ input: child.stdout });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      const iterator = answers[Symbol.asyncIterator]();
      let died = false;
      while (next < inputs.length && !died) {
        const input = inputs[next]!;
        child.stdin.write(`${JSON.stringify({ id: next, b64: input.bytes.toString('base64') })}\n`);
        const answer = await Promise.race([iterator.next().then((r) => (r.done ? undefined : r.value)), exited.then(() => undefined)]);
        stats.inputs++;
        if (answer === undefined) {
          const { code, signal } = await exited;
          died = true;
          countOnce(stats, 'crashes', `reader process death, shape ${input.name.split(' depth')[0]}`);
          deaths.push(`${input.name} (${input.bytes.length} bytes, after ${inputs[next - 1]?.name ?? 'nothing'}): the reader process died (${signal ?? `exit ${code}`}): ${stderr.split('\n').find((l) => /FATAL|RangeError|Error/.test(l)) ?? stderr.slice(0, 200)}`);
        } else {
          const result = JSON.parse(answer) as { ms: number; untyped?: string; problems: string[]; rules: string[] };
          if (result.untyped) {
            countOnce(stats, 'crashes', result.untyped);
            wrong.push(`${input.name}: ${result.untyped}`);
          } else if (result.problems.length > 0) {
            countOnce(stats, 'violations', result.problems[0]!);
            wrong.push(`${input.name}: ${result.problems.join('; ')}`);
          }
          if (result.ms > PER_INPUT_MS * 2) {
            countOnce(stats, 'violations', `slow deep input ${input.name.split(' depth')[0]}`);
            slow.push(`${input.name}: ${result.ms.toFixed(0)} ms`);
          }
        }
        next++;
      }
      child.stdin.end();
      child.kill('SIGKILL');
      await exited;
    }
    expect({ deaths, wrong, slow }).toEqual({ deaths: [], wrong: [], slow: [] });
  }, 600_000);
});
