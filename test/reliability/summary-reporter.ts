/**
 * The closing summary of `npm run test:reliability`: adds up what each test file recorded
 * (support.ts record()) and prints inputs tried, faults injected, concurrent runs, and the
 * crashes, torn writes and lost records observed, all counted, none assumed.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

interface Row {
  inputs: number;
  faults: number;
  concurrent: number;
  crashes: number;
  torn: number;
  lost: number;
  violations: number;
}

const COLUMNS: Array<[keyof Row, string]> = [
  ['inputs', 'inputs'],
  ['faults', 'faults'],
  ['concurrent', 'concurrent'],
  ['crashes', 'crashes'],
  ['torn', 'torn'],
  ['lost', 'lost'],
  ['violations', 'violations'],
];

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function summarize(statsDir: string): Map<string, Row> {
  const areas = new Map<string, Row>();
  if (!existsSync(statsDir)) return areas;
  for (const file of readdirSync(statsDir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(statsDir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const entry = JSON.parse(line) as Partial<Row> & { area: string };
      const row = areas.get(entry.area) ?? { inputs: 0, faults: 0, concurrent: 0, crashes: 0, torn: 0, lost: 0, violations: 0 };
      for (const [key] of COLUMNS) row[key] += entry[key] ?? 0;
      areas.set(entry.area, row);
    }
  }
  return areas;
}

export function formatSummary(areas: Map<string, Row>, budget: string, seconds: number, failedTests: number): string {
  const total: Row = { inputs: 0, faults: 0, concurrent: 0, crashes: 0, torn: 0, lost: 0, violations: 0 };
  for (const row of areas.values()) for (const [key] of COLUMNS) total[key] += row[key];
  const width = Math.max(12, ...[...areas.keys()].map((a) => a.length));
  const cell = (n: number) => n.toLocaleString('en-US').padStart(11);
  const lines = [
    '',
    `plan reliability summary (budget ${budget}, ${seconds.toFixed(1)} s)`,
    `  ${'area'.padEnd(width)}${COLUMNS.map(([, title]) => title.padStart(11)).join('')}`,
    ...[...areas.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([area, row]) => `  ${area.padEnd(width)}${COLUMNS.map(([key]) => cell(row[key])).join('')}`),
    `  ${'total'.padEnd(width)}${COLUMNS.map(([key]) => cell(total[key])).join('')}`,
    '',
    `  ${plural(total.inputs, 'input')} tried, ${plural(total.faults, 'fault')} injected, ${plural(total.concurrent, 'concurrent run')}`,
    `  ${plural(total.crashes, 'crash', 'crashes')}, ${plural(total.torn, 'torn write')}, ${plural(total.lost, 'lost record')}`,
    `  ${plural(total.violations, 'other contract violation')}, ${plural(failedTests, 'failing test')}`,
    '  (a crash: a stack trace, "internal error", a killed process or an untyped throw, counted once per kind in the',
    '  fuzzers; torn: a line or file that does not parse after a fault; lost: a reported write that is not on disk)',
    '',
  ];
  return lines.join('\n');
}

export default class SummaryReporter implements Reporter {
  private started = Date.now();

  constructor(
    private readonly statsDir: string,
    private readonly budget: string,
  ) {}

  onTestRunStart(): void {
    this.started = Date.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let failed = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) if (test.result().state === 'failed') failed++;
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(formatSummary(summarize(this.statsDir), this.budget, (Date.now() - this.started) / 1000, failed));
    rmSync(this.statsDir, { recursive: true, force: true });
  }
}
