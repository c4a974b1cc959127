import { lstat, readFile, readdir } from 'node:fs/promises';
import { git } from './git.js';
import { join } from 'node:path';
import { HANDOFFS_DIR, MANIFEST_FILE, SIGNATURES_FILE, manifestDir } from '../core/seal.js';

export interface StoredManifest {
  plan: string;
  sequence: number;
  /** Repository-relative folder, e.g. .plan/handoffs/p/0001 */
  dir: string;
  manifestPath: string;
  signaturesPath: string;
}

/** Plans that have handoffs. */
export async function handoffPlans(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, HANDOFFS_DIR), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** A plan's manifests in sequence order (folders named NNNN). */
export async function listManifests(root: string, plan: string): Promise<StoredManifest[]> {
  let names: string[];
  try {
    names = await readdir(join(root, HANDOFFS_DIR, plan));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d{4,}$/.test(n))
    .map((n) => Number(n))
    .sort((a, b) => a - b)
    .map((sequence) => stored(plan, sequence));
}

export function stored(plan: string, sequence: number): StoredManifest {
  const dir = manifestDir(plan, sequence);
  return { plan, sequence, dir, manifestPath: `${dir}/${MANIFEST_FILE}`, signaturesPath: `${dir}/${SIGNATURES_FILE}` };
}

/** `.plan/handoffs/<plan>/<NNNN>[/handoff_manifest.yaml]` → the stored manifest it names. */
export function parseManifestLocation(path: string): StoredManifest | undefined {
  const m = /(?:^|\/)\.plan\/handoffs\/([^/]+)\/(\d{4,})(?:\/(?:handoff_manifest|signatures)\.yaml)?\/?$/.exec(path.replace(/\\/g, '/'));
  return m ? stored(m[1]!, Number(m[2])) : undefined;
}

/**
 * A file's bytes, or undefined when there is no regular file there (missing, a folder, a link).
 * A checkout with `eol=crlf` turns the LF bytes plan wrote into CRLF; when the committed blob is
 * exactly those bytes with LF, the committed bytes are what was signed, so they are returned.
 */
export async function readOptional(root: string, path: string): Promise<Buffer | undefined> {
  const full = join(root, path);
  try {
    if (!(await lstat(full)).isFile()) return undefined;
    return await canonicalBytes(root, path, await readFile(full));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

export async function canonicalBytes(root: string, path: string, bytes: Buffer): Promise<Buffer> {
  if (!bytes.includes(13)) return bytes;
  const committed = await git(root, ['cat-file', 'blob', `HEAD:${path}`], { okCodes: [128] });
  if (committed.code !== 0) return bytes;
  const lf = Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  return lf.equals(committed.stdout) ? committed.stdout : bytes;
}
