import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ApplicationFailure, defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { PAYMENT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { UNTRACED_WORKFLOW_SINKS } from '../../src/telemetry/tracing';
import { bundlePaymentWorkflows } from '../../src/temporal/worker';
import { createMidtransActivities, type CheckoutStore } from '../../activities/midtrans';
import { DOWNSTREAM_REJECTED, type DownstreamEvent, type PaymentActivities } from '../../activities';
import type { PaymentSnapshot, PaymentEventRecord } from '../../src/db/payments';
import { createMidtransClient } from '../../src/midtrans/client';
import { encryptedDataConverter, PayloadEncryptionCodec, type PayloadEncryptionKey } from '../../src/temporal/payload-codec';
import { TEST_PAYLOAD_KEY } from './fixtures';
import { toMidtransObservation } from '../../src/midtrans/observation';
import { midtransSignature } from '../../src/midtrans/signature';
import { createSimulator, type Simulator } from '../../scripts/local-stack/midtrans-simulator';
import { eventually } from '../../scripts/local-stack/waiting';
import { withoutCheckout, type PaymentCheckout, type PaymentRequest, type PaymentView } from '../../src/domain';
import {
  boundRequest,
  chargeCompletedUpdate,
  paymentQuery,
  type CancelRequest,
  type MidtransNotificationSignal,
  type PaymentWorkflowInput,
  type RefundRequest,
} from '../../workflows/messages';
import type { paymentWorkflow } from '../../workflows/payment';

export const SERVER_KEY = 'SB-Mid-server-workflow-tests';

/** The checkouts the API stores in PostgreSQL, kept in `checkouts` instead, by payment id. */
export function checkoutStoreIn(checkouts: Map<string, PaymentCheckout>): CheckoutStore {
  return {
    find: async (paymentId) => checkouts.get(paymentId) ?? null,
    delete: async (paymentId) => {
      checkouts.delete(paymentId);
    },
  };
}

/** One request the Midtrans activities sent (the simulator's side of every money movement). */
export interface MidtransCall {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

export interface DownstreamCall {
  target: 'transaction-service' | 'user-service';
  event: DownstreamEvent;
  attempt: number;
}

/**
 * Workflow tests: the time-skipping server, the real Midtrans activities talking to the simulator in process
 * (its Hono app as the client's fetch), and in-memory stand-ins for the read model and downstream services. Payloads
 * are encrypted as in production, with `payloadEncryptionKeys` (the tests' key unless given).
 */
export async function createWorkflowHarness(
  workflowBundle: WorkflowBundle,
  {
    payloadEncryptionKeys = [TEST_PAYLOAD_KEY],
    maxCachedWorkflows,
  }: {
    payloadEncryptionKeys?: readonly PayloadEncryptionKey[];
    /** 0 = no sticky cache: every workflow task replays the history (and a restarted worker takes over at once). */
    maxCachedWorkflows?: number;
  } = {},
) {
  // The client's codec follows the harness's current keys, so a test can rotate them as an operator would.
  let clientCodec = new PayloadEncryptionCodec(payloadEncryptionKeys);
  const rotatableCodec: PayloadCodec = {
    encode: (payloads) => clientCodec.encode(payloads),
    decode: (payloads) => clientCodec.decode(payloads),
  };
  const env = await startingServer(() => TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: inject('timeSkippingExecutable') },
    client: {
      dataConverter: { payloadCodecs: [rotatableCodec] },
      interceptors: {
        workflow: [
          {
            async terminate(input, next) {
              await untilAtRest(input.workflowExecution.workflowId);
              return next(input);
            },
            // As the API sends them: each cancel and refund bound to its payment and update id.
            async startUpdate(input, next) {
              if (input.updateName !== 'cancel' && input.updateName !== 'refund') return next(input);
              const updateId = input.options.updateId ?? randomUUID();
              const paymentId = input.workflowExecution.workflowId.replace(/^payment-/, '');
              const [request] = input.args as [CancelRequest | RefundRequest];
              return next({
                ...input,
                args: [boundRequest(request, { paymentId, updateId, update: input.updateName })],
                options: { ...input.options, updateId },
              });
            },
          },
        ],
      },
    },
  }));
  // The workflow tags itself for the Web UI; the test server needs the attributes registered like a real cluster.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      PAYMENT_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  const simulator: Simulator = createSimulator({ serverKey: SERVER_KEY });
  const chargeRequests = new Map<string, number>();
  const midtransCalls: MidtransCall[] = [];
  let loseNextChargeAnswer = false;
  let failingCharges = 0;
  let lostRefundAnswers = 0;
  let refusedCommands: number | null = null;
  let statusLookupAnswer: number | null = null;
  let statusLookupsLeft: number | undefined;
  let heldStatusLookups: { arrived: () => void; released: Promise<void> } | null = null;
  let answerEdit: ((path: string, body: Record<string, unknown>) => Record<string, unknown>) | null = null;
  /**
   * The simulator's app as the network; can apply a charge and then lose its answer (the ambiguous case), and can
   * refuse status look-ups (a rotated server key: 401) while everything else still works.
   */
  async function simulatorFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(input as string, init);
    const pathname = new URL(request.url).pathname;
    midtransCalls.push({
      method: request.method,
      path: pathname,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
    });
    if (heldStatusLookups && request.method === 'GET' && pathname.endsWith('/status')) {
      heldStatusLookups.arrived();
      await heldStatusLookups.released;
    }
    if (statusLookupAnswer !== null && request.method === 'GET' && pathname.endsWith('/status')) {
      const status = statusLookupAnswer;
      if (statusLookupsLeft !== undefined && --statusLookupsLeft <= 0) statusLookupAnswer = null;
      return Response.json({ status_code: String(status), status_message: `status look-up refused (${status})` }, { status });
    }
    if (request.method === 'POST' && pathname === '/v2/charge') {
      const orderId = (JSON.parse(String(init?.body)) as { transaction_details: { order_id: string } }).transaction_details.order_id;
      chargeRequests.set(orderId, (chargeRequests.get(orderId) ?? 0) + 1);
      if (failingCharges > 0) {
        failingCharges -= 1;
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }) });
      }
      if (loseNextChargeAnswer) {
        loseNextChargeAnswer = false;
        await simulator.app.fetch(request);
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
    }
    if (refusedCommands !== null && request.method === 'POST' && /\/(refund|cancel)$/.test(pathname)) {
      return Response.json({ status_code: String(refusedCommands), status_message: 'Unknown Merchant server_key/id' }, { status: refusedCommands });
    }
    if (lostRefundAnswers > 0 && request.method === 'POST' && pathname.endsWith('/refund')) {
      lostRefundAnswers -= 1;
      await simulator.app.fetch(request);
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    }
    const response = await simulator.app.fetch(request);
    if (!answerEdit) return response;
    const body = answerEdit(pathname, (await response.json()) as Record<string, unknown>);
    return Response.json(body, { status: response.status });
  }
  const midtrans = createMidtransClient({
    serverKey: SERVER_KEY,
    apiBaseUrl: 'http://midtrans.test',
    snapBaseUrl: 'http://midtrans.test/snap/v1',
    fetch: simulatorFetch as typeof fetch,
  });
  /** Each write: the row and its audit lines (its own last, after any that waited for it). */
  const snapshots: Array<{ snapshot: PaymentSnapshot; events: PaymentEventRecord[] }> = [];
  const downstreamCalls: DownstreamCall[] = [];
  const attempts = new Map<string, number>();
  let downstreamAnswer: (target: string, attempt: number) => number = () => 200;
  let readModelDown = false;

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

  // The checkouts the API would have stored in PostgreSQL, by payment id.
  const checkouts = new Map<string, PaymentCheckout>();
  // The refund updates claimed by workflow runs, as src/db/refund-claims.ts keeps them: by payment and update id.
  const refundClaims = new Map<string, string>();
  const midtransActivities = createMidtransActivities(
    midtrans,
    checkoutStoreIn(checkouts),
    {
      claim: async ({ paymentId, updateId, runId }) => {
        const key = `${paymentId}/${updateId}`;
        if (!refundClaims.has(key)) refundClaims.set(key, runId);
        return refundClaims.get(key) === runId;
      },
    },
  );
  function write(snapshot: PaymentSnapshot, events: PaymentEventRecord[]) {
    if (readModelDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    snapshots.push({ snapshot, events });
    // As the statement does (src/db/payments.ts): a write after the charge step deletes the checkout.
    if (snapshot.checkoutUsed || snapshot.view.chargeCompleted) checkouts.delete(snapshot.view.paymentId);
  }
  const activities = countingAttempts({
    ...midtransActivities,
    recordPayment: async (snapshot, event) => write(snapshot, event ? [event] : []),
    recordPaymentLines: async (snapshot, lines) => write(snapshot, lines),
    notifyTransactionService: downstream('transaction-service'),
    notifyUserService: downstream('user-service'),
  });
  const taskQueue = `wf-test-${randomUUID()}`;
  const startWorker = async (keys: readonly PayloadEncryptionKey[]) => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities,
      dataConverter: encryptedDataConverter(keys),
      maxCachedWorkflows,
      sinks: UNTRACED_WORKFLOW_SINKS,
    });
    return { worker, running: worker.run() };
  };
  let current = await startWorker(payloadEncryptionKeys);

  /**
   * The time-skipping server locks time from the moment a workflow task or an activity attempt is scheduled until it
   * completes. Terminating a workflow in between leaves that lock held for the server's life (the worker's completion
   * is refused), and from then on every `env.sleep` of the test file runs in real time: under load, where activities
   * are often still running when a test terminates its workflow, 11 minutes of look-up retries took 11 real minutes.
   * So a terminate waits until the workflow has nothing outstanding: no attempt of ours running, no first attempt
   * waiting for the worker, no workflow task open, three checks in a row.
   */
  async function untilAtRest(workflowId: string, timeoutMs = 30_000): Promise<void> {
    const handle = env.client.workflow.getHandle(workflowId);
    const deadline = Date.now() + timeoutMs;
    let quietChecks = 0;
    while (quietChecks < 3) {
      const { status, raw } = await handle.describe();
      if (status.name !== 'RUNNING') return;
      if (Date.now() > deadline) {
        console.warn(`[workflow-harness] ${workflowId} still busy after ${timeoutMs} ms: terminated anyway; later time skips may run in real time`);
        return;
      }
      const busy =
        (runningAttempts.get(workflowId) ?? 0) > 0 ||
        (raw.pendingActivities ?? []).some((activity) => (activity.attempt ?? 1) <= 1) ||
        workflowTaskOpen((await handle.fetchHistory()).events ?? []);
      quietChecks = busy ? 0 : quietChecks + 1;
      await sleep(50);
    }
  }

  /** Builds the notification Midtrans would send for the order's current state, signed like Midtrans signs it. */
  async function notificationFor(paymentId: string): Promise<MidtransNotificationSignal> {
    return toMidtransObservation(await midtrans.getStatus(paymentId));
  }

  async function simulatorControl(paymentId: string, action: 'pay' | 'deny' | 'expire' | 'challenge' | 'approve') {
    const response = await simulator.app.request(`/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });
    if (!response.ok) throw new Error(`simulator ${action} failed: ${response.status} ${await response.text()}`);
  }

  return {
    env,
    taskQueue,
    simulator,
    midtrans,
    snapshots,
    /** The stored checkouts (customer details, card token) the charge has not used yet, by payment id. */
    checkouts,
    downstreamCalls,
    midtransCalls,
    notificationFor,
    simulatorControl,
    loseNextChargeAnswer() {
      loseNextChargeAnswer = true;
    },
    /** The next `count` charge requests fail on the network before they reach Midtrans. */
    failNextCharges(count: number) {
      failingCharges = count;
    },
    chargeRequestsFor: (paymentId: string) => chargeRequests.get(paymentId) ?? 0,
    /** The next `count` refund requests reach Midtrans, which applies them; their answers are lost on the way back. */
    loseRefundAnswers(count: number) {
      lostRefundAnswers = count;
    },
    /** Every refund and cancel answers this HTTP status (and body status_code), as for a rotated server key, until set back to null. */
    refuseRefundsAndCancels(status: number | null) {
      refusedCommands = status;
    },
    /** Every GET /v2/{id}/status answers this HTTP status (and body status_code) until set back to null, or `times` of them. */
    failStatusLookups(status: number | null, { times }: { times?: number } = {}) {
      statusLookupAnswer = status;
      statusLookupsLeft = times;
    },
    /**
     * Status look-ups wait (their activity attempt running) until `release` is called; `arrived` resolves when the
     * first one is waiting.
     */
    holdStatusLookups() {
      let arrived!: () => void;
      let release!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      heldStatusLookups = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
      return {
        arrived: arrival,
        release() {
          heldStatusLookups = null;
          release();
        },
      };
    },
    /** Rewrites Midtrans's answers (a gateway, or a proxy, answering about another order) until set back to null. */
    editMidtransAnswers(edit: ((path: string, body: Record<string, unknown>) => Record<string, unknown>) | null) {
      answerEdit = edit;
    },
    setDownstreamAnswer(rule: (target: string, attempt: number) => number) {
      downstreamAnswer = rule;
    },
    /** Every read-model write fails as it does while PostgreSQL is down, until set back to false. */
    setReadModelDown(down: boolean) {
      readModelDown = down;
    },
    signature: (orderId: string, statusCode: string, grossAmount: string) =>
      midtransSignature(orderId, statusCode, grossAmount, SERVER_KEY),
    /**
     * A key rotation as deployed: the worker restarts with `keys` (its cached workflows are gone, so they replay their
     * histories under the new keys) and the client seals with the new first key.
     */
    async rotatePayloadKeys(keys: readonly PayloadEncryptionKey[]) {
      current.worker.shutdown();
      await current.running;
      clientCodec = new PayloadEncryptionCodec(keys);
      current = await startWorker(keys);
    },
    /**
     * Runs `whileStopped` with no worker polling, then starts one again: signals sent meanwhile reach the workflow
     * together, in one workflow task, as a burst does when every workflow task slot is busy.
     */
    async withWorkerStopped(whileStopped: () => Promise<void>) {
      // The test server never moves a task off a stopped worker's sticky queue: the workflow would wait for good.
      if (maxCachedWorkflows !== 0) throw new Error('withWorkerStopped needs a harness with maxCachedWorkflows: 0');
      current.worker.shutdown();
      await current.running;
      try {
        await whileStopped();
      } finally {
        current = await startWorker(payloadEncryptionKeys);
      }
    },
    async close() {
      current.worker.shutdown();
      await current.running;
      simulator.close();
      await env.teardown();
    },
  };
}

export type WorkflowHarness = Awaited<ReturnType<typeof createWorkflowHarness>>;

/**
 * The SDK gives the test server 5 s to answer; on 2 loaded cores it sometimes needs longer (a server per test makes
 * that likelier), so a start that timed out is tried again, at most three times.
 */
async function startingServer<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3 || !String((error as Error).message).includes('did not start within')) throw error;
    }
  }
}

/** Attempts of the harness's activities running now, by workflow id (see `untilAtRest`). */
const runningAttempts = new Map<string, number>();

function countingAttempts(activities: PaymentActivities): PaymentActivities {
  const counted = Object.entries(activities).map(([name, activity]) => {
    const run = activity as (...args: unknown[]) => Promise<unknown>;
    return [
      name,
      async (...args: unknown[]) => {
        const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
        runningAttempts.set(workflowId, (runningAttempts.get(workflowId) ?? 0) + 1);
        try {
          return await run(...args);
        } finally {
          runningAttempts.set(workflowId, (runningAttempts.get(workflowId) ?? 1) - 1);
        }
      },
    ];
  });
  return Object.fromEntries(counted) as unknown as PaymentActivities;
}

const { EventType } = temporal.api.enums.v1;
const WORKFLOW_TASK_EVENTS = new Set([
  EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
]);

/** Whether the history's latest workflow task is scheduled or started, not yet closed. */
function workflowTaskOpen(events: temporal.api.history.v1.IHistoryEvent[]): boolean {
  const latest = events.findLast((event) => event.eventType != null && WORKFLOW_TASK_EVENTS.has(event.eventType))?.eventType;
  return latest === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED || latest === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
}

/** The ids of the patches a history's patch markers name, in order. */
export function patchIdsIn(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0] : undefined;
    return data ? [defaultPayloadConverter.fromPayload<{ id: string }>(data).id] : [];
  });
}

/** The activity type of each activity a history schedules through the server, in order. */
export function scheduledActivityTypesIn(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
}

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

/**
 * A fresh harness (its own time-skipping server and worker) for every test, the workflow bundle built once per file.
 * Time is global to a server, and a workflow that closes by itself (completes, continues as new) while one of its
 * activity attempts or workflow tasks is outstanding leaves the server's time locked for good, like a terminate
 * does (see `untilAtRest`); a server per test keeps that from stalling the next test's time skips.
 * `lastPayment` is the payment a test is about: under RECORD_HISTORIES=1 its history is saved for the replay tests,
 * named after the test.
 */
/**
 * A time-skipping test server and the workflow bundle for the whole file, for tests that stand the activities in
 * themselves (the scheduled jobs'). Read `env` and `bundle` inside tests, once beforeAll has run.
 */
export function useTimeSkippingEnvironment() {
  const context = { env: undefined as unknown as TestWorkflowEnvironment, bundle: undefined as unknown as WorkflowBundle };
  beforeAll(async () => {
    context.env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: inject('timeSkippingExecutable') } });
    context.bundle = await bundlePaymentWorkflows({ traced: false });
  });
  afterAll(() => (context.env as TestWorkflowEnvironment | undefined)?.teardown());
  return context;
}

export function useWorkflowHarness() {
  let workflowBundle: WorkflowBundle;
  const context = {
    h: undefined as unknown as WorkflowHarness,
    lastPayment: undefined as WorkflowHandle | undefined,
    /** This test's harness is replaced by one whose worker keeps no sticky cache (see `withWorkerStopped`). */
    async withoutStickyCache() {
      await context.h.close();
      context.h = await createWorkflowHarness(workflowBundle, { maxCachedWorkflows: 0 });
    },
  };
  beforeAll(async () => {
    workflowBundle = await bundlePaymentWorkflows({ traced: false });
  });
  beforeEach(async () => {
    context.h = await createWorkflowHarness(workflowBundle);
  });
  afterEach(async (test) => {
    try {
      if (process.env.RECORD_HISTORIES && context.lastPayment) await recordHistory(test.task.name, context.lastPayment);
    } finally {
      context.lastPayment = undefined;
      // A harness that failed to start must not leave the previous test's (closed) one in its place.
      const harness = context.h as WorkflowHarness | undefined;
      context.h = undefined as unknown as WorkflowHarness;
      await harness?.close();
    }
  });
  return context;
}

/**
 * Starts a payment workflow as the API does (the checkout stored, the terms in the input) and waits for its charge
 * step. `olderInput`: as the API did before the checkout moved to PostgreSQL, the whole request in the input.
 */
export async function startPaymentWorkflow(
  h: WorkflowHarness,
  overrides: Partial<PaymentRequest> = {},
  { olderInput = false, ...input }: Partial<Omit<PaymentWorkflowInput, 'request'>> & { olderInput?: boolean } = {},
) {
  const request = paymentRequest(overrides);
  const { cardToken, customer, items, description } = request;
  if (!olderInput) h.checkouts.set(request.paymentId, { cardToken, customer, items, description });
  const handle = await h.env.client.workflow.start<typeof paymentWorkflow>('paymentWorkflow', {
    workflowId: `payment-${request.paymentId}`,
    taskQueue: h.taskQueue,
    args: [{ request: olderInput ? request : withoutCheckout(request), userId: 'user-7', refundWindowDays: 30, ...input }],
  });
  const charged = await handle.executeUpdate(chargeCompletedUpdate);
  return { request, handle, charged };
}

/** Polls the workflow's query until the predicate holds (signals are processed asynchronously). */
const QUERY_DEADLINE_MS = 5_000;

export async function viewWhen(handle: WorkflowHandle, predicate: (view: PaymentView) => boolean, timeoutMs = 45_000): Promise<PaymentView> {
  try {
    // Each query has a deadline: the time-skipping server never answers a query that meets a continue-as-new (the run it
    // was given to closes without answering), and without one the call hung until the connection was closed for its
    // pings, about 90 s later.
    const query = () => handle.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(paymentQuery));
    return await eventually("the workflow's view to match", query, predicate, timeoutMs, 50);
  } catch (error) {
    // A view that stops moving is either the workflow waiting or the server not scheduling its next task: the
    // history's tail tells which.
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nhistory tail: ${await historyTail(handle)}`);
  }
}

async function historyTail(handle: WorkflowHandle, events = 25): Promise<string> {
  try {
    const history = await handle.fetchHistory();
    return (history.events ?? [])
      .slice(-events)
      .map((event) => `${String(event.eventId)}:${temporal.api.enums.v1.EventType[event.eventType ?? 0]}`)
      .join(' ');
  } catch (error) {
    return `unavailable (${String(error)})`;
  }
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
