import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { git } from './git.js';

/**
 * A JSON cache under the git directory, keyed by blob id: blobs never change, so an entry is
 * valid forever, and entries for blobs no longer wanted are dropped on save.
 */
export class BlobCache<T> {
  private entries = new Map<string, T>();
  private dirty = false;

  private constructor(private readonly file: string, private readonly version: number) {}

  static async open<T>(root: string, name: string, version: number): Promise<BlobCache<T>> {
    const gitDir = (await git(root, ['rev-parse', '--absolute-git-dir'])).stdout.toString('utf8').trim();
    const cache = new BlobCache<T>(join(gitDir, 'plan', 'cache', `${name}.json`), version);
    try {
      const data = JSON.parse(await readFile(cache.file, 'utf8')) as { version?: number; entries?: Record<string, T> };
      if (data.version === version && data.entries) cache.entries = new Map(Object.entries(data.entries));
    } catch {
      // A missing or damaged cache is an empty cache.
    }
    return cache;
  }

  get(blob: string): T | undefined {
    return this.entries.get(blob);
  }

  set(blob: string, value: T): void {
    this.entries.set(blob, value);
    this.dirty = true;
  }

  /** Writes the cache if it changed, keeping only the given blobs. Failing to write is not an error. */
  async save(keep: ReadonlySet<string>): Promise<void> {
    for (const blob of this.entries.keys()) {
      if (!keep.has(blob)) {
        this.entries.delete(blob);
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    try {
      await writeFileAtomic(this.file, JSON.stringify({ version: this.version, entries: Object.fromEntries(this.entries) }));
    } catch {
      // read-only .git, full disk: the next run recomputes
    }
  }
}
