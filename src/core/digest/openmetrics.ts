import type { DigestContext } from './context.js';

/**
 * The digest as OpenMetrics text (gauges only, no timestamps, `# EOF` last), which node_exporter's
 * textfile collector also reads. A value that has no data is left out, never written as NaN.
 */

interface Family {
  name: string;
  help: string;
  unit?: string;
  samples: Array<{ labels: Record<string, string>; value: number | null }>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function render(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    const samples = family.samples.filter((s): s is { labels: Record<string, string>; value: number } => s.value !== null && Number.isFinite(s.value));
    lines.push(`# TYPE ${family.name} gauge`);
    if (family.unit) lines.push(`# UNIT ${family.name} ${family.unit}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    for (const s of samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${family.name}{${labels.join(',')}} ${s.value}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

const KPI_STATUSES = ['met', 'at_risk', 'missed', 'no_data'] as const;

export function renderOpenMetrics(digest: DigestContext): string {
  const cycle = digest.cycle.id;
  const f = digest.facts;
  const byCategory = (entries: Array<[string, number | null]>): Family['samples'] => entries.map(([category, value]) => ({ labels: { cycle, category }, value }));
  const families: Family[] = [
    { name: 'plan_digest_cycle_info', help: 'The cycle the digest covers (value 1).', samples: [{ labels: { cycle, first_day: digest.cycle.first_day, last_day: digest.cycle.last_day, timezone: digest.cycle.timezone }, value: 1 }] },
    { name: 'plan_digest_cycle_days', help: 'Days of the cycle observed (all of them once it is over).', unit: 'days', samples: [{ labels: { cycle }, value: digest.cycle.elapsed_days }] },
    { name: 'plan_digest_cycle_in_progress', help: '1 while the cycle is still running, else 0.', samples: [{ labels: { cycle }, value: digest.cycle.in_progress ? 1 : 0 }] },
    {
      name: 'plan_digest_tasks',
      help: "Tasks of the cycle's work by category.",
      samples: byCategory([
        ['committed', f.tasks_committed],
        ['added', f.tasks_added],
        ['removed', f.tasks_removed],
        ['reestimated', f.tasks_reestimated],
        ['reopened', f.tasks_reopened],
        ['completed', f.tasks_completed],
        ['carried_over', f.tasks_carried_over],
        ['in_cycle', f.tasks_in_cycle],
        ['total_at_end', f.tasks_total],
      ]),
    },
    {
      name: 'plan_digest_points',
      help: "Effort points of the cycle's work by category (reestimated: the net change).",
      samples: byCategory([
        ['committed', f.points_committed],
        ['added', f.points_added],
        ['removed', f.points_removed],
        ['reestimated', f.points_reestimated],
        ['completed', f.completed_points],
        ['carried_over', f.points_carried_over],
      ]),
    },
    {
      name: 'plan_digest_cycle_time_days',
      help: 'Days from first in_progress to final done of the tasks completed in the cycle.',
      unit: 'days',
      samples: [
        { labels: { cycle, statistic: 'mean' }, value: f.cycle_time_mean_days },
        { labels: { cycle, statistic: 'median' }, value: f.cycle_time_median_days },
        { labels: { cycle, statistic: 'p85' }, value: f.cycle_time_p85_days },
      ],
    },
    { name: 'plan_digest_gate_runs', help: 'Gate runs recorded in the cycle by gate and result.', samples: digest.gates.by_gate.flatMap((g) => [{ labels: { cycle, gate: g.gate, result: 'passed' }, value: g.passed }, { labels: { cycle, gate: g.gate, result: 'failed' }, value: g.failed }]) },
    {
      name: 'plan_digest_handoffs',
      help: 'Handoffs sealed in the cycle by verification result.',
      samples: [
        { labels: { cycle, result: 'verified' }, value: digest.handoffs.verified },
        { labels: { cycle, result: 'unverified' }, value: digest.handoffs.total - digest.handoffs.verified },
      ],
    },
    { name: 'plan_digest_defects', help: 'Defect tasks that appeared in the cycle; escaped: after their plan began execution.', samples: byCategory([['found', f.defects_found], ['escaped', f.defects_escaped]]) },
    { name: 'plan_digest_critical_issues', help: 'Critical issues: unverified handoffs, escaped P0/P1 defects, blocked P0 tasks.', samples: [{ labels: { cycle }, value: digest.critical_issues.length }] },
    { name: 'plan_digest_kpi_value', help: 'KPI value in its unit (absent when the cycle has no data for it).', samples: digest.kpis.map((k) => ({ labels: { cycle, kpi: k.name, unit: k.unit }, value: k.actual })) },
    { name: 'plan_digest_kpi_target', help: 'KPI target in its unit.', samples: digest.kpis.map((k) => ({ labels: { cycle, kpi: k.name, unit: k.unit, direction: k.direction }, value: k.target })) },
    { name: 'plan_digest_kpi_status', help: 'KPI status: 1 for the status it has, 0 for the others.', samples: digest.kpis.flatMap((k) => KPI_STATUSES.map((status) => ({ labels: { cycle, kpi: k.name, status }, value: k.status === status ? 1 : 0 }))) },
    { name: 'plan_digest_kpi_trend_delta', help: 'KPI value minus the mean of the previous 3 cycles (absent without both).', samples: digest.kpis.map((k) => ({ labels: { cycle, kpi: k.name, unit: k.unit }, value: k.trend?.delta ?? null })) },
    { name: 'plan_digest_generated_timestamp_seconds', help: 'When the digest was generated, seconds since the epoch.', unit: 'seconds', samples: [{ labels: { cycle }, value: Date.parse(digest.generated_at) / 1000 }] },
  ];
  return render(families);
}
