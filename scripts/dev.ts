/**
 * `npm run dev`: the whole service locally. Starts what is missing — private PostgreSQL, Temporal dev server with
 * the Web UI, the Midtrans simulator, a downstream receiver — applies migrations, then runs the worker and the
 * API. Every explicitly set environment variable wins over a local default, and nothing is started for it.
 * Ctrl-C stops everything this script started; the next start reuses the data in .data/.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './local-stack/binaries';
import { startDownstreamReceiver } from './local-stack/downstream-receiver';
import { applyMigrations } from './local-stack/migrations';
import { ensurePrivatePostgres } from './local-stack/postgres';
import { startProcess, waitFor, type ManagedProcess } from './local-stack/processes';
import { ensureTemporalDevServer } from './local-stack/temporal-server';

const env = process.env;
const apiPort = Number(env.PORT ?? 8000);
const simulatorPort = Number(env.MIDTRANS_SIM_PORT ?? 8900);
const stops: Array<() => Promise<void>> = [];
const say = (message: string) => console.log(`[dev] ${message}`);

async function main() {
  say('installing the Temporal binaries if missing');
  execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'install-tools.sh')], { stdio: 'inherit' });

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await ensurePrivatePostgres('tiketq');
    stops.push(() => postgres.stop());
    databaseUrl = postgres.url;
  }
  say('applying migrations');
  applyMigrations(databaseUrl);

  let temporalAddress = env.TEMPORAL_ADDRESS;
  let temporalUi = 'your Temporal cluster\'s UI';
  if (!temporalAddress) {
    say('starting the Temporal dev server (data in .data/temporal-dev.db)');
    const temporal = await ensureTemporalDevServer({ port: 7233, uiPort: 8233, dbFile: path.join(PROJECT_ROOT, '.data', 'temporal-dev.db') });
    stops.push(() => temporal.stop());
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl ?? temporalUi;
  }

  const children: NodeJS.ProcessEnv = { ...env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, PORT: String(apiPort) };
  const usesExternalGateway = Boolean(env.MIDTRANS_API_BASE_URL || env.MIDTRANS_SNAP_BASE_URL);
  let simulatorUrl: string | undefined;
  if (!usesExternalGateway) {
    simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    const simulator = spawnTsx('simulator', 'simulator/main.ts', {
      ...children,
      MIDTRANS_SIM_PORT: String(simulatorPort),
      MIDTRANS_SIM_NOTIFICATION_URL: env.MIDTRANS_SIM_NOTIFICATION_URL ?? `http://127.0.0.1:${apiPort}/payments/webhook`,
    });
    stops.push(() => simulator.stop());
    await waitFor('the Midtrans simulator', async () => (await fetch(`${simulatorUrl}/_simulator/transactions`)).ok);
    children.MIDTRANS_API_BASE_URL = simulatorUrl;
    children.MIDTRANS_SNAP_BASE_URL = `${simulatorUrl}/snap/v1`;
  }

  if (!env.TRANSACTION_SERVICE_URL || !env.USER_SERVICE_URL) {
    const receiver = await startDownstreamReceiver(Number(env.DOWNSTREAM_RECEIVER_PORT ?? 8010), env.DOWNSTREAM_SIGNING_SECRET);
    stops.push(() => receiver.close());
    children.TRANSACTION_SERVICE_URL ??= receiver.url;
    children.USER_SERVICE_URL ??= receiver.url;
    children.DOWNSTREAM_SIGNING_SECRET = receiver.signingSecret;
    say(`downstream receiver on ${receiver.url} (GET ${receiver.url}/_received lists the calls)`);
  }

  const worker = spawnTsx('worker', 'src/worker.ts', children);
  stops.push(() => worker.stop());
  const api = spawnTsx('api', 'src/server.ts', children);
  stops.push(() => api.stop());
  await waitFor('the API', async () => (await fetch(`http://127.0.0.1:${apiPort}/health`)).ok);

  console.log(`
  TiketQ Payment Service is up
    API            http://127.0.0.1:${apiPort}
    API docs       http://127.0.0.1:${apiPort}/docs
    Temporal UI    ${temporalUi}
    Midtrans sim   ${simulatorUrl ? `${simulatorUrl}/_simulator` : `(external gateway: ${env.MIDTRANS_API_BASE_URL})`}
  Ctrl-C stops everything.
`);
}

function spawnTsx(name: string, entry: string, childEnv: NodeJS.ProcessEnv): ManagedProcess {
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const child = startProcess(name, tsx, [entry], { cwd: PROJECT_ROOT, env: childEnv, stdio: 'inherit' });
  child.child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[dev] ${name} exited (${signal ?? code}); stopping everything`);
      void stopAll(1);
    }
  });
  return child;
}

let stopping = false;
async function stopAll(exitCode: number) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('[dev]', error));
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
main().catch(async (error: unknown) => {
  console.error('[dev] failed to start:', error instanceof Error ? error.message : error);
  await stopAll(1);
});
