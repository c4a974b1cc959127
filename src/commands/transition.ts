import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeEvent, type GateOutcome, type PlanningEvent } from '../core/events.js';
import { RepoError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { gateNamed, runGate, type GateReport } from '../core/gates.js';
import { allowedFrom, resolveTransition, type Lifecycle, type TransitionDef } from '../core/lifecycle.js';
import { commitPlanChange } from '../io/commit.js';
import { git } from '../io/git.js';
import { loadGates, loadLifecycle } from '../io/rulebook.js';
import { prepareSchemas } from '../io/schemas.js';
import { eventLogPath, PlanStore, STATE_PATH } from '../io/store.js';
import { runCommandValidators } from './command_validator.js';
import { openRepo, type OpenedRepo, type RepoOptions } from './repo.js';
import { governanceView, loadGovernanceRules, verdictFor } from './governance.js';
import type { Violation } from '../core/governance.js';
import { inPlan } from '../core/workspace.js';
import { gitBlobId } from '../io/blobs.js';
import { validationContext, worktreeWorkspace } from './workspace.js';

export interface TransitionOptions extends RepoOptions {
  plan: string;
  /** An event name, or a target state reached by one transition. */
  target: string;
  dryRun?: boolean;
  /** Commit the state and event changes (and nothing else) with Plan-* trailers. */
  commit?: boolean;
  /** Append a GATE_FAILED event when the gate refuses. */
  recordFailure?: boolean;
  now?: Date;
}

/** A gate already run by the caller (plan seal runs it before building the manifest). */
export interface PreparedGate {
  report: GateReport;
  blobs: Record<string, string>;
  /** Extra event metadata, e.g. the manifest a seal wrote. */
  metadata?: Record<string, unknown>;
  /** Files besides the state and event log that --commit includes (the handoff folder). */
  commitPaths?: string[];
  /** The caller has checked the governance rules guarding this event (under the same lock), and none blocks. */
  governanceChecked?: boolean;
}

export interface TransitionResult {
  plan: string;
  from: string | null;
  to?: string;
  event?: string;
  gate?: GateReport;
  /** What happened: applied, refused (exit 1), or a dry run that would apply. */
  outcome: 'applied' | 'refused' | 'would-apply';
  reason?: string;
  /** Events allowed from the current state, for the refusal message. */
  allowed: string[];
  /** Governance requirements that refused the transition. */
  governance?: Violation[];
  eventId?: string;
  recordedFailure?: string;
  commit?: string;
}

/** Resolve, gate, then write state and event together under the lock (DESIGN §3). */
export async function transition(options: TransitionOptions): Promise<TransitionResult> {
  const repo = await openRepo(options);
  const lifecycle = loadLifecycle(repo.root, repo.config);
  const store = new PlanStore(repo.root);
  return store.locked(`plan transition ${options.plan} ${options.target}`, async () => {
    const state = await store.readState();
    assertKnownPlan(repo, options.plan, state.has(options.plan));
    return applyTransition(repo, lifecycle, store, options, state.get(options.plan));
  });
}

export async function applyTransition(
  repo: OpenedRepo,
  lifecycle: Lifecycle,
  store: PlanStore,
  options: TransitionOptions,
  current: { state: string; seq: number } | undefined,
  prepared?: PreparedGate,
): Promise<TransitionResult> {
  const from = current?.state ?? null;
  const allowed = allowedFrom(lifecycle, from).map((t) => t.event);
  const resolved = resolveTransition(lifecycle, from, options.target);
  if (!resolved.ok) return { plan: options.plan, from, outcome: 'refused', reason: resolved.reason, allowed };
  const t = resolved.transition;
  const now = options.now ?? new Date();
  if (t.seal && !prepared) {
    return { plan: options.plan, from, to: t.to, event: t.event, outcome: 'refused', reason: `${t.event} seals a handoff: run plan seal ${options.plan} --key FILE`, allowed };
  }
  if (t.requires_seal) {
    const problem = await sealProblem(repo, options, now);
    if (problem) return { plan: options.plan, from, to: t.to, event: t.event, outcome: 'refused', reason: problem, allowed };
  }
  const actor = await gitActor(repo.root);

  const governed = prepared?.governanceChecked ? { blocking: [] } : await governanceBlockers(repo, options.plan, t.event, now);
  if (governed.blocking.length > 0) {
    const reason = `governance: ${governed.blocking.map((v) => `${v.rule} (${v.requirement}): ${v.message}`).join('; ')}`;
    return { plan: options.plan, from, to: t.to, event: t.event, outcome: 'refused', reason, allowed, governance: governed.blocking };
  }

  let report: GateReport | undefined;
  let blobs: Record<string, string> | undefined;
  if (t.gate) {
    const gated = prepared ?? (await evaluateGate(repo, t.gate, options.plan, now, governed.loaded));
    report = gated.report;
    blobs = gated.blobs;
    if (!report.passed) {
      const result: TransitionResult = { plan: options.plan, from, to: t.to, event: t.event, gate: report, outcome: 'refused', reason: `gate ${t.gate} failed`, allowed };
      if (options.recordFailure && !options.dryRun) {
        const event = buildEvent(options.plan, t, 'GATE_FAILED', current?.seq ?? 0, actor, report.results, now, blobs);
        await store.apply({ plan: options.plan, event });
        result.recordedFailure = event.event.id;
        if (options.commit) result.commit = await commitChange(repo.root, options.plan, t, from, { note: `gate ${t.gate} failed` });
      }
      return result;
    }
  }
  if (options.dryRun) return { plan: options.plan, from, to: t.to, event: t.event, gate: report, outcome: 'would-apply', allowed };

  const seq = (current?.seq ?? 0) + 1;
  const event = buildEvent(options.plan, t, t.from === null ? 'PLAN_CREATED' : 'STATE_TRANSITION', seq, actor, report?.results ?? {}, now, blobs);
  Object.assign(event.event.payload.metadata, prepared?.metadata ?? {});
  await store.apply({ plan: options.plan, event, state: { state: t.to, since: event.event.timestamp, seq, event: t.event } });
  const result: TransitionResult = { plan: options.plan, from, to: t.to, event: t.event, gate: report, outcome: 'applied', allowed, eventId: event.event.id };
  if (options.commit) result.commit = await commitChange(repo.root, options.plan, t, from, { extraPaths: prepared?.commitPaths });
  return result;
}

/** Runs a gate for one plan over the working tree, and the blob ids of the files it read. */
export async function evaluateGate(repo: OpenedRepo, gateName: string, plan: string, now: Date, loaded?: LoadedWorkspace): Promise<{ report: GateReport; blobs: Record<string, string> }> {
  const { gates, file } = loadGates(repo.root, repo.config);
  const gate = gateNamed(gates, gateName, file);
  await prepareSchemas(repo.root, repo.config.artifacts.map((a) => a.schema));
  const { workspace, sources } = loaded ?? (await worktreeWorkspace(repo));
  const inScope = inPlan(repo.config.plans_dir, plan);
  const view = gate.validators.some((v) => v.type === 'governance') ? await governanceView(repo, sources, now, { plans: [plan] }) : undefined;
  const context = validationContext(repo, workspace, inScope, now, view);
  const precomputed: Map<number, Finding[]> = await runCommandValidators(repo, gate, plan, workspace);
  const report = runGate(gate, context, precomputed);
  const blobs: Record<string, string> = {};
  // the files the gate read: parsed artifacts (attachments are sealed, but no validator reads them)
  for (const source of sources) if (inScope(source.path) && source.kind === 'file' && !source.contentSkipped) blobs[source.path] = gitBlobId(source.bytes);
  return { report, blobs };
}

type LoadedWorkspace = Awaited<ReturnType<typeof worktreeWorkspace>>;

/** What governance rules guarding this event say is missing; loads the workspace only if a rule guards it. */
export async function governanceBlockers(repo: OpenedRepo, plan: string, event: string, now: Date, loaded?: LoadedWorkspace): Promise<{ blocking: Violation[]; loaded?: LoadedWorkspace }> {
  const rules = loadGovernanceRules(repo);
  if (!rules.governance.rules.some((r) => r.guards.includes(event))) return { blocking: [], loaded };
  const workspace = loaded ?? (await worktreeWorkspace(repo));
  const view = await governanceView(repo, workspace.sources, now, { plans: [plan] });
  return { blocking: verdictFor(view, workspace.workspace, plan, event, now, repo.config.cycle.timezone).blocking, loaded: workspace };
}

function buildEvent(plan: string, t: TransitionDef, type: PlanningEvent['event']['type'], seq: number, actor: string, results: Record<string, GateOutcome>, now: Date, blobs?: Record<string, string>): PlanningEvent {
  return makeEvent({
    type,
    plan,
    from: t.from,
    to: t.to, // for GATE_FAILED: the state the refused transition would have reached
    event: t.event,
    seq,
    actor,
    gateResults: results,
    gate: t.gate,
    blobs,
    timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    nonce: randomBytes(4).toString('hex'),
  });
}

export function assertKnownPlan(repo: OpenedRepo, plan: string, inState: boolean): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(plan)) throw new RepoError(`invalid plan id "${plan}"`);
  if (inState || existsSync(join(repo.root, repo.config.plans_dir, plan))) return;
  throw new RepoError(`unknown plan "${plan}": no ${repo.config.plans_dir}/${plan}/ and no entry in ${STATE_PATH}`);
}

/** "Name <email>" of the git user, the seed's triggered_by. */
export async function gitActor(root: string): Promise<string> {
  const { stdout } = await git(root, ['config', '--get-regexp', '^user\\.(name|email)$'], { okCodes: [1] });
  const values = new Map(stdout.toString('utf8').split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]));
  const name = values.get('user.name') ?? '';
  const email = values.get('user.email') ?? '';
  if (name || email) return email ? `${name || email} <${email}>` : name;
  return process.env['USER'] ?? 'unknown';
}

/** Commits exactly the plan's state line and event log (and the given files), whatever else is staged. */
export async function commitChange(root: string, plan: string, t: TransitionDef, from: string | null, extra: { note?: string; extraPaths?: string[] } = {}): Promise<string> {
  const note = extra.note;
  const subject = note ? `plan: ${plan} ${t.event} refused (${note})` : `plan: ${plan} ${t.event} (${from ?? 'new'} → ${t.to})`;
  const trailers = [`Plan-Id: ${plan}`, `Plan-Event: ${t.event}`, `Plan-From: ${from ?? 'none'}`, `Plan-To: ${note ? (from ?? 'none') : t.to}`];
  const state = (await new PlanStore(root).readState()).get(plan);
  return commitPlanChange(root, plan, state, [eventLogPath(plan), ...(extra.extraPaths ?? [])], `${subject}\n\n${trailers.join('\n')}`);
}

/** Why the plan's latest handoff does not verify (threshold, roles, artifacts), or undefined when it does. */
async function sealProblem(repo: OpenedRepo, options: TransitionOptions, now: Date): Promise<string | undefined> {
  const plan = options.plan;
  const { listManifests } = await import('../io/handoffs.js');
  const latest = (await listManifests(repo.root, plan)).pop();
  if (!latest) return `no sealed handoff for ${plan}: run plan seal ${plan} --key FILE`;
  const { verify } = await import('./verify.js');
  const result = await verify({ cwd: options.cwd, config: options.config, manifests: [`${repo.root}/${latest.manifestPath}`], now });
  const failures = result.reports.flatMap((r) => r.findings).filter((f) => f.severity === 'error');
  return failures.length === 0 ? undefined : `handoff ${latest.manifestPath} does not verify: ${failures.map((f) => f.message).join('; ')}`;
}
