import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextReconciliationAt, reconciliationLooksBeforeExpiry, type ReconciliationTerms } from '../../src/domain';

/** When an open payment asks Midtrans for its status without a notification. Expectations are worked out by hand. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2026-12-03T02:00:00.000Z');

const terms = (expiryMinutes: number): ReconciliationTerms => ({ startedAtMs: START, expiresAtMs: START + expiryMinutes * MINUTE });
/** The looks before expiry as minutes after the start. */
const looksMinutes = (expiryMinutes: number) => reconciliationLooksBeforeExpiry(terms(expiryMinutes)).map((t) => (t - START) / MINUTE);
/** Every look from the start until `untilMs`, as the workflow meets them by asking for the next one each time. */
function looksUntil(t: ReconciliationTerms, untilMs: number): number[] {
  const looks: number[] = [];
  for (let at = nextReconciliationAt(t, t.startedAtMs); at < untilMs; at = nextReconciliationAt(t, at)) looks.push(at);
  return looks;
}

describe('looks before expiry', () => {
  it('a 24-hour VA: 1, 5, 15, 60 minutes, then 5 h 55, 11 h 55, 17 h 55 and 23 h 55 (the last 5 minutes before expiry)', () => {
    expect(looksMinutes(24 * 60)).toEqual([1, 5, 15, 60, 355, 715, 1075, 1435]);
  });

  it('QRIS and GoPay (15 minutes) and cards (10 minutes): 1 and 5 minutes; the 5-minute look is already in the last 10', () => {
    expect(looksMinutes(15)).toEqual([1, 5]);
    expect(looksMinutes(10)).toEqual([1, 5]);
  });

  it('20 minutes: the 15-minute look is the last one', () => {
    expect(looksMinutes(20)).toEqual([1, 5, 15]);
  });

  it('30 minutes: the last look at 25 replaces the 15-minute one, 10 minutes before it', () => {
    expect(looksMinutes(30)).toEqual([1, 5, 25]);
  });

  it('65 minutes: the 60-minute look is the last one', () => {
    expect(looksMinutes(65)).toEqual([1, 5, 15, 60]);
  });

  it('90 minutes: the last look at 85 replaces the 60-minute one', () => {
    expect(looksMinutes(90)).toEqual([1, 5, 15, 85]);
  });

  it('3 hours: the early steps, then 2 h 55', () => {
    expect(looksMinutes(180)).toEqual([1, 5, 15, 60, 175]);
  });

  it('8 hours: 6 h 55 after the 60-minute look is the longest gap (6 hours back from 7 h 55 would be 1 h 55, too close to it)', () => {
    expect(looksMinutes(480)).toEqual([1, 5, 15, 60, 475]);
  });

  it('8 hours 5 minutes: a look at 2 hours, exactly an hour after the 60-minute one, then 8 hours', () => {
    expect(looksMinutes(485)).toEqual([1, 5, 15, 60, 120, 480]);
  });

  it('7 days: 4 early looks, then every 6 hours from 5 h 55 to 167 h 55, 28 looks, 4 a day', () => {
    const looks = looksMinutes(7 * 24 * 60);
    expect(looks.slice(0, 6)).toEqual([1, 5, 15, 60, 355, 715]);
    expect(looks.at(-1)).toBe(7 * 24 * 60 - 5);
    expect(looks).toHaveLength(32);
    expect(looks.filter((m) => m > 6 * 24 * 60)).toEqual([8995, 9355, 9715, 10075]);
  });

  it('early steps a test chooses replace the default ones', () => {
    const looks = reconciliationLooksBeforeExpiry({ ...terms(24 * 60), earlyLooksMinutes: [2] }).map((t) => (t - START) / MINUTE);
    expect(looks).toEqual([2, 355, 715, 1075, 1435]);
  });

  it('a sparser first hour, 15 and 60 minutes: a 24-hour VA keeps its paced looks; QRIS and cards get one, 5 minutes before expiry', () => {
    const sparser = (expiryMinutes: number) =>
      reconciliationLooksBeforeExpiry({ ...terms(expiryMinutes), earlyLooksMinutes: [15, 60] }).map((t) => (t - START) / MINUTE);
    expect(sparser(24 * 60)).toEqual([15, 60, 355, 715, 1075, 1435]);
    expect(sparser(15)).toEqual([10]);
    expect(sparser(10)).toEqual([5]);
  });
});

describe('the next look', () => {
  it('follows the looks before expiry, then every 6 hours after it: an unpaid 24-hour VA', () => {
    const t = terms(24 * 60);
    expect(nextReconciliationAt(t, START)).toBe(START + MINUTE);
    expect(nextReconciliationAt(t, START + MINUTE)).toBe(START + 5 * MINUTE);
    expect(nextReconciliationAt(t, START + 2 * HOUR)).toBe(START + 355 * MINUTE);
    expect(nextReconciliationAt(t, START + 1435 * MINUTE)).toBe(START + DAY + 6 * HOUR);
    expect(nextReconciliationAt(t, START + DAY + 6 * HOUR)).toBe(START + DAY + 12 * HOUR);
  });

  it('a card held for fraud review past its 10-minute expiry: the 15- and 60-minute looks, then 6 hours after expiry', () => {
    const t = terms(10);
    expect(looksUntil(t, START + DAY).map((at) => (at - START) / MINUTE)).toEqual([1, 5, 15, 60, 370, 730, 1090]);
  });
});

describe('the schedule for any expiry from 15 minutes to 7 days', () => {
  const expiries = fc.integer({ min: 15 * MINUTE, max: 7 * DAY });
  const starts = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') });

  it('after the first hour, at most 4 looks in any 24 hours, before expiry and past it, and never less than 45 minutes apart', () => {
    fc.assert(
      fc.property(starts, expiries, (startedAtMs, expiryMs) => {
        const t = { startedAtMs, expiresAtMs: startedAtMs + expiryMs };
        const looks = looksUntil(t, t.expiresAtMs + 3 * DAY);
        const afterFirstHour = looks.filter((at) => at > startedAtMs + HOUR);
        // A window holding the most looks starts at one of them.
        for (const from of afterFirstHour) expect(afterFirstHour.filter((at) => at >= from && at < from + DAY).length).toBeLessThanOrEqual(4);
        for (const at of afterFirstHour) expect(at - looks[looks.indexOf(at) - 1]!).toBeGreaterThanOrEqual(45 * MINUTE);
      }),
      { numRuns: 500 },
    );
  });

  it('with any early looks RECONCILE_EARLY_LOOKS_MINUTES allows, still at most 4 looks in any 24 hours after the first hour', () => {
    const earlyLooks = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }).map((m) => [...m].sort((a, b) => a - b));
    fc.assert(
      fc.property(starts, expiries, earlyLooks, (startedAtMs, expiryMs, earlyLooksMinutes) => {
        const t = { startedAtMs, expiresAtMs: startedAtMs + expiryMs, earlyLooksMinutes };
        const afterFirstHour = looksUntil(t, t.expiresAtMs + 3 * DAY).filter((at) => at > startedAtMs + HOUR);
        for (const from of afterFirstHour) expect(afterFirstHour.filter((at) => at >= from && at < from + DAY).length).toBeLessThanOrEqual(4);
      }),
      { numRuns: 500 },
    );
  });

  it('one look in the last 10 minutes before expiry, and none at or after it until the expiry step has asked', () => {
    fc.assert(
      fc.property(starts, expiries, (startedAtMs, expiryMs) => {
        const t = { startedAtMs, expiresAtMs: startedAtMs + expiryMs };
        const before = reconciliationLooksBeforeExpiry(t);
        expect(before.filter((at) => at >= t.expiresAtMs - 10 * MINUTE)).toHaveLength(1);
        expect(before.every((at) => at > startedAtMs && at < t.expiresAtMs)).toBe(true);
        expect(looksUntil(t, t.expiresAtMs)).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('a payment made at any moment is looked at within 7 hours, or by the expiry step; within 6 hours after expiry', () => {
    fc.assert(
      fc.property(starts, expiries, (startedAtMs, expiryMs) => {
        const t = { startedAtMs, expiresAtMs: startedAtMs + expiryMs };
        const before = [startedAtMs, ...reconciliationLooksBeforeExpiry(t), t.expiresAtMs];
        for (let i = 1; i < before.length; i++) expect(before[i]! - before[i - 1]!).toBeLessThan(7 * HOUR);
        const after = looksUntil(t, t.expiresAtMs + 2 * DAY).filter((at) => at > t.expiresAtMs);
        const fromExpiry = [t.expiresAtMs, ...after];
        for (let i = 1; i < fromExpiry.length; i++) expect(fromExpiry[i]! - fromExpiry[i - 1]!).toBeLessThanOrEqual(6 * HOUR);
      }),
      { numRuns: 500 },
    );
  });
});
