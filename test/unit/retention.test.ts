import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  PAYMENT_STATUSES,
  retentionCutoffs,
  STATUSES_CLOSED_AFTER_REFUND_WINDOW,
  STATUSES_CLOSED_ON_ENTRY,
} from '../../src/domain';

/** What "closed" means for personal-data retention, the cut-offs, and PII_RETENTION_DAYS. */

describe('which payments close, and when', () => {
  it('a terminal status closes a payment when it is reached', () => {
    expect([...STATUSES_CLOSED_ON_ENTRY].sort()).toEqual(['canceled', 'expired', 'failed', 'refunded']);
  });

  it('a paid payment with money left closes only when its refund window ends', () => {
    expect([...STATUSES_CLOSED_AFTER_REFUND_WINDOW].sort()).toEqual(['partially_refunded', 'success']);
  });

  it('a payment still awaiting money never closes', () => {
    const closing = new Set([...STATUSES_CLOSED_ON_ENTRY, ...STATUSES_CLOSED_AFTER_REFUND_WINDOW]);
    expect(PAYMENT_STATUSES.filter((status) => !closing.has(status)).sort()).toEqual(['pending', 'processing']);
  });
});

describe('retentionCutoffs', () => {
  it('counts both periods back from now in whole UTC days', () => {
    const cutoffs = retentionCutoffs(new Date('2026-12-03T08:15:30.250Z'), { retentionDays: 365, refundWindowDays: 30 });
    expect(cutoffs.closedBefore.toISOString()).toBe('2025-12-03T08:15:30.250Z');
    expect(cutoffs.refundWindowBeganBefore.toISOString()).toBe('2026-11-03T08:15:30.250Z');
  });

  it('counts days, not calendar years: across 29 February, 365 days back is not the same date', () => {
    const cutoffs = retentionCutoffs(new Date('2025-01-01T00:00:00.000Z'), { retentionDays: 365, refundWindowDays: 1 });
    expect(cutoffs.closedBefore.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(cutoffs.refundWindowBeganBefore.toISOString()).toBe('2024-12-31T00:00:00.000Z');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a period of %s days', (days) => {
    expect(() => retentionCutoffs(new Date(), { retentionDays: days, refundWindowDays: 30 })).toThrow(/retentionDays/);
    expect(() => retentionCutoffs(new Date(), { retentionDays: 365, refundWindowDays: days })).toThrow(/refundWindowDays/);
  });
});

describe('PII_RETENTION_DAYS', () => {
  const env = (value?: string): NodeJS.ProcessEnv => ({
    DATABASE_URL: 'postgresql://tiketq@127.0.0.1:5432/tiketq',
    MIDTRANS_API_BASE_URL: 'http://127.0.0.1:8900',
    MIDTRANS_SNAP_BASE_URL: 'http://127.0.0.1:8900/snap/v1',
    ...(value === undefined ? {} : { PII_RETENTION_DAYS: value }),
  });

  it('defaults to a year', () => {
    expect(loadConfig(env()).PII_RETENTION_DAYS).toBe(365);
  });

  it('takes a whole number of days', () => {
    expect(loadConfig(env('90')).PII_RETENTION_DAYS).toBe(90);
  });

  it.each(['0', '-5', '1.5', 'a year', '36501'])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig(env(value))).toThrow(/PII_RETENTION_DAYS:/);
  });
});
