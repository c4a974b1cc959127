import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Finding, Severity } from '../core/finding.js';
import { position, sortedFindings } from './summary.js';
import type { FormatOptions, LintReport, RuleInfo } from './types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

export type SarifLevel = 'error' | 'warning' | 'note';

export const SARIF_LEVEL: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

// The subset of SARIF 2.1.0 this formatter writes; the schema test checks it against the real thing.
export interface SarifRegion {
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

export interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region?: SarifRegion;
  };
}

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: SarifLevel };
  helpUri?: string;
  properties: { tags: string[] };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations?: SarifLocation[];
  partialFingerprints: { primaryLocationLineHash: string };
  properties?: { plan?: string; task?: string };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [
    {
      tool: {
        driver: {
          name: 'plan';
          version: string;
          semanticVersion?: string;
          informationUri?: string;
          rules: SarifReportingDescriptor[];
        };
      };
      originalUriBaseIds?: Record<string, { uri: string }>;
      columnKind: 'utf16CodeUnits';
      results: SarifResult[];
    },
  ];
}

// semver.org's own pattern; SARIF wants semanticVersion to be exactly that, so anything else is left out.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** RFC 3986 path segments: encodeURIComponent leaves only unreserved characters and `!'()*` bare. */
function encodePath(path: string): string {
  return path
    .replace(LONE_SURROGATE, '\uFFFD')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** A repository-relative reference under %SRCROOT%, or a file URI for the odd absolute path. */
export function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  let path = file.replace(/\\/g, '/');
  if (/^[A-Za-z]:\//.test(path)) return { uri: `file:///${path.slice(0, 2)}${encodePath(path.slice(2))}` };
  if (path.startsWith('/')) return { uri: `file://${encodePath(path)}` };
  while (path.startsWith('./')) path = path.slice(2);
  return { uri: encodePath(path), uriBaseId: SRCROOT };
}

function region(f: Finding): SarifRegion | undefined {
  const startLine = position(f.line);
  if (startLine === undefined) return undefined;
  const out: SarifRegion = { startLine };
  const startColumn = position(f.column);
  if (startColumn !== undefined) out.startColumn = startColumn;
  const endLine = position(f.endLine);
  if (endLine !== undefined && endLine >= startLine) out.endLine = endLine;
  const endColumn = position(f.endColumn);
  if (endColumn !== undefined && ((out.endLine ?? startLine) > startLine || endColumn >= (startColumn ?? 1))) {
    out.endColumn = endColumn;
  }
  return out;
}

/** `deps/cycle` -> `DepsCycle`: SARIF wants a readable identifier distinct from the opaque id. */
function ruleName(id: string): string {
  const name = id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
  return name || id;
}

function firstSentence(text: string): string {
  const match = /^[\s\S]*?[.!?](?=\s|$)/.exec(text);
  return (match ? match[0] : text).trim();
}

function descriptor(id: string, info: RuleInfo | undefined, fallback: Severity): SarifReportingDescriptor {
  const description = info?.description.trim() || id;
  const slash = id.indexOf('/');
  // SARIF wants unique tags: a plan/* rule's family is "plan" already
  const tags = [...new Set(['plan', ...(slash > 0 ? [id.slice(0, slash)] : [])])];
  const out: SarifReportingDescriptor = {
    id,
    name: ruleName(id),
    shortDescription: { text: firstSentence(description) },
    fullDescription: { text: description },
    defaultConfiguration: { level: SARIF_LEVEL[info?.defaultSeverity ?? fallback] },
    properties: { tags },
  };
  if (info?.helpUri) out.helpUri = info.helpUri;
  return out;
}

/**
 * GitHub matches alerts across runs by this hash, so it leaves the line out: moving a finding does not
 * make it a new alert. Identical findings are told apart by the counter after the colon.
 */
export function fingerprint(f: Finding): string {
  return createHash('sha256')
    .update(`${f.rule}\0${f.file ?? ''}\0${f.message}`)
    .digest('hex')
    .slice(0, 16);
}

export function toSarif(report: LintReport, options: FormatOptions): SarifLog {
  const findings = sortedFindings(report.findings);
  const catalogue = new Map(report.rules.map((r) => [r.id, r]));

  const firstSeverity = new Map<string, Severity>();
  for (const f of findings) if (!firstSeverity.has(f.rule)) firstSeverity.set(f.rule, f.severity);
  const ids = [...firstSeverity.keys()].sort();
  const ruleIndex = new Map(ids.map((id, i) => [id, i]));
  const rules = ids.map((id) => descriptor(id, catalogue.get(id), firstSeverity.get(id)!));

  const seen = new Map<string, number>();
  const results = findings.map((f): SarifResult => {
    const hash = fingerprint(f);
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    const result: SarifResult = {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule)!,
      level: SARIF_LEVEL[f.severity],
      message: { text: f.message || f.rule },
      partialFingerprints: { primaryLocationLineHash: `${hash}:${occurrence}` },
    };
    if (f.file) {
      const r = region(f);
      result.locations = [
        { physicalLocation: { artifactLocation: artifactLocation(f.file), ...(r ? { region: r } : {}) } },
      ];
    }
    if (f.plan !== undefined || f.task !== undefined) {
      result.properties = {};
      if (f.plan !== undefined) result.properties.plan = f.plan;
      if (f.task !== undefined) result.properties.task = f.task;
    }
    return result;
  });

  // Built in reading order: JSON keeps insertion order, and people do read these files.
  const run: SarifLog['runs'][0] = {
    tool: {
      driver: {
        name: 'plan',
        version: report.toolVersion,
        ...(SEMVER.test(report.toolVersion) ? { semanticVersion: report.toolVersion } : {}),
        ...(report.informationUri ? { informationUri: report.informationUri } : {}),
        rules,
      },
    },
    ...(options.cwd ? { originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(options.cwd) } } } : {}),
    columnKind: 'utf16CodeUnits',
    results,
  };
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}

export function sarif(report: LintReport, options: FormatOptions): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`;
}

export default sarif;
