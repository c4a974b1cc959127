/**
 * One input through every reader the way plan reads a planning file (decodeText, then parseYaml,
 * parseJson and parseStoryMap, then readArtifact as lint composes them), with the checks the
 * fuzz properties make: only typed errors (PlanError) may be thrown, findings are well formed,
 * and a clean parse has a value. Shared by the in-process properties and the child-process
 * worker that runs the inputs able to kill a process (deep nesting).
 */
import { DEFAULT_CONFIG, type PlanConfig } from '../../src/core/config.js';
import { PlanError } from '../../src/core/errors.js';
import type { Finding } from '../../src/core/finding.js';
import { LineIndex } from '../../src/core/parse/lines.js';
import { decodeText, isDecoded } from '../../src/core/parse/text.js';
import { parseJson } from '../../src/core/parse/json.js';
import { parseStoryMap } from '../../src/core/parse/storymap.js';
import { parseYaml, type ParsedYaml, type PathSegment } from '../../src/core/parse/yaml.js';
import { readArtifact } from '../../src/core/workspace.js';

export const CONFIG: PlanConfig = DEFAULT_CONFIG;
export const LIMITS = { maxDepth: CONFIG.lint.max_depth, maxAliases: CONFIG.lint.max_aliases };
export const TASK_ID = new RegExp(CONFIG.task_id_pattern);
/** Smaller than the default 16 MiB so the fuzzer also meets the size limit. */
export const MAX_FILE_BYTES = 64 * 1024;

export interface ReadOutcome {
  /** A thrown error that is not a PlanError: the property fails. */
  untyped?: string;
  /** Malformed results: findings without rule or position, a clean parse without a value. */
  problems: string[];
  /** Rules reported, for the statistics. */
  rules: string[];
}

const SEVERITIES = new Set(['error', 'warning', 'info']);
const RULE = /^[a-z0-9_-]+\/[a-z0-9-]+$/;

function checkFindings(where: string, findings: readonly Finding[], file: string, lineCount: number | undefined, problems: string[]): void {
  for (const f of findings) {
    const id = `${where}: ${f.rule}`;
    if (typeof f.rule !== 'string' || !RULE.test(f.rule)) problems.push(`${where}: malformed rule ${JSON.stringify(f.rule)}`);
    if (!SEVERITIES.has(f.severity)) problems.push(`${id}: severity ${String(f.severity)}`);
    if (typeof f.message !== 'string' || f.message.trim() === '') problems.push(`${id}: empty message`);
    if (f.file !== file) problems.push(`${id}: file ${String(f.file)} instead of ${file}`);
    if (f.line !== undefined && (!Number.isInteger(f.line) || f.line < 1 || (lineCount !== undefined && f.line > lineCount + 1))) problems.push(`${id}: line ${f.line} of ${lineCount}`);
    if (f.column !== undefined && (!Number.isInteger(f.column) || f.column < 1)) problems.push(`${id}: column ${f.column}`);
  }
}

/** locate() must answer for any path, existing or not, with a position inside the file. */
function probeLocate(where: string, parsed: ParsedYaml, lineCount: number, problems: string[]): void {
  const paths: PathSegment[][] = [[], ['tasks'], ['tasks', 0], ['tasks', 0, 'id'], ['id'], ['nope', 3, 'x'], [0], ['tasks', 999]];
  for (const path of paths) {
    for (const part of ['key', 'value'] as const) {
      const pos = parsed.locate(path, part);
      if (!Number.isInteger(pos.line) || pos.line < 1 || pos.line > lineCount + 1 || !Number.isInteger(pos.column) || pos.column < 1) {
        problems.push(`${where}: locate(${JSON.stringify(path)}, ${part}) gave ${JSON.stringify(pos)}`);
      }
    }
  }
}

function guard(outcome: ReadOutcome, where: string, fn: () => void): void {
  if (outcome.untyped) return;
  try {
    fn();
  } catch (error) {
    if (error instanceof PlanError) return;
    const e = error as Error;
    outcome.untyped = `${where} threw ${e?.name ?? typeof error}: ${String(e?.message ?? error).split('\n')[0]}`;
  }
}

/** Reads `bytes` as each kind of planning file (files over `maxFileBytes` are refused unread, as lint.max_file_bytes does). */
export function readEverything(bytes: Uint8Array, maxFileBytes = MAX_FILE_BYTES): ReadOutcome {
  const outcome: ReadOutcome = { problems: [], rules: [] };
  guard(outcome, 'decodeText', () => {
    const decoded = decodeText('f.yaml', bytes, { maxFileBytes });
    const lineCount = isDecoded(decoded) ? decoded.lines.lineCount : undefined;
    checkFindings('decodeText', decoded.findings, 'f.yaml', lineCount, outcome.problems);
    outcome.rules.push(...decoded.findings.map((f) => f.rule));
    if (!isDecoded(decoded) || !decoded.parseable) return;
    readText(decoded.text, outcome, decoded.lines);
  });
  for (const [name, path] of [
    ['be_backlog.yaml', 'plans/p/be_backlog.yaml'],
    ['data.json', 'plans/p/data.json'],
    ['story_map.md', 'plans/p/story_map.md'],
  ] as const) {
    guard(outcome, `readArtifact(${name})`, () => {
      const artifact = readArtifact({ path, bytes, kind: 'file', size: bytes.byteLength }, name, { ...CONFIG, lint: { ...CONFIG.lint, max_file_bytes: maxFileBytes } }, TASK_ID);
      checkFindings(`readArtifact(${name})`, artifact.findings, path, artifact.text?.lines.lineCount, outcome.problems);
    });
  }
  return outcome;
}

/** Reads already-decoded text with each parser (also used directly on arbitrary strings). */
export function readText(text: string, outcome: ReadOutcome, lines = new LineIndex(text)): void {
  guard(outcome, 'parseYaml', () => {
    const parsed = parseYaml('f.yaml', text, lines, LIMITS);
    checkFindings('parseYaml', parsed.findings, 'f.yaml', lines.lineCount, outcome.problems);
    outcome.rules.push(...parsed.findings.map((f) => f.rule));
    if (parsed.findings.length === 0 && parsed.value === undefined) outcome.problems.push('parseYaml: no findings and no value');
    // validators locate findings only in files that parsed
    if (parsed.findings.length === 0) probeLocate('parseYaml', parsed, lines.lineCount, outcome.problems);
  });
  guard(outcome, 'parseJson', () => {
    const parsed = parseJson('f.json', text, LIMITS.maxDepth);
    checkFindings('parseJson', parsed.findings, 'f.json', lines.lineCount, outcome.problems);
    outcome.rules.push(...parsed.findings.map((f) => f.rule));
    if (parsed.findings.length === 0 && parsed.value === undefined) outcome.problems.push('parseJson: no findings and no value');
    if (parsed.findings.length === 0) probeLocate('parseJson', parsed, lines.lineCount, outcome.problems);
  });
  guard(outcome, 'parseStoryMap', () => {
    const map = parseStoryMap(text, TASK_ID);
    for (const ref of map.taskRefs) {
      if (!TASK_ID.test(ref.id)) outcome.problems.push(`parseStoryMap: task ref ${ref.id} does not match the task id pattern`);
      if (ref.line < 1 || ref.line > lines.lineCount || ref.column < 1) outcome.problems.push(`parseStoryMap: task ref at ${ref.line}:${ref.column}`);
    }
    for (const s of map.sections) if (s.line < 1 || s.line > lines.lineCount) outcome.problems.push(`parseStoryMap: section at line ${s.line}`);
    for (const epic of map.epics) for (const release of epic.releases) for (const story of release.stories) if (story.line < 1 || story.line > lines.lineCount) outcome.problems.push(`parseStoryMap: story at line ${story.line}`);
  });
}

/** Reads a string (not bytes) with each parser: the parsers must cope with any string, even lone surrogates. */
export function readString(text: string): ReadOutcome {
  const outcome: ReadOutcome = { problems: [], rules: [] };
  readText(text, outcome);
  return outcome;
}
