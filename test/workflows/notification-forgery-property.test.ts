import fc from 'fast-check';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { PaymentView } from '../../src/domain';
import { midtransNotificationSignal, paymentQuery, refundUpdate, type MidtransNotificationSignal } from '../../workflows/messages';
import { startPaymentWorkflow, useWorkflowHarness, type MidtransCall } from '../support/workflow-harness';
import { sleep } from '../support/fixtures';

/**
 * Issue 11's property: any sequence of notifications derived from a payment's genuine ones by editing the fields
 * Midtrans does not sign, reordering and duplicating them, ends like the genuine sequence alone: the same final
 * state, and the same money moved at Midtrans (which transaction, how much).
 */
const ctx = useWorkflowHarness();

const AMOUNT = 180_000;
const gopay = { method: 'gopay' as const, bank: undefined, expiryMinutes: 15, amount: AMOUNT };

/** Edits an attacker can make without breaking the signature (it covers order_id, status_code and gross_amount). */
const unsignedEdit = fc.record(
  {
    transactionStatus: fc.constantFrom('pending', 'settlement', 'capture', 'deny', 'cancel', 'expire', 'refund', 'partial_refund', 'chargeback', 'bogus'),
    fraudStatus: fc.constantFrom('accept', 'challenge', 'deny'),
    transactionId: fc.constantFrom('other', 'unknown', 'own'),
    refundAmount: fc.constantFrom('1000.00', `${AMOUNT}.00`, '999999999.00'),
  },
  { requiredKeys: [] },
);
/** Each step re-sends one genuine notification (0 = pending, 1 = settlement), edited or not. */
const derivedSequence = fc.array(fc.record({ genuine: fc.constantFrom(0, 1), edit: fc.option(unsignedEdit, { nil: undefined }) }), {
  minLength: 1,
  maxLength: 12,
});

interface Outcome {
  status: string;
  refundedAmount: number;
  transactionId?: string;
  transitions: string[];
  moneyCalls: string[];
}

/** A paid payment receives `notifications`, then is refunded in full; what it ends as and what moved at Midtrans. */
async function run(notifications: (ids: { own: string; other: string }, genuine: MidtransNotificationSignal[]) => MidtransNotificationSignal[]) {
  const h = ctx.h;
  const other = await startPaymentWorkflow(h, gopay);
  const { request, handle } = await startPaymentWorkflow(h, gopay);
  const pending = await h.notificationFor(request.paymentId);
  await h.simulatorControl(request.paymentId, 'pay');
  const settlement = await h.notificationFor(request.paymentId);
  const otherTransactionId = (await h.notificationFor(other.request.paymentId)).transactionId!;
  const callsBefore = h.midtransCalls.length;

  for (const n of notifications({ own: settlement.transactionId!, other: otherTransactionId }, [pending, settlement])) {
    await handle.signal(midtransNotificationSignal, n);
  }
  await quiet(handle);
  const refunded = await handle.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] });
  await other.handle.terminate('test done');
  // A full refund ends the workflow by itself: there may be nothing left to terminate.
  await handle.terminate('test done').catch((error: unknown) => {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  });

  const ids = [request.paymentId, settlement.transactionId!];
  const moved = h.midtransCalls.slice(callsBefore).filter((c) => c.method === 'POST');
  return { outcome: outcome(refunded, ids, moved), foreignCalls: moved.filter((c) => !ids.some((id) => c.path.includes(id))) };
}

function outcome(view: PaymentView, ownIds: string[], calls: MidtransCall[]): Outcome {
  const anonymous = (path: string) => ownIds.reduce((p, id) => p.replace(id, '<own>'), path);
  return {
    status: view.status,
    refundedAmount: view.refundedAmount,
    transactionId: view.transactionId === ownIds[1] ? '<own>' : view.transactionId,
    transitions: view.history.filter((e) => e.kind === 'transition' || e.kind === 'refund').map((e) => `${e.kind}:${e.from}>${e.to}`),
    moneyCalls: calls.map((c) => `${anonymous(c.path)} ${String(c.body?.amount ?? '')}`),
  };
}

/** Signals are processed asynchronously: wait until the view stops changing. */
async function quiet(handle: WorkflowHandle) {
  let last = '';
  for (let still = 0; still < 3; ) {
    await sleep(100);
    const view = await handle.query(paymentQuery);
    const now = JSON.stringify([view.status, view.history.length, view.ignoredNotifications]);
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

describe('forged, reordered and duplicated notifications', () => {
  it('end like the genuine sequence alone: same state, same money moved at Midtrans', async () => {
    const genuine = await run((_ids, [pending, settlement]) => [pending!, settlement!]);
    expect(genuine.outcome).toMatchObject({ status: 'refunded', refundedAmount: AMOUNT, transactionId: '<own>' });
    expect(genuine.outcome.moneyCalls).toEqual([`/v2/<own>/refund ${AMOUNT}`]);

    await fc.assert(
      fc.asyncProperty(derivedSequence, fc.boolean(), async (steps, settlementFirst) => {
        const attacked = await run((ids, notifications) => {
          const derived = steps.map(({ genuine: i, edit }) => {
            const base = notifications[i]!;
            if (!edit) return base;
            const transactionId = edit.transactionId === undefined ? base.transactionId : edit.transactionId === 'unknown' ? 'forged-0000' : ids[edit.transactionId];
            return { ...base, ...edit, transactionId };
          });
          // The genuine notifications are among them, in either order.
          const [pending, settlement] = notifications;
          return [...derived, ...(settlementFirst ? [settlement!, pending!] : [pending!, settlement!])];
        });
        expect(attacked.outcome).toEqual(genuine.outcome);
        expect(attacked.foreignCalls).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });
});
