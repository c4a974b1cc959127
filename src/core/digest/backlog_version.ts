import jsyaml from 'js-yaml';
import { decodeText, isDecoded } from '../parse/text.js';
import { parseYaml, type YamlLimits } from '../parse/yaml.js';
import { CORE_SCHEMA } from '../parse/yaml_schema.js';

/** What the digest needs of a task in one version of a backlog. */
export interface TaskRecord {
  id: string;
  title: string;
  /** The task's status; a missing status reads as todo (be_backlog schema). */
  status: string;
  points: number | null;
  type: string | null;
  priority: string | null;
}

export interface BacklogLimits extends YamlLimits {
  maxFileBytes: number;
}

/**
 * A parsed backlog version, encoded as text so it caches compactly and so a cold run and a warm
 * run read exactly the same values: one task a line, fields separated by tabs; or, for a
 * version that could not be read, a tab (no task line starts with one) and the reason.
 */
export type EncodedVersion = string;

const PROBLEM = '\t';

function problem(reason: string): EncodedVersion {
  return `${PROBLEM}${reason}`;
}

/** Why a version could not be read, or undefined when it could. */
export function versionProblem(encoded: EncodedVersion): string | undefined {
  return encoded.startsWith(PROBLEM) ? encoded.slice(PROBLEM.length) : undefined;
}

const FIELD_BREAK = /[\t\r\n]+/g;
const MAYBE_ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,[\]{}]/m;
const TASKS_LINE = /^tasks:[ \t]*(?:#.*)?\r?$/m;
const FIRST_CONTENT = /^( *)(?=[^ \t\r\n#])/gm;
const NOT_A_TASK = '\0';
const NOT_ALONE = '\0\0';
const listEnds = new Map<number, RegExp>();

/** Finds the first line that is neither deeper than the list, nor an item, nor blank or a comment. */
function listEnd(indent: number): RegExp {
  let re = listEnds.get(indent);
  if (!re) {
    re = new RegExp(`^(?! {${indent + 1}}| {${indent}}-(?:[ \\r\\n]|$)|[ \\t]*(?:#|\\r?$))`, 'gm');
    listEnds.set(indent, re);
  }
  return re;
}

const utf8 = new TextDecoder('utf-8');

function isItemStart(text: string, dash: number): boolean {
  const after = text.charCodeAt(dash + 1);
  return text.charCodeAt(dash) === 45 && (Number.isNaN(after) || after === 32 || after === 10 || after === 13);
}

function clean(value: string): string {
  return value.replace(FIELD_BREAK, ' ').trim();
}

function encodeTask(item: unknown): string | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
  const task = item as Record<string, unknown>;
  if (typeof task['id'] !== 'string' || clean(task['id']) === '') return null;
  const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? clean(String(v)) : '');
  const points = task['effort_points'];
  const status = text(task['status']) || 'todo';
  return [clean(task['id']), status, typeof points === 'number' && Number.isFinite(points) && points >= 0 ? String(points) : '', text(task['type']), text(task['priority']), text(task['title'])].join('\t');
}

export function decodeTask(line: string): TaskRecord {
  const [id, status, points, type, priority, title] = line.split('\t') as [string, string, string, string, string, string];
  return { id, status, points: points === '' ? null : Number(points), type: type || null, priority: priority || null, title };
}

/** The task lines of an encoded version, or the reason it could not be read. */
export function decodeVersion(encoded: EncodedVersion): { tasks: string[]; problem?: string } {
  const reason = versionProblem(encoded);
  if (reason !== undefined) return { tasks: [], problem: reason };
  return { tasks: encoded === '' ? [] : encoded.split('\n') };
}

/**
 * Parses backlog versions. Successive versions of a backlog differ in a task or two, so the
 * common layout (`tasks:` at the top level, one block-sequence item per task) is cut into items
 * and each distinct item text is parsed once; anything else (anchors, flow style, an item that
 * does not parse alone) goes through the full parser, which also gives the precise error.
 */
export class BacklogVersionParser {
  private readonly items = new Map<string, string>();
  private readonly frames = new Map<string, boolean>();

  constructor(private readonly limits: BacklogLimits) {}

  parse(path: string, bytes: Uint8Array): EncodedVersion {
    if (bytes.byteLength > this.limits.maxFileBytes) return problem(`${path} is over ${this.limits.maxFileBytes} bytes (lint.max_file_bytes)`);
    const text = utf8.decode(bytes);
    // Anything unusual (bad UTF-8, NUL bytes, anchors, conflict markers) gets the careful parser.
    if (text.includes('\uFFFD') || text.includes('\0')) return this.parseWhole(path, bytes);
    if ((text.includes('&') || text.includes('*')) && MAYBE_ANCHOR_OR_ALIAS.test(text)) return this.parseWhole(path, bytes);
    if ((text.includes('<<<<<<<') || text.includes('>>>>>>>') || text.includes('=======')) && /^(?:<{7}|={7}|>{7})/m.test(text)) return this.parseWhole(path, bytes);
    return this.parseItems(text) ?? this.parseWhole(path, bytes);
  }

  private parseItems(text: string): EncodedVersion | undefined {
    const tasksLine = TASKS_LINE.exec(text);
    if (!tasksLine || text.indexOf('\ntasks:', tasksLine.index + 1) !== -1) return undefined;
    const listFrom = text.indexOf('\n', tasksLine.index) + 1;
    if (listFrom === 0) return undefined;
    FIRST_CONTENT.lastIndex = listFrom;
    const first = FIRST_CONTENT.exec(text);
    const indent = first?.[1]?.length ?? 0;
    // `tasks:` followed by anything but a block sequence: the full parser decides
    if (!first || !isItemStart(text, first.index + indent)) return undefined;
    const ending = listEnd(indent);
    ending.lastIndex = first.index;
    const end = ending.exec(text)?.index ?? text.length;
    if (!this.frameIsPlain(text.slice(0, listFrom) + text.slice(end))) return undefined;
    const lines = this.splitItems(text, first.index, end, indent);
    return lines && lines.filter((line) => line !== NOT_A_TASK).join('\n');
  }

  /** Cuts [from, end) into list items and parses each distinct one once; undefined when one does not parse alone. */
  private splitItems(text: string, from: number, end: number, indent: number): string[] | undefined {
    const marker = `\n${' '.repeat(indent)}-`;
    const lines: string[] = [];
    while (from < end) {
      let next = text.indexOf(marker, from);
      while (next !== -1 && next < end && !isItemStart(text, next + marker.length - 1)) next = text.indexOf(marker, next + 1);
      const to = next === -1 || next >= end ? end : next + 1;
      const item = text.slice(from, to);
      let line = this.items.get(item);
      if (line === undefined) {
        line = parseItem(item);
        this.items.set(item, line);
      }
      if (line === NOT_ALONE) return undefined;
      lines.push(line);
      from = to;
    }
    return lines;
  }

  /** Everything around the task list must be a plain mapping holding `tasks` once. */
  private frameIsPlain(frame: string): boolean {
    let ok = this.frames.get(frame);
    if (ok === undefined) {
      try {
        const value = jsyaml.load(frame, { schema: CORE_SCHEMA }) as Record<string, unknown> | null;
        ok = typeof value === 'object' && value !== null && !Array.isArray(value) && 'tasks' in value && value['tasks'] === null;
      } catch {
        ok = false;
      }
      this.frames.set(frame, ok);
    }
    return ok;
  }

  private parseWhole(path: string, bytes: Uint8Array): EncodedVersion {
    const decoded = decodeText(path, bytes, { maxFileBytes: this.limits.maxFileBytes });
    if (!isDecoded(decoded)) return problem(decoded.findings[0]?.message ?? 'unreadable');
    if (!decoded.parseable) return problem(decoded.findings[0]?.message ?? 'unresolved merge conflict');
    const parsed = parseYaml(path, decoded.text, decoded.lines, this.limits);
    const first = parsed.findings[0];
    if (first) return problem(`${first.message}${first.line ? ` (line ${first.line})` : ''}`);
    const value = parsed.value;
    if (value === null || value === undefined) return '';
    if (typeof value !== 'object' || Array.isArray(value)) return problem('not a backlog: the document is not a mapping with `tasks`');
    const tasks = (value as Record<string, unknown>)['tasks'];
    if (tasks === undefined || tasks === null) return '';
    if (!Array.isArray(tasks)) return problem('`tasks` is not a list');
    return tasks
      .map(encodeTask)
      .filter((line): line is string => line !== null)
      .join('\n');
  }
}

/** One list item parsed alone: its task line, NOT_A_TASK, or NOT_ALONE when it does not parse on its own. */
function parseItem(item: string): string {
  try {
    const value = jsyaml.load(item, { schema: CORE_SCHEMA });
    if (!Array.isArray(value) || value.length !== 1) return NOT_ALONE;
    return encodeTask(value[0]) ?? NOT_A_TASK;
  } catch {
    return NOT_ALONE;
  }
}
