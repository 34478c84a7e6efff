import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../scripts/local-stack/migrations';
import { ensurePrivatePostgres } from '../../scripts/local-stack/postgres';
import { ensureTemporalDevServer } from '../../scripts/local-stack/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
  }
}

const TEST_TEMPORAL_PORT = Number(process.env.TEST_TEMPORAL_PORT ?? 17233);

/**
 * One real Temporal dev server (in memory, headless) and the private PostgreSQL for the whole integration run.
 * A set DATABASE_URL / TEMPORAL_ADDRESS is used as is and nothing is started for it.
 */
export default async function setup(project: TestProject) {
  const postgres = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => {} }
    : await ensurePrivatePostgres('tiketq_test');
  applyMigrations(postgres.url);
  const temporal = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} }
    : await ensureTemporalDevServer({ port: TEST_TEMPORAL_PORT, logFile: '.data/temporal-test.log' });
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalAddress', temporal.address);
  return async () => {
    await temporal.stop();
    await postgres.stop();
  };
}
