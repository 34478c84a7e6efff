import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { connectWorker } from '../src/temporal/connection';
import { encryptedDataConverter } from '../src/temporal/payload-codec';
import { workflowCacheSize } from '../src/temporal/workflow-cache';
import { sandboxPreloads } from '../src/temporal/workflow-preloads';
import type { BareActivities } from './bare-workflow';
import { createMinimalActivities } from './minimal-activities';

/**
 * The baseline worker, as its own process like src/worker.ts, with the same settings read from the same variables
 * (WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_ACTIVITIES, WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
 * WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, WORKFLOW_STACK_TRACES). Its
 * activities have empty bodies, except that some tell the benchmark over IPC that they ran: the charge (the simulator
 * sends its "pending" webhook when a charge is applied; the benchmark turns this message into that signal), the write
 * of the success transition (what GET …/status reads for the real service) and the two "downstream" ones (as the
 * receiver's records do for the real service).
 * With BARE_SHAPE=minimal it runs the minimal shape instead (bench/minimal-workflow.ts), whose activities do the real
 * charge and downstream calls; BARE_NOTIFICATION_URL is where the simulator sends that shape's webhooks.
 */
const config = loadConfig();
const send = (message: object) => process.send?.(message);

const sameShapeActivities: BareActivities = {
  async recordPayment(snapshot) {
    if (snapshot.kind === 'transition') send({ type: 'recorded-success', paymentId: snapshot.paymentId });
  },
  async chargePayment(request) {
    send({ type: 'charged', paymentId: request.paymentId });
  },
  async fetchMidtransStatus() {},
  async notifyTransactionService(event) {
    send({ type: 'downstream', paymentId: event.paymentId, target: 'transaction', at: Date.now() });
  },
  async notifyUserService(event) {
    send({ type: 'downstream', paymentId: event.paymentId, target: 'user', at: Date.now() });
  },
};

const minimal = process.env.BARE_SHAPE === 'minimal';
const activities = minimal
  ? createMinimalActivities({
      midtransApiBaseUrl: config.MIDTRANS_API_BASE_URL!,
      serverKey: config.MIDTRANS_SERVER_KEY,
      notificationUrl: process.env.BARE_NOTIFICATION_URL!,
      transactionServiceUrl: config.TRANSACTION_SERVICE_URL,
      userServiceUrl: config.USER_SERVICE_URL,
      signingSecret: config.DOWNSTREAM_SIGNING_SECRET,
    })
  : sameShapeActivities;

const cache = workflowCacheSize(config.WORKER_MAX_CACHED_WORKFLOWS);
const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), minimal ? 'minimal-workflow.ts' : 'bare-workflow.ts'),
  preloadModules: sandboxPreloads({ stackTraces: config.WORKFLOW_STACK_TRACES }),
  logger: silent,
});
const { connection, namespace } = await connectWorker({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
const worker = await Worker.create({
  connection,
  namespace,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowBundle,
  activities,
  // The same codec as the real worker, so the baseline differs from it only in the activities' work.
  dataConverter: encryptedDataConverter(config.PAYLOAD_ENCRYPTION_KEYS),
  maxCachedWorkflows: cache.maxCachedWorkflows,
  maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
  maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
  maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
});
const running = worker.run();
send({ type: 'ready', maxCachedWorkflows: cache.maxCachedWorkflows });
await running;
await connection.close();
process.disconnect?.();
