import { approvalsPath, envelopeLine, planContentDigest } from '../core/approvals.js';
import { planDir } from '../core/workspace.js';
import { UsageError } from '../core/errors.js';
import { openAppendNoFollow } from '../io/inside_repo.js';
import { crashPoint } from '../io/crash.js';
import { git } from '../io/git.js';
import { PlanStore } from '../io/store.js';
import { loadTrustStore } from '../io/trust_store.js';
import { openRepo, type RepoOptions } from './repo.js';
import { signingKey, trustedSigner } from './seal.js';
import { assertKnownPlan } from './transition.js';
import { isoSeconds } from './keys.js';
import { worktreeSources } from '../io/sources.js';

export interface ApproveOptions extends RepoOptions {
  plan: string;
  /** The role the approver means to fill; must be the key's role in the trust store. */
  role?: string;
  key?: string;
  commit?: boolean;
  now?: Date;
}

export interface ApproveResult {
  plan: string;
  approver: { id: string; role: string; keyid: string };
  contentSha256: string;
  file: string;
  commit?: string;
}

/** Appends a signed approval bound to the plan's current content to .plan/approvals/<plan>.jsonl. */
export async function approve(options: ApproveOptions): Promise<ApproveResult> {
  const repo = await openRepo(options);
  const key = await signingKey(options.cwd, options.key, `approving ${options.plan}`);
  const now = options.now ?? new Date();
  // No plan lock: the only write is one O_APPEND of one whole line, which concurrent approvers
  // cannot interleave, and approvers should not queue behind a transition.
  const store = new PlanStore(repo.root);
  assertKnownPlan(repo, options.plan, (await store.readState()).has(options.plan));
  const signer = trustedSigner((await loadTrustStore(repo.root)).keys, key, now);
  if (options.role && options.role !== signer.role) throw new UsageError(`key ${signer.id} has the role ${signer.role} in the trust store, not ${options.role}; roles come only from the trust store`);
  const { sources } = await worktreeSources(repo.root, planDir(repo.config.plans_dir, options.plan), Number.MAX_SAFE_INTEGER, true);
  const digest = planContentDigest(sources.filter((s) => s.kind === 'file').map((s) => ({ path: s.path, bytes: s.bytes })));
  const line = envelopeLine({ plan: options.plan, role: signer.role, approved_at: isoSeconds(now), content_sha256: digest }, key.keyId, (data) => key.sign(data));
  const file = approvalsPath(options.plan);
  // One append of one whole line with O_APPEND, then fsync: concurrent approvers cannot interleave bytes.
  const handle = await openAppendNoFollow(repo.root, file, { create: true });
  try {
    crashPoint('before-approval');
    await handle.appendFile(line);
    await handle.sync();
    crashPoint('after-approval');
  } finally {
    await handle.close();
  }
  const result: ApproveResult = { plan: options.plan, approver: { id: signer.id, role: signer.role, keyid: key.keyId }, contentSha256: digest, file };
  if (options.commit) {
    await git(repo.root, ['add', '--', file]);
    await git(repo.root, ['commit', '--quiet', '--no-verify', '-m', `plan: ${signer.id} (${signer.role}) approves ${options.plan}`, '-m', `Plan-Id: ${options.plan}\nPlan-Approval: ${signer.role}`, '--', file]);
    result.commit = (await git(repo.root, ['rev-parse', 'HEAD'])).stdout.toString().trim();
  }
  return result;
}
