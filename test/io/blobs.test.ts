import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitBlobId, sha256OfEntries, treeEntries, type TreeEntry } from '../../src/io/blobs.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const COMMITTED = { 'p/same.txt': 'unchanged\n', 'p/edited.txt': 'as committed\n', 'p/crlf.txt': 'line one\nline two\n', 'p/gone.txt': 'deleted from the work tree\n', 'p/linked.txt': 'replaced by a link\n' };
let repo: string;
let entries: TreeEntry[];

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'plan-blobs-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(COMMITTED)) {
    execFileSync('mkdir', ['-p', join(repo, 'p')]);
    writeFileSync(join(repo, path), text);
  }
  git('add', '-A');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'files');
  entries = (await treeEntries(repo, 'HEAD', 'p'))!;
  // the work tree then drifts from the commit in every way a checkout can
  writeFileSync(join(repo, 'p/edited.txt'), 'edited, not committed\n');
  writeFileSync(join(repo, 'p/crlf.txt'), 'line one\r\nline two\r\n');
  unlinkSync(join(repo, 'p/gone.txt'));
  unlinkSync(join(repo, 'p/linked.txt'));
  symlinkSync(join(repo, 'p/same.txt'), join(repo, 'p/linked.txt'));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('sha256OfEntries', () => {
  it('gives the sha256 of each committed blob, whatever the work tree holds at its path', async () => {
    const sums = await sha256OfEntries(repo, entries);
    for (const entry of entries) expect(sums.get(entry.object), entry.path).toBe(sha256(COMMITTED[entry.path as keyof typeof COMMITTED]));
    expect(sums.size).toBe(Object.keys(COMMITTED).length);
  });

  it('gitBlobId is the id git hash-object gives', () => {
    const id = execFileSync('git', ['hash-object', '--stdin'], { input: 'some bytes\n', encoding: 'utf8' }).trim();
    expect(gitBlobId(Buffer.from('some bytes\n'))).toBe(id);
  });
});
