/**
 * `npm run stack`: the production topology on this machine, without Docker. Temporal's own PostgreSQL and the
 * Temporal server built from its Go module (PostgreSQL persistence, SQL visibility), the Temporal Web UI server,
 * the service's PostgreSQL, the Midtrans simulator, a downstream receiver, two workers and the API. The same parts
 * and environment as docker-compose.yml. Ctrl-C stops everything it started; the next start reuses .data/.
 * `npm run dev` stays the fast default; this is where production's numbers and failure modes are measured.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ENTRY_POINTS, RUN_FROM_DIST, serviceProcess } from './local-stack/artifact';
import { PROJECT_ROOT } from './local-stack/binaries';
import { startDownstreamReceiver } from './local-stack/downstream-receiver';
import { applyMigrations } from './local-stack/migrations';
import { localPayloadEncryptionKeys } from './local-stack/payload-encryption-keys';
import { ensurePrivatePostgres } from './local-stack/postgres';
import type { ServiceProcess } from './local-stack/processes';
import { waitForHttpOk } from './local-stack/readiness';
import { serviceEnvironment } from './local-stack/service-environment';
import { startTemporalCluster } from './local-stack/temporal-cluster';
import { ForegroundStack } from './local-stack/foreground';
import { waitFor } from './local-stack/waiting';

const env = process.env;
const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
const apiPort = port('STACK_API_PORT', 8100);
const simulatorPort = port('STACK_MIDTRANS_SIM_PORT', 8910);
const codecServerPort = port('STACK_CODEC_SERVER_PORT', 8534);
const temporalUiPort = port('STACK_TEMPORAL_UI_PORT', 8533);
const logDir = path.join(PROJECT_ROOT, '.data', 'stack');
const stack = new ForegroundStack('stack');
const say = (message: string) => stack.say(message);

async function main() {
  say('building the Temporal server if missing (the first build takes 10-15 minutes)');
  execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'install-tools.sh'), '--server'], { stdio: 'inherit' });
  say('starting Temporal on PostgreSQL (server, schemas, namespace, Web UI)');
  const temporal = await startTemporalCluster({
    postgres: { name: path.join('.data', 'postgres-stack-temporal'), port: port('STACK_TEMPORAL_PG_PORT', 54339), maxConnections: 300, fsync: true },
    frontendPort: port('STACK_TEMPORAL_PORT', 7533),
    membershipPort: port('STACK_TEMPORAL_MEMBERSHIP_PORT', 6533),
    uiPort: temporalUiPort,
    codecEndpoint: `http://127.0.0.1:${codecServerPort}`,
    namespace: 'default',
    numHistoryShards: port('STACK_TEMPORAL_HISTORY_SHARDS', 4),
    logDir,
  });
  stack.onStop(() => temporal.stop());

  const service = await ensurePrivatePostgres('tiketq', { name: path.join('.data', 'postgres-stack'), port: port('STACK_PG_PORT', 54338), fsync: true });
  stack.onStop(() => service.stop());
  say('applying migrations');
  applyMigrations(service.url);

  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  spawn('simulator', 'simulator', {
    ...env,
    MIDTRANS_SIM_PORT: String(simulatorPort),
    MIDTRANS_SIM_NOTIFICATION_URL: `http://127.0.0.1:${apiPort}/payments/webhook`,
  });
  await waitFor('the Midtrans simulator', async () => (await fetch(`${simulatorUrl}/_simulator/transactions`)).ok);

  const receiver = await startDownstreamReceiver(port('STACK_DOWNSTREAM_RECEIVER_PORT', 8011), env.DOWNSTREAM_SIGNING_SECRET);
  stack.onStop(() => receiver.close());

  const children = serviceEnvironment({
    databaseUrl: service.url,
    temporalAddress: temporal.address,
    apiPort,
    midtrans: { url: simulatorUrl },
    downstream: { transactionServiceUrl: receiver.url, userServiceUrl: receiver.url, signingSecret: receiver.signingSecret },
    payloadEncryptionKeys: env.PAYLOAD_ENCRYPTION_KEYS ?? localPayloadEncryptionKeys(path.join(PROJECT_ROOT, '.data')),
  });
  // Two workers on one task queue, as production scales them: either may take any payment's task.
  for (const [index, metricsPort] of [port('STACK_WORKER_1_METRICS_PORT', 9471), port('STACK_WORKER_2_METRICS_PORT', 9472)].entries()) {
    spawn(`worker-${index + 1}`, 'worker', { ...children, WORKER_METRICS_PORT: String(metricsPort), WORKER_HEALTH_PORT: String(metricsPort + 10) });
  }
  // Without CODEC_OPERATOR_TOKENS it is open, which its config allows on loopback only; set them to try the sign-in.
  spawn('codec-server', 'codec-server', {
    ...children,
    CODEC_SERVER_PORT: String(codecServerPort),
    CODEC_ALLOWED_ORIGINS: env.CODEC_ALLOWED_ORIGINS ?? `http://127.0.0.1:${temporalUiPort},http://localhost:${temporalUiPort}`,
  });
  // The console links each payment to its workflow in this stack's UI.
  const temporalUiUrl = env.TEMPORAL_UI_URL ?? temporal.uiUrl;
  const api = spawn('api', 'server', { ...children, ...(temporalUiUrl && { TEMPORAL_UI_URL: temporalUiUrl }) });
  await waitForHttpOk(api, `http://127.0.0.1:${apiPort}/health`);

  console.log(`
  TiketQ Payment Service is up on the production topology${RUN_FROM_DIST ? ' (from dist/)' : ''}
    API            http://127.0.0.1:${apiPort}
    Console        http://127.0.0.1:${apiPort}/console
    Temporal       ${temporal.address} (PostgreSQL persistence and visibility)
    Temporal UI    ${temporal.uiUrl} (payloads decoded by the codec server on :${codecServerPort})
    Midtrans sim   ${simulatorUrl}/_simulator
    Logs           ${path.relative(PROJECT_ROOT, logDir)}/
  Ctrl-C stops everything.
`);
}

function spawn(name: string, entry: keyof typeof ENTRY_POINTS, childEnv: NodeJS.ProcessEnv): ServiceProcess {
  return stack.startService(serviceProcess(name, entry, { env: childEnv, output: { logFile: path.join(logDir, `${name}.log`) } }));
}

stack.run(main);
