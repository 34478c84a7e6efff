import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMidtransObservation,
  applyRefund,
  answerMismatch,
  applyTransition,
  canTransition,
  chargesThroughSnap,
  decideCancel,
  decideOnMidtransStatus,
  decideRefund,
  DomainError,
  formatGrossAmount,
  claimsPaymentAfterClose,
  isPaymentAfterClose,
  isSettlementReversal,
  MIDTRANS_TRANSACTION_STATUSES,
  notificationClaim,
  PAYMENT_METHODS,
  PAYMENT_STATUSES,
  refundKey,
  reportsMoreRefunded,
  type MidtransObservation,
  type PaymentMethod,
  type PaymentState,
  type PaymentStatus,
} from '../../src/domain';

const PAYMENT_ID = 'pay-01HXYZ';
const AMOUNT = 100_000;

function payment(overrides: Partial<PaymentState> = {}): PaymentState {
  return {
    paymentId: PAYMENT_ID,
    orderId: 'ord-42',
    method: 'gopay',
    amount: AMOUNT,
    status: 'pending',
    refundedAmount: 0,
    ...overrides,
  };
}

function report(transactionStatus: string, extra: Partial<MidtransObservation> = {}): MidtransObservation {
  return { transactionStatus, fraudStatus: 'accept', grossAmount: '100000.00', orderId: PAYMENT_ID, ...extra };
}

function domainErrorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

/** Folds reports through the reducer, checking the invariants at every step. */
function foldReports(start: PaymentState, reports: MidtransObservation[]): PaymentState {
  return reports.reduce((state, obs) => {
    const { state: next, decision, steps } = applyMidtransObservation(state, obs);
    checkInvariants(state, next);
    let at = state.status;
    for (const step of steps) {
      expect(step.from).toBe(at);
      expect(canTransition(step.from, step.to), `${step.from} → ${step.to}`).toBe(true);
      at = step.to;
    }
    expect(next.status).toBe(at);
    if (decision.kind !== 'transition') {
      expect(steps).toEqual([]);
      expect(next.refundedAmount).toBe(state.refundedAmount);
    }
    return next;
  }, start);
}

function checkInvariants(before: PaymentState, after: PaymentState) {
  expect(Number.isSafeInteger(after.refundedAmount)).toBe(true);
  expect(after.refundedAmount).toBeGreaterThanOrEqual(before.refundedAmount);
  expect(after.refundedAmount).toBeLessThanOrEqual(after.amount);
  expect(after.status === 'refunded').toBe(after.refundedAmount === after.amount);
  expect(after.amount).toBe(before.amount);
}

describe('payment state properties', () => {
  const money = fc.integer({ min: 1, max: 1_000_000_000 });
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

  type Operation =
    | { kind: 'report'; status: string; fraud?: string; perMille?: number; foreignOrder: boolean; grossDelta: number }
    | { kind: 'refund'; perMille?: number; passMidtransTotal: boolean }
    | { kind: 'cancel' };

  const operation: fc.Arbitrary<Operation> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('report' as const),
        status: fc.constantFrom(...MIDTRANS_TRANSACTION_STATUSES, 'something_new'),
        fraud: maybe(fc.constantFrom('accept', 'challenge', 'deny')),
        perMille: maybe(fc.integer({ min: -10, max: 1010 })),
        foreignOrder: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        grossDelta: fc.constantFrom(0, 0, 0, 0, 1, -1),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('refund' as const),
        perMille: maybe(fc.integer({ min: -10, max: 1010 })),
        passMidtransTotal: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  );

  it('no operation sequence leaves the table or refunds more than was paid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAYMENT_METHODS),
        money,
        fc.array(operation, { maxLength: 40 }),
        (method: PaymentMethod, amount, operations) => {
          const part = (perMille: number) => Math.floor((amount * perMille) / 1000);
          let state = payment({ method, amount });
          for (const op of operations) {
            const before = state;
            if (op.kind === 'report') {
              state = foldReports(state, [
                report(op.status, {
                  fraudStatus: op.fraud,
                  orderId: op.foreignOrder ? 'pay-someone-else' : PAYMENT_ID,
                  grossAmount: formatGrossAmount(Math.max(0, amount + op.grossDelta)),
                  refundAmount: op.perMille === undefined ? undefined : `${part(op.perMille)}.00`,
                }),
              ]);
            } else if (op.kind === 'refund') {
              const requested = op.perMille === undefined ? undefined : part(op.perMille);
              const code = domainErrorCode(() => {
                const decision = decideRefund(state, requested);
                const total = op.passMidtransTotal ? state.refundedAmount + decision.amount : undefined;
                state = applyRefund(state, decision.amount, total);
                expect(state.status).toBe(decision.resultingStatus);
              });
              if (code) expect(state).toBe(before);
            } else {
              const code = domainErrorCode(() => {
                decideCancel(state);
                state = applyTransition(state, 'canceled');
              });
              if (code) expect(code).toBe('INVALID_STATE');
            }
            checkInvariants(before, state);
            if (state.status !== before.status && op.kind !== 'report') {
              expect(canTransition(before.status, state.status)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  /** One Midtrans lifecycle: its reports, and where the payment must end whatever order they arrive in. */
  interface Lifecycle {
    reports: MidtransObservation[];
    final: PaymentStatus;
    refunded: number;
  }

  const unpaidOutcomes: Lifecycle[] = [
    { reports: [report('pending'), report('expire')], final: 'expired', refunded: 0 },
    { reports: [report('pending'), report('cancel')], final: 'canceled', refunded: 0 },
    { reports: [report('pending'), report('deny')], final: 'failed', refunded: 0 },
    { reports: [report('pending'), report('failure')], final: 'failed', refunded: 0 },
    { reports: [report('capture', { fraudStatus: 'challenge' }), report('deny', { fraudStatus: 'deny' })], final: 'failed', refunded: 0 },
    { reports: [report('capture', { fraudStatus: 'challenge' }), report('cancel')], final: 'canceled', refunded: 0 },
    { reports: [report('authorize'), report('cancel')], final: 'canceled', refunded: 0 },
  ];
  const paidPaths: MidtransObservation[][] = [
    [report('pending'), report('settlement')],
    [report('settlement')],
    [report('authorize'), report('capture'), report('settlement')],
    [report('pending'), report('capture', { fraudStatus: 'challenge' }), report('capture'), report('settlement')],
  ];
  const refundTails: fc.Arbitrary<Lifecycle> = fc.oneof(
    fc.constant<Lifecycle>({ reports: [], final: 'success', refunded: 0 }),
    // Refunds and chargebacks carrying Midtrans's cumulative total.
    fc
      .uniqueArray(fc.integer({ min: 1, max: AMOUNT }), { minLength: 1, maxLength: 4 })
      .chain((totals) =>
        fc.tuple(fc.constant(totals.sort((a, b) => a - b)), fc.array(fc.boolean(), { minLength: totals.length, maxLength: totals.length })),
      )
      .map(([totals, chargebacks]): Lifecycle => {
        const last = totals[totals.length - 1]!;
        return {
          reports: totals.map((total, i) => {
            const kind = chargebacks[i] ? 'chargeback' : 'refund';
            return report(total === AMOUNT ? kind : `partial_${kind}`, { refundAmount: formatGrossAmount(total) });
          }),
          final: last === AMOUNT ? 'refunded' : 'partially_refunded',
          refunded: last,
        };
      }),
    // Without totals: full means everything, partial leaves the count alone.
    fc.constant<Lifecycle>({ reports: [report('partial_refund')], final: 'partially_refunded', refunded: 0 }),
    fc.constant<Lifecycle>({ reports: [report('partial_refund'), report('refund')], final: 'refunded', refunded: AMOUNT }),
    fc.constant<Lifecycle>({ reports: [report('chargeback')], final: 'refunded', refunded: AMOUNT }),
  );
  const lifecycle: fc.Arbitrary<Lifecycle> = fc.oneof(
    fc.constantFrom(...unpaidOutcomes),
    fc.tuple(fc.constantFrom(...paidPaths), refundTails).map(([paid, tail]) => ({ ...tail, reports: [...paid, ...tail.reports] })),
  );
  const noise = [
    report('settlement', { orderId: 'pay-someone-else' }),
    report('refund', { grossAmount: '99999.00' }),
    report('settlement', { grossAmount: '100000.50' }),
    report('something_new'),
  ];

  it('ends in the same status for any delivery order, with duplicates and noise', () => {
    fc.assert(
      fc.property(
        lifecycle.chain((life) =>
          fc
            .tuple(
              fc.array(fc.constantFrom(...life.reports), { maxLength: 6 }),
              fc.subarray(noise),
            )
            .chain(([duplicates, extra]) => {
              const all = [...life.reports, ...duplicates, ...extra];
              return fc.tuple(fc.constant(life), fc.shuffledSubarray(all, { minLength: all.length }));
            }),
        ),
        ([life, delivered]) => {
          const end = foldReports(payment(), delivered);
          expect(end.status).toBe(life.final);
          expect(end.refundedAmount).toBe(life.refunded);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('decideOnMidtransStatus', () => {
  it('rejects reports about another order or amount', () => {
    expect(decideOnMidtransStatus(payment(), report('settlement', { orderId: 'ord-42' }))).toEqual({
      kind: 'rejected',
      reason: 'order_mismatch',
    });
    for (const grossAmount of ['99999.00', '100000.50', '100000.01', '', 'abc']) {
      expect(decideOnMidtransStatus(payment(), report('settlement', { grossAmount }))).toEqual({
        kind: 'rejected',
        reason: 'amount_mismatch',
      });
    }
  });

  it('accepts the amount without decimals too', () => {
    expect(decideOnMidtransStatus(payment(), report('settlement', { grossAmount: '100000' }))).toEqual({
      kind: 'transition',
      to: 'success',
    });
  });

  it('ignores duplicates, stale and unknown reports', () => {
    const paid = payment({ status: 'success' });
    expect(decideOnMidtransStatus(paid, report('settlement'))).toEqual({ kind: 'ignored', reason: 'duplicate' });
    expect(decideOnMidtransStatus(paid, report('capture'))).toEqual({ kind: 'ignored', reason: 'duplicate' });
    expect(decideOnMidtransStatus(paid, report('pending'))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(decideOnMidtransStatus(payment({ status: 'expired' }), report('pending'))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(decideOnMidtransStatus(paid, report('disputed'))).toEqual({ kind: 'ignored', reason: 'unknown_status' });
  });

  it('a settlement reversed to deny is ignored as stale and flagged for an operator', () => {
    const paid = payment({ status: 'success' });
    const deny = report('deny');
    expect(decideOnMidtransStatus(paid, deny)).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(isSettlementReversal(paid, deny)).toBe(true);
    expect(isSettlementReversal(paid, report('cancel'))).toBe(true);
    expect(isSettlementReversal(paid, report('settlement'))).toBe(false);
    expect(isSettlementReversal(payment(), deny)).toBe(false);
    expect(isSettlementReversal(paid, report('deny', { orderId: 'other' }))).toBe(false);
  });

  it('a payment after we closed it is flagged for an operator', () => {
    const expired = payment({ status: 'expired' });
    expect(decideOnMidtransStatus(expired, report('settlement'))).toEqual({ kind: 'ignored', reason: 'stale' });
    expect(isPaymentAfterClose(expired, report('settlement'))).toBe(true);
    expect(isPaymentAfterClose(expired, report('expire'))).toBe(false);
    expect(isPaymentAfterClose(payment({ status: 'refunded', refundedAmount: AMOUNT }), report('settlement'))).toBe(false);
    expect(isPaymentAfterClose(payment(), report('settlement'))).toBe(false);
  });

  it('a notification claims a payment after close only with the status code Midtrans signs for paid, 200', () => {
    const canceled = payment({ status: 'canceled' });
    expect(claimsPaymentAfterClose(canceled, report('settlement', { statusCode: '200' }))).toBe(true);
    // A pending body (201) edited to say settlement: its signed code says otherwise.
    expect(claimsPaymentAfterClose(canceled, report('settlement', { statusCode: '201' }))).toBe(false);
    expect(claimsPaymentAfterClose(canceled, report('settlement'))).toBe(false);
    expect(claimsPaymentAfterClose(canceled, report('expire', { statusCode: '200' }))).toBe(false);
    expect(claimsPaymentAfterClose(payment({ status: 'success' }), report('settlement', { statusCode: '200' }))).toBe(false);
    expect(claimsPaymentAfterClose(canceled, report('settlement', { statusCode: '200', orderId: 'other' }))).toBe(false);
  });

  it('derives refunded vs partially refunded from the cumulative amount', () => {
    const paid = payment({ status: 'success' });
    expect(decideOnMidtransStatus(paid, report('refund', { refundAmount: '30000.00' }))).toEqual({
      kind: 'transition',
      to: 'partially_refunded',
      refundedAmount: 30_000,
    });
    expect(decideOnMidtransStatus(paid, report('partial_refund', { refundAmount: '100000.00' }))).toEqual({
      kind: 'transition',
      to: 'refunded',
      refundedAmount: AMOUNT,
    });
    const partly = payment({ status: 'partially_refunded', refundedAmount: 30_000 });
    expect(decideOnMidtransStatus(partly, report('partial_refund', { refundAmount: '30000.00' }))).toEqual({
      kind: 'ignored',
      reason: 'duplicate',
    });
    expect(decideOnMidtransStatus(partly, report('partial_refund', { refundAmount: '20000.00' }))).toEqual({
      kind: 'ignored',
      reason: 'stale',
    });
    expect(decideOnMidtransStatus(partly, report('partial_refund', { refundAmount: '50000.00' }))).toEqual({
      kind: 'transition',
      to: 'partially_refunded',
      refundedAmount: 50_000,
    });
    for (const refundAmount of ['100001.00', '0.00', '10.50', 'x']) {
      expect(decideOnMidtransStatus(paid, report('refund', { refundAmount }))).toEqual({
        kind: 'rejected',
        reason: 'amount_mismatch',
      });
    }
  });

  it('a refund reported before the settlement passes through success', () => {
    const decision = decideOnMidtransStatus(payment(), report('partial_refund', { refundAmount: '25000.00' }));
    expect(decision).toEqual({ kind: 'transition', to: 'partially_refunded', via: 'success', refundedAmount: 25_000 });
    const { state, steps } = applyMidtransObservation(payment(), report('partial_refund', { refundAmount: '25000.00' }));
    expect(steps).toEqual([
      { from: 'pending', to: 'success' },
      { from: 'success', to: 'partially_refunded' },
    ]);
    expect(state).toMatchObject({ status: 'partially_refunded', refundedAmount: 25_000, midtransStatus: 'partial_refund' });
    expect(decideOnMidtransStatus(payment({ status: 'canceled' }), report('refund'))).toEqual({ kind: 'ignored', reason: 'stale' });
  });

  it('records what Midtrans said on transitions and duplicates, not on stale reports', () => {
    const first = applyMidtransObservation(payment(), report('capture', { transactionId: 'tx-1' })).state;
    expect(first).toMatchObject({ status: 'success', midtransStatus: 'capture', fraudStatus: 'accept', transactionId: 'tx-1' });
    const settled = applyMidtransObservation(first, report('settlement')).state;
    expect(settled).toMatchObject({ status: 'success', midtransStatus: 'settlement', transactionId: 'tx-1' });
    const stale = applyMidtransObservation(settled, report('pending'));
    expect(stale.state).toBe(settled);
  });
});

describe('answers and claims are about this payment', () => {
  it('answerMismatch: an answer about another order or amount is not ours', () => {
    expect(answerMismatch(payment(), report('settlement'))).toBeNull();
    expect(answerMismatch(payment(), report('settlement', { orderId: 'pay-other' }))).toBe('order_mismatch');
    expect(answerMismatch(payment(), report('settlement', { grossAmount: '100001.00' }))).toBe('amount_mismatch');
    expect(answerMismatch(payment(), report('settlement', { grossAmount: 'a lot' }))).toBe('amount_mismatch');
  });

  it('notificationClaim: what a notification claims, worth a look-up only when it claims a change', () => {
    const forged = report('settlement', { transactionId: 'someone-elses' });
    expect(notificationClaim(payment(), forged)).toEqual({ kind: 'transition', to: 'success' });
    expect(notificationClaim(payment({ status: 'success', transactionId: 'ours' }), forged)).toEqual({ kind: 'ignored', reason: 'duplicate' });
  });

  it('chargesThroughSnap: DANA always, a card only without a token', () => {
    expect(chargesThroughSnap({ method: 'dana' })).toBe(true);
    expect(chargesThroughSnap({ method: 'credit_card' })).toBe(true);
    expect(chargesThroughSnap({ method: 'credit_card', cardToken: 'tok' })).toBe(false);
    // The workflow knows a token came, not the token: it stays in PostgreSQL.
    expect(chargesThroughSnap({ method: 'credit_card', hasCardToken: true })).toBe(false);
    expect(chargesThroughSnap({ method: 'gopay' })).toBe(false);
  });
});

describe('applyTransition', () => {
  it('enforces the table', () => {
    expect(domainErrorCode(() => applyTransition(payment({ status: 'success' }), 'failed'))).toBe('INVALID_TRANSITION');
    expect(applyTransition(payment(), 'success').status).toBe('success');
  });

  it('refunded means everything refunded', () => {
    expect(applyTransition(payment({ status: 'success' }), 'refunded').refundedAmount).toBe(AMOUNT);
  });
});

describe('decideRefund', () => {
  const paid = (overrides: Partial<PaymentState> = {}) => payment({ status: 'success', ...overrides });

  it('refunds the remaining amount when none is given', () => {
    expect(decideRefund(paid())).toEqual({ amount: AMOUNT, resultingStatus: 'refunded' });
    expect(decideRefund(paid({ status: 'partially_refunded', refundedAmount: 30_000 }))).toEqual({
      amount: 70_000,
      resultingStatus: 'refunded',
    });
    expect(decideRefund(paid(), 40_000)).toEqual({ amount: 40_000, resultingStatus: 'partially_refunded' });
  });

  it.each(PAYMENT_STATUSES.filter((s) => s !== 'success' && s !== 'partially_refunded'))(
    'INVALID_STATE when %s',
    (status) => {
      expect(domainErrorCode(() => decideRefund(payment({ status, refundedAmount: status === 'refunded' ? AMOUNT : 0 })))).toBe(
        'INVALID_STATE',
      );
    },
  );

  it.each(['bank_transfer', 'indomaret', 'alfamart'] as const)('NOT_REFUNDABLE for %s', (method) => {
    expect(domainErrorCode(() => decideRefund(paid({ method })))).toBe('NOT_REFUNDABLE');
  });

  it.each([0, -1, 1.5, NaN, Infinity])('INVALID_AMOUNT for %s', (requested) => {
    expect(domainErrorCode(() => decideRefund(paid(), requested))).toBe('INVALID_AMOUNT');
  });

  it('nothing left to refund is refused, even where the status still says partially refunded', () => {
    const error = (() => {
      try {
        decideRefund(paid({ status: 'partially_refunded', refundedAmount: AMOUNT }));
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(error).toMatchObject({ code: 'INVALID_STATE', details: { remaining: 0 } });
  });

  it('REFUND_EXCEEDS_REMAINING', () => {
    expect(domainErrorCode(() => decideRefund(paid(), AMOUNT + 1))).toBe('REFUND_EXCEEDS_REMAINING');
    expect(domainErrorCode(() => decideRefund(paid({ status: 'partially_refunded', refundedAmount: 60_000 }), 40_001))).toBe(
      'REFUND_EXCEEDS_REMAINING',
    );
  });

  it.each(['shopeepay', 'ovo'] as const)('PARTIAL_REFUND_NOT_SUPPORTED for %s, full refund fine', (method) => {
    expect(domainErrorCode(() => decideRefund(paid({ method }), 50_000))).toBe('PARTIAL_REFUND_NOT_SUPPORTED');
    expect(decideRefund(paid({ method }))).toEqual({ amount: AMOUNT, resultingStatus: 'refunded' });
    expect(decideRefund(paid({ method }), AMOUNT)).toEqual({ amount: AMOUNT, resultingStatus: 'refunded' });
  });
});

describe('applyRefund', () => {
  it('adds the refund and moves the status', () => {
    const once = applyRefund(payment({ status: 'success' }), 30_000);
    expect(once).toMatchObject({ status: 'partially_refunded', refundedAmount: 30_000 });
    expect(applyRefund(once, 70_000)).toMatchObject({ status: 'refunded', refundedAmount: AMOUNT });
  });

  it("counts money once when the refund's notification arrived first", () => {
    const notified = applyMidtransObservation(
      payment({ status: 'success' }),
      report('partial_refund', { refundAmount: '30000.00' }),
    ).state;
    expect(applyRefund(notified, 30_000, 30_000)).toBe(notified);
    const full = applyMidtransObservation(payment({ status: 'success' }), report('refund', { refundAmount: '100000.00' })).state;
    expect(applyRefund(full, AMOUNT, AMOUNT)).toBe(full);
  });

  it("takes Midtrans's cumulative total when it equals this refund: the first refund, whole or partial", () => {
    expect(applyRefund(payment({ status: 'success' }), 40_000, 40_000)).toMatchObject({ status: 'partially_refunded', refundedAmount: 40_000 });
    expect(applyRefund(payment({ status: 'success' }), AMOUNT, AMOUNT)).toMatchObject({ status: 'refunded', refundedAmount: AMOUNT });
  });

  it("follows Midtrans's cumulative total past our own count (a dashboard refund we never asked for)", () => {
    const once = applyRefund(payment({ status: 'success' }), 20_000);
    expect(applyRefund(once, 30_000, 60_000)).toMatchObject({ status: 'partially_refunded', refundedAmount: 60_000 });
  });

  it('refuses impossible amounts', () => {
    expect(domainErrorCode(() => applyRefund(payment({ status: 'success' }), AMOUNT + 1))).toBe('REFUND_EXCEEDS_REMAINING');
    expect(domainErrorCode(() => applyRefund(payment({ status: 'success' }), 60_000, AMOUNT + 1))).toBe('REFUND_EXCEEDS_REMAINING');
    expect(domainErrorCode(() => applyRefund(payment({ status: 'success' }), 0))).toBe('INVALID_AMOUNT');
    expect(domainErrorCode(() => applyRefund(payment({ status: 'success' }), 30_000, 20_000))).toBe('AMOUNT_MISMATCH');
    expect(domainErrorCode(() => applyRefund(payment(), 30_000))).toBe('INVALID_TRANSITION');
  });
});

describe('decideCancel', () => {
  it.each(PAYMENT_STATUSES)('%s', (status) => {
    const code = domainErrorCode(() => decideCancel(payment({ status })));
    expect(code).toBe(status === 'pending' || status === 'processing' ? undefined : 'INVALID_STATE');
  });
});

describe('refundKey', () => {
  it('is deterministic and readable', () => {
    expect(refundKey('pay-01HXYZ', 1)).toBe('pay-01HXYZ-r1');
    expect(refundKey('pay-01HXYZ', 1)).toBe(refundKey('pay-01HXYZ', 1));
    expect(refundKey('pay-01HXYZ', 2)).not.toBe(refundKey('pay-01HXYZ', 1));
  });

  it('keeps an id that fits exactly in 50 characters whole, and shortens one character more', () => {
    const fits = 'p'.repeat(47); // + '-r1' = 50
    expect(refundKey(fits, 1)).toBe(`${fits}-r1`);
    const tooLong = 'p'.repeat(48);
    const key = refundKey(tooLong, 1);
    expect(key).toHaveLength(50);
    expect(key).toMatch(/^p{38}~[0-9a-f]{8}-r1$/);
  });

  it('stays within 50 Midtrans-safe characters and distinct for long ids', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9\-_~.]{1,50}$/),
        fc.stringMatching(/^[A-Za-z0-9\-_~.]{1,50}$/),
        fc.nat({ max: 10_000 }),
        (a, b, n) => {
          const key = refundKey(a, n);
          expect(key).toMatch(/^[A-Za-z0-9\-_~.]{1,50}$/);
          if (a !== b) expect(refundKey(b, n)).not.toBe(key);
        },
      ),
    );
  });

  it('refuses bad input', () => {
    expect(domainErrorCode(() => refundKey('pay/1', 1))).toBe('VALIDATION_FAILED');
    expect(domainErrorCode(() => refundKey('pay-1', -1))).toBe('VALIDATION_FAILED');
    expect(refundKey('pay-1', 0)).toBe('pay-1-r0');
    expect(domainErrorCode(() => refundKey('pay-1', 1.5))).toBe('VALIDATION_FAILED');
  });
});

// Refund reports a StrykerJS run found no test pinning (docs/testing.md, "Mutation score").
describe('partial refund reports with their cumulative amount', () => {
  const partialRefund = (refundAmount: string): MidtransObservation => ({
    orderId: PAYMENT_ID,
    grossAmount: '100000.00',
    statusCode: '200',
    transactionStatus: 'partial_refund',
    refundAmount,
  });

  it('moves the refunded count to the amount Midtrans reports', () => {
    const { state } = applyMidtransObservation(payment({ status: 'success' }), partialRefund('30000.00'));
    expect(state).toMatchObject({ status: 'partially_refunded', refundedAmount: 30_000 });
  });

  it('the same total reported again is a duplicate', () => {
    const counted = payment({ status: 'partially_refunded', refundedAmount: 30_000 });
    expect(decideOnMidtransStatus(counted, partialRefund('30000.00'))).toEqual({ kind: 'ignored', reason: 'duplicate' });
  });

  it('reportsMoreRefunded: a higher total under the same status, and nothing else', () => {
    const counted = payment({ status: 'partially_refunded', refundedAmount: 30_000 });
    expect(reportsMoreRefunded(counted, partialRefund('45000.00'))).toBe(true);
    expect(reportsMoreRefunded(counted, { ...partialRefund('100000.00'), transactionStatus: 'refund' })).toBe(true);
    expect(reportsMoreRefunded(counted, partialRefund('30000.00'))).toBe(false);
    expect(reportsMoreRefunded(counted, partialRefund('20000.00'))).toBe(false);
    expect(reportsMoreRefunded(counted, partialRefund('100000.01'))).toBe(false); // not whole rupiah: rejected
    expect(reportsMoreRefunded(counted, partialRefund('200000.00'))).toBe(false); // above the payment: rejected
    expect(reportsMoreRefunded(counted, { ...partialRefund('45000.00'), orderId: 'pay-other' })).toBe(false);
    const { refundAmount: _none, ...withoutTotal } = partialRefund('0');
    expect(reportsMoreRefunded(counted, withoutTotal)).toBe(false);
  });
});
