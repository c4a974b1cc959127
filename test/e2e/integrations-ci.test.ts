/**
 * The README's CI examples, run: test/fixtures/ci/github-workflow.yml and gitlab-ci.yml are parsed,
 * each job is chosen by its own condition for an event, and every `run:` / `script:` command runs in
 * a clone of a temporary repository (`origin` is a bare repository, so pushes land somewhere we can
 * look), with `plan` on PATH through a wrapper and the secrets a maintainer would configure.
 *
 * Only three things are not run: `npm install --global plan-cli` (the wrapper stands in for it),
 * and the `uses:` actions checkout (the clone), setup-node (this node) and upload-sarif (the SARIF
 * file is validated against the OASIS schema instead).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXTURES, PROJECT_ROOT, commitAll, tempDirTracker, tempRepo, writeFiles } from '../helpers.js';
import { cleanEnv, gitOut, planWrapper, run, type ShResult } from '../fixtures/ci/support.js';
import { readGithubReport } from '../fixtures/ci/workflow-commands.js';

const CI = join(FIXTURES, 'ci');
const GITHUB_FILE = join(CI, 'github-workflow.yml');
const GITLAB_FILE = join(CI, 'gitlab-ci.yml');
const INSTALL = 'npm install --global plan-cli';
const PASSPHRASE = 'ci-secret-passphrase';

const dirs = tempDirTracker();
let bin: string;
let keyFile: string;
/** A bare repository: alpha READY_FOR_HANDOFF, beta PLANNED, alice (planning_lead) trusted. */
let template: string;

const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(join(PROJECT_ROOT, '..', 'shared', 'standards', 'sarif-schema-2.1.0.json'), 'utf8')));

function plan(cwd: string, args: string[]): ShResult {
  const r = run(cwd, join(bin, 'plan'), args, cleanEnv(bin, { PLAN_KEY_PASSPHRASE: PASSPHRASE }));
  if (r.code !== 0) throw new Error(`plan ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

beforeAll(() => {
  bin = planWrapper(dirs.tempDir('plan-ci-bin-'));
  const keys = dirs.tempDir('plan-ci-keys-');
  const work = dirs.track(tempRepo('plan-ci-seed-'));
  plan(work, ['init']);
  plan(work, ['new', 'alpha']);
  plan(work, ['new', 'beta']);
  plan(work, ['keygen', '--id', 'alice', '--role', 'planning_lead', '--out', keys, '--bits', '2048']);
  keyFile = join(keys, 'alice.key.pem');
  commitAll(work, 'plans alpha and beta; alice trusted');
  plan(work, ['transition', 'alpha', 'validate_complete', '--commit']);
  template = dirs.tempDir('plan-ci-origin-');
  gitOut(template, 'clone', '-q', '--bare', work, '.');
  // GitLab's push option ci.skip needs a server that accepts push options
  gitOut(template, 'config', 'receive.advertisePushOptions', 'true');
});
afterAll(() => dirs.cleanup());

interface Checkout {
  origin: string;
  workspace: string;
}

/** A fresh origin (a copy of the template) and a full clone of it, as actions/checkout with fetch-depth 0 makes. */
function checkout(prefix: string): Checkout {
  const origin = dirs.tempDir(`${prefix}-origin-`);
  gitOut(origin, 'clone', '-q', '--bare', template, '.');
  gitOut(origin, 'config', 'receive.advertisePushOptions', 'true');
  const workspace = dirs.tempDir(`${prefix}-workspace-`);
  gitOut(workspace, 'clone', '-q', origin, '.');
  return { origin, workspace };
}

function originFiles(origin: string, path: string): string[] {
  return gitOut(origin, 'ls-tree', '-r', '--name-only', 'main', '--', path).split('\n').filter(Boolean);
}

/** Seeds a broken backlog (a duplicate key) into the workspace, as a pull request would bring. */
function seedError(workspace: string): void {
  const path = join(workspace, 'plans/beta/be_backlog.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace('    priority: P2\n', '    priority: P2\n    priority: P1\n'));
  gitOut(workspace, 'commit', '-qam', 'a pull request with a broken backlog');
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface GithubJob {
  if?: string;
  env?: Record<string, string>;
  steps: GithubStep[];
}
interface GithubEvent {
  name: 'pull_request' | 'push' | 'schedule' | 'workflow_dispatch';
  ref: string;
}

/** The few expressions the example uses; anything else fails the test so the table stays honest. */
function githubExpression(expression: string, context: { event: GithubEvent; secrets: Record<string, string>; status?: 'success' | 'failure' }): string | boolean {
  const js = expression
    .replace(/\bgithub\.event_name\b/g, JSON.stringify(context.event.name))
    .replace(/\bgithub\.ref\b/g, JSON.stringify(context.event.ref))
    .replace(/\balways\(\)/g, 'true')
    .replace(/\bsuccess\(\)/g, String(context.status !== 'failure'))
    .replace(/\bfailure\(\)/g, String(context.status === 'failure'));
  const secret = /^secrets\.([A-Z_]+)$/.exec(expression.trim());
  if (secret) {
    const value = context.secrets[secret[1]!];
    if (value === undefined) throw new Error(`the test provides no secret ${secret[1]}`);
    return value;
  }
  if (!/^[\s"'a-z_/.A-Z0-9=&|!()]+$/.test(js) || /\b[a-z_]+\.[a-z_]+\b/.test(js.replace(/"[^"]*"|'[^']*'/g, ''))) throw new Error(`unsupported expression: ${expression}`);
  return Boolean(new Function(`return (${js});`)());
}

function substitute(text: string, context: Parameters<typeof githubExpression>[1]): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => String(githubExpression(expr, context)));
}

function condition(expression: string | undefined, context: Parameters<typeof githubExpression>[1]): boolean {
  if (expression === undefined) return context.status !== 'failure';
  return githubExpression(expression.replace(/^\$\{\{|\}\}$/g, ''), context) === true;
}

interface JobRun {
  status: 'success' | 'failure';
  steps: Array<{ name: string; result: ShResult | 'skipped' | 'stand-in' }>;
  summary: string;
  runnerTemp: string;
}

function githubWorkflow(): { on: Record<string, unknown>; jobs: Record<string, GithubJob> } {
  return parse(readFileSync(GITHUB_FILE, 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, GithubJob> };
}

function githubJobsFor(event: GithubEvent): string[] {
  const { jobs } = githubWorkflow();
  return Object.entries(jobs)
    .filter(([, job]) => condition(job.if, { event, secrets: {} }))
    .map(([name]) => name);
}

function runGithubJob(name: string, event: GithubEvent, workspace: string): JobRun {
  const job = githubWorkflow().jobs[name]!;
  const runnerTemp = dirs.tempDir('plan-ci-runner-temp-');
  const summaryFile = join(runnerTemp, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const secrets = { PLAN_KEY_PASSPHRASE: PASSPHRASE, PLAN_SIGNING_KEY: readFileSync(keyFile, 'utf8') };
  const result: JobRun = { status: 'success', steps: [], summary: '', runnerTemp };
  for (const [i, step] of job.steps.entries()) {
    const context = { event, secrets, status: result.status };
    const label = step.name ?? step.uses ?? `step ${i + 1}`;
    if (!condition(step.if, context)) {
      result.steps.push({ name: label, result: 'skipped' });
      continue;
    }
    if (step.uses) {
      expect(step.uses).toMatch(/^(actions\/checkout|actions\/setup-node|github\/codeql-action\/upload-sarif)@v\d+$/);
      if (step.uses.startsWith('github/codeql-action/upload-sarif')) {
        // the upload fails when the file is missing or not SARIF; code scanning's checks are the schema's
        const sarifFile = join(workspace, String(step.with?.['sarif_file']));
        const problem = !existsSync(sarifFile) ? `no ${sarifFile}` : validateSarif(JSON.parse(readFileSync(sarifFile, 'utf8'))) ? '' : JSON.stringify(validateSarif.errors);
        result.steps.push({ name: label, result: { code: problem ? 1 : 0, stdout: '', stderr: problem } });
        if (problem) result.status = 'failure';
        continue;
      }
      result.steps.push({ name: label, result: 'stand-in' });
      continue;
    }
    const script = step.run!;
    if (script.trim() === INSTALL) {
      expect(step.name).toBe('Install plan');
      result.steps.push({ name: label, result: 'stand-in' });
      continue;
    }
    const env = cleanEnv(bin, {
      ...Object.fromEntries(Object.entries({ ...job.env, ...step.env }).map(([k, v]) => [k, substitute(String(v), context)])),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: event.name,
      GITHUB_REF: event.ref,
      GITHUB_WORKSPACE: workspace,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: runnerTemp,
      NO_COLOR: undefined,
    });
    const scriptFile = join(runnerTemp, `step-${i}.sh`);
    writeFileSync(scriptFile, substitute(script, context));
    // the runner's default for `run:` on Linux: bash -e {0}
    const r = run(workspace, 'bash', ['--noprofile', '--norc', '-e', scriptFile], env, '', 120_000);
    result.steps.push({ name: label, result: r });
    if (r.code !== 0) result.status = 'failure';
  }
  result.summary = readFileSync(summaryFile, 'utf8');
  return result;
}

function stepResult(job: JobRun, name: string): ShResult {
  const step = job.steps.find((s) => s.name === name);
  if (!step || typeof step.result === 'string') throw new Error(`step ${name} did not run: ${JSON.stringify(job.steps.map((s) => [s.name, typeof s.result === 'string' ? s.result : s.result.code]))}`);
  return step.result;
}

function expectSuccess(job: JobRun): void {
  const failed = job.steps.filter((s) => typeof s.result !== 'string' && s.result.code !== 0);
  expect(failed.map((s) => `${s.name}: ${JSON.stringify(s.result)}`)).toEqual([]);
  expect(job.status).toBe('success');
}

describe('the GitHub Actions example (test/fixtures/ci/github-workflow.yml)', () => {
  it('is a workflow with a job for each event: lint on pull requests, seal on pushes to main, digest on the schedule', () => {
    const wf = githubWorkflow();
    expect(Object.keys(wf.on)).toEqual(['pull_request', 'push', 'schedule', 'workflow_dispatch']);
    expect(githubJobsFor({ name: 'pull_request', ref: 'refs/pull/7/merge' })).toEqual(['lint']);
    expect(githubJobsFor({ name: 'push', ref: 'refs/heads/main' })).toEqual(['seal']);
    expect(githubJobsFor({ name: 'push', ref: 'refs/heads/feature' })).toEqual([]);
    expect(githubJobsFor({ name: 'schedule', ref: 'refs/heads/main' })).toEqual(['digest']);
    // only the commands of the README are run; nothing else is skipped
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => s.run).map((s) => s.run!.trim()));
    expect(runs.filter((r) => r === INSTALL)).toHaveLength(3);
  });

  it('lint: passes on a clean pull request and writes SARIF that validates', () => {
    const { workspace } = checkout('plan-gh-lint');
    const job = runGithubJob('lint', { name: 'pull_request', ref: 'refs/pull/7/merge' }, workspace);
    expectSuccess(job);
    const lint = stepResult(job, 'Lint (annotations; GITHUB_ACTIONS selects --format github)');
    expect(readGithubReport(lint.stdout)).toMatchObject({ annotations: [], problems: [] });
    expect(job.steps.map((s) => s.result === 'skipped')).not.toContain(true);
  });

  it('lint: fails on a seeded error, annotates it, and still uploads SARIF naming it', () => {
    const { workspace } = checkout('plan-gh-lint-broken');
    seedError(workspace);
    const job = runGithubJob('lint', { name: 'pull_request', ref: 'refs/pull/8/merge' }, workspace);
    expect(job.status).toBe('failure');
    const lint = stepResult(job, 'Lint (annotations; GITHUB_ACTIONS selects --format github)');
    expect(lint.code).toBe(1);
    const report = readGithubReport(lint.stdout);
    expect(report.problems).toEqual([]);
    expect(report.annotations).toContainEqual({
      command: 'error',
      properties: { file: 'plans/beta/be_backlog.yaml', line: expect.stringMatching(/^\d+$/), col: '5', title: 'yaml/duplicate-key' },
      message: 'duplicate key "priority"',
    });
    // if: always() — the SARIF step and the upload run after the failure
    expect(stepResult(job, 'Lint (SARIF for code scanning)').code).toBe(0);
    expect(job.steps.at(-1)).toEqual({ name: 'github/codeql-action/upload-sarif@v3', result: { code: 0, stdout: '', stderr: '' } });
    const sarif = JSON.parse(readFileSync(join(workspace, 'plan.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    expect(sarif.runs[0]!.results.map((r) => r.ruleId)).toContain('yaml/duplicate-key');
  });

  it('lint: a plan that cannot run at all (exit 2) fails the SARIF step too', () => {
    const { workspace } = checkout('plan-gh-lint-config');
    writeFiles(workspace, { 'plan.config.yaml': 'lint: [not, a, mapping\n' });
    const job = runGithubJob('lint', { name: 'pull_request', ref: 'refs/pull/9/merge' }, workspace);
    const sarif = stepResult(job, 'Lint (SARIF for code scanning)');
    expect(sarif.code).not.toBe(0);
    expect(sarif.stderr).toMatch(/^plan: .*plan\.config\.yaml/m);
    expect(job.status).toBe('failure');
  });

  it('seal: seals the plan READY_FOR_HANDOFF with the key from the secrets and pushes the handoff', () => {
    const { origin, workspace } = checkout('plan-gh-seal');
    const job = runGithubJob('seal', { name: 'push', ref: 'refs/heads/main' }, workspace);
    expectSuccess(job);
    const seal = stepResult(job, 'Seal');
    expect(seal.stdout).toContain('alpha: package_artifacts (READY_FOR_HANDOFF → PACKAGED)');
    expect(seal.stdout + seal.stderr).not.toContain(PASSPHRASE);
    expect(originFiles(origin, '.plan/handoffs')).toEqual(['.plan/handoffs/alpha/0001/handoff_manifest.yaml', '.plan/handoffs/alpha/0001/signatures.yaml']);
    expect(gitOut(origin, 'show', 'main:.plan/state.yaml')).toMatch(/^alpha: \{state: PACKAGED/m);
    // the decrypted secret never stays on the runner
    expect(readdirSync(job.runnerTemp).filter((f) => f.endsWith('.pem'))).toEqual([]);
    // a second push finds nothing to seal
    const again = runGithubJob('seal', { name: 'push', ref: 'refs/heads/main' }, workspace);
    expectSuccess(again);
    expect(originFiles(origin, '.plan/handoffs')).toHaveLength(2);
  });

  it('digest: writes last cycle\'s digest, commits and pushes it, and fills the step summary', () => {
    const { origin, workspace } = checkout('plan-gh-digest');
    const job = runGithubJob('digest', { name: 'schedule', ref: 'refs/heads/main' }, workspace);
    expectSuccess(job);
    const digests = originFiles(origin, '.plan/digests');
    expect(digests).toHaveLength(1);
    expect(digests[0]).toMatch(/^\.plan\/digests\/\d{4}-\d{2}-\d{2}\.md$/);
    const text = gitOut(origin, 'show', `main:${digests[0]}`);
    expect(text.length).toBeGreaterThan(100);
    // the same digest, but for the time it was generated
    const generated = /^_.* generated \S+ by plan .*_$/m;
    expect(text).toMatch(generated);
    expect(job.summary.replace(generated, '')).toBe(text.replace(generated, ''));
  });
});

// ---------------------------------------------------------------------------------------------
// GitLab CI

interface GitlabJob {
  rules?: Array<{ if?: string }>;
  script: string[];
  before_script?: string[];
  artifacts?: { paths?: string[]; reports?: Record<string, string> };
}

function gitlabConfig(): { default: { before_script: string[] }; variables: Record<string, string>; jobs: Record<string, GitlabJob> } {
  const doc = parse(readFileSync(GITLAB_FILE, 'utf8')) as Record<string, unknown>;
  const jobs = Object.fromEntries(Object.entries(doc).filter(([k]) => !['default', 'variables', 'stages', 'workflow', 'include'].includes(k))) as Record<string, GitlabJob>;
  return { default: doc['default'] as { before_script: string[] }, variables: doc['variables'] as Record<string, string>, jobs };
}

/** `$VAR == "x"` rules with && and ||, GitLab's syntax for the cases the example uses. */
function gitlabRule(expression: string, vars: Record<string, string>): boolean {
  const js = expression.replace(/\$([A-Z_]+)/g, (_, name: string) => JSON.stringify(vars[name] ?? null));
  if (!/^[\s"a-z_A-Z0-9=&|!()-]+$/.test(js.replace(/"[^"]*"/g, '""'))) throw new Error(`unsupported rule: ${expression}`);
  return Boolean(new Function(`return (${js});`)());
}

function gitlabJobsFor(vars: Record<string, string>): string[] {
  return Object.entries(gitlabConfig().jobs)
    .filter(([, job]) => (job.rules ?? [{}]).some((r) => r.if === undefined || gitlabRule(r.if, vars)))
    .map(([name]) => name);
}

const GITLAB_HOST = 'gitlab.example.com';
const GITLAB_PROJECT = 'planning/roadmap';

function gitlabVars(source: string, branch = 'main'): Record<string, string> {
  return { CI_PIPELINE_SOURCE: source, CI_COMMIT_BRANCH: branch, CI_DEFAULT_BRANCH: 'main', CI_SERVER_HOST: GITLAB_HOST, CI_PROJECT_PATH: GITLAB_PROJECT };
}

/** before_script and script in one bash, as the runner does, with set -eo pipefail. */
function runGitlabJob(name: string, vars: Record<string, string>, { origin, workspace }: Checkout): ShResult {
  const config = gitlabConfig();
  const job = config.jobs[name]!;
  const lines = [...(job.before_script ?? config.default.before_script), ...job.script].map((line) => (line.trim() === INSTALL ? ': stand-in for the install' : line));
  const scriptFile = join(dirs.tempDir('plan-gl-build-'), 'script.sh');
  writeFileSync(scriptFile, `set -eo pipefail\n${lines.join('\n')}\n`);
  const token = 'glpat-test-token';
  const env = cleanEnv(bin, {
    ...config.variables,
    ...vars,
    CI: 'true',
    GITLAB_CI: 'true',
    // a File variable: the variable holds the path of a file with the secret
    PLAN_SIGNING_KEY: keyFile,
    PLAN_KEY_PASSPHRASE: PASSPHRASE,
    PLAN_PUSH_TOKEN: token,
    // the push URL of the example reaches the test's origin
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `url.${origin}.insteadOf`,
    GIT_CONFIG_VALUE_0: `https://plan-bot:${token}@${GITLAB_HOST}/${GITLAB_PROJECT}.git`,
  });
  // GitLab checks out the commit, detached
  gitOut(workspace, 'checkout', '-q', '--detach');
  return run(workspace, 'bash', ['--noprofile', '--norc', scriptFile], env, '', 120_000);
}

describe('the GitLab CI example (test/fixtures/ci/gitlab-ci.yml)', () => {
  it('has a job for each pipeline source: lint on merge requests, seal on pushes to the default branch, digest on schedules', () => {
    const config = gitlabConfig();
    expect(config.default.before_script).toEqual([INSTALL]);
    expect(config.variables['GIT_DEPTH']).toBe('0');
    expect(gitlabJobsFor(gitlabVars('merge_request_event', ''))).toEqual(['plan-lint']);
    expect(gitlabJobsFor(gitlabVars('push'))).toEqual(['plan-seal']);
    expect(gitlabJobsFor(gitlabVars('push', 'feature'))).toEqual([]);
    expect(gitlabJobsFor(gitlabVars('schedule'))).toEqual(['plan-digest']);
  });

  it('plan-lint: passes on a clean merge request and writes a JUnit report', () => {
    const co = checkout('plan-gl-lint');
    const r = runGitlabJob('plan-lint', gitlabVars('merge_request_event', ''), co);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(co.workspace, 'plan-junit.xml'), 'utf8')).toMatch(/^<\?xml[^>]*\?>\s*<testsuites\b/);
  });

  it('plan-lint: fails on a seeded error, with the finding in the log and in the JUnit report', () => {
    const co = checkout('plan-gl-lint-broken');
    seedError(co.workspace);
    const r = runGitlabJob('plan-lint', gitlabVars('merge_request_event', ''), co);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('plans/beta/be_backlog.yaml');
    expect(r.stdout).toContain('yaml/duplicate-key');
    expect(readFileSync(join(co.workspace, 'plan-junit.xml'), 'utf8')).toContain('yaml/duplicate-key');
  });

  it('plan-seal: seals with the File variable key and pushes through the project URL', () => {
    const co = checkout('plan-gl-seal');
    const r = runGitlabJob('plan-seal', gitlabVars('push'), co);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('alpha: package_artifacts (READY_FOR_HANDOFF → PACKAGED)');
    expect(originFiles(co.origin, '.plan/handoffs/alpha')).toHaveLength(2);
    expect(gitOut(co.origin, 'show', 'main:.plan/state.yaml')).toMatch(/^alpha: \{state: PACKAGED/m);
  });

  it('plan-digest: commits and pushes last cycle\'s digest', () => {
    const co = checkout('plan-gl-digest');
    const r = runGitlabJob('plan-digest', gitlabVars('schedule'), co);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const digests = originFiles(co.origin, '.plan/digests');
    expect(digests).toHaveLength(1);
    expect(existsSync(join(co.workspace, digests[0]!))).toBe(true);
  });
});

describe('the README', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  it.each([
    ['the GitHub Actions workflow', GITHUB_FILE],
    ['the GitLab CI configuration', GITLAB_FILE],
  ])('quotes %s verbatim, in a yaml block', (_name, file) => {
    expect(readme).toContain(`\`\`\`yaml\n${readFileSync(file, 'utf8')}\`\`\`\n`);
  });

  it('puts the CI section right before Configuration', () => {
    const headings = readme.split('\n').filter((l) => l.startsWith('## '));
    expect(headings[headings.indexOf('## Configuration') - 1]).toBe('## CI, editors and shells');
  });
});
