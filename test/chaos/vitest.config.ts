import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The chaos / reliability suite, on its own: `vitest run --config test/chaos/vitest.config.ts`
 * (CHAOS_MODE=bounded for the CI size). Not part of `npm test`, whose projects include only test/unit,
 * test/workflows, test/integration and test/replay.
 *
 * One fork runs one file: the scenarios share one stack and run in order. Its own PostgreSQL cluster
 * (.data/postgres-chaos on port 27432, or CHAOS_PG_PORT), because scenario 3 stops PostgreSQL.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default defineConfig({
  test: {
    name: 'chaos',
    root,
    include: ['test/chaos/**/*.test.ts'],
    // Temporal's native bridge needs real processes.
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
    teardownTimeout: 60_000,
    reporters: ['verbose'],
    env: {
      TIKETQ_PG_PORT: process.env.CHAOS_PG_PORT ?? '27432',
      TIKETQ_PG_DATA_DIR: '.data/postgres-chaos',
    },
  },
});
