import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlanConfig } from '../core/config.js';
import { sha256 } from '../core/seal.js';
import { serializeTrustStore, TRUST_DIR, TRUST_FILE, type TrustedKey, type TrustStore } from '../core/trust.js';
import { writeFileAtomic } from './atomic.js';
import { RULEBOOK_FILES, rulebookSource } from './rulebook.js';
import { loadYamlFile } from './yaml_file.js';
import { canonicalBytes } from './handoffs.js';

/** The trust store as it is in the working tree (an empty one when there is none). */
export async function loadTrustStore(root: string): Promise<TrustStore> {
  const path = join(root, TRUST_FILE);
  const keys = existsSync(path) ? ((loadYamlFile(path, TRUST_FILE, 'trust_store') as { keys: TrustedKey[] }).keys ?? []) : [];
  const pems = new Map<string, string>();
  for (const key of keys) {
    try {
      pems.set(key.file, (await canonicalBytes(root, `${TRUST_DIR}/${key.file}`, await readFile(join(root, TRUST_DIR, key.file)))).toString('utf8'));
    } catch {
      // reported by auditTrustStore as a missing key file
    }
  }
  return { keys, pems };
}

export async function saveTrustStore(root: string, keys: readonly TrustedKey[]): Promise<void> {
  await writeFileAtomic(join(root, TRUST_FILE), serializeTrustStore(keys));
}

/** sha256 over every file of .plan/keys (name and content), so any edit changes it. */
export async function trustStoreHash(root: string): Promise<string> {
  const dir = join(root, TRUST_DIR);
  const names = existsSync(dir) ? (await readdir(dir)).filter((n) => n !== '.gitkeep').sort() : [];
  const lines: string[] = [];
  for (const name of names) lines.push(`${name}\0${sha256(await canonicalBytes(root, `${TRUST_DIR}/${name}`, await readFile(join(dir, name))))}`);
  return sha256(lines.join('\n'));
}

/** sha256 over the rulebook in force (each file's name, origin and content). */
export async function rulebookHash(root: string, config: PlanConfig): Promise<string> {
  const lines: string[] = [];
  for (const name of RULEBOOK_FILES) {
    const source = rulebookSource(root, config, name);
    const bytes = await readFile(source.path);
    lines.push(`${name}\0${sha256(source.origin === 'repository' ? await canonicalBytes(root, source.display, bytes) : bytes)}`);
  }
  return sha256(lines.join('\n'));
}
