import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { connectWorker } from '../src/temporal/connection';
import { encryptedDataConverter } from '../src/temporal/payload-codec';
import type { BareActivities } from './bare-workflow';

/**
 * The baseline worker, as its own process like src/worker.ts, with the same settings read from the same variables
 * (WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_ACTIVITIES, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS). Its
 * activities have empty bodies, except that some tell the benchmark over IPC that they ran: the charge (the simulator
 * sends its "pending" webhook when a charge is applied; the benchmark turns this message into that signal), the write
 * of the success transition (what GET …/status reads for the real service) and the two "downstream" ones (as the
 * receiver's records do for the real service).
 */
const config = loadConfig();
const send = (message: object) => process.send?.(message);

const activities: BareActivities = {
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

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-workflow.ts'),
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
  maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
  maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
});
const running = worker.run();
send({ type: 'ready' });
await running;
await connection.close();
process.disconnect?.();
