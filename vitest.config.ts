import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['packages/*/test/**/*.db.test.ts'],
        },
      },
      {
        test: {
          name: 'db',
          include: ['packages/*/test/**/*.db.test.ts', 'services/*/test/**/*.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Deployment kit and generated documents (issue 8): nginx, systemd, compose, OpenAPI, README
        // configuration table. No database: the apps are built offline.
        test: {
          name: 'ops',
          include: ['test/ops/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Issue 7 §1 (test/faults): the fleet as processes on its own embedded PostgreSQL, faults
        // injected; a subset in `pnpm test`, the full run with `pnpm test:faults` (README "Fault tests").
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
