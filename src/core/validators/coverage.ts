import { CoverageReportError, detectCoverageFormat, parseCoverageReport, type CoverageFormat, type CoverageSummary } from '../coverage_reports.js';
import type { Finding } from '../finding.js';
import type { Story } from '../parse/storymap.js';
import { PLAN_FILE, STORY_MAP_FILE, type Plan } from '../workspace.js';
import { normalizeInside } from './references.js';
import type { ValidationContext, Validator } from './types.js';

const FORMATS: readonly CoverageFormat[] = ['json-summary', 'lcov', 'cobertura'];
/** How many uncovered stories a message names before "and N more". */
const LISTED = 3;

/**
 * Gate 3's coverage (seed §3.2 "test coverage >= 80%"): the share of story-map stories that
 * reference an existing task, and optionally the line coverage of a CI code-coverage report,
 * must each reach min_percent.
 */
export const coverageValidator: Validator = {
  type: 'coverage',
  run(context, options) {
    const min = typeof options['min_percent'] === 'number' ? options['min_percent'] : 80;
    const findings: Finding[] = [];
    const inScopePlans: Plan[] = [];
    for (const plan of context.workspace.plans.values()) {
      if ([...plan.artifacts.values()].some((a) => context.inScope(a.path))) inScopePlans.push(plan);
      storyCoverage(context, plan, min, findings);
    }
    const report = options['report'];
    if (typeof report === 'string' && report !== '' && context.readFile && (inScopePlans.length > 0 || context.inScope(report))) {
      const format = FORMATS.find((f) => f === options['report_format']);
      const plan = inScopePlans.length === 1 ? inScopePlans[0]!.id : undefined;
      const inside = normalizeInside(report);
      if (inside === undefined) {
        findings.push({ rule: 'coverage/report-invalid', severity: 'error', message: `report "${report}" must be a path inside the repository`, ...(plan ? { plan } : {}) });
      } else findings.push(...codeCoverage(context.readFile(inside), inside, format, min, plan));
    }
    return findings;
  },
};

function storyCoverage(context: ValidationContext, plan: Plan, min: number, findings: Finding[]): void {
  const map = plan.artifacts.get(STORY_MAP_FILE);
  const stories: Story[] = map?.storyMap?.epics.flatMap((e) => e.releases.flatMap((r) => r.stories)) ?? [];
  if (stories.length === 0) {
    // Report where the story map is, or would be: on it when it exists, else on plan.yaml (or any file of the plan).
    const file = map?.path ?? plan.artifacts.get(PLAN_FILE)?.path ?? [...plan.artifacts.values()][0]?.path;
    if (!file || !context.inScope(file)) return;
    const why = !map
      ? `plan ${plan.id} has no ${STORY_MAP_FILE}`
      : !map.storyMap
        ? `${map.path} could not be read`
        : `${map.path} has no stories (list items under a release section of an "## Epic:" heading)`;
    findings.push({ rule: 'coverage/no-stories', severity: 'warning', message: `${why}, so story coverage cannot be measured`, file, ...(map ? { line: 1, column: 1 } : {}), plan: plan.id });
    return;
  }
  if (!context.inScope(map!.path)) return;
  const uncovered = stories.filter((s) => !s.taskIds.some((id) => context.workspace.tasks.has(id)));
  const covered = stories.length - uncovered.length;
  const pct = (covered / stories.length) * 100;
  if (pct >= min) return;
  const named = uncovered
    .slice(0, LISTED)
    .map((s) => `"${shorten(s.text)}" (line ${s.line})`)
    .join(', ');
  const more = uncovered.length > LISTED ? `, and ${uncovered.length - LISTED} more` : '';
  findings.push({
    rule: 'coverage/stories',
    severity: 'error',
    message: `story coverage is ${percent(pct)}% (${covered} of ${stories.length} stories reference an existing task), below min_percent ${min}%; uncovered: ${named}${more}`,
    file: map!.path,
    line: uncovered[0]!.line,
    column: 1,
    plan: plan.id,
  });
}

function codeCoverage(text: string | undefined, report: string, given: CoverageFormat | undefined, min: number, plan: string | undefined): Finding[] {
  const at = { file: report, ...(plan ? { plan } : {}) };
  if (text === undefined) {
    return [{ rule: 'coverage/report-missing', severity: 'error', message: `coverage report ${report} does not exist (did the tests run with coverage before this gate?)`, ...at }];
  }
  const format = given ?? detectCoverageFormat(report, text);
  if (!format) {
    return [{ rule: 'coverage/report-invalid', severity: 'error', message: `cannot tell the format of ${report}; set report_format to json-summary, lcov or cobertura`, ...at }];
  }
  let summary: CoverageSummary;
  try {
    summary = parseCoverageReport(format, text);
  } catch (error) {
    if (!(error instanceof CoverageReportError)) throw error;
    return [{ rule: 'coverage/report-invalid', severity: 'error', message: `${report} is not a valid ${format} report: ${error.message}`, ...at, ...(error.line ? { line: error.line, column: 1 } : {}) }];
  }
  const { covered, total } = summary.lines;
  if (total === 0) {
    return [{ rule: 'coverage/code', severity: 'error', message: `${report} (${format}) measured no lines, so code coverage cannot reach min_percent ${min}%`, ...at }];
  }
  if (summary.pct >= min) return [];
  return [{ rule: 'coverage/code', severity: 'error', message: `line coverage is ${percent(summary.pct)}% (${covered} of ${total} lines) in ${report}, below min_percent ${min}%`, ...at }];
}

/** Rounded down to one decimal, so 79.96% never prints as a passing 80%. */
function percent(value: number): string {
  return String(Math.floor(value * 10 + 1e-9) / 10);
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
