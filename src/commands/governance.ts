import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { approvalsPath, planContentDigest, tallyApprovals, type ApprovalTally } from '../core/approvals.js';
import { compileGovernance, evaluatePlan, type Governance, type PlanVerdict, type Waiver } from '../core/governance.js';
import type { FreezeWindow } from '../core/requirements/index.js';
import type { GovernanceView } from '../core/validators/types.js';
import { planRequirementContext } from '../core/validators/governance.js';
import type { SourceFile, Workspace } from '../core/workspace.js';
import { git } from '../io/git.js';
import { loadRulebookFile, rulebookSource } from '../io/rulebook.js';
import { loadTrustStore } from '../io/trust_store.js';
import type { OpenedRepo } from './repo.js';
import { dateIn } from './workspace.js';

/** governance.yaml compiled, with the waivers and freeze calendar beside it (a rulebook directory may be swapped in for simulation). */
export function loadGovernanceRules(repo: OpenedRepo): { governance: Governance; waivers: Waiver[]; freezeWindows: FreezeWindow[] } {
  const source = rulebookSource(repo.root, repo.config, 'governance');
  const governance = compileGovernance(loadRulebookFile(repo.root, repo.config, 'governance'), source.display);
  const waivers = ((loadRulebookFile(repo.root, repo.config, 'waivers') as { waivers?: Waiver[] }).waivers ?? []).map((w) => ({ ...w, expires: String(w.expires) }));
  const freezeWindows = ((loadRulebookFile(repo.root, repo.config, 'freeze_calendar') as { windows?: FreezeWindow[] }).windows ?? []).map((w) => ({ ...w, from: String(w.from), to: String(w.to) }));
  return { governance, waivers, freezeWindows };
}

/**
 * Everything the governance validator reads, with approvals tallied lazily (only for plans a
 * rule applies to) and the signatures of event-log commits read with one `git log`.
 */
export async function governanceView(repo: OpenedRepo, sources: readonly SourceFile[], now: Date, options: { readAuditTrail?: boolean; plans?: readonly string[] } = {}): Promise<GovernanceView> {
  const rules = loadGovernanceRules(repo);
  const trust = await loadTrustStore(repo.root);
  const planFiles = new Map<string, SourceFile[]>();
  const fileSizes = new Map<string, number>();
  const prefix = `${repo.config.plans_dir.replace(/\/+$/, '')}/`;
  for (const source of sources) {
    if (source.kind !== 'file' || !source.path.startsWith(prefix)) continue;
    fileSizes.set(source.path, source.size ?? source.bytes.byteLength);
    const plan = source.path.slice(prefix.length).split('/')[0]!;
    planFiles.set(plan, [...(planFiles.get(plan) ?? []), source]);
  }
  const needsAudit = options.readAuditTrail || rules.governance.rules.some((r) => r.requirements.some((q) => q.name === 'audit_trail' && q.value === 'enhanced'));
  const unsigned = needsAudit ? await unsignedEventCommits(repo.root, options.plans) : new Map<string, string[]>();
  const tallies = new Map<string, ApprovalTally>();
  return {
    ...rules,
    fileSizes,
    approvals(plan) {
      let tally = tallies.get(plan);
      if (!tally) {
        let text = '';
        try {
          text = readFileSync(join(repo.root, approvalsPath(plan)), 'utf8');
        } catch {
          text = '';
        }
        // the digest covers every file of the plan, attachments included, so read those now
        const digest = planContentDigest((planFiles.get(plan) ?? []).map((s) => ({ path: s.path, bytes: s.contentSkipped ? readFileSync(join(repo.root, s.path)) : s.bytes })));
        tally = tallyApprovals(text, plan, digest, trust, now);
        tallies.set(plan, tally);
      }
      return tally;
    },
    unsignedEventCommits: (plan) => unsigned.get(plan) ?? [],
  };
}

/** Commits touching each plan's event log whose signature git could not verify (%G? not G or U). */
async function unsignedEventCommits(root: string, plans?: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  // one plan's log (a transition, a staged lint) is a much shorter walk than every plan's
  const paths = plans && plans.length <= 100 ? plans.map((p) => `.plan/events/${p}.jsonl`) : ['.plan/events'];
  const { stdout } = await git(root, ['log', '--format=%x00%H %G?', '--name-only', '--', ...paths], { okCodes: [128] });
  for (const block of stdout.toString('utf8').split('\0').filter(Boolean)) {
    const [head, ...files] = block.trim().split('\n');
    const [commit, status] = head!.split(' ');
    if (status === 'G' || status === 'U') continue;
    for (const file of files) {
      const m = /^\.plan\/events\/(.+)\.jsonl$/.exec(file.trim());
      if (m) result.set(m[1]!, [...(result.get(m[1]!) ?? []), commit!]);
    }
  }
  return result;
}

/** The governance verdict on one plan for one transition. */
export function verdictFor(view: GovernanceView, workspace: Workspace, plan: string, event: string | undefined, now: Date, timezone: string): PlanVerdict {
  const p = workspace.plans.get(plan) ?? { id: plan, dir: plan, artifacts: new Map(), tasks: [] };
  return evaluatePlan(view.governance, planRequirementContext(view, p, dateIn(timezone, now), event), view.waivers);
}
