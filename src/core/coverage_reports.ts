/**
 * Readers for the code-coverage reports CI tools write, reduced to what the coverage validator
 * needs: line coverage of the whole report. Pure functions over the report's text.
 */

export interface CoverageSummary {
  lines: { covered: number; total: number };
  /** Line coverage in percent, 0-100. */
  pct: number;
}

export type CoverageFormat = 'json-summary' | 'lcov' | 'cobertura';

/** A report that is not what its format promises; `line` is 1-based when known. */
export class CoverageReportError extends Error {
  readonly format: CoverageFormat;
  readonly line: number | undefined;

  constructor(format: CoverageFormat, message: string, line?: number) {
    super(message);
    this.name = 'CoverageReportError';
    this.format = format;
    this.line = line;
  }
}

function summary(covered: number, total: number, pct?: number): CoverageSummary {
  return { lines: { covered, total }, pct: pct ?? (total === 0 ? 100 : (covered / total) * 100) };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** istanbul's `json-summary` reporter (coverage-summary.json): `total.lines.{covered,total}`. */
export function parseIstanbulSummary(text: string): CoverageSummary {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CoverageReportError('json-summary', `not JSON: ${(error as Error).message}`);
  }
  const lines = (data as { total?: { lines?: Record<string, unknown> } } | null)?.total?.lines;
  if (typeof lines !== 'object' || lines === null) throw new CoverageReportError('json-summary', 'no "total.lines" entry (is this an istanbul json-summary report?)');
  const covered = count(lines['covered']);
  const total = count(lines['total']);
  if (covered === undefined || total === undefined || covered > total) {
    throw new CoverageReportError('json-summary', `"total.lines" needs whole numbers covered <= total, got covered ${JSON.stringify(lines['covered'])}, total ${JSON.stringify(lines['total'])}`);
  }
  return summary(covered, total);
}

/**
 * lcov tracefiles (`lcov.info`): per `SF:` record, `LF`/`LH` when present, else the `DA:` lines;
 * summed over all records.
 */
export function parseLcov(text: string): CoverageSummary {
  let covered = 0;
  let total = 0;
  let records = 0;
  let open: { lf?: number; lh?: number; da: number; daHit: number; line: number } | undefined;
  const close = () => {
    if (!open) return;
    total += open.lf ?? open.da;
    covered += open.lh ?? open.daHit;
    open = undefined;
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const lineNo = i + 1;
    if (line === '') return;
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    if (tag === 'SF') {
      close();
      open = { da: 0, daHit: 0, line: lineNo };
      records++;
      return;
    }
    if (tag === 'end_of_record') {
      if (!open) throw new CoverageReportError('lcov', 'end_of_record without a preceding SF: line', lineNo);
      close();
      return;
    }
    if (tag === 'TN') return;
    if (!open) throw new CoverageReportError('lcov', `"${tag}" outside a record (expected SF: first)`, lineNo);
    if (tag === 'LF' || tag === 'LH') {
      const n = /^\d+$/.test(value) ? Number(value) : undefined;
      if (n === undefined) throw new CoverageReportError('lcov', `${tag} needs a whole number, got "${value}"`, lineNo);
      if (tag === 'LF') open.lf = n;
      else open.lh = n;
    } else if (tag === 'DA') {
      const m = /^(\d+),(-?\d+)(?:,.*)?$/.exec(value);
      if (!m) throw new CoverageReportError('lcov', `DA needs "line,hits", got "${value}"`, lineNo);
      open.da++;
      if (Number(m[2]) > 0) open.daHit++;
    }
    // FN, FNDA, FNF, FNH, BRDA, BRF, BRH, VER ...: not line coverage.
  });
  if (open) throw new CoverageReportError('lcov', `record for SF at line ${open.line} has no end_of_record`, open.line);
  if (records === 0) throw new CoverageReportError('lcov', 'no SF: records (is this an lcov tracefile?)');
  if (covered > total) throw new CoverageReportError('lcov', `LH ${covered} exceeds LF ${total}`);
  return summary(covered, total);
}

/**
 * Cobertura XML: the root `<coverage>` element's `lines-covered`/`lines-valid` (preferred) or
 * `line-rate` (0-1). With only `line-rate`, the line counts come from the `<line>` elements,
 * each file's line counted once. A small regex reader: no XML library, no entities, no DTDs.
 */
export function parseCobertura(text: string): CoverageSummary {
  const body = text.replace(/^\uFEFF/, '').replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const root = /<([A-Za-z_][\w.:-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(body.replace(/<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/gi, (c) => c.replace(/[^\n]/g, ' ')));
  if (!root || root[1] !== 'coverage') {
    throw new CoverageReportError('cobertura', root ? `root element is <${root[1]}>, not <coverage>` : 'no root <coverage> element', root ? lineOf(body, root.index) : undefined);
  }
  const attrs = attributes(root[2] ?? '');
  const at = lineOf(body, root.index);
  const covered = attrs.get('lines-covered');
  const valid = attrs.get('lines-valid');
  if (covered !== undefined || valid !== undefined) {
    const c = /^\d+$/.test(covered ?? '') ? Number(covered) : undefined;
    const v = /^\d+$/.test(valid ?? '') ? Number(valid) : undefined;
    if (c === undefined || v === undefined || c > v) {
      throw new CoverageReportError('cobertura', `<coverage> needs whole numbers lines-covered <= lines-valid, got lines-covered "${covered ?? ''}", lines-valid "${valid ?? ''}"`, at);
    }
    return summary(c, v);
  }
  const rate = attrs.get('line-rate');
  if (rate === undefined) throw new CoverageReportError('cobertura', '<coverage> has none of line-rate, lines-covered, lines-valid', at);
  const r = /^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/.test(rate) ? Number(rate) : NaN;
  if (!(r >= 0 && r <= 1)) throw new CoverageReportError('cobertura', `line-rate must be a number from 0 to 1, got "${rate}"`, at);
  const counted = countLineElements(body);
  if (counted.total === 0) throw new CoverageReportError('cobertura', '<coverage> has a line-rate but no lines-valid/lines-covered and no <line> elements to count', at);
  return summary(counted.covered, counted.total, r * 100);
}

function attributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of source.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs.set(m[1]!, m[2] ?? m[3] ?? '');
  return attrs;
}

/** Lines from `<class filename=...>` and their `<line number hits>` children, deduplicated per file (method lines repeat them). */
function countLineElements(body: string): { covered: number; total: number } {
  const hits = new Map<string, boolean>();
  let file = '';
  for (const m of body.matchAll(/<(class|line)\b([^>]*)>/g)) {
    const attrs = attributes(m[2] ?? '');
    if (m[1] === 'class') {
      file = attrs.get('filename') ?? attrs.get('name') ?? '';
      continue;
    }
    const number = attrs.get('number');
    if (number === undefined) continue;
    const key = `${file}\u0000${number}`;
    hits.set(key, (hits.get(key) ?? false) || Number(attrs.get('hits') ?? '0') > 0);
  }
  let covered = 0;
  for (const hit of hits.values()) if (hit) covered++;
  return { covered, total: hits.size };
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The format a report's name suggests, else what its first bytes look like. */
export function detectCoverageFormat(path: string, text: string): CoverageFormat | undefined {
  const name = path.replace(/^.*\//, '').toLowerCase();
  if (name.endsWith('.json')) return 'json-summary';
  if (name.endsWith('.info') || name.includes('lcov')) return 'lcov';
  if (name.endsWith('.xml')) return 'cobertura';
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return 'json-summary';
  if (head.startsWith('<')) return 'cobertura';
  if (/^(?:TN|SF):/m.test(head)) return 'lcov';
  return undefined;
}

export function parseCoverageReport(format: CoverageFormat, text: string): CoverageSummary {
  if (format === 'json-summary') return parseIstanbulSummary(text);
  if (format === 'lcov') return parseLcov(text);
  return parseCobertura(text);
}
