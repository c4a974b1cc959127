/**
 * A child process for the reader inputs that can kill the process that reads them (deep nesting
 * drives the YAML composer to the stack limit, where V8 may abort instead of throwing). Bundled
 * by esbuild at test time; reads `{"id","b64"}` lines on stdin, answers one JSON line per input.
 * A parent that sees this process die knows which input did it.
 */
import { createInterface } from 'node:readline';
import { CONFIG, readEverything } from './readers-core.js';

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, b64 } = JSON.parse(line) as { id: number; b64: string };
  const started = performance.now();
  // the limit plan really uses (16 MiB), so deep documents are parsed, not refused as too large
  const outcome = readEverything(Buffer.from(b64, 'base64'), CONFIG.lint.max_file_bytes);
  process.stdout.write(`${JSON.stringify({ id, ms: performance.now() - started, untyped: outcome.untyped, problems: outcome.problems.slice(0, 5), rules: [...new Set(outcome.rules)] })}\n`);
});
