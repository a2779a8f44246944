import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    // Hooks start servers (DynamoDB Local, npm start): generous on a loaded machine.
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    env: { DMSLITE_LOG_LEVEL: 'WARN', POWERTOOLS_DEV: 'false' },
  },
});
