import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/db/client';
import type { RequestRecordsRetentionInput, RequestRecordsRetentionResult } from '../../workflows/request-records-retention';
import { testDataConverter } from '../support/fixtures';
import { createScheduledJobsWorker } from '../support/service-harness';

/**
 * The request-records retention job against the real PostgreSQL and Temporal dev server: idempotency keys past their
 * expiry, refused-notification records past REJECTED_NOTIFICATION_RETENTION_DAYS and checkouts abandoned for more
 * than a day go; the recent ones stay. Rows are written directly, backdated, and the job runs as the worker runs it.
 */

const db = createDatabase(inject('databaseUrl'), 4);
const HOUR_MS = 60 * 60 * 1000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR_MS).toISOString();
const tag = randomUUID().slice(0, 8);

async function seedIdempotencyKey(key: string, expiresInHours: number) {
  await db.$executeRaw`
    insert into idempotency_keys (caller, key, endpoint, request_hash, payment_id, created_at, expires_at, purge_after)
    values (${`caller-${tag}`}, ${key}, 'POST /payments', 'hash', ${`pay-${key}`}, ${hoursAgo(48)}::timestamp(3), ${hoursAgo(-expiresInHours)}::timestamp(3),
      ${hoursAgo(-expiresInHours)}::timestamp(3))`;
}

async function seedRejectedNotification(receivedHoursAgo: number): Promise<bigint> {
  const [row] = await db.$queryRaw<{ id: bigint }[]>`
    insert into rejected_notifications (reason, body_bytes, body_sha256, received_at)
    values ('invalid_signature', 120, ${tag}, ${hoursAgo(receivedHoursAgo)}::timestamp(3)) returning id`;
  return row!.id;
}

async function seedCheckout(paymentId: string, createdHoursAgo: number) {
  await db.$executeRaw`
    insert into payment_checkouts (payment_id, customer_details, item_details, card_token, created_at)
    values (${paymentId}, ${JSON.stringify({ firstName: 'Siti', email: 'siti@example.com' })}::jsonb, '[]'::jsonb, 'tok-single-use',
      ${hoursAgo(createdHoursAgo)}::timestamp(3))`;
}

const keysLeft = async () =>
  (await db.idempotencyKey.findMany({ where: { caller: `caller-${tag}` }, select: { key: true } })).map((k) => k.key).sort();
const rejectedLeft = async (ids: bigint[]) => (await db.rejectedNotification.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id);
const checkoutsLeft = async (ids: string[]) =>
  (await db.paymentCheckout.findMany({ where: { paymentId: { in: ids } }, select: { paymentId: true } })).map((c) => c.paymentId).sort();

describe('requestRecordsRetentionWorkflow, run by the worker', () => {
  const taskQueue = `request-retention-${randomUUID()}`;
  let client: Client;
  let rejected: { old: bigint[]; recent: bigint[] };
  const checkouts = { abandoned: [`pay-abandoned-a-${tag}`, `pay-abandoned-b-${tag}`], fresh: [`pay-fresh-${tag}`] };
  let result: RequestRecordsRetentionResult;

  beforeAll(async () => {
    await seedIdempotencyKey('expired-a', -1);
    await seedIdempotencyKey('expired-b', -30);
    await seedIdempotencyKey('live', 5);
    rejected = { old: [await seedRejectedNotification(8 * 24), await seedRejectedNotification(30 * 24)], recent: [await seedRejectedNotification(6 * 24)] };
    await seedCheckout(checkouts.abandoned[0]!, 25);
    await seedCheckout(checkouts.abandoned[1]!, 24 * 7);
    await seedCheckout(checkouts.fresh[0]!, 1);

    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), dataConverter: testDataConverter() });
    const worker = await createScheduledJobsWorker(db, taskQueue);
    // Batches of one: the job goes on batch by batch until one comes back short.
    const input: RequestRecordsRetentionInput = { retention: { rejectedNotificationRetentionDays: 7, batchSize: 1 }, maxBatches: 1_000 };
    result = await worker.runUntil(
      client.workflow.execute('requestRecordsRetentionWorkflow', { taskQueue, workflowId: taskQueue, args: [input] }),
    );
  }, 180_000);
  afterAll(async () => {
    await client?.connection.close();
    // What was kept is the test's own: the database outlives the run.
    await db.idempotencyKey.deleteMany({ where: { caller: `caller-${tag}` } });
    await db.rejectedNotification.deleteMany({ where: { id: { in: rejected.recent } } });
    await db.paymentCheckout.deleteMany({ where: { paymentId: { in: checkouts.fresh } } });
    await db.$disconnect();
  });

  it('deletes idempotency keys past their expiry and keeps the live one', async () => {
    expect(await keysLeft()).toEqual(['live']);
    // Other test files' keys may have expired too: at least ours were counted.
    expect(result.idempotencyKeys).toBeGreaterThanOrEqual(2);
  });

  it('deletes refused-notification records older than the retention and keeps the recent one', async () => {
    expect(await rejectedLeft([...rejected.old, ...rejected.recent])).toEqual(rejected.recent);
    expect(result.rejectedNotifications).toBeGreaterThanOrEqual(2);
  });

  it('deletes checkouts abandoned for more than a day, customer details and card token with them, and keeps a fresh one', async () => {
    expect(await checkoutsLeft([...checkouts.abandoned, ...checkouts.fresh])).toEqual(checkouts.fresh);
    expect(result.abandonedCheckouts).toBeGreaterThanOrEqual(2);
  });

  it('went batch by batch until a batch came back short', () => {
    // Batches of one, two rows of each kind: at least three batches, the last one short.
    expect(result.batches).toBeGreaterThanOrEqual(3);
  });
});
