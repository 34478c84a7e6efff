import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  assertTransition,
  canTransition,
  DomainError,
  isAwaitingPayment,
  isPaid,
  isTerminal,
  PAYMENT_STATUSES,
  type PaymentStatus,
} from '../../src/domain';

// Written out independently of the table, so a change to the table has to change this too.
const EXPECTED: Record<PaymentStatus, PaymentStatus[]> = {
  pending: ['processing', 'success', 'failed', 'expired', 'canceled'],
  processing: ['success', 'failed', 'canceled'],
  success: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  failed: [],
  expired: [],
  canceled: [],
  refunded: [],
};

const pairs = PAYMENT_STATUSES.flatMap((from) => PAYMENT_STATUSES.map((to) => [from, to] as const));

describe('payment status transitions', () => {
  it('covers all 64 pairs', () => expect(pairs).toHaveLength(64));

  it.each(pairs)('%s → %s', (from, to) => {
    const allowed = EXPECTED[from].includes(to);
    expect(canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      const error = (() => {
        try {
          assertTransition(from, to);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'INVALID_TRANSITION', name: 'DomainError', details: { from, to } });
    }
  });

  it('table lists exactly the expected targets', () => {
    expect(ALLOWED_TRANSITIONS).toEqual(EXPECTED);
  });

  it('classifies statuses', () => {
    const where = (f: (s: PaymentStatus) => boolean) => PAYMENT_STATUSES.filter(f);
    expect(where(isAwaitingPayment)).toEqual(['pending', 'processing']);
    expect(where(isPaid)).toEqual(['success', 'partially_refunded', 'refunded']);
    expect(where(isTerminal)).toEqual(['failed', 'expired', 'canceled', 'refunded']);
  });
});
