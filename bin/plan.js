#!/usr/bin/env node
// Answers --version before importing anything, so the most common probe costs one file read.
import { readFileSync } from 'node:fs';

const arg = process.argv[2];
if (process.argv.length === 3 && (arg === '--version' || arg === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  await import('../dist/main.js');
}
