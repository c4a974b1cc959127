// A private copy of the built CLI (what `npm pack` would ship: package.json#files) under .bench/cli/,
// so a concurrent `npm run build` (which deletes dist/ first) cannot break or mix a measurement.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function distStamp(root) {
  try {
    const st = statSync(join(root, 'dist', 'main.js'));
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Copies the package into `target` and returns the path of its bin/plan.js; retries while dist/ is being rebuilt. */
export function snapshotCli(target = join(ROOT, '.bench', 'cli')) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const entries = ['package.json', ...(pkg.files ?? ['bin', 'dist'])];
  for (let attempt = 1; attempt <= 10; attempt++) {
    const before = distStamp(ROOT);
    if (before !== 'missing') {
      rmSync(target, { recursive: true, force: true });
      let copied = true;
      for (const entry of entries) {
        const from = join(ROOT, entry);
        if (!existsSync(from)) {
          copied = false;
          break;
        }
        cpSync(from, join(target, entry), { recursive: true });
      }
      // Unchanged stamp and a main.js whose chunks all exist: the copy is one consistent build.
      if (copied && distStamp(ROOT) === before && chunksPresent(target)) return join(target, 'bin', 'plan.js');
    }
    sleep(500 * attempt);
  }
  throw new Error('could not copy a complete dist/ (is a build running, or has `npm run build` not been run?)');
}

/** Every relative import of every .js file under dist/ resolves to a copied file. */
function chunksPresent(target) {
  const files = readdirSync(join(target, 'dist'), { recursive: true }).filter((f) => String(f).endsWith('.js'));
  if (!files.includes('main.js')) return false;
  for (const file of files) {
    const full = join(target, 'dist', String(file));
    const code = readFileSync(full, 'utf8');
    for (const m of code.matchAll(/(?:from|import\()\s*["'](\.\.?\/[^"']+)["']/g)) {
      if (!existsSync(resolve(dirname(full), m[1]))) return false;
    }
  }
  return true;
}
