import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { refundUpdateClaims } from '../../src/db/refund-claims';

/** src/db/refund-claims.ts on the real PostgreSQL: a refund update id is one workflow run's, for good. */

const db = createDatabase(inject('databaseUrl'), 4);
afterAll(() => db.$disconnect());
const claims = refundUpdateClaims(db);

describe('refund update claims', () => {
  it("are a run's once claimed: the same run again (a retried attempt) is taken, another run is not", async () => {
    const paymentId = `pay-${randomUUID().replaceAll('-', '')}`;
    const first = { paymentId, updateId: 'u-1', runId: 'run-a' };
    expect(await claims.claim(first)).toBe(true);
    expect(await claims.claim(first)).toBe(true);
    expect(await claims.claim({ ...first, runId: 'run-b' })).toBe(false);
    // Another update of the payment, and the same update id of another payment, are claims of their own.
    expect(await claims.claim({ ...first, updateId: 'u-2', runId: 'run-b' })).toBe(true);
    expect(await claims.claim({ ...first, paymentId: `${paymentId}x`, runId: 'run-b' })).toBe(true);
    // Still the first run's.
    expect(await claims.claim({ ...first, runId: 'run-b' })).toBe(false);
  });

  it('two runs claiming one update at once: exactly one gets it', async () => {
    const paymentId = `pay-${randomUUID().replaceAll('-', '')}`;
    const outcomes = await Promise.all(['run-a', 'run-b', 'run-c', 'run-d'].map((runId) => claims.claim({ paymentId, updateId: 'u-1', runId })));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });
});
