import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { isValidMidtransSignature } from '../src/midtrans/signature';
import type { DownstreamTracker, PaymentDriver } from './load';
import { minimalChargedUpdate, minimalSettlementSignal, type minimalPaymentWorkflow } from './minimal-workflow';
import { say } from './util';

export interface MinimalWebhookReceiver {
  url: string;
  /** Payments whose settlement signal Temporal accepted: the minimal shape's "success visible". */
  settled: Set<string>;
  close(): Promise<void>;
}

/**
 * The minimal shape's webhook endpoint, in the bench process: checks the Midtrans signature, signals a settlement to
 * its workflow and answers 200 once Temporal took the signal; any other status is answered 200 and dropped.
 */
export async function startMinimalWebhookReceiver(client: Client, serverKey: string): Promise<MinimalWebhookReceiver> {
  const settled = new Set<string>();
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let notification: { order_id?: string; transaction_status?: string } & Record<string, unknown> = {};
        try {
          notification = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof notification;
        } catch {
          // An unreadable body fails the signature check below.
        }
        if (!isValidMidtransSignature(notification, serverKey)) return res.writeHead(401).end();
        const paymentId = notification.order_id!;
        if (notification.transaction_status !== 'settlement') return res.writeHead(200).end();
        try {
          await client.workflow.getHandle(`minimal-${paymentId}`).signal(minimalSettlementSignal);
          settled.add(paymentId);
          res.writeHead(200).end();
        } catch (error) {
          if (failures++ < 5) say(`  minimal: settlement signal failed: ${String(error)}`);
          res.writeHead(503).end();
        }
      })();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    settled,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Drives minimal-shape workflows: update-with-start waiting for the charge (create), pay at the simulator (its
 * webhook reaches the receiver above, which signals), success once the signal was taken, both downstream calls from
 * the receiver's records as for the service.
 */
export function minimalDriver(
  client: Client,
  taskQueue: string,
  receiver: MinimalWebhookReceiver,
  tracker: DownstreamTracker,
  http: Pick<PaymentDriver, 'pay' | 'gatewayMs'>,
): PaymentDriver {
  return {
    async create() {
      const paymentId = `min-${randomUUID().replaceAll('-', '')}`;
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof minimalPaymentWorkflow>('minimalPaymentWorkflow', {
        workflowId: `minimal-${paymentId}`,
        taskQueue,
        args: [{ paymentId, userId: `user-${paymentId.slice(4, 12)}`, amount: 250_000 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await client.workflow.executeUpdateWithStart(minimalChargedUpdate, { startWorkflowOperation });
      return { id: paymentId, status: 'ok' };
    },
    pay: http.pay,
    gatewayMs: http.gatewayMs,
    async isSuccess(id) {
      return receiver.settled.has(id);
    },
    downstreamDone: (id, timeoutMs) => tracker.wait(id, timeoutMs),
  };
}
