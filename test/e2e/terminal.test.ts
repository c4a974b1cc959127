/**
 * The interactive paths in a real terminal (tmux, Debian's package): the passphrase prompt of
 * `plan keygen` typed with send-keys, and the ora spinner of `plan verify` seen with capture-pane.
 *
 * Each session runs on a private tmux server (-L) with everything the pane prints also piped to a
 * file (pipe-pane), so a test can look at the screen and at the raw bytes, escape codes included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirTracker, tempRepo } from '../helpers.js';
import { cleanEnv, ensureDebianPackages, largeHandoffRepo, planWrapper, run, type HandoffRepo } from '../fixtures/ci/support.js';

const SOCKET = `plan-test-${process.pid}`;
/** ora's default spinner ("dots") draws braille patterns. */
const SPINNER_FRAME = /[\u2800-\u28ff]/;
const HIDE_CURSOR = '\u001b[?25l';

const dirs = tempDirTracker();
let bin: string;
let work: string;
let config: string;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, '-f', config, ...args], { encoding: 'utf8', env: cleanEnv(bin, { CI: undefined, PLAN_KEY_PASSPHRASE: undefined, TMUX: undefined }) });
}

interface Session {
  name: string;
  /** Everything the pane printed, raw. */
  log: string;
  screen(): string;
  raw(): string;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  type(text: string): void;
  key(key: string): void;
}

let sessions = 0;

/**
 * Starts `command` (a shell line) in a new 120x40 window. The command waits until the raw log is
 * attached, so no byte is missed; `EXIT=<code>` is printed when it ends.
 */
function start(cwd: string, command: string, env: Record<string, string> = {}): Session {
  const name = `s${++sessions}`;
  const log = join(work, `${name}.log`);
  const go = join(work, `${name}.go`);
  const script = join(work, `${name}.sh`);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
  writeFileSync(script, ['unset PLAN_KEY_PASSPHRASE CI NO_COLOR FORCE_COLOR', ...exports, `while [ ! -e '${go}' ]; do sleep 0.02; done`, `cd '${cwd}'`, command, 'echo "EXIT=$?"', ''].join('\n'));
  tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', `sh '${script}'`);
  tmux('pipe-pane', '-o', '-t', name, `cat >> '${log}'`);
  writeFileSync(log, '', { flag: 'a' });
  writeFileSync(go, '');
  const session: Session = {
    name,
    log,
    screen: () => tmux('capture-pane', '-p', '-J', '-t', name, '-S', '-'),
    raw: () => readFileSync(log, 'utf8'),
    async waitFor(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = session.screen();
        if (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen)) return screen;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${screen}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    type: (text) => void tmux('send-keys', '-t', name, '-l', text),
    key: (key) => void tmux('send-keys', '-t', name, key),
  };
  return session;
}

beforeAll(() => {
  ensureDebianPackages({ tmux: 'tmux' });
  bin = planWrapper(dirs.tempDir('plan-terminal-bin-'));
  work = dirs.tempDir('plan-terminal-');
  config = join(work, 'tmux.conf');
  // keep the pane (and its text) after the command exits; no status line in the captures
  writeFileSync(config, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\nset -g default-terminal "screen"\n');
});
afterAll(() => {
  if (!bin) return dirs.cleanup();
  // the socket path, before the server that owns it goes
  const socket = spawnSync('tmux', ['-L', SOCKET, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout.trim();
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  if (socket.includes(SOCKET)) rmSync(socket, { force: true });
  dirs.cleanup();
});

describe('the passphrase prompt of plan keygen', () => {
  let repo: string;
  beforeAll(() => {
    repo = dirs.track(tempRepo('plan-terminal-keygen-'));
    expect(run(repo, join(bin, 'plan'), ['init'], cleanEnv(bin)).code).toBe(0);
  });

  it('asks twice without echo and writes a key that the typed passphrase decrypts', async () => {
    const keys = dirs.tempDir('plan-terminal-keys-');
    const secret = 'tmux-typed-Passphrase-91';
    const s = start(repo, `plan keygen --id alice --role planning_lead --out '${keys}' --bits 2048`);
    await s.waitFor('Passphrase for the new key alice: ');
    s.type(secret);
    s.key('Enter');
    await s.waitFor('Repeat the passphrase: ');
    s.type(secret);
    s.key('Enter');
    const screen = await s.waitFor(/^EXIT=\d+$/m);
    expect(screen).toMatch(/^EXIT=0$/m);
    expect(screen).toMatch(/^key alice \(planning_lead\), 2048 bits/m);
    // never on the screen, never in the bytes the terminal received
    expect(screen).not.toContain(secret);
    expect(s.raw()).not.toContain(secret);
    expect(s.raw()).not.toContain('*'.repeat(4));

    const key = join(keys, 'alice.key.pem');
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    const decrypt = (pass: string) => spawnSync('openssl', ['pkey', '-in', key, '-passin', `pass:${pass}`, '-noout'], { encoding: 'utf8' }).status;
    expect(decrypt(secret)).toBe(0);
    expect(decrypt(`${secret}x`)).not.toBe(0);
    expect(existsSync(join(repo, '.plan', 'keys', 'alice.pub.pem'))).toBe(true);
  });

  it('refuses passphrases that differ, and writes nothing', async () => {
    const keys = dirs.tempDir('plan-terminal-keys-');
    const s = start(repo, `plan keygen --id bob --role technical_reviewer --out '${keys}' --bits 2048`);
    await s.waitFor('Passphrase for the new key bob: ');
    s.type('first-passphrase-1');
    s.key('Enter');
    await s.waitFor('Repeat the passphrase: ');
    s.type('second-passphrase-2');
    s.key('Enter');
    const screen = await s.waitFor(/^EXIT=\d+$/m);
    expect(screen).toContain('plan: the passphrases differ');
    expect(screen).toMatch(/^EXIT=2$/m);
    expect(existsSync(join(keys, 'bob.key.pem'))).toBe(false);
  });

  it('Ctrl-C at the prompt cancels with exit 2', async () => {
    const keys = dirs.tempDir('plan-terminal-keys-');
    const s = start(repo, `plan keygen --id carol --role review_board --out '${keys}' --bits 2048`);
    await s.waitFor('Passphrase for the new key carol: ');
    s.type('half-typ');
    s.key('C-c');
    const screen = await s.waitFor(/^EXIT=\d+$/m);
    expect(screen).toContain('plan: cancelled');
    expect(screen).toMatch(/^EXIT=2$/m);
    expect(screen).not.toContain('half-typ');
    expect(existsSync(join(keys, 'carol.key.pem'))).toBe(false);
  });
});

describe('the spinner of plan verify', () => {
  let handoff: HandoffRepo;
  let slowGit: string;
  beforeAll(() => {
    handoff = largeHandoffRepo((p) => dirs.tempDir(p), bin);
    // verify hashes checked-out files that match their blobs itself; a note edited in the working
    // tree (not committed, so the handoff still verifies) sends its blob through git cat-file,
    // and git that takes a while to start hashing keeps the spinner turning long enough to see
    writeFileSync(join(handoff.repo, 'plans/alpha/notes/note-000.md'), '# Note 0, edited\n');
    slowGit = dirs.tempDir('plan-terminal-slow-git-');
    const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(slowGit, 'git'), `#!/bin/sh\nif [ "$1" = cat-file ] && [ "$2" = --batch ]; then sleep 1.5; fi\nexec '${git}' "$@"\n`);
    chmodSync(join(slowGit, 'git'), 0o755);
  });

  const command = () => `PATH='${slowGit}':"$PATH" plan verify`;

  it('turns on a terminal while the artifacts are hashed (seen with capture-pane during the run)', async () => {
    const s = start(handoff.repo, command());
    const during = await s.waitFor(/verifying \.plan\/handoffs\/alpha\/0001\/handoff_manifest\.yaml/);
    expect(during).toMatch(new RegExp(`${SPINNER_FRAME.source} verifying`));
    const screen = await s.waitFor(/^EXIT=\d+$/m);
    expect(screen).toMatch(/^EXIT=0$/m);
    // ora leaves a ✔ line behind, then the result
    expect(screen).toMatch(/^✔ verifying \.plan\/handoffs\/alpha\/0001\/handoff_manifest\.yaml$/m);
    expect(screen).toMatch(/^✔ \.plan\/handoffs\/alpha\/0001\/handoff_manifest\.yaml: verified/m);
    const raw = s.raw();
    expect(raw).toContain(HIDE_CURSOR);
    expect(new Set(raw.match(new RegExp(SPINNER_FRAME.source, 'g'))).size).toBeGreaterThan(1);
  });

  it('stays off with CI=1, on the same terminal', async () => {
    const s = start(handoff.repo, command(), { CI: '1' });
    await s.waitFor(/^EXIT=\d+$/m);
    const screen = s.screen();
    expect(screen).toMatch(/^EXIT=0$/m);
    expect(screen).toMatch(/^✔ \.plan\/handoffs\/alpha\/0001\/handoff_manifest\.yaml: verified/m);
    expect(screen).not.toContain('verifying');
    expect(s.raw()).not.toMatch(SPINNER_FRAME);
    expect(s.raw()).not.toContain(HIDE_CURSOR);
  });

  it('stays off with --quiet', async () => {
    const s = start(handoff.repo, `PATH='${slowGit}':"$PATH" plan --quiet verify`);
    await s.waitFor(/^EXIT=\d+$/m);
    expect(s.raw()).not.toMatch(SPINNER_FRAME);
  });
});
