/**
 * `npm run test:reliability`: the reliability suite alone, at RELIABILITY_BUDGET (default full;
 * CI runs `ci`), with a closing summary of what was tried and what broke. The regular `npm test`
 * runs the same files at the small `smoke` budget through test/vitest.config.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './summary-reporter.js';

const budget = process.env['RELIABILITY_BUDGET'] || 'full';
const statsDir = mkdtempSync(join(tmpdir(), 'plan-reliability-stats-'));

export default defineConfig({
  resolve: {
    alias: { 'plan:validators': fileURLToPath(new URL('../../.build/validators.mjs', import.meta.url)) },
  },
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // the CLI processes the tests start do the work, and wait on fsync and git as much as they compute:
    // three files at a time keep two cores busy
    maxWorkers: 3,
    env: { RELIABILITY_BUDGET: budget, RELIABILITY_STATS_DIR: statsDir },
    reporters: ['default', new SummaryReporter(statsDir, budget)],
  },
});
