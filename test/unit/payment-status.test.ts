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
import { DOCUMENTED_EDGES, documentedEdgeAllows, SEED_EDGES_THE_README_OVERRULES } from '../support/documents';

const pairs = PAYMENT_STATUSES.flatMap((from) => PAYMENT_STATUSES.map((to) => [from, to] as const));

describe('payment status transitions, against the documents', () => {
  it('knows exactly the eight statuses the README names', () => {
    // README: "Statuses: pending → processing | success | failed | expired | canceled; … partially_refunded → …"
    expect([...PAYMENT_STATUSES].sort()).toEqual(
      ['canceled', 'expired', 'failed', 'partially_refunded', 'pending', 'processing', 'refunded', 'success'].sort(),
    );
    expect(pairs).toHaveLength(64);
  });

  it.each(pairs)('%s → %s', (from, to) => {
    const allowed = documentedEdgeAllows(from, to);
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

  it('the table has no edge the documents do not name', () => {
    const tableEdges = Object.entries(ALLOWED_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`));
    expect(tableEdges.sort()).toEqual(DOCUMENTED_EDGES.map((e) => `${e.from} → ${e.to}`).sort());
  });

  it('refuses the seed arrow the README overrules (a paid payment is refunded, not canceled)', () => {
    for (const { from, to } of SEED_EDGES_THE_README_OVERRULES) expect(canTransition(from, to)).toBe(false);
  });

  it('classifies statuses as the README describes them', () => {
    const where = (f: (s: PaymentStatus) => boolean) => PAYMENT_STATUSES.filter(f).sort();
    // Step 3 waits for payment in pending; step 6: cancel is allowed while the customer may still pay.
    expect(where(isAwaitingPayment)).toEqual(['pending', 'processing'].sort());
    // The money arrived at some point: success and everything reached only from success.
    expect(where(isPaid)).toEqual(['partially_refunded', 'refunded', 'success'].sort());
    // Terminal = no documented edge leaves it.
    const documentedTerminal = PAYMENT_STATUSES.filter((s) => !DOCUMENTED_EDGES.some((e) => e.from === s));
    expect(where(isTerminal)).toEqual([...documentedTerminal].sort());
    expect(documentedTerminal.sort()).toEqual(['canceled', 'expired', 'failed', 'refunded']);
  });
});
