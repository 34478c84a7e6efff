import type { ChildProcess } from 'node:child_process';
import type { SimulatorOptions } from '../scripts/local-stack/midtrans-simulator';
import { withTimeout } from './util';

/**
 * The bench's Midtrans simulator runs as a process of its own (bench/simulator-process.ts): sharing one event loop
 * with the load driver and the receiver, it fell behind a 10,000-payment burst on the production topology, so the
 * driver's pay calls to it timed out and those payments were never settled. Here is the parent's view of it: the
 * tap's counts and charge times, mirrored live from its messages, and the notifications it sent, asked for.
 */

export const SIMULATOR_PROCESS_ENTRY = 'bench/simulator-process.ts';

/** One POST of a Midtrans notification to a webhook, timed by the simulator (send → answer read, whole ms). */
export interface WebhookAttempt {
  orderId: string;
  /** The simulator's id of the notification this POST delivers. */
  notificationId: number;
  transactionStatus: string;
  /** Epoch ms the POST was sent. */
  at: number;
  ms: number;
  /** The HTTP status, or the error (timeout, refused). */
  answer: string;
  /** The first attempt of its delivery (not a retry). */
  first: boolean;
  /** The delivery is finished: delivered, or given up after Midtrans's retries. */
  outcome: 'delivered' | 'failed' | 'pending';
}

export type SimulatorMessage =
  | { type: 'ready'; url: string }
  | { type: 'tap'; requests: Record<string, number>; charges: Array<[string, number]> }
  | { type: 'webhook-attempts'; id: number; attempts: WebhookAttempt[] };
export type SimulatorRequest = { type: 'webhook-attempts'; id: number; orderIds: string[] };

export interface BenchSimulator {
  url: string;
  /** Requests the simulator received, by kind (charge, status, cancel, …, control): a live record. */
  requests: Record<string, number>;
  /** Milliseconds the simulator took to answer charges, by order id (summed over retries): a live record. */
  chargeMs: Map<string, number>;
  /** Every delivery attempt of the notifications the simulator sent for these orders, as the sender timed them. */
  webhookAttempts(orderIds: Iterable<string>): Promise<WebhookAttempt[]>;
}

/** The environment that configures the simulator process. */
export function simulatorEnvironment(options: SimulatorOptions & { port: number }): Record<string, string> {
  return { BENCH_SIMULATOR_OPTIONS: JSON.stringify(options) };
}

/** The parent's side of a started simulator process, from its ready message on. */
export function attachSimulator(child: ChildProcess, ready: { url: string }): BenchSimulator {
  const requests: Record<string, number> = {};
  const chargeMs = new Map<string, number>();
  const pending = new Map<number, (attempts: WebhookAttempt[]) => void>();
  let nextId = 0;
  child.on('message', (message: SimulatorMessage) => {
    if (message.type === 'tap') {
      Object.assign(requests, message.requests);
      for (const [orderId, ms] of message.charges) chargeMs.set(orderId, ms);
    } else if (message.type === 'webhook-attempts') {
      pending.get(message.id)?.(message.attempts);
      pending.delete(message.id);
    }
  });
  return {
    url: ready.url,
    requests,
    chargeMs,
    webhookAttempts(orderIds) {
      const id = (nextId += 1);
      const answer = new Promise<WebhookAttempt[]>((resolve) => pending.set(id, resolve));
      child.send({ type: 'webhook-attempts', id, orderIds: [...orderIds] } satisfies SimulatorRequest);
      return withTimeout(answer, 60_000, 'the simulator to list its notifications');
    },
  };
}
