import picomatch from 'picomatch';
import type { PlanConfig } from './config.js';
import type { Finding } from './finding.js';
import { decodeText, isDecoded, type DecodedText } from './parse/text.js';
import { parseYaml, type ParsedYaml } from './parse/yaml.js';
import { parseJson } from './parse/json.js';
import { parseStoryMap, type StoryMap } from './parse/storymap.js';

/** One file as read from the working tree or the git index. */
export interface SourceFile {
  /** Repository-relative POSIX path. */
  path: string;
  bytes: Uint8Array;
  /** Symlinks are never followed: an artifact must be a regular file inside the repository. */
  kind: 'file' | 'symlink';
  /** Size on disk; for a file no validator parses, only the size is read and `bytes` stays empty. */
  size?: number;
  contentSkipped?: boolean;
}

export type ArtifactKind = 'yaml' | 'json' | 'markdown' | 'other';

export interface Artifact {
  path: string;
  /** Path inside the plan folder. */
  name: string;
  kind: ArtifactKind;
  text?: DecodedText;
  data?: ParsedYaml;
  storyMap?: StoryMap;
  /** Shipped schema name or repository path, from config `artifacts`. */
  schema?: string;
  /** Problems that stopped the file from being read or parsed. */
  findings: Finding[];
}

export interface Task {
  id: string;
  plan: string;
  file: string;
  /** Index in the backlog's `tasks` list, for locating findings. */
  index: number;
  dependencies: string[];
  fields: Record<string, unknown>;
}

export interface Plan {
  id: string;
  dir: string;
  artifacts: Map<string, Artifact>;
  meta?: Record<string, unknown>;
  tasks: Task[];
}

export interface Workspace {
  plans: Map<string, Plan>;
  /** Every task id, with the first task that has it. */
  tasks: Map<string, Task>;
  /** Ids defined more than once, with every task that has them (rare, so kept apart). */
  duplicates: Map<string, Task[]>;
  /** Every path known to exist in the repository (for artifact references). */
  files: Set<string>;
}

export const PLAN_FILE = 'plan.yaml';
export const BACKLOG_FILE = 'be_backlog.yaml';
export const STORY_MAP_FILE = 'story_map.md';

export function artifactKind(path: string): ArtifactKind {
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.md$/i.test(path)) return 'markdown';
  return 'other';
}

/** `plans/<id>/<rest>` → `{ plan: id, name: rest }`, or undefined for files outside a plan folder. */
/** The folder of a plan, relative to the repository root, without a trailing slash. */
export function planDir(plansDir: string, plan: string): string {
  return `${plansDir.replace(/\/+$/, '')}/${plan}`;
}

/** Whether a path belongs to a plan: a file in its folder, or the folder itself (a symlink arrives as one entry). */
export function inPlan(plansDir: string, plan: string): (path: string) => boolean {
  const dir = planDir(plansDir, plan);
  return (path) => path === dir || path.startsWith(`${dir}/`);
}

export function planOfPath(plansDir: string, path: string): { plan: string; name: string } | undefined {
  const prefix = plansDir.replace(/\/+$/, '') + '/';
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { plan: rest.slice(0, slash), name: rest.slice(slash + 1) };
}

function planFolderOf(plansDir: string, path: string): string | undefined {
  const prefix = plansDir.replace(/\/+$/, '') + '/';
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : '';
  return rest !== '' && !rest.includes('/') ? rest : undefined;
}

const matchers = new Map<string, (path: string) => boolean>();

/** Compiled once per pattern: picomatch builds a regex on every isMatch call. */
function matcher(pattern: string): (path: string) => boolean {
  let match = matchers.get(pattern);
  if (!match) matchers.set(pattern, (match = picomatch(pattern, { dot: true })));
  return match;
}

/** Reads one file into an artifact: decoded, parsed by its kind, nothing validated yet. */
export function readArtifact(source: SourceFile, name: string, config: PlanConfig, taskIdPattern: RegExp): Artifact {
  const kind = artifactKind(source.path);
  const artifact: Artifact = { path: source.path, name, kind, findings: [] };
  const schema = config.artifacts.find((m) => matcher(m.pattern)(name))?.schema;
  if (schema) artifact.schema = schema;
  if (source.kind === 'symlink') {
    artifact.findings.push({ rule: 'file/symlink', severity: 'error', message: 'planning artifacts must be regular files, not symbolic links (a link can point outside the repository)', file: source.path });
    return artifact;
  }
  if (kind === 'other') return artifact;
  const decoded = decodeText(source.path, source.bytes, { maxFileBytes: config.lint.max_file_bytes });
  artifact.findings.push(...decoded.findings);
  if (!isDecoded(decoded)) return artifact;
  artifact.text = decoded;
  if (!decoded.parseable) return artifact;
  if (kind === 'yaml') artifact.data = parseYaml(source.path, decoded.text, decoded.lines, { maxDepth: config.lint.max_depth, maxAliases: config.lint.max_aliases });
  else if (kind === 'json') artifact.data = parseJson(source.path, decoded.text, config.lint.max_depth, decoded.lines);
  else if (name === STORY_MAP_FILE || name.endsWith(`/${STORY_MAP_FILE}`)) artifact.storyMap = parseStoryMap(decoded.text, taskIdPattern);
  if (artifact.data) artifact.findings.push(...artifact.data.findings);
  return artifact;
}

/**
 * Builds the in-memory planning repository from source files. Parsing is per file and
 * independent; validators then look across plans through the task index.
 */
export function buildWorkspace(sources: Iterable<SourceFile>, allPaths: Iterable<string>, config: PlanConfig, taskIdPattern: RegExp): Workspace {
  const workspace: Workspace = { plans: new Map(), tasks: new Map(), duplicates: new Map(), files: new Set(allPaths) };
  for (const source of sources) {
    // A plan folder that is itself a symlink arrives as one entry; report it rather than skip it.
    const folderLink = source.kind === 'symlink' ? planFolderOf(config.plans_dir, source.path) : undefined;
    const where = planOfPath(config.plans_dir, source.path) ?? (folderLink ? { plan: folderLink, name: '.' } : undefined);
    if (!where) continue;
    workspace.files.add(source.path);
    addArtifact(workspace, where.plan, config, readArtifact(source, where.name, config, taskIdPattern));
  }
  return workspace;
}

export function addArtifact(workspace: Workspace, planId: string, config: PlanConfig, artifact: Artifact): void {
  const plan = planEntry(workspace, planId, config);
  plan.artifacts.set(artifact.name, artifact);
  const value = artifact.data?.value;
  if (artifact.name === PLAN_FILE && isRecord(value)) plan.meta = value;
  if (artifact.name === BACKLOG_FILE && isRecord(value)) {
    for (const task of tasksOf(value, planId, artifact.path)) addTask(workspace, plan, task);
  }
}

function tasksOf(backlog: Record<string, unknown>, plan: string, file: string): Task[] {
  const list = backlog['tasks'];
  if (!Array.isArray(list)) return [];
  const tasks: Task[] = [];
  list.forEach((item: unknown, index) => {
    if (!isRecord(item) || typeof item['id'] !== 'string') return;
    const deps = Array.isArray(item['dependencies']) ? item['dependencies'].filter((d): d is string => typeof d === 'string') : [];
    tasks.push({ id: item['id'], plan, file, index, dependencies: deps, fields: item });
  });
  return tasks;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a task (or a field of it) sits in its backlog file. */
export function locateTask(workspace: Workspace, task: Task, path: Array<string | number> = []): { line?: number; column?: number } {
  return workspace.plans.get(task.plan)?.artifacts.get(BACKLOG_FILE)?.data?.locate(['tasks', task.index, ...path]) ?? {};
}

/** What cross-plan checks need of a backlog: task ids and dependencies. Cached by blob id for --staged. */
export interface BacklogSummary {
  tasks: Array<{ id: string; index: number; dependencies: string[] }>;
}

export function summarizeBacklog(artifact: Artifact): BacklogSummary {
  const value = artifact.data?.value;
  if (!isRecord(value)) return { tasks: [] };
  return { tasks: tasksOf(value, '', artifact.path).map((t) => ({ id: t.id, index: t.index, dependencies: t.dependencies })) };
}

/** `id\tindex\tdep dep` lines: a tenth of the JSON size, so loading 100,000 cached tasks stays cheap. */
export function encodeSummary(summary: BacklogSummary): string {
  return summary.tasks.map((t) => `${t.id}\t${t.index}\t${t.dependencies.join(' ')}`).join('\n');
}

export function decodeSummary(text: string): BacklogSummary {
  if (text === '') return { tasks: [] };
  return {
    tasks: text.split('\n').map((line) => {
      const [id, index, deps] = line.split('\t');
      return { id: id!, index: Number(index), dependencies: deps ? deps.split(' ') : [] };
    }),
  };
}

const NO_FIELDS: Record<string, unknown> = Object.freeze({});

/** Registers the tasks of a plan that is not being linted, so references to it resolve. */
export function addBacklogSummary(workspace: Workspace, planId: string, file: string, config: PlanConfig, summary: BacklogSummary): void {
  const plan = planEntry(workspace, planId, config);
  for (const t of summary.tasks) addTask(workspace, plan, { id: t.id, plan: planId, file, index: t.index, dependencies: t.dependencies, fields: NO_FIELDS });
}

function planEntry(workspace: Workspace, planId: string, config: PlanConfig): Plan {
  let plan = workspace.plans.get(planId);
  if (!plan) {
    plan = { id: planId, dir: planDir(config.plans_dir, planId), artifacts: new Map(), tasks: [] };
    workspace.plans.set(planId, plan);
  }
  return plan;
}

function addTask(workspace: Workspace, plan: Plan, task: Task): void {
  plan.tasks.push(task);
  const first = workspace.tasks.get(task.id);
  if (!first) workspace.tasks.set(task.id, task);
  else {
    const all = workspace.duplicates.get(task.id);
    if (all) all.push(task);
    else workspace.duplicates.set(task.id, [first, task]);
  }
}
