import { spawn } from 'node:child_process';
import type { Finding, Severity } from '../core/finding.js';
import type { GateDef } from '../core/gates.js';
import type { Workspace } from '../core/workspace.js';
import type { OpenedRepo } from './repo.js';

const DEFAULT_TIMEOUT_SECONDS = 60;
const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs a gate's `command` validators (the seed's validate_references.py): the plan context as
 * JSON on stdin, the exit code decides, JSON findings on stdout are reported, a time limit
 * applies. They run repository code, so they run only for gates, never for `plan lint`.
 */
export async function runCommandValidators(repo: OpenedRepo, gate: GateDef, plan: string, workspace: Workspace): Promise<Map<number, Finding[]>> {
  const results = new Map<number, Finding[]>();
  const context = planContext(repo, gate, plan, workspace);
  for (const [index, def] of gate.validators.entries()) {
    if (def.type !== 'command') continue;
    const run = def['run'];
    const argv = Array.isArray(run) ? run.map(String) : typeof run === 'string' ? ['/bin/sh', '-c', run] : [];
    const name = typeof def.name === 'string' ? def.name : 'command';
    const timeout = typeof def['timeout_seconds'] === 'number' ? def['timeout_seconds'] : DEFAULT_TIMEOUT_SECONDS;
    results.set(index, argv.length === 0 ? [fail(name, 'command validator has no `run`', plan)] : await runOne(repo.root, argv, context, timeout, name, plan));
  }
  return results;
}

function planContext(repo: OpenedRepo, gate: GateDef, plan: string, workspace: Workspace): string {
  const p = workspace.plans.get(plan);
  return JSON.stringify({
    plan,
    gate: gate.name,
    root: repo.root,
    dir: p?.dir ?? `${repo.config.plans_dir}/${plan}`,
    files: p ? [...p.artifacts.keys()].map((name) => `${p.dir}/${name}`) : [],
    meta: p?.meta ?? null,
    tasks: p?.tasks.map((t) => t.fields) ?? [],
    all_task_ids: [...workspace.tasks.keys()],
  });
}

function fail(name: string, message: string, plan: string, severity: Severity = 'error'): Finding {
  return { rule: `command/${name}`, severity, message, plan };
}

function runOne(cwd: string, argv: string[], input: string, timeoutSeconds: number, name: string, plan: string): Promise<Finding[]> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PLAN_GATE_PLAN: plan } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve([fail(name, `cannot run ${argv[0]}: ${error.message}`, plan)]);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve([fail(name, `${argv.join(' ')} did not finish within ${timeoutSeconds} s`, plan)]);
      const reported = parseFindings(stdout, name, plan);
      if (code === 0) return resolve(reported.filter((f) => f.severity !== 'error').length === reported.length ? reported : reported.map((f) => ({ ...f, severity: 'warning' })));
      if (reported.some((f) => f.severity === 'error')) return resolve(reported);
      const why = stderr.trim().split('\n').pop() || stdout.trim().split('\n').pop() || 'no output';
      resolve([...reported, fail(name, `${argv.join(' ')} exited with ${code ?? 'a signal'}: ${why}`, plan)]);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Optional stdout: a JSON array of findings, or `{ "findings": [...] }`; anything else is ignored. */
function parseFindings(stdout: string, name: string, plan: string): Finding[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    return [];
  }
  const list = Array.isArray(data) ? data : (data as { findings?: unknown })?.findings;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown): Finding[] => {
    if (typeof item !== 'object' || item === null) return [];
    const f = item as Record<string, unknown>;
    if (typeof f['message'] !== 'string') return [];
    const severity: Severity = f['severity'] === 'warning' || f['severity'] === 'info' ? f['severity'] : 'error';
    return [
      {
        rule: typeof f['rule'] === 'string' ? `command/${name}/${f['rule']}` : `command/${name}`,
        severity,
        message: f['message'],
        plan,
        ...(typeof f['file'] === 'string' ? { file: f['file'] } : {}),
        ...(typeof f['line'] === 'number' ? { line: f['line'] } : {}),
        ...(typeof f['column'] === 'number' ? { column: f['column'] } : {}),
        ...(typeof f['task'] === 'string' ? { task: f['task'] } : {}),
      },
    ];
  });
}
