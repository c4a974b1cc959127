import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnose } from '../core/doctor.js';
import type { ParsedEvents } from '../core/events.js';
import type { Finding } from '../core/finding.js';
import { PlanError } from '../core/errors.js';
import { PlanStore, EVENTS_DIR, JOURNAL_PATH, LOCK_PATH, PLAN_DIR, STATE_PATH, eventLogPath } from '../io/store.js';
import { openRepo, type RepoOptions } from './repo.js';
import { gitBlobId } from '../io/blobs.js';
import { worktreeWorkspace } from './workspace.js';

export interface DoctorOptions extends RepoOptions {
  /** Finish an interrupted transition, clear a stale lock and remove killed commands' temporary files (the repairs that are always safe). */
  fix?: boolean;
}

export interface DoctorResult {
  root: string;
  findings: Finding[];
  fixed: string[];
  /** Plans and event logs looked at. */
  checked: { plans: number; eventLogs: number };
}

const KNOWN = new Set(['state.yaml', 'events', 'approvals', 'keys', 'handoffs', 'digests', 'schemas', '.gitignore', 'lock', 'journal.json']);

/** Checks the state file against the event logs and the plan folders (DESIGN §8). */
export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const repo = await openRepo(options);
  const store = new PlanStore(repo.root);
  // taking the lock is the repair: it takes over a stale lock, finishes the journal, removes leftovers
  const fixed = options.fix ? await store.locked('plan doctor --fix', async (repaired) => repaired) : [];
  let journal = false;
  let badJournal: { file: string; problem: string } | undefined;
  try {
    journal = (await store.readJournal()) !== undefined;
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    badJournal = { file: JOURNAL_PATH, problem: error.message };
  }
  const holder = await store.staleLock();
  let stateText: string | undefined;
  try {
    stateText = await readFile(join(repo.root, STATE_PATH), 'utf8');
  } catch {
    stateText = undefined;
  }
  const logs = new Map<string, { path: string; parsed: ParsedEvents }>();
  for (const plan of await store.loggedPlans()) logs.set(plan, { path: eventLogPath(plan), parsed: await store.readEvents(plan) });

  const { workspace, sources } = await worktreeWorkspace(repo);
  const currentBlobs = new Map<string, Record<string, string>>();
  for (const source of sources) {
    const plan = [...workspace.plans.values()].find((p) => source.path.startsWith(`${p.dir}/`));
    if (!plan || source.kind !== 'file' || source.contentSkipped) continue;
    const blobs = currentBlobs.get(plan.id) ?? {};
    blobs[source.path] = gitBlobId(source.bytes);
    currentBlobs.set(plan.id, blobs);
  }
  let entries: string[] = [];
  try {
    entries = await readdir(join(repo.root, PLAN_DIR));
  } catch {
    entries = [];
  }
  const leftovers = await store.crashLeftovers();
  const stray = entries.filter((e) => !KNOWN.has(e)).map((e) => `${PLAN_DIR}/${e}`);
  try {
    for (const e of await readdir(join(repo.root, EVENTS_DIR))) if (!e.endsWith('.jsonl')) stray.push(`${EVENTS_DIR}/${e}`);
  } catch {
    // no events yet
  }
  const findings = diagnose({
    statePath: STATE_PATH,
    stateText,
    logs,
    planDirs: new Set(workspace.plans.keys()),
    plansDir: repo.config.plans_dir,
    currentBlobs,
    journal,
    badJournal,
    staleLock: holder ? { file: LOCK_PATH, holder } : undefined,
    strayFiles: stray.filter((f) => !leftovers.includes(f)),
    leftovers,
  });
  return { root: repo.root, findings, fixed, checked: { plans: new Set([...workspace.plans.keys(), ...logs.keys()]).size, eventLogs: logs.size } };
}
