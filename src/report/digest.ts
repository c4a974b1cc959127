import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { ConfigError } from '../core/errors.js';
import type { DigestContext, KpiResult } from '../core/digest/context.js';
import { NO_DATA, STATUS_LABELS, formatNumber, formatPercent, formatTrend, formatValue } from '../core/digest/format.js';
import type { KpiStatus } from '../core/digest/kpis.js';
import { escapeInline, escapeTableCell } from '../core/digest/markdown.js';
import type { Trend } from '../core/digest/trend.js';

export const DIGEST_TEMPLATE = 'digest.md.hbs';

/**
 * The digest's templates: every `*.hbs` of the built-in folder, each replaced by a file of the
 * same name in the repository's folder (rulebook/templates/digest/). The main template is
 * digest.md.hbs; every other file is a partial named without its extensions (`_kpis.md.hbs`
 * is `{{> _kpis}}`).
 */
export async function loadDigestTemplates(builtIn: string, override: string): Promise<Map<string, { source: string; file: string }>> {
  const templates = new Map<string, { source: string; file: string }>();
  for (const dir of [builtIn, override]) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.hbs')).sort();
    } catch {
      continue;
    }
    for (const name of names) templates.set(name, { source: await readFile(join(dir, name), 'utf8'), file: join(dir, name) });
  }
  return templates;
}

function helpers(hb: typeof Handlebars): void {
  const plain = (fn: (...args: never[]) => string) =>
    function (this: unknown, ...args: unknown[]): string {
      return fn(...(args.slice(0, -1) as never[]));
    };
  hb.registerHelper('value', plain((v: number | null, unit: string) => formatValue(v, unit)));
  hb.registerHelper('num', plain((v: number | null) => formatNumber(v)));
  hb.registerHelper('pct', plain((v: number | null) => formatPercent(v)));
  hb.registerHelper('days', plain((v: number | null) => formatValue(v, 'days')));
  hb.registerHelper('points', plain((v: number | null) => (v === null || v === undefined ? '—' : formatNumber(v))));
  hb.registerHelper('status', plain((s: KpiStatus) => STATUS_LABELS[s] ?? s));
  hb.registerHelper('trend', plain((t: Trend | null, unit: string) => formatTrend(t, unit)));
  hb.registerHelper('target', plain((k: KpiResult) => `${k.direction === 'lower_is_better' ? '≤' : '≥'} ${formatValue(k.target, k.unit)}`));
  hb.registerHelper('cell', plain((v: unknown) => escapeTableCell(v)));
  hb.registerHelper('text', plain((v: unknown) => escapeInline(v)));
  hb.registerHelper('sha', plain((v: string | null) => (v ? v.slice(0, 12) : NO_DATA)));
  hb.registerHelper('nodata', plain((v: unknown) => (v === null || v === undefined ? NO_DATA : String(v))));
  hb.registerHelper('isnull', plain((v: unknown) => (v === null || v === undefined ? 'true' : '')));
  hb.registerHelper('join', plain((v: unknown) => (Array.isArray(v) ? v.join('; ') : '')));
}

/** Renders the Markdown digest; templates only format what the context already holds. */
export function renderDigestMarkdown(context: DigestContext, templates: ReadonlyMap<string, { source: string; file: string }>): string {
  const hb = Handlebars.create();
  helpers(hb);
  const main = templates.get(DIGEST_TEMPLATE);
  if (!main) throw new ConfigError(`no ${DIGEST_TEMPLATE} template found`);
  for (const [name, t] of templates) if (name !== DIGEST_TEMPLATE) hb.registerPartial(name.replace(/(\.md)?\.hbs$/, ''), t.source);
  try {
    const text = hb.compile(main.source, { noEscape: true, strict: false })(context);
    return `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
  } catch (error) {
    throw new ConfigError(`cannot render the digest template: ${(error as Error).message.split('\n')[0]}`, { file: main.file, cause: error });
  }
}
