import { readFile } from 'node:fs/promises';
import { mergeStates } from '../core/merge_state.js';
import { writeFileAtomic } from '../io/atomic.js';
import { STATE_PATH } from '../io/store.js';

/** git's merge driver for .plan/state.yaml: `plan merge-state %O %A %B`; the result replaces %A. */
export async function mergeStateFiles(base: string, ours: string, theirs: string): Promise<{ conflicts: string[] }> {
  const read = async (path: string) => readFile(path, 'utf8').catch(() => '');
  const { text, conflicts } = mergeStates(await read(base), await read(ours), await read(theirs), STATE_PATH);
  await writeFileAtomic(ours, text);
  return { conflicts };
}
