import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../scripts/local-stack/migrations';
import { ensurePrivatePostgres } from '../../scripts/local-stack/postgres';
import { startTemporalCluster } from '../../scripts/local-stack/temporal-cluster';
import { ensureTemporalDevServer } from '../../scripts/local-stack/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
  }
}

const TEST_TEMPORAL_PORT = Number(process.env.TEST_TEMPORAL_PORT ?? 17233);
/** `stack` (npm run test:stack): the production topology, Temporal on PostgreSQL; otherwise the dev server. */
const TOPOLOGY = process.env.TEST_TEMPORAL_TOPOLOGY ?? 'dev';

function startTemporal() {
  if (TOPOLOGY === 'dev') return ensureTemporalDevServer({ port: TEST_TEMPORAL_PORT, logFile: '.data/temporal-test.log' });
  if (TOPOLOGY !== 'stack') throw new Error(`TEST_TEMPORAL_TOPOLOGY must be dev or stack, not ${TOPOLOGY}`);
  return startTemporalCluster({
    postgres: { name: '.data/postgres-test-temporal', port: Number(process.env.TEST_TEMPORAL_PG_PORT ?? 17432), maxConnections: 300 },
    frontendPort: TEST_TEMPORAL_PORT,
    membershipPort: Number(process.env.TEST_TEMPORAL_MEMBERSHIP_PORT ?? 16933),
    namespace: 'default',
    numHistoryShards: 4,
    logDir: '.data/test-stack',
    fresh: true,
  });
}

/**
 * One real Temporal (the dev server in memory, headless, or the production topology) and the private PostgreSQL for
 * the whole integration run.
 * A set DATABASE_URL / TEMPORAL_ADDRESS is used as is and nothing is started for it.
 */
export default async function setup(project: TestProject) {
  const postgres = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, stop: async () => {} }
    : await ensurePrivatePostgres('tiketq_test');
  applyMigrations(postgres.url);
  const temporal = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} }
    : await startTemporal();
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalAddress', temporal.address);
  return async () => {
    await temporal.stop();
    await postgres.stop();
  };
}
