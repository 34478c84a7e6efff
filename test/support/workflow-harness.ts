import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PAYMENT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { inject } from 'vitest';
import { createMidtransActivities } from '../../activities/midtrans';
import { DOWNSTREAM_REJECTED, type DownstreamEvent, type PaymentActivities } from '../../activities';
import type { PaymentSnapshot, PaymentEventRecord } from '../../src/db/payments';
import { createMidtransClient } from '../../src/midtrans/client';
import { midtransSignature } from '../../src/midtrans/signature';
import { createSimulator, type Simulator } from '../../src/midtrans/simulator/app';
import type { PaymentRequest } from '../../src/domain';
import type { MidtransNotificationSignal } from '../../workflows/messages';

export const SERVER_KEY = 'SB-Mid-server-workflow-tests';

export interface DownstreamCall {
  target: 'transaction-service' | 'user-service';
  event: DownstreamEvent;
  attempt: number;
}

/**
 * Workflow tests: the time-skipping server, the real Midtrans activities talking to the simulator in process
 * (its Hono app as the client's fetch), and in-memory stand-ins for the read model and downstream services.
 */
export async function createWorkflowHarness(workflowBundle: WorkflowBundle) {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: inject('timeSkippingExecutable') } });
  // The workflow tags itself for the Web UI; the test server needs the attributes registered like a real cluster.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      PAYMENT_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  const simulator: Simulator = createSimulator({ serverKey: SERVER_KEY });
  const chargeRequests = new Map<string, number>();
  let loseNextChargeAnswer = false;
  /** The simulator's app as the network; can apply a charge and then lose its answer (the ambiguous case). */
  async function simulatorFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input as string, init);
    if (request.method === 'POST' && new URL(request.url).pathname === '/v2/charge') {
      const orderId = (JSON.parse(String(init?.body)) as { transaction_details: { order_id: string } }).transaction_details.order_id;
      chargeRequests.set(orderId, (chargeRequests.get(orderId) ?? 0) + 1);
      if (loseNextChargeAnswer) {
        loseNextChargeAnswer = false;
        await simulator.app.fetch(request);
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
    }
    return simulator.app.fetch(request);
  }
  const midtrans = createMidtransClient({
    serverKey: SERVER_KEY,
    apiBaseUrl: 'http://midtrans.test',
    snapBaseUrl: 'http://midtrans.test/snap/v1',
    fetch: simulatorFetch as typeof fetch,
  });
  const snapshots: Array<{ snapshot: PaymentSnapshot; event?: PaymentEventRecord }> = [];
  const downstreamCalls: DownstreamCall[] = [];
  const attempts = new Map<string, number>();
  let downstreamAnswer: (target: string, attempt: number) => number = () => 200;

  function downstream(target: DownstreamCall['target']) {
    return async (event: DownstreamEvent) => {
      const key = `${target}:${event.paymentId}:${event.eventKey}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      downstreamCalls.push({ target, event, attempt });
      const status = downstreamAnswer(target, attempt);
      if (status >= 500) throw ApplicationFailure.retryable(`${target} answered ${status}`, 'DownstreamUnavailable');
      if (status >= 400) throw ApplicationFailure.nonRetryable(`${target} answered ${status}`, DOWNSTREAM_REJECTED);
    };
  }

  const midtransActivities = createMidtransActivities(midtrans);
  const activities: PaymentActivities = {
    ...midtransActivities,
    recordPayment: async (snapshot, event) => {
      snapshots.push({ snapshot, event });
    },
    notifyTransactionService: downstream('transaction-service'),
    notifyUserService: downstream('user-service'),
  };
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  const running = worker.run();

  /** Builds the notification Midtrans would send for the order's current state, signed like Midtrans signs it. */
  async function notificationFor(paymentId: string): Promise<MidtransNotificationSignal> {
    const status = (await midtrans.getStatus(paymentId)) as Record<string, string>;
    return {
      transactionStatus: status.transaction_status!,
      fraudStatus: status.fraud_status,
      statusCode: status.status_code!,
      grossAmount: status.gross_amount!,
      orderId: status.order_id!,
      transactionId: status.transaction_id,
      refundAmount: status.refund_amount,
    };
  }

  async function simulatorControl(paymentId: string, action: 'pay' | 'deny' | 'expire' | 'challenge' | 'approve') {
    const response = await simulator.app.request(`/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });
    if (!response.ok) throw new Error(`simulator ${action} failed: ${response.status} ${await response.text()}`);
  }

  return {
    env,
    worker,
    taskQueue,
    simulator,
    midtrans,
    snapshots,
    downstreamCalls,
    notificationFor,
    simulatorControl,
    loseNextChargeAnswer() {
      loseNextChargeAnswer = true;
    },
    chargeRequestsFor: (paymentId: string) => chargeRequests.get(paymentId) ?? 0,
    setDownstreamAnswer(rule: (target: string, attempt: number) => number) {
      downstreamAnswer = rule;
    },
    signature: (orderId: string, statusCode: string, grossAmount: string) =>
      midtransSignature(orderId, statusCode, grossAmount, SERVER_KEY),
    async close() {
      worker.shutdown();
      await running;
      simulator.close();
      await env.teardown();
    },
  };
}

export type WorkflowHarness = Awaited<ReturnType<typeof createWorkflowHarness>>;

let counter = 0;
export function paymentRequest(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  counter += 1;
  const amount = overrides.amount ?? 150_000;
  return {
    paymentId: `pay-wf-${Date.now().toString(36)}-${counter}`,
    orderId: `ORDER-${counter}`,
    amount,
    method: 'bank_transfer',
    bank: 'bca',
    customer: { firstName: 'Budi', lastName: 'Santoso', email: 'budi@example.com', phone: '+6281234567890' },
    items: [{ id: 'CGK-DPS', name: 'Flight Jakarta-Bali', price: amount, quantity: 1 }],
    description: 'Flight booking',
    expiryMinutes: 24 * 60,
    ...overrides,
  };
}

export const HISTORIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../replay/histories');

/** Saves a workflow's history as JSON for the replay tests, named after the scenario. */
export async function recordHistory(scenario: string, handle: WorkflowHandle): Promise<void> {
  const slug = scenario
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  // protobufjs's own JSON form (64-bit ids as strings, enums by name): it round-trips through History.fromObject.
  const history = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(await handle.fetchHistory()), {
    longs: String,
    enums: String,
    bytes: String,
  });
  writeFileSync(path.join(HISTORIES_DIR, `${slug}.json`), `${JSON.stringify(history, null, 1)}\n`);
}
