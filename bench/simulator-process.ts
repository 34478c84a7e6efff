import { startTappedSimulator, type SimulatorOptions, type TappedSimulator } from '../scripts/local-stack/midtrans-simulator';
import type { SimulatorMessage, SimulatorRequest, WebhookAttempt } from './simulator';

/**
 * The bench's Midtrans as a program of its own (bench/simulator.ts starts it). It tells its parent over IPC what the
 * tap saw, batched per turn of its event loop, and answers for the notifications it sent.
 */

const options = JSON.parse(process.env.BENCH_SIMULATOR_OPTIONS ?? '{}') as SimulatorOptions & { port: number };
const send = (message: SimulatorMessage) => process.send?.(message);

let dirty = false;
const charges = new Map<string, number>();
const changed = () => {
  if (dirty) return;
  dirty = true;
  setImmediate(() => {
    dirty = false;
    send({ type: 'tap', requests: { ...tapped.requests }, charges: [...charges] });
    charges.clear();
  });
};

// Nothing reaches it before its parent has its address (the ready message below), so `changed` never runs before this.
const tapped = await startTappedSimulator({
  ...options,
  listener: {
    request: changed,
    charge: (orderId, totalMs) => {
      charges.set(orderId, totalMs);
      changed();
    },
  },
});

process.on('message', (message: SimulatorRequest) => {
  if (message.type === 'webhook-attempts')
    send({ type: 'webhook-attempts', id: message.id, attempts: webhookAttempts(tapped.simulator.store, message.orderIds) });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: tapped.url });

function webhookAttempts(store: TappedSimulator['simulator']['store'], orderIds: Iterable<string>): WebhookAttempt[] {
  const attempts: WebhookAttempt[] = [];
  for (const orderId of orderIds) {
    for (const notification of store.find(orderId)?.transaction.notifications ?? []) {
      for (const delivery of notification.deliveries) {
        const outcome = delivery.state === 'delivered' || delivery.state === 'failed' ? delivery.state : 'pending';
        delivery.attempts.forEach((attempt, index) =>
          attempts.push({
            orderId,
            notificationId: notification.id,
            transactionStatus: String(notification.body.transaction_status),
            at: Date.parse(attempt.at),
            ms: attempt.durationMs,
            answer: attempt.status !== undefined ? String(attempt.status) : (attempt.error ?? 'no answer'),
            first: index === 0,
            outcome,
          }),
        );
      }
    }
  }
  return attempts;
}
