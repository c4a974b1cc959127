#!/usr/bin/env node
// `npm run demo`: builds a throwaway planning repository and runs plan on it, step by step.
// Every command is printed before it runs, so the output doubles as a tutorial.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(project, 'bin', 'plan.js');
const repo = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'plan-demo-'));
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (color ? `\u001b[1m${s}\u001b[22m` : s);

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

function sh(cmd, args) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  execFileSync(cmd, args, { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs plan, shows its output, and checks the exit code is the one the step expects. */
function plan(args, expectCode = 0) {
  console.log(`$ plan ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, GITHUB_ACTIONS: '' } });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  console.log(`(exit ${r.status})`);
  if (r.status !== expectCode) {
    console.error(`demo: expected exit ${expectCode} from "plan ${args.join(' ')}", got ${r.status}`);
    process.exit(1);
  }
  return r;
}

step(`A fresh git repository in ${repo}`);
sh('git', ['init', '-q', '-b', 'main']);
sh('git', ['config', 'user.name', 'Demo Planner']);
sh('git', ['config', 'user.email', 'planner@example.com']);
sh('git', ['config', 'commit.gpgsign', 'false']);

step('Set plan up: config, .plan/, the rulebook, .gitattributes, editor schemas');
plan(['init']);

step("Create a plan, then fill it with the seed's backlog and story map");
plan(['new', 'seed-backend', '--title', 'Planning Backend Framework', '--tag', 'criticality=1', '--owner', 'planning-backend@example.com']);
const seed = join(project, 'test', 'fixtures', 'seed');
cpSync(join(seed, 'be_backlog.yaml'), join(repo, 'plans', 'seed-backend', 'be_backlog.yaml'));
// The seed's stories name no tasks; the parity_coverage gate wants 80% of stories covered, so link them.
let story = 0;
const storyMap = readFileSync(join(seed, 'story_map.md'), 'utf8').replace(/^- (.+)$/gm, (_, text) => `- ${text} (PLN-BE-00${(story++ % 2) + 1})`);
writeFileSync(join(repo, 'plans', 'seed-backend', 'story_map.md'), storyMap);
plan(['new', 'checkout-v2', '--title', 'Checkout v2', '--tag', 'compliance=gdpr']);
sh('git', ['add', '-A']);
sh('git', ['commit', '-q', '-m', 'Plan the backend and checkout v2']);

step('Lint the repository: schemas, YAML hygiene, references, dependency cycles, governance tags');
plan(['lint']);

step('Break it: PLN-BE-001 now depends on PLN-BE-002, which depends on PLN-BE-001');
const backlog = join(repo, 'plans', 'seed-backend', 'be_backlog.yaml');
const original = readFileSync(backlog, 'utf8');
writeFileSync(backlog, original.replace('dependencies: []', 'dependencies: ["PLN-BE-002"]').replace('priority: P0\n    dependencies: ["PLN-BE-001"]', 'priority: P9\n    dependencies: ["PLN-BE-001", "PLN-BE-404"]'));
plan(['lint'], 1);

step('The same findings as SARIF for code scanning, and as GitHub annotations');
plan(['lint', '--format', 'sarif', '--output', 'plan.sarif'], 1);
plan(['lint', '--format', 'github'], 1);

step('Only what is staged is linted in a pre-commit hook: nothing staged yet, so it passes');
plan(['lint', '--staged']);

step('The lifecycle: every plan has a state; a transition runs the gate that guards it');
plan(['status']);
plan(['transition', 'seed-backend', 'validate_complete'], 1);

step('Fix it, lint again, and move the plan to READY_FOR_HANDOFF, committing state and event');
writeFileSync(backlog, original);
plan(['lint']);
plan(['transition', 'seed-backend', 'validate_complete', '--commit']);
console.log(execFileSync('git', ['log', '-1', '--format=%s%n%(trailers)'], { cwd: repo, encoding: 'utf8' }).trimEnd());

step('Signers: keys for a planning lead, a technical reviewer and a review board (private keys stay outside the repository)');
const keys = mkdtempSync(join(tmpdir(), 'plan-demo-keys-'));
process.env.PLAN_KEY_PASSPHRASE = 'demo passphrase, not a secret';
plan(['keygen', '--id', 'alice', '--role', 'planning_lead', '--owner', 'alice@example.com', '--out', keys, '--bits', '2048']);
plan(['keygen', '--id', 'bob', '--role', 'technical_reviewer', '--owner', 'bob@example.com', '--out', keys, '--bits', '2048']);
// Every signer is trusted before the first seal: a handoff is bound to the trust store it was sealed under.
plan(['keygen', '--id', 'carol', '--role', 'review_board', '--owner', 'carol@example.com', '--out', keys, '--bits', '2048']);
sh('git', ['add', '.plan/keys']);
sh('git', ['commit', '-q', '-m', 'Trust alice, bob and carol']);

step('Seal the handoff (package_artifacts → PACKAGED); one signature is not enough to begin execution');
plan(['seal', 'seed-backend', '--key', join(keys, 'alice.key.pem'), '--commit']);
plan(['verify'], 1);
plan(['transition', 'seed-backend', 'begin_execution'], 1);

step('The technical reviewer co-signs; the handoff verifies, also with plain OpenSSL; execution begins');
const manifest = '.plan/handoffs/seed-backend/0001/handoff_manifest.yaml';
plan(['sign', manifest, '--key', join(keys, 'bob.key.pem'), '--commit']);
plan(['verify', '--all', '--history']);
const openssl = readFileSync(join(project, 'test', 'fixtures', 'seal', 'verify-with-openssl.sh'), 'utf8').replaceAll('/alpha/', '/seed-backend/');
console.log('$ bash verify-with-openssl.sh   # the README\'s commands, no plan involved');
process.stdout.write(execFileSync('bash', ['-c', openssl], { cwd: repo, encoding: 'utf8' }));
plan(['transition', 'seed-backend', 'begin_execution', '--commit']);

step('Governance: a critical plan (criticality 0) needs three approvals, a review board, a contact and a rollback plan');
plan(['new', 'payments', '--title', 'Payments provider switch', '--tag', 'criticality=0']);
sh('git', ['add', '-A']);
sh('git', ['commit', '-q', '-m', 'Plan the payments switch']);
plan(['transition', 'payments', 'validate_complete'], 1);
const paymentsPlan = join(repo, 'plans', 'payments', 'plan.yaml');
writeFileSync(paymentsPlan, readFileSync(paymentsPlan, 'utf8').replace(/^title: .*$/m, (line) => `${line}\nemergency_contact: "payments-oncall@example.com"\nrollback_plan: ROLLBACK.md`));
writeFileSync(join(repo, 'plans', 'payments', 'ROLLBACK.md'), '# Rollback\n\nSwitch the provider flag back and redeploy the previous release tag.\n');
console.log('(plan.yaml now names an emergency_contact and rollback_plan: ROLLBACK.md)');
for (const who of ['alice', 'bob', 'carol']) plan(['approve', 'payments', '--key', join(keys, `${who}.key.pem`)]);
plan(['lint', 'plans/payments']);
plan(['transition', 'payments', 'validate_complete', '--commit']);

step('What happened, as events a message broker could take, and a consistency check');
plan(['verify', '--all', '--history']);
plan(['events', '--plan', 'seed-backend']);
plan(['status', 'seed-backend']);
plan(['doctor']);
plan(['config', '--print']);

step('The cycle digest, from git history: KPIs against targets, scope, gates, handoffs, charts GitHub renders');
sh('git', ['add', '-A']);
sh('git', ['commit', '-q', '-m', 'Approvals and the SARIF report']);
plan(['digest', '--out', '.plan/digests/{cycle}.md']);
plan(['digest']);
plan(['digest', '--format', 'openmetrics']);

console.log(`\n${bold('Demo done.')} The repository is in ${repo}`);
