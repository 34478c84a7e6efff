import { afterAll, beforeAll } from 'vitest';
import { apiFuzzingScenario } from './scenarios/api-fuzzing';
import { concurrentRefundsScenario } from './scenarios/concurrent-refunds';
import { gatewayFaultsScenario } from './scenarios/gateway-faults';
import { postgresOutageScenario } from './scenarios/postgres-outage';
import { postgresRestoreScenario } from './scenarios/postgres-restore';
import { temporalKillScenario, temporalPostgresRestartScenario } from './scenarios/temporal-kill';
import { droppedNotificationsCheck, startDroppedNotifications, webhookAbuseScenario } from './scenarios/webhook-abuse';
import { webhookAttacksScenario } from './scenarios/webhook-attacks';
import { workerKillScenario } from './scenarios/worker-kill';
import { MODE, TOPOLOGY } from './support/config';
import { chaosContext, type ChaosContext } from './support/context';
import { RESULTS_FILE, save } from './support/results';
import { startChaosStack } from './support/stack';

/**
 * The reliability suite: the whole service as separate processes (worker and API as tsx children, a Temporal dev
 * server, a private PostgreSQL cluster), the Midtrans simulator and a downstream receiver in this process, and
 * scenarios that kill, stop and abuse them. `CHAOS_MODE=bounded` is the CI size; the default is the full size.
 * Every scenario records what it did and counted in .data/chaos/results-<mode>.json (test/chaos/report.ts renders it).
 * The scenarios run in order on one stack; each leaves it healthy for the next.
 */
let ctx: ChaosContext | undefined;
const get = (): ChaosContext => {
  if (!ctx) throw new Error('the chaos stack did not start');
  return ctx;
};

beforeAll(async () => {
  console.log(`[chaos] mode ${MODE}, Temporal topology ${TOPOLOGY}; results → ${RESULTS_FILE}`);
  ctx = chaosContext(await startChaosStack());
  // 5e needs a minute of wall time (reconciliation 1 min after the charge): started now, checked last.
  if (TOPOLOGY === 'dev') await startDroppedNotifications(ctx);
});

afterAll(async () => {
  save(true);
  await ctx?.stack.close();
});

workerKillScenario(get);
temporalKillScenario(get);
if (TOPOLOGY === 'stack') {
  // The production topology's own failure modes (npm run test:stack); the rest of the suite does not depend on
  // which Temporal runs it and stays on the dev server.
  temporalPostgresRestartScenario(get);
  concurrentRefundsScenario(get);
} else {
  postgresOutageScenario(get);
  postgresRestoreScenario(get);
  gatewayFaultsScenario(get);
  webhookAbuseScenario(get);
  webhookAttacksScenario(get);
  concurrentRefundsScenario(get);
  apiFuzzingScenario(get);
  droppedNotificationsCheck(get);
}
