import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // The shipped schemas' validators, precompiled by `npm run build` (which `npm test` runs first).
    alias: { 'plan:validators': fileURLToPath(new URL('../.build/validators.mjs', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite runs on its own, with its budget: npm run test:reliability (CI runs it too).
    exclude: ['**/node_modules/**', 'test/reliability/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
