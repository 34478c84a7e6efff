import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMidtransObservation,
  PAYMENT_STATUSES,
  type MidtransObservation,
  type NotificationDecision,
  type PaymentState,
  type PaymentStatus,
} from '../../src/domain';
import { DEPARTS_FROM_MIDTRANS, DOCUMENTED_MIDTRANS_MEANINGS, documentedEdgeAllows } from '../support/documents';

/**
 * What the reducer must decide for one Midtrans report, judged by rules the documents state, not by calling the
 * reducer's own decision function:
 * - README: the payment id is the Midtrans order_id; "Amount mismatches are rejected".
 * - Midtrans §6: unknown values appear ("lenient parsing … confirm with GET status"): never guessed.
 * - README: "Duplicates are no-ops. Stale or out-of-order notifications … are ignored"; the table of statuses.
 * - Midtrans §4: a refund report carries the cumulative `refund_amount`; it only ever grows.
 */
const AMOUNT_BASE = 100_000;
const PAYMENT_ID = 'pay-0123456789abcdef0123456789abcdef';

const NON_REFUND_ROWS = DOCUMENTED_MIDTRANS_MEANINGS.filter((row) => !['refunded', 'partially_refunded'].includes(row.expected));
const REFUND_KINDS = [...DOCUMENTED_MIDTRANS_MEANINGS, ...DEPARTS_FROM_MIDTRANS]
  .filter((row) => ['refunded', 'partially_refunded'].includes(row.expected))
  .map((row) => row.transactionStatus);

const stateArb: fc.Arbitrary<PaymentState> = fc
  .tuple(fc.constantFrom(...PAYMENT_STATUSES), fc.integer({ min: 2, max: 10 * AMOUNT_BASE }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([status, amount, share]) => ({
    paymentId: PAYMENT_ID,
    orderId: 'ORDER-1',
    method: 'gopay',
    amount,
    status,
    refundedAmount:
      status === 'refunded' ? amount : status === 'partially_refunded' ? Math.min(amount - 1, Math.max(1, Math.floor(amount * share))) : 0,
  }));

type Report = MidtransObservation & { oursOrder: boolean; oursAmount: boolean; refundTotal?: number };

const reportArb = (state: PaymentState): fc.Arbitrary<Report> =>
  fc
    .record({
      oursOrder: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
      amountKind: fc.constantFrom('ours', 'ours', 'ours', 'ours', 'off-by-one', 'decimals'),
      body: fc.oneof(
        {
          weight: 5,
          arbitrary: fc.constantFrom(...NON_REFUND_ROWS).map((row) => ({ ...row, refundTotal: undefined as number | undefined })),
        },
        {
          weight: 4,
          arbitrary: fc.record({
            transactionStatus: fc.constantFrom(...REFUND_KINDS),
            fraudStatus: fc.constant('accept'),
            refundTotal: fc.integer({ min: -1, max: state.amount + 1 }),
          }),
        },
        { weight: 1, arbitrary: fc.constant({ transactionStatus: 'something_new', fraudStatus: 'accept', refundTotal: undefined }) },
      ),
    })
    .map(({ oursOrder, amountKind, body }) => ({
      orderId: oursOrder ? PAYMENT_ID : 'pay-ffffffffffffffffffffffffffffffff',
      grossAmount:
        amountKind === 'ours' ? `${state.amount}.00` : amountKind === 'off-by-one' ? `${state.amount + 1}.00` : `${state.amount}.50`,
      transactionStatus: body.transactionStatus,
      fraudStatus: body.fraudStatus,
      ...(body.refundTotal === undefined ? {} : { refundAmount: `${body.refundTotal}.00` }),
      oursOrder,
      oursAmount: amountKind === 'ours',
      refundTotal: body.refundTotal,
    }));

const isAwaitingPayment = (s: PaymentStatus) => s === 'pending' || s === 'processing';

/** Checks the decision against the documented rules; returns nothing, fails on the first rule broken. */
function judge(state: PaymentState, obs: Report, decision: NotificationDecision, next: PaymentState) {
  if (!obs.oursOrder) return expect(decision).toEqual({ kind: 'rejected', reason: 'order_mismatch' });
  if (!obs.oursAmount) return expect(decision).toEqual({ kind: 'rejected', reason: 'amount_mismatch' });
  if (obs.transactionStatus === 'something_new') return expect(decision).toEqual({ kind: 'ignored', reason: 'unknown_status' });

  if (obs.refundTotal === undefined) {
    const row = NON_REFUND_ROWS.find((r) => r.transactionStatus === obs.transactionStatus && r.fraudStatus === obs.fraudStatus)!;
    if (row.expected === state.status) return expect(decision).toEqual({ kind: 'ignored', reason: 'duplicate' });
    if (documentedEdgeAllows(state.status, row.expected)) {
      expect(decision).toEqual({ kind: 'transition', to: row.expected });
      return expect(next.status).toBe(row.expected);
    }
    return expect(decision).toEqual({ kind: 'ignored', reason: 'stale' });
  }

  const total = obs.refundTotal;
  if (total <= 0 || total > state.amount) return expect(decision).toEqual({ kind: 'rejected', reason: 'amount_mismatch' });
  const to: PaymentStatus = total === state.amount ? 'refunded' : 'partially_refunded';
  if (total < state.refundedAmount) return expect(decision).toEqual({ kind: 'ignored', reason: 'stale' });
  if (total === state.refundedAmount && to === state.status) return expect(decision).toEqual({ kind: 'ignored', reason: 'duplicate' });

  if (decision.kind === 'transition') {
    // Money left after it arrived: the path goes through success, each step one the documents allow.
    const path = decision.via ? [state.status, decision.via, decision.to] : [state.status, decision.to];
    for (let i = 1; i < path.length; i++) expect(documentedEdgeAllows(path[i - 1]!, path[i]!), path.join(' → ')).toBe(true);
    expect(decision.to).toBe(to);
    expect(next.status).toBe(to);
    expect(next.refundedAmount).toBe(total);
  }
  // A refund Midtrans made is never lost while the payment can still record it.
  if (isAwaitingPayment(state.status) || state.status === 'success' || state.status === 'partially_refunded') {
    expect(decision.kind, JSON.stringify({ state, obs })).toBe('transition');
  } else {
    expect(decision.kind).not.toBe('transition');
  }
}

describe('Midtrans reports against the documented rules (an oracle independent of decideOnMidtransStatus)', () => {
  it('every report is accepted, ignored or rejected as the documents say', () => {
    fc.assert(
      fc.property(
        stateArb.chain((state) => fc.tuple(fc.constant(state), reportArb(state))),
        ([state, obs]) => {
          const { state: next, decision } = applyMidtransObservation(state, obs);
          judge(state, obs, decision, next);
          if (decision.kind !== 'transition') expect(next.status).toBe(state.status);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
