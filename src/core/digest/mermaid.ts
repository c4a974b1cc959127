import { formatNumber } from './format.js';

/** Mermaid sources GitHub renders: `xychart-beta` for series, `stateDiagram-v2` for transitions. */

export interface XySeries {
  kind: 'bar' | 'line';
  values: number[];
}

/** Quotes, backslashes, line breaks and backticks (which could close the Markdown fence) become spaces. */
function quoted(text: string): string {
  return `"${text.replace(/["\\\n\r`]/g, ' ').trim()}"`;
}

/** The y-axis top: the largest value rounded up to a readable step, so bars never touch the frame. */
function axisTop(values: readonly number[]): number {
  const max = Math.max(0, ...values);
  if (max === 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil((max * 1.1) / step) * step;
}

export function xyChart(title: string, xLabels: readonly string[], yTitle: string, series: readonly XySeries[]): string {
  const top = axisTop(series.flatMap((s) => s.values));
  const lines = [
    'xychart-beta',
    `    title ${quoted(title)}`,
    `    x-axis [${xLabels.map(quoted).join(', ')}]`,
    `    y-axis ${quoted(yTitle)} 0 --> ${formatNumber(top)}`,
    ...series.map((s) => `    ${s.kind} [${s.values.map((v) => formatNumber(v)).join(', ')}]`),
  ];
  return lines.join('\n');
}

export interface StateEdge {
  /** null: the outside (a plan's creation, a task's appearance or deletion). */
  from: string | null;
  to: string | null;
  label: string;
}

/** States get ids (`s1`, `s2`, ...) with their names as descriptions, so any name is safe to show. */
export function stateChart(edges: readonly StateEdge[]): string {
  const ids = new Map<string, string>();
  const id = (name: string | null): string => {
    if (name === null) return '[*]';
    let known = ids.get(name);
    if (!known) {
      known = `s${ids.size + 1}`;
      ids.set(name, known);
    }
    return known;
  };
  const body = edges.map((e) => `    ${id(e.from)} --> ${id(e.to)}: ${e.label.replace(/[:;#\n\r`]/g, ' ').trim()}`);
  const states = [...ids].map(([name, sid]) => `    state ${quoted(name)} as ${sid}`);
  return ['stateDiagram-v2', ...states, ...body].join('\n');
}
