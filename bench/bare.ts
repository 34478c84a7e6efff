import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ORDER_ID, PAYMENT_METHOD, PAYMENT_STATUS } from '../src/temporal/search-attributes';
import { bareChargeCompletedUpdate, bareNotificationSignal, type bareWorkflow } from './bare-workflow';
import type { ServiceProcess } from '../scripts/local-stack/processes';
import type { PaymentDriver } from './load';
import { say } from './util';

/**
 * Drives bare workflows as the API and the simulator drive payment workflows: update-with-start with the same
 * policies and search attributes (POST /payments); the "pending" notification signal when the charge ran (the
 * simulator's first webhook, sent as the charge is applied, so it arrives while the workflow is still charging); the
 * "settlement" signal (pay → webhook). GET …/status reads the read model the workflow writes, not the workflow: a
 * bare status poll is a look-up of the worker's "success recorded" message, at no cost to Temporal.
 */
export function bareDriver(client: Client, taskQueue: string, worker: ServiceProcess): PaymentDriver {
  const done = new Map<string, { transaction?: number; user?: number }>();
  const waiters = new Map<string, (at: number) => void>();
  const succeeded = new Set<string>();
  const handle = (id: string) => client.workflow.getHandle(`bare-${id}`);
  let signalErrors = 0;
  worker.child!.on('message', (message: { type?: string; paymentId?: string; target?: 'transaction' | 'user'; at?: number }) => {
    if (message?.type === 'recorded-success' && message.paymentId) {
      succeeded.add(message.paymentId);
      return;
    }
    if (message?.type === 'charged' && message.paymentId) {
      handle(message.paymentId)
        .signal(bareNotificationSignal, { transactionStatus: 'pending' })
        .catch((error: unknown) => {
          if (signalErrors++ < 5) say(`  bare: pending signal failed: ${String(error)}`);
        });
      return;
    }
    if (message?.type !== 'downstream' || !message.paymentId || !message.target || !message.at) return;
    const entry = done.get(message.paymentId) ?? {};
    entry[message.target] ??= message.at;
    done.set(message.paymentId, entry);
    if (entry.transaction !== undefined && entry.user !== undefined) {
      waiters.get(message.paymentId)?.(Math.max(entry.transaction, entry.user));
      waiters.delete(message.paymentId);
    }
  });

  return {
    async create() {
      const paymentId = `pay-${randomUUID().replaceAll('-', '')}`;
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof bareWorkflow>('bareWorkflow', {
        workflowId: `bare-${paymentId}`,
        taskQueue,
        args: [{ paymentId, userId: `user-${paymentId.slice(4, 12)}`, refundWindowDays: 30, expiryMinutes: 24 * 60 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: PAYMENT_STATUS, value: 'pending' },
          { key: ORDER_ID, value: `BARE-${paymentId.slice(4, 12)}` },
          { key: PAYMENT_METHOD, value: 'bank_transfer' },
        ],
      });
      await client.workflow.executeUpdateWithStart(bareChargeCompletedUpdate, { startWorkflowOperation });
      return { id: paymentId, status: 'ok' };
    },
    async pay(id) {
      await handle(id).signal(bareNotificationSignal, { transactionStatus: 'settlement' });
    },
    async isSuccess(id) {
      return succeeded.has(id);
    },
    downstreamDone(id, timeoutMs) {
      const entry = done.get(id);
      if (entry?.transaction !== undefined && entry.user !== undefined) return Promise.resolve(Math.max(entry.transaction, entry.user));
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timeout waiting for both downstream activities')), timeoutMs);
        waiters.set(id, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
  };
}
