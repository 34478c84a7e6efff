import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { applyMigrations } from '../../scripts/local-stack/migrations';
import { startDownstreamReceiver } from '../../scripts/local-stack/downstream-receiver';
import { startTappedSimulator } from '../../scripts/local-stack/midtrans-simulator';
import { eventually } from '../../scripts/local-stack/waiting';
import { createApp, type ApiDependencies } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createNotificationForwarder } from '../../src/api/notification-forwarder';
import { createPaymentWorkflows, type PaymentWorkflows } from '../../src/api/payment-workflows';
import { createDatabase, type Database } from '../../src/db/client';
import { createLogger } from '../../src/logger';
import { createMidtransClient } from '../../src/midtrans/client';
import type { PaymentTracing } from '../../src/telemetry/tracing';
import { encryptedDataConverter, type PayloadEncryptionKey } from '../../src/temporal/payload-codec';
import { bundlePaymentWorkflows, createPaymentWorker } from '../../src/temporal/worker';
import { API_KEY, apiConfig, createPaymentBody, SERVER_KEY, TEST_PAYLOAD_KEY } from './fixtures';

/** Signs the worker's calls to the transaction and user services; the downstream receiver verifies them with it. */
export const DOWNSTREAM_SIGNING_SECRET = 'whsec_dGlrZXRxLWludGVncmF0aW9uLXRlc3RzLWRvd25zdHJlYW0=';

/**
 * The whole service for integration tests, in this process but over real HTTP and real infrastructure: the shared
 * Temporal dev server and PostgreSQL from the global setup, the Midtrans simulator on its own port sending signed
 * notifications to the API's webhook, a downstream receiver, a worker on a private task queue, and the API. Temporal
 * payloads are encrypted as in production, with the tests' key.
 */
export async function startService(
  options: {
    createWaitMs?: number;
    /** UPDATE_WAIT_MS: how long a cancel or refund waits for the workflow before 504 UPDATE_PENDING. */
    updateWaitMs?: number;
    midtransFetch?: typeof fetch;
    temporalAddress?: string;
    databaseUrl?: string;
    tracing?: PaymentTracing;
    /** What the notification forwarder signals through (a test can make Temporal refuse signals). */
    signalsThrough?: (workflows: PaymentWorkflows) => PaymentWorkflows;
  } = {},
) {
  const payloadEncryptionKeys: readonly PayloadEncryptionKey[] = [TEST_PAYLOAD_KEY];
  // A test may bring its own database (one that must hold only its own payments).
  const databaseUrl = options.databaseUrl ?? inject('databaseUrl');
  // A test may bring its own Temporal (the Web UI test's server runs with the UI).
  const temporalAddress = options.temporalAddress ?? inject('temporalAddress');
  const db = createDatabase(databaseUrl, 5);
  const taskQueue = `it-${randomUUID()}`;
  const receiver = await startDownstreamReceiver(0, DOWNSTREAM_SIGNING_SECRET);

  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({
    connection,
    namespace: 'default',
    dataConverter: encryptedDataConverter(payloadEncryptionKeys),
    interceptors: options.tracing?.clientInterceptors,
  });
  const workflows = createPaymentWorkflows(client, taskQueue);
  const logger = createLogger('silent', 'api');
  const metrics = createApiMetrics();
  // As in src/server.ts, but not sweeping unless a test starts it: tests share a database.
  const forwarder = createNotificationForwarder({ db, workflows: options.signalsThrough?.(workflows) ?? workflows, logger, metrics });
  const dependencies: ApiDependencies = {
    config: apiConfig({
      CREATE_PAYMENT_WAIT_MS: options.createWaitMs ?? 10_000,
      ...(options.updateWaitMs === undefined ? {} : { UPDATE_WAIT_MS: options.updateWaitMs }),
    }),
    db,
    workflows,
    forwarder,
    logger,
    metrics,
    checkTemporal: async () => {
      await connection.healthService.check({});
    },
    traced: options.tracing !== undefined,
  };
  const app = createApp(dependencies);
  const served = await serveOverHttp(app);
  const apiUrl = served.url;
  // Midtrans's dashboard setting: notifications go to the API's webhook.
  const simulator = await startTappedSimulator({ serverKey: SERVER_KEY, notificationUrl: `${apiUrl}/payments/webhook` });

  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  // `midtransFetch` stands between the worker and the simulator (a test can make Midtrans refuse some calls).
  const midtrans = createMidtransClient({
    serverKey: SERVER_KEY,
    apiBaseUrl: simulator.url,
    snapBaseUrl: `${simulator.url}/snap/v1`,
    fetch: options.midtransFetch,
  });
  const worker: Worker = await createPaymentWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    payloadEncryptionKeys,
    workflowBundle: await bundlePaymentWorkflows({ traced: options.tracing !== undefined }),
    tracing: options.tracing,
    dependencies: {
      db,
      midtrans,
      downstream: {
        transactionServiceUrl: receiver.url,
        userServiceUrl: receiver.url,
        timeoutMs: 5_000,
        signingSecret: DOWNSTREAM_SIGNING_SECRET,
      },
    },
  });
  const running = worker.run();

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    callApi(apiUrl, method, path, body, headers);
  const waitFor = <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000) =>
    eventually('a condition', read, done, timeoutMs, 100);
  /** A payment created through the API, paid at the simulator, and `success` once its notification is through. */
  async function paidPayment(amount: number, paymentMethod = 'gopay'): Promise<string> {
    const created = await api('POST', '/payments', createPaymentBody({ payment_method: paymentMethod, bank: undefined, amount }));
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
    const id: string = created.body.payment_id;
    await fetch(`${simulator.url}/_simulator/transactions/${id}/pay`, { method: 'POST' });
    await waitFor(
      () => api('GET', `/payments/${id}/status`),
      (status) => status.body.status === 'success',
    );
    return id;
  }

  return {
    apiUrl,
    api,
    app,
    /** What `app` was built from, for a second app with something changed. */
    dependencies,
    forwarder,
    db,
    client,
    /** For another worker or client of this service's workflows. */
    payloadEncryptionKeys,
    simulator,
    receiver,
    midtrans,
    taskQueue,
    /** Reads until `done(value)` holds (every 100 ms, 30 s by default). */
    eventually: waitFor,
    paidPayment,
    async close() {
      await forwarder.stop(5_000);
      worker.shutdown();
      await running;
      await served.close();
      await simulator.close();
      await receiver.close();
      await Promise.allSettled([connection.close(), nativeConnection.close(), db.$disconnect()]);
    },
  };
}

export type Service = Awaited<ReturnType<typeof startService>>;

/** A worker for the scheduled jobs, on its own task queue, with nothing behind its Midtrans and downstream calls. */
export async function createScheduledJobsWorker(db: Database, taskQueue: string): Promise<Worker> {
  const nowhere = 'http://127.0.0.1:1';
  return createPaymentWorker({
    connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
    namespace: 'default',
    taskQueue,
    payloadEncryptionKeys: [TEST_PAYLOAD_KEY],
    workflowBundle: await bundlePaymentWorkflows({ traced: false }),
    dependencies: {
      db,
      midtrans: createMidtransClient({ serverKey: 'SB-Mid-server-unused', apiBaseUrl: nowhere, snapBaseUrl: `${nowhere}/snap/v1` }),
      downstream: { transactionServiceUrl: nowhere, userServiceUrl: nowhere, timeoutMs: 1_000, signingSecret: DOWNSTREAM_SIGNING_SECRET },
    },
  });
}

/** An app on a free local port, for a second app built from `dependencies` with something changed. */
export async function serveOverHttp(app: { fetch: (request: Request) => Response | Promise<Response> }) {
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One JSON call over HTTP with the test API key, unless `headers` carries another authorization. */
export async function callApi(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, body: json, headers: response.headers };
}

/**
 * A migrated database of its own on the shared cluster, for a test that reads every row of a table (a reconciliation
 * run, the review queue): other test files' rows would be in its way.
 */
export async function privateDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const shared = new URL(inject('databaseUrl'));
  const name = `tiketq_recon_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: shared.toString() });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`create database "${name}"`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  applyMigrations(url.toString());
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}
