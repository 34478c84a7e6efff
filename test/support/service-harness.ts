import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { startDownstreamReceiver } from '../../scripts/local-stack/downstream-receiver';
import { createApp, type ApiDependencies } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createPaymentWorkflows } from '../../src/api/payment-workflows';
import { createDatabase } from '../../src/db/client';
import { createLogger } from '../../src/logger';
import { createMidtransClient } from '../../src/midtrans/client';
import { startSimulator } from '../../simulator/server';
import { bundlePaymentWorkflows, createPaymentWorker } from '../../src/temporal/worker';

export const SERVER_KEY = 'SB-Mid-server-integration-tests';
export const API_KEY = 'integration-test-key';
/** Signs the worker's calls to the transaction and user services; the downstream receiver verifies them with it. */
export const DOWNSTREAM_SIGNING_SECRET = 'whsec_dGlrZXRxLWludGVncmF0aW9uLXRlc3RzLWRvd25zdHJlYW0=';

/**
 * The whole service for integration tests, in this process but over real HTTP and real infrastructure: the shared
 * Temporal dev server and PostgreSQL from the global setup, the Midtrans simulator on its own port sending signed
 * notifications to the API's webhook, a downstream receiver, a worker on a private task queue, and the API.
 */
export async function startService(options: { createWaitMs?: number; midtransFetch?: typeof fetch } = {}) {
  const databaseUrl = inject('databaseUrl');
  const temporalAddress = inject('temporalAddress');
  const db = createDatabase(databaseUrl, 5);
  const taskQueue = `it-${randomUUID()}`;
  const receiver = await startDownstreamReceiver(0, DOWNSTREAM_SIGNING_SECRET);

  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const dependencies: ApiDependencies = {
    config: {
      API_KEYS: [API_KEY],
      CORS_ORIGINS: [],
      ENFORCE_HTTPS: false,
      BODY_LIMIT_BYTES: 64 * 1024,
      CREATE_PAYMENT_WAIT_MS: options.createWaitMs ?? 10_000,
      UPDATE_WAIT_MS: 15_000,
      IDEMPOTENCY_KEY_TTL_HOURS: 24,
      WEBHOOK_MAX_IN_FLIGHT: 64,
      WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT: 8,
      REJECTED_NOTIFICATION_RETENTION_DAYS: 7,
      MIDTRANS_SERVER_KEY: SERVER_KEY,
      REFUND_WINDOW_DAYS: 30,
    },
    db,
    workflows: createPaymentWorkflows(client, taskQueue),
    logger: createLogger('silent', 'api'),
    metrics: createApiMetrics(),
    checkTemporal: async () => {
      await connection.healthService.check({});
    },
  };
  const app = createApp(dependencies);
  const served = await serveOverHttp(app);
  const apiUrl = served.url;
  // Midtrans's dashboard setting: notifications go to the API's webhook.
  const simulator = await startSimulator({ serverKey: SERVER_KEY, notificationUrl: `${apiUrl}/payments/webhook` });

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
    workflowBundle: await bundlePaymentWorkflows(),
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

  return {
    apiUrl,
    api,
    app,
    /** What `app` was built from, for a second app with something changed. */
    dependencies,
    db,
    client,
    simulator,
    receiver,
    midtrans,
    taskQueue,
    async eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
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

let counter = 0;
export function createPaymentBody(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const amount = (overrides.amount as number | undefined) ?? 250_000;
  return {
    order_id: `ORDER-IT-${Date.now().toString(36)}-${counter}`,
    amount,
    payment_method: 'bank_transfer',
    bank: 'bca',
    customer_details: { first_name: 'Siti', last_name: 'Rahma', email: 'siti@example.com', phone: '+6281234567890' },
    item_details: [{ id: 'CGK-KNO', price: amount, quantity: 1, name: 'Flight Jakarta-Medan' }],
    description: 'Flight booking payment',
    user_id: 'user-42',
    ...overrides,
  };
}
