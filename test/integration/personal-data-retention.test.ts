import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRetentionActivities, type RetentionBatch, type RetentionBatchResult } from '../../activities/retention';
import { eventually } from '../../scripts/local-stack/waiting';
import { createDatabase } from '../../src/db/client';
import { findPaymentWithAudit } from '../../src/db/payments';
import type { PaymentStatus } from '../../src/domain';
import { applySchedules, scheduledJobs } from '../../src/temporal/schedules';
import type { PersonalDataRetentionResult } from '../../workflows/personal-data-retention';
import { testDataConverter } from '../support/fixtures';
import { createScheduledJobsWorker } from '../support/service-harness';

/**
 * Personal-data retention against the real PostgreSQL and Temporal dev server: payments closed at different times
 * (rows written directly, backdated), the erasure run as the activity, twice and concurrently, then the Temporal
 * Schedule applied twice and triggered, so the worker's own workflow and activity do the erasing.
 */

const db = createDatabase(inject('databaseUrl'), 4);
afterAll(() => db.$disconnect());

const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
const POLICY = { retentionDays: 365, refundWindowDays: 30 };

interface SeededPayment {
  id: string;
  status: PaymentStatus;
  /** The row's last write. */
  updatedAt: Date;
  paidAt?: Date;
  customer: Record<string, string> | null;
}

function customerOf(id: string): Record<string, string> {
  const tag = id.slice(-8);
  return { firstName: `Siti-${tag}`, lastName: `Rahma-${tag}`, email: `siti.${tag}@example.com`, phone: `+62812${tag.replace(/\D/g, '7').slice(0, 7)}` };
}

/** A payment row as the workflow's writes leave it, with one audit event, one refund and one stored notification. */
async function seed(status: PaymentStatus, updatedDaysAgo: number, options: { paidDaysAgo?: number; noCustomer?: boolean } = {}): Promise<SeededPayment> {
  const id = `pay-${randomUUID().replaceAll('-', '')}`;
  const payment: SeededPayment = {
    id,
    status,
    updatedAt: daysAgo(updatedDaysAgo),
    paidAt: options.paidDaysAgo === undefined ? undefined : daysAgo(options.paidDaysAgo),
    customer: options.noCustomer ? null : customerOf(id),
  };
  const refunded = status === 'refunded' ? 150_000 : status === 'partially_refunded' ? 50_000 : 0;
  await db.$executeRaw`
    insert into payments (id, order_id, user_id, payment_method, amount, refunded_amount, status, description, customer_details,
      item_details, midtrans_status, paid_at, created_at, updated_at, version)
    values (${id}, ${`ORDER-${id.slice(-8)}`}, 'user-42', 'gopay', 150000, ${refunded}::bigint, ${status}, 'CGK → DPS',
      ${payment.customer === null ? null : JSON.stringify(payment.customer)}::jsonb, ${JSON.stringify([{ id: 'CGK-DPS', price: 150_000, quantity: 1 }])}::jsonb,
      'settlement', ${payment.paidAt?.toISOString() ?? null}::timestamp(3), ${daysAgo(updatedDaysAgo + 2).toISOString()}::timestamp(3),
      ${payment.updatedAt.toISOString()}::timestamp(3), 3)`;
  await db.$executeRaw`
    insert into payment_events (payment_id, event_key, kind, from_status, to_status, source, detail, occurred_at)
    values (${id}, '1-transition', 'transition', 'pending', ${status}, 'webhook', '{"midtrans_status":"settlement"}'::jsonb,
      ${payment.updatedAt.toISOString()}::timestamp(3))`;
  await db.$executeRaw`
    insert into refunds (id, payment_id, refund_key, amount, reason, status, created_at, updated_at)
    values (${`${id}-r0`}, ${id}, ${`${id}-r0`}, 50000, 'one seat', 'succeeded', ${payment.updatedAt.toISOString()}::timestamp(3), ${payment.updatedAt.toISOString()}::timestamp(3))`;
  await db.$executeRaw`
    insert into webhook_notifications (payment_id, order_id, transaction_status, signature_valid, outcome, raw_body, body_sha256, received_at)
    values (${id}, ${id}, 'settlement', true, 'accepted', ${JSON.stringify({ order_id: id, transaction_status: 'settlement' })}, ${id}, ${payment.updatedAt.toISOString()}::timestamp(3))`;
  return payment;
}

/** Everything about a payment except its personal data and the retention job's own two columns. */
async function keptFacts(id: string) {
  const row = await findPaymentWithAudit(db, id);
  if (!row) throw new Error(`payment ${id} vanished`);
  const { customerDetails: _details, closedAt: _closedAt, personalDataErasedAt: _erasedAt, ...facts } = row;
  return facts;
}

const read = async (id: string) => {
  const row = await db.payment.findUnique({ where: { id } });
  if (!row) throw new Error(`payment ${id} vanished`);
  return row;
};

/** Runs the activity batch by batch until a batch comes back short, as the workflow does. */
async function runRetention(batchSize = 2): Promise<{ closuresRecorded: number; erased: number }> {
  const { erasePersonalDataBatch } = createRetentionActivities(db);
  const input: RetentionBatch = { ...POLICY, batchSize };
  const total = { closuresRecorded: 0, erased: 0 };
  for (;;) {
    const batch: RetentionBatchResult = await new MockActivityEnvironment().run(erasePersonalDataBatch, input);
    total.closuresRecorded += batch.closuresRecorded;
    total.erased += batch.erased;
    if (!batch.more) return total;
  }
}

describe('personal data of payments closed longer ago than PII_RETENTION_DAYS', () => {
  let payments: Record<string, SeededPayment>;
  let factsBefore: Map<string, Awaited<ReturnType<typeof keptFacts>>>;

  beforeAll(async () => {
    // The test database outlives a run: clear what an interrupted earlier run may have left, so the counts are ours.
    await runRetention(1_000);
    payments = {
      failedLongAgo: await seed('failed', 400),
      refundedJustPastRetention: await seed('refunded', 366, { paidDaysAgo: 380 }),
      canceledLongAgoWithoutDetails: await seed('canceled', 400, { noCustomer: true }),
      // Paid 400 days ago: its 30-day refund window ended 370 days ago.
      paidWindowEndedLongAgo: await seed('success', 400, { paidDaysAgo: 400 }),
      expiredRecently: await seed('expired', 300),
      // Paid 380 days ago: closed only when its refund window ended, 350 days ago, so still inside retention.
      paidWindowEndedRecently: await seed('partially_refunded', 380, { paidDaysAgo: 380 }),
      paidStillInWindow: await seed('success', 10, { paidDaysAgo: 10 }),
      // Open however old: nobody closed them, so their details may still be needed.
      pendingForYears: await seed('pending', 800),
      processingForYears: await seed('processing', 800),
    };
    factsBefore = new Map();
    for (const { id } of Object.values(payments)) factsBefore.set(id, await keptFacts(id));
  });

  const erased = ['failedLongAgo', 'refundedJustPastRetention', 'paidWindowEndedLongAgo'];
  const untouched = ['expiredRecently', 'paidWindowEndedRecently', 'paidStillInWindow', 'pendingForYears', 'processingForYears'];

  it('erases exactly the old closed ones, each once, even with two runs at the same time', async () => {
    const [first, second] = await Promise.all([runRetention(), runRetention()]);
    // Other test files' payments are recent, so every erasure here is one of ours; each row is erased by one run.
    expect(first.erased + second.erased).toBe(erased.length + 1);

    for (const name of erased) {
      const row = await read(payments[name]!.id);
      expect(row.customerDetails, name).toEqual({ firstName: '', lastName: '', email: '', phone: '' });
      expect(row.personalDataErasedAt, name).not.toBeNull();
    }
    const withoutDetails = await read(payments.canceledLongAgoWithoutDetails!.id);
    expect(withoutDetails.customerDetails).toBeNull();
    expect(withoutDetails.personalDataErasedAt).not.toBeNull();

    for (const name of untouched) {
      const row = await read(payments[name]!.id);
      expect(row.customerDetails, name).toEqual(payments[name]!.customer);
      expect(row.personalDataErasedAt, name).toBeNull();
    }
  });

  it('keeps amounts, statuses, refunds, notifications and the audit trail of every payment', async () => {
    for (const { id } of Object.values(payments)) expect(await keptFacts(id)).toEqual(factsBefore.get(id));
  });

  it('records when each closed payment closed, and nothing for the open ones', async () => {
    const closedAt = async (name: string) => (await read(payments[name]!.id)).closedAt?.toISOString() ?? null;
    // Terminal: the last write, which reached the status.
    expect(await closedAt('failedLongAgo')).toBe(payments.failedLongAgo!.updatedAt.toISOString());
    expect(await closedAt('expiredRecently')).toBe(payments.expiredRecently!.updatedAt.toISOString());
    // Paid: the end of the refund window.
    const windowEnd = (name: string) => new Date(payments[name]!.paidAt!.getTime() + POLICY.refundWindowDays * DAY_MS).toISOString();
    expect(await closedAt('paidWindowEndedLongAgo')).toBe(windowEnd('paidWindowEndedLongAgo'));
    expect(await closedAt('paidWindowEndedRecently')).toBe(windowEnd('paidWindowEndedRecently'));
    for (const name of ['paidStillInWindow', 'pendingForYears', 'processingForYears']) expect(await closedAt(name), name).toBeNull();
  });

  it('a second run changes nothing', async () => {
    const rowsBefore = await Promise.all(Object.values(payments).map(({ id }) => read(id)));
    const again = await runRetention();
    expect(again.erased).toBe(0);
    expect(await Promise.all(Object.values(payments).map(({ id }) => read(id)))).toEqual(rowsBefore);
  });
});

describe('the retention job on a Temporal Schedule', () => {
  const taskQueue = `retention-${randomUUID()}`;
  const settings = {
    TEMPORAL_TASK_QUEUE: taskQueue,
    PII_RETENTION_DAYS: POLICY.retentionDays,
    REFUND_WINDOW_DAYS: POLICY.refundWindowDays,
    REJECTED_NOTIFICATION_RETENTION_DAYS: 7,
    RECONCILIATION_LOOKBACK_DAYS: 3,
    RECONCILIATION_SWEEP_EVERY_DAYS: 7,
    RECONCILIATION_MIDTRANS_CALLS_PER_SECOND: 20,
  };
  const scheduleIds = scheduledJobs(settings).map((job) => job.scheduleId);
  let client: Client;

  const deleteOurSchedules = () =>
    Promise.all(
      scheduleIds.map((id) =>
        client.schedule
          .getHandle(id)
          .delete()
          .catch((error: unknown) => {
            if (!(error instanceof ScheduleNotFoundError)) throw error;
          }),
      ),
    );

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), dataConverter: testDataConverter() });
    // A dev server given from outside may still hold the schedules of an earlier run.
    await deleteOurSchedules();
  });
  afterAll(async () => {
    await deleteOurSchedules().catch(() => {});
    await client.connection.close();
  });

  const ourSchedules = async () => {
    const ids: string[] = [];
    for await (const schedule of client.schedule.list()) if (scheduleIds.includes(schedule.scheduleId)) ids.push(schedule.scheduleId);
    return ids.sort();
  };

  it('applying twice leaves one schedule per job, updated to the settings, and keeps a pause an operator set', async () => {
    expect(await applySchedules(client, scheduledJobs({ ...settings, PII_RETENTION_DAYS: 400 }), 'worker')).toEqual(
      scheduleIds.map((scheduleId) => ({ scheduleId, outcome: 'created' })),
    );
    await client.schedule.getHandle('personal-data-retention').pause('paused by the test, as an operator would');
    expect(await applySchedules(client, scheduledJobs(settings), 'worker')).toEqual(scheduleIds.map((scheduleId) => ({ scheduleId, outcome: 'updated' })));

    expect(await eventually('the schedules to be listed', ourSchedules, (ids) => ids.length === scheduleIds.length)).toEqual([...scheduleIds].sort());
    const schedule = await client.schedule.getHandle('personal-data-retention').describe();
    expect(schedule.state.paused).toBe(true);
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'personalDataRetentionWorkflow', taskQueue });
    expect(schedule.action.args).toEqual([{ batch: { ...POLICY, batchSize: 1_000 }, maxBatches: 500 }]);
    expect(schedule.spec.calendars).toHaveLength(1);
  });

  it('a worker polling another task queue leaves the schedules on theirs; npm run schedules:apply moves them', async () => {
    const elsewhere = { ...settings, TEMPORAL_TASK_QUEUE: `${taskQueue}-debugging` };
    const taskQueues = () => Promise.all(scheduleIds.map(async (id) => (await client.schedule.getHandle(id).describe()).action.taskQueue));

    try {
      expect(await applySchedules(client, scheduledJobs(elsewhere), 'worker')).toEqual(scheduleIds.map((scheduleId) => ({ scheduleId, outcome: 'kept' })));
      expect(await taskQueues()).toEqual(scheduleIds.map(() => taskQueue));

      expect(await applySchedules(client, scheduledJobs(elsewhere), 'operator')).toEqual(
        scheduleIds.map((scheduleId) => ({ scheduleId, outcome: 'updated' })),
      );
      expect(await taskQueues()).toEqual(scheduleIds.map(() => elsewhere.TEMPORAL_TASK_QUEUE));
    } finally {
      // The next test triggers a run for this file's worker.
      await applySchedules(client, scheduledJobs(settings), 'operator');
    }
    expect(await taskQueues()).toEqual(scheduleIds.map(() => taskQueue));
  });

  it('a triggered run erases through the worker: its workflow and activity are registered', async () => {
    const old = await seed('expired', 500);
    const worker = await createScheduledJobsWorker(db, taskQueue);
    await worker.runUntil(async () => {
      const handle = client.schedule.getHandle('personal-data-retention');
      await handle.trigger();
      const run = await eventually(
        'the triggered run',
        async () => (await handle.describe()).info.recentActions[0]?.action.workflow,
        (workflow) => workflow !== undefined,
      );
      const result = (await client.workflow.getHandle(run!.workflowId, run!.firstExecutionRunId).result()) as PersonalDataRetentionResult;
      expect(result.erased).toBeGreaterThanOrEqual(1);
    });
    const row = await read(old.id);
    expect(row.customerDetails).toEqual({ firstName: '', lastName: '', email: '', phone: '' });
    expect(row.status).toBe('expired');
  });
});
