import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiMetrics } from '../../src/api/metrics';
import { createNotificationForwarder } from '../../src/api/notification-forwarder';
import type { PaymentWorkflows } from '../../src/api/payment-workflows';
import { createDatabase, type Database } from '../../src/db/client';
import { claimNotification } from '../../src/db/notifications';
import { recordPaymentSnapshot } from '../../src/db/payments';
import { createLogger } from '../../src/logger';
import { createPaymentBody } from '../support/fixtures';
import { privateDatabase, startService, type Service } from '../support/service-harness';

/**
 * The webhook answers Midtrans once a notification is stored; the forwarder signals it to the payment's workflow
 * (README "Webhook bridge"). Nothing a stored notification says may be lost on the way: not while Temporal refuses
 * signals, not when the API that stored it dies, and not sent twice by two API processes sweeping one database.
 */

let database: Awaited<ReturnType<typeof privateDatabase>>;
beforeAll(async () => {
  // The sweeps take every due row of their database: this file's rows only.
  database = await privateDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { name: 'ServiceError', code: 14 });

describe('Temporal refuses signals while a settlement arrives', () => {
  let s: Service;
  let refusing = true;
  let refused = 0;
  beforeAll(async () => {
    s = await startService({
      databaseUrl: database.url,
      signalsThrough: (workflows) => ({
        ...workflows,
        notify: (...args) => (refusing ? (refused++, Promise.reject(unavailable())) : workflows.notify(...args)),
      }),
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('Midtrans gets 200 at its first attempt; the notification waits in PostgreSQL and settles the payment once Temporal takes signals', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.payment_id as string;
    expect((await fetch(`${s.simulator.url}/_simulator/transactions/${id}/pay`, { method: 'POST' })).ok).toBe(true);

    const stored = () =>
      s.db.$queryRaw<{ outcome: string; transaction_status: string }[]>`
        select outcome, transaction_status from webhook_notifications where payment_id = ${id} and transaction_status = 'settlement'`;
    await s.eventually(stored, (rows) => rows.length === 1 && refused > 0);
    const deliveries = async () => {
      const sim = (await (await fetch(`${s.simulator.url}/_simulator/transactions/${id}`)).json()) as {
        notifications: { body: { transaction_status: string }; deliveries: { state: string; attempts: { status?: number }[] }[] }[];
      };
      return sim.notifications.filter((n) => n.body.transaction_status === 'settlement').flatMap((n) => n.deliveries);
    };
    expect(await deliveries()).toMatchObject([{ state: 'delivered', attempts: [{ status: 200 }] }]);
    // Nothing applied while Temporal refuses: the row waits.
    expect(await stored()).toEqual([{ outcome: 'received', transaction_status: 'settlement' }]);
    expect((await s.api('GET', `/payments/${id}/status`)).body.status).toBe('pending');

    refusing = false;
    s.forwarder.start(200);
    await s.eventually(
      () => s.api('GET', `/payments/${id}/status`).then((r) => r.body.status as string),
      (status) => status === 'success',
    );
    await s.eventually(stored, (rows) => rows[0]?.outcome === 'accepted');
    // Midtrans was never asked to deliver it again.
    expect(await deliveries()).toMatchObject([{ state: 'delivered', attempts: [{ status: 200 }] }]);
    const metrics = await s.dependencies.metrics.render({});
    expect(metrics).toMatch(/midtrans_notification_signals_total\{outcome="retry"\} [1-9]/);
    expect(metrics).toMatch(/midtrans_notification_signals_total\{outcome="accepted"\} [1-9]/);
  });
});

describe('stored notifications whose signal is due', () => {
  let db: Database;
  beforeAll(() => {
    db = createDatabase(database.url, 4);
  });
  afterAll(() => db.$disconnect());

  /** A forwarder of its own (an API process) that records the signals it sends instead of sending them. */
  function apiProcess() {
    const sent: number[] = [];
    const workflows = {
      notify: async (_paymentId: string, _observation: unknown, id?: number) => void sent.push(id!),
    } as unknown as PaymentWorkflows;
    const forwarder = createNotificationForwarder({ db, workflows, logger: createLogger('silent', 'api'), metrics: createApiMetrics() });
    return { forwarder, sent };
  }

  async function storedNotifications(count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const paymentId = `pay-${randomUUID().replaceAll('-', '')}`;
      await recordPaymentSnapshot(db, {
        view: {
          paymentId,
          orderId: `ORDER-${paymentId.slice(-8)}`,
          userId: 'user-7',
          method: 'gopay',
          amount: 250_000,
          refundedAmount: 0,
          status: 'pending',
          instructions: null,
          chargeCompleted: true,
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          refunds: [],
        },
        version: 1,
        created: { customerDetails: {}, itemDetails: [] },
      });
      const body = { order_id: paymentId, transaction_status: 'settlement', status_code: '200', gross_amount: '250000.00' };
      const claim = await claimNotification(db, {
        paymentId,
        body,
        rawBody: JSON.stringify(body),
        bodySha256: `sha-${i}`,
        meaningSha256: `meaning-${i}`,
      }, Number.MAX_SAFE_INTEGER);
      if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
      ids.push(claim.id);
    }
    return ids;
  }

  it('a notification stored by an API that died is left to it for its lease, then signalled once though two APIs sweep at once', async () => {
    const ids = await storedNotifications(40);
    const [a, b] = [apiProcess(), apiProcess()];
    // Within the lease nobody else takes them: the API that stored them may still be signalling.
    expect(await a.forwarder.sweep()).toBe(0);

    await db.$executeRaw`update webhook_notifications set forward_after = forward_after - interval '31 seconds' where outcome = 'received'`;
    const taken = await Promise.all([a.forwarder.sweep(), b.forwarder.sweep(), a.forwarder.sweep(), b.forwarder.sweep()]);
    expect(taken.reduce((sum, n) => sum + n, 0)).toBe(40);
    await Promise.all([a.forwarder.stop(10_000), b.forwarder.stop(10_000)]);
    const signalled = [...a.sent, ...b.sent].sort((x, y) => x - y);
    expect(signalled).toEqual([...ids].sort((x, y) => x - y));
    expect(a.sent.length).toBeGreaterThan(0);

    const rows = await db.$queryRaw<{ outcome: string; attempts: number; leased: boolean }[]>`
      select outcome, forward_attempts as attempts, forward_after is not null as leased
      from webhook_notifications where id = any(${ids}::bigint[])`;
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.outcome === 'accepted' && r.attempts === 1 && !r.leased)).toBe(true);
    expect(await a.forwarder.sweep()).toBe(0);
  });

  it('a failed signal is due again after its wait, not before, and counts its attempts', async () => {
    const [id] = await storedNotifications(1);
    let failing = true;
    const sent: number[] = [];
    const workflows = {
      notify: async (_paymentId: string, _observation: unknown, notificationId?: number) => {
        if (failing) throw unavailable();
        sent.push(notificationId!);
      },
    } as unknown as PaymentWorkflows;
    const forwarder = createNotificationForwarder({ db, workflows, logger: createLogger('silent', 'api'), metrics: createApiMetrics() });

    await db.$executeRaw`update webhook_notifications set forward_after = forward_after - interval '31 seconds' where id = ${id}`;
    expect(await forwarder.sweep()).toBe(1);
    await forwarder.stop(5_000);
    const [row] = await db.$queryRaw<{ outcome: string; attempts: number; waitSeconds: number }[]>`
      select outcome, forward_attempts as attempts,
        extract(epoch from forward_after - (now() at time zone 'utc'))::float8 as "waitSeconds"
      from webhook_notifications where id = ${id}`;
    // The first sweep's attempt is the second (the webhook's was the first): 2 s.
    expect(row).toMatchObject({ outcome: 'received', attempts: 1 });
    expect(row!.waitSeconds).toBeGreaterThan(0);
    expect(row!.waitSeconds).toBeLessThanOrEqual(2);
    expect(await forwarder.sweep()).toBe(0);

    failing = false;
    await db.$executeRaw`update webhook_notifications set forward_after = forward_after - interval '3 seconds' where id = ${id}`;
    expect(await forwarder.sweep()).toBe(1);
    await forwarder.stop(5_000);
    expect(sent).toEqual([id]);
    const [after] = await db.$queryRaw<{ outcome: string; attempts: number }[]>`
      select outcome, forward_attempts as attempts from webhook_notifications where id = ${id}`;
    expect(after).toEqual({ outcome: 'accepted', attempts: 2 });
  });

  it('an outage that fails every signal is one warn line per 10 s, not one per notification', async () => {
    const ids = await storedNotifications(5);
    const logged: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const workflows = { notify: async () => Promise.reject(unavailable()) } as unknown as PaymentWorkflows;
    const forwarder = createNotificationForwarder({ db, workflows, logger, metrics: createApiMetrics() });
    await db.$executeRaw`update webhook_notifications set forward_after = forward_after - interval '31 seconds' where id = any(${ids}::bigint[])`;
    expect(await forwarder.sweep()).toBe(5);
    await forwarder.stop(5_000);
    expect(logged.filter((line) => line.level === 40 && line.msg === 'notification not signalled yet; retried')).toHaveLength(1);
    const outcomes = await db.$queryRaw<{ outcome: string }[]>`select outcome from webhook_notifications where id = any(${ids}::bigint[])`;
    expect(outcomes.map((r) => r.outcome)).toEqual(ids.map(() => 'received'));
  });
});
