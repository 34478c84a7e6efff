/**
 * `npm run dev`: the whole service locally. Starts what is missing — private PostgreSQL, Temporal dev server with
 * the Web UI, the codec server that shows the UI decoded payloads, the Midtrans simulator, a downstream receiver —
 * applies migrations, then runs the worker and the API. Every explicitly set environment variable wins over a local default, and nothing is started for it.
 * Ctrl-C stops everything this script started; the next start reuses the data in .data/.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './local-stack/binaries';
import { startDownstreamReceiver } from './local-stack/downstream-receiver';
import { SIMULATOR_ENTRY } from './local-stack/midtrans-simulator';
import { applyMigrations } from './local-stack/migrations';
import { localPayloadEncryptionKeys } from './local-stack/payload-encryption-keys';
import { ensurePrivatePostgres } from './local-stack/postgres';
import { tsxService, type ServiceProcess } from './local-stack/processes';
import { waitForHttpOk } from './local-stack/readiness';
import { serviceEnvironment, type StackSettings } from './local-stack/service-environment';
import { ensureTemporalDevServer } from './local-stack/temporal-server';
import { ForegroundStack } from './local-stack/foreground';
import { waitFor } from './local-stack/waiting';

const env = process.env;
const apiPort = Number(env.PORT ?? 8000);
const simulatorPort = Number(env.MIDTRANS_SIM_PORT ?? 8900);
const temporalPort = Number(env.DEV_TEMPORAL_PORT ?? 7233);
const temporalUiPort = Number(env.DEV_TEMPORAL_UI_PORT ?? 8233);
const codecServerPort = Number(env.CODEC_SERVER_PORT ?? 8234);
const codecServerUrl = `http://127.0.0.1:${codecServerPort}`;
const foreground = new ForegroundStack('dev');
const say = (message: string) => foreground.say(message);

async function main() {
  say('installing the Temporal binaries if missing');
  execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'install-tools.sh')], { stdio: 'inherit' });

  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const postgres = await ensurePrivatePostgres('tiketq');
    foreground.onStop(() => postgres.stop());
    databaseUrl = postgres.url;
  }
  say('applying migrations');
  applyMigrations(databaseUrl);

  let temporalAddress = env.TEMPORAL_ADDRESS;
  let temporalUi = 'your Temporal cluster\'s UI';
  if (!temporalAddress) {
    say('starting the Temporal dev server (data in .data/temporal-dev.db)');
    const temporal = await ensureTemporalDevServer({
      port: temporalPort,
      uiPort: temporalUiPort,
      dbFile: path.join(PROJECT_ROOT, '.data', 'temporal-dev.db'),
      codecEndpoint: codecServerUrl,
    });
    foreground.onStop(() => temporal.stop());
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl ?? temporalUi;
  }

  // Explicitly set variables stay as they are: the caller's environment is the base, not a filtered copy.
  const stack: StackSettings = { databaseUrl, temporalAddress, apiPort };
  if (!env.PAYLOAD_ENCRYPTION_KEYS) {
    stack.payloadEncryptionKeys = localPayloadEncryptionKeys(path.join(PROJECT_ROOT, '.data'));
    say('Temporal payloads are encrypted with the local key in .data/payload-encryption-keys');
  }
  const usesExternalGateway = Boolean(env.MIDTRANS_API_BASE_URL || env.MIDTRANS_SNAP_BASE_URL);
  let simulatorUrl: string | undefined;
  if (!usesExternalGateway) {
    simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    spawnTsx('simulator', SIMULATOR_ENTRY, {
      ...env,
      MIDTRANS_SIM_PORT: String(simulatorPort),
      MIDTRANS_SIM_NOTIFICATION_URL: env.MIDTRANS_SIM_NOTIFICATION_URL ?? `http://127.0.0.1:${apiPort}/payments/webhook`,
    });
    await waitFor('the Midtrans simulator', async () => (await fetch(`${simulatorUrl}/_simulator/transactions`)).ok);
    stack.midtrans = { url: simulatorUrl };
  }

  if (!env.TRANSACTION_SERVICE_URL || !env.USER_SERVICE_URL) {
    const receiver = await startDownstreamReceiver(Number(env.DOWNSTREAM_RECEIVER_PORT ?? 8010), env.DOWNSTREAM_SIGNING_SECRET);
    foreground.onStop(() => receiver.close());
    stack.downstream = {
      transactionServiceUrl: env.TRANSACTION_SERVICE_URL ?? receiver.url,
      userServiceUrl: env.USER_SERVICE_URL ?? receiver.url,
      signingSecret: receiver.signingSecret,
    };
    say(`downstream receiver on ${receiver.url} (GET ${receiver.url}/_received lists the calls)`);
  }
  const children = serviceEnvironment(stack, { base: env });

  // Without CODEC_OPERATOR_TOKENS it is open, which its config allows on loopback only; set them to try the sign-in.
  const codecServer = spawnTsx('codec-server', 'src/codec-server/main.ts', {
    ...children,
    CODEC_SERVER_PORT: String(codecServerPort),
    CODEC_ALLOWED_ORIGINS: env.CODEC_ALLOWED_ORIGINS ?? `http://127.0.0.1:${temporalUiPort},http://localhost:${temporalUiPort}`,
  });
  await waitForHttpOk(codecServer, `${codecServerUrl}/health`);

  spawnTsx('worker', 'src/worker.ts', children);
  // The console links each payment to its workflow in this UI (when the dev server runs it).
  const api = spawnTsx('api', 'src/server.ts', { ...children, ...(temporalUi.startsWith('http') && { TEMPORAL_UI_URL: env.TEMPORAL_UI_URL ?? temporalUi }) });
  await waitForHttpOk(api, `http://127.0.0.1:${apiPort}/health`);

  console.log(`
  TiketQ Payment Service is up
    API            http://127.0.0.1:${apiPort}
    API docs       http://127.0.0.1:${apiPort}/docs
    Console        http://127.0.0.1:${apiPort}/console
    Temporal UI    ${temporalUi}
    Codec server   ${codecServerUrl} (the UI's payloads decoded; ${env.CODEC_OPERATOR_TOKENS ? `operators sign in at ${codecServerUrl}/login` : 'open locally: no CODEC_OPERATOR_TOKENS'})
    Midtrans sim   ${simulatorUrl ? `${simulatorUrl}/_simulator` : `(external gateway: ${env.MIDTRANS_API_BASE_URL})`}
  Ctrl-C stops everything.
`);
}

function spawnTsx(name: string, entry: string, childEnv: NodeJS.ProcessEnv): ServiceProcess {
  return foreground.startService(tsxService(name, entry, { env: childEnv, output: 'inherit' }));
}

foreground.run(main);
