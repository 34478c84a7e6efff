import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createPaymentWorkflows, type PaymentWorkflows } from '../../src/api/payment-workflows';
import type { Database } from '../../src/db/client';
import { createLogger } from '../../src/logger';
import { midtransSignature } from '../../src/midtrans/signature';
import type { PaymentWorkflowInput } from '../../workflows/messages';
import { apiConfig } from '../support/fixtures';

/**
 * Two outage behaviours the chaos suite (test/chaos) found wrong and that are cheap to pin here:
 * - PostgreSQL unreachable surfaces as PrismaClientKnownRequestError P1001 (the driver error is in meta): a 503;
 * - while Temporal is unreachable, POST /payments must not answer 202 for a workflow that was never started.
 */

/** The errors Prisma 6 with the pg driver adapter throws when PostgreSQL is down (shapes copied from real ones). */
function prismaCannotReachDatabase(): Error {
  const error = new Error("\nInvalid `db.payment.findUnique()` invocation:\n\nCan't reach database server at 127.0.0.1:38432");
  error.name = 'PrismaClientKnownRequestError';
  Object.assign(error, {
    code: 'P1001',
    meta: {
      modelName: 'Payment',
      driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 38432 } },
    },
    clientVersion: '6.19.3',
  });
  return error;
}
function rawQueryCannotReachDatabase(): Error {
  const error = new Error("\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `N/A`. Message: `Can't reach database server at 127.0.0.1:1`");
  error.name = 'PrismaClientKnownRequestError';
  Object.assign(error, {
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 } } },
    clientVersion: '6.19.3',
  });
  return error;
}
/** A database whose every query fails with `error` (ORM calls and raw SQL alike). */
const failingDb = (error: () => Error) => ({ $queryRaw: () => Promise.reject(error()), payment: { findUnique: () => Promise.reject(error()) } });

function appWith(db: unknown, metrics = createApiMetrics(), webhookMaxInFlight = 64, workflows = {} as PaymentWorkflows) {
  return createApp({
    config: apiConfig({
      API_KEYS: [],
      CREATE_PAYMENT_WAIT_MS: 1_000,
      WEBHOOK_MAX_IN_FLIGHT: webhookMaxInFlight,
      MIDTRANS_SERVER_KEY: 'SB-Mid-server-unit',
    }),
    db: db as Database,
    workflows,
    logger: createLogger('silent', 'api'),
    metrics,
    checkTemporal: async () => {},
  });
}

describe('PostgreSQL unreachable', () => {
  it.each([
    ['GET /payments/{id}', '/payments/pay-0123456789abcdef0123456789abcdef', rawQueryCannotReachDatabase],
    ['GET /payments/{id}/status', '/payments/pay-0123456789abcdef0123456789abcdef/status', rawQueryCannotReachDatabase],
    ['GET /payments/order/{order_id} (an ORM read)', '/payments/order/ORDER-1', prismaCannotReachDatabase],
  ])('%s answers 503 SERVICE_UNAVAILABLE with Retry-After, not 500', async (_name, path, error) => {
    const db = { ...failingDb(error), payment: { findMany: () => Promise.reject(error()) } };
    const response = await appWith(db).request(path);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).not.toBeNull();
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('a query error that is not an outage is still a 500', async () => {
    const error = Object.assign(new Error('Unique constraint failed'), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2002',
      meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation' } } },
    });
    const response = await appWith(failingDb(() => error)).request('/payments/pay-0123456789abcdef0123456789abcdef');
    expect(response.status).toBe(500);
  });
});

describe('/metrics while PostgreSQL is unreachable', () => {
  it('keeps the payments by status and the review queue as last read, so PaymentReviewQueueNotEmpty does not start its 15 minutes again', async () => {
    const metrics = createApiMetrics();
    await metrics.render({ success: 12, pending: 3 }, { failed_delivery: 2 });
    const scraped = await (await appWith(failingDb(rawQueryCannotReachDatabase), metrics).request('/metrics')).text();
    expect(scraped).toMatch(/^payments\{status="success"\} 12$/m);
    expect(scraped).toMatch(/^payments_review_queue_items\{kind="failed_delivery"\} 2$/m);
  });

  it("keeps the reconciliation's last times as last read, so an alert on them does not flap with the database", async () => {
    const metrics = createApiMetrics();
    const times = { lastStarted: 1_765_000_000.5, lastCompleted: 1_765_000_900.25 };
    await metrics.render({}, {}, times);
    const scraped = await (await appWith(failingDb(rawQueryCannotReachDatabase), metrics).request('/metrics')).text();
    expect(scraped).toMatch(/^payments_reconciliation_last_started_timestamp_seconds 1765000000\.5$/m);
    expect(scraped).toMatch(/^payments_reconciliation_last_completed_timestamp_seconds 1765000900\.25$/m);
  });
});

describe('POST /payments while Temporal is unreachable', () => {
  const input = {
    request: { paymentId: 'pay-0123456789abcdef0123456789abcdef', orderId: 'ORDER-1', method: 'gopay' },
  } as PaymentWorkflowInput;
  const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { name: 'ServiceError', code: 14 });

  function fakeClient(options: { startFailsAfterMs: number; workflowExists: boolean }) {
    return {
      withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
      workflow: {
        executeUpdateWithStart: () =>
          new Promise((_, reject) => setTimeout(() => reject(unavailable()), options.startFailsAfterMs).unref()),
        getHandle: () => ({ describe: () => (options.workflowExists ? Promise.resolve({}) : Promise.reject(unavailable())) }),
      },
    } as unknown as Client;
  }

  it('the start fails after the 202 deadline: the error comes out (a 503), never a 202 for a payment that does not exist', async () => {
    const workflows = createPaymentWorkflows(fakeClient({ startFailsAfterMs: 1_500, workflowExists: false }), 'q');
    await expect(workflows.start(input, 200)).rejects.toMatchObject({ name: 'ServiceError' });
  });

  it('the workflow exists but the charge is slow: 202 (still charging) after the deadline', async () => {
    const workflows = createPaymentWorkflows(fakeClient({ startFailsAfterMs: 60_000, workflowExists: true }), 'q');
    await expect(workflows.start(input, 200)).resolves.toEqual({ kind: 'still-charging' });
  });
});

describe('a burst of Midtrans notifications while PostgreSQL or Temporal is slow', () => {
  it('past WEBHOOK_MAX_IN_FLIGHT the webhook answers 503 at once (Midtrans retries), touching nothing; below it, it serves again', async () => {
    let release: (() => void) | undefined;
    const stalled = new Promise<never>((_, reject) => {
      release = () => reject(rawQueryCannotReachDatabase());
    });
    stalled.catch(() => {});
    let queries = 0;
    const db = { $queryRaw: () => (queries++, stalled) };
    const metrics = createApiMetrics();
    const app = appWith(db, metrics, 2);
    const notification = (orderId: string) => {
      const body = { order_id: orderId, status_code: '200', gross_amount: '250000.00', transaction_status: 'settlement' };
      return app.request('/payments/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, signature_key: midtransSignature(orderId, '200', '250000.00', 'SB-Mid-server-unit') }),
      });
    };
    const held = [notification('pay-0123456789abcdef0123456789abcde1'), notification('pay-0123456789abcdef0123456789abcde2')];
    // Both are in flight once each has reached the database (and stalled there).
    await vi.waitFor(() => expect(queries).toBe(2), { timeout: 10_000, interval: 5 });

    const shed = await notification('pay-0123456789abcdef0123456789abcde3');
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('30');
    expect(((await shed.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('in flight') });
    expect(queries).toBe(2);
    expect(await metrics.render({})).toMatch(/midtrans_webhooks_total\{outcome="shed"\} 1/);

    release!();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([503, 503]);
    const after = await notification('pay-0123456789abcdef0123456789abcde4');
    expect(queries).toBe(3);
    expect(((await after.json()) as { error: { message: string } }).error.message).not.toContain('in flight');
  });
});

describe('a signed notification for an order of our shape that the read model does not have, while Temporal is unreachable', () => {
  it('answers 503 and stores nothing: whether the payment exists is not known, so Midtrans is to send it again', async () => {
    const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { name: 'ServiceError', code: 14 });
    const client = {
      withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
      workflow: { getHandle: () => ({ describe: () => Promise.reject(unavailable()) }) },
    } as unknown as Client;
    // The claim finds neither the payment's row nor its checkout, nor a copy of it already stored for an order not ours.
    const db = {
      $queryRaw: vi.fn(async (query: TemplateStringsArray | { sql: string }) =>
        ('sql' in query ? query.sql : query.join('?')).includes(' as spent') ? [{ spent: false }] : [],
      ),
      $executeRaw: vi.fn(async () => 0),
      $transaction: vi.fn(async () => []),
    };
    const orderId = 'pay-0123456789abcdef0123456789abcdef';
    const body = { order_id: orderId, status_code: '200', gross_amount: '250000.00', transaction_status: 'settlement' };
    const answer = await appWith(db, createApiMetrics(), 64, createPaymentWorkflows(client, 'q')).request('/payments/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, signature_key: midtransSignature(orderId, '200', '250000.00', 'SB-Mid-server-unit') }),
    });

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).not.toBeNull();
    expect(db.$transaction).not.toHaveBeenCalled();
    expect(db.$executeRaw).not.toHaveBeenCalled();
  });
});

describe("a cancel or refund: what the workflow's failure, or Temporal's, becomes", () => {
  /** A client whose every update of the payment fails with `failure`. */
  function clientFailingUpdates(failure: Error) {
    return {
      workflow: { getHandle: () => ({ startUpdate: () => Promise.reject(failure) }) },
    } as unknown as Client;
  }
  const refund = (failure: Error) => createPaymentWorkflows(clientFailingUpdates(failure), 'q').refund('pay-0123456789abcdef0123456789abcdef', { amount: 1_000 }, 'u-1');

  it('an older worker\'s SERVICE_UNAVAILABLE (a gateway command failed for good) is MIDTRANS_UNAVAILABLE, final like the new one', async () => {
    const failed = new WorkflowUpdateFailedError('update failed', ApplicationFailure.nonRetryable('Midtrans could not be reached: 401', 'SERVICE_UNAVAILABLE'));
    await expect(refund(failed)).rejects.toMatchObject({ code: 'MIDTRANS_UNAVAILABLE', status: 502, retryAfterSeconds: undefined });
  });

  it('a worker refusing the request as not bound to its update (an older API instance during a deploy) is an outage to retry, its key unanswered', async () => {
    const refused = new WorkflowUpdateFailedError(
      'update failed',
      ApplicationFailure.nonRetryable('the refund request is bound to no payment and update', 'REQUEST_NOT_FOR_THIS_UPDATE'),
    );
    await expect(refund(refused)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfterSeconds: expect.any(Number) });
  });

  it('a request that failed in an earlier run of the workflow is a 409 REQUEST_ALREADY_FAILED, final for its key', async () => {
    const failed = new WorkflowUpdateFailedError('update failed', ApplicationFailure.nonRetryable('this refund failed in an earlier run', 'REQUEST_ALREADY_FAILED'));
    await expect(refund(failed)).rejects.toMatchObject({ code: 'REQUEST_ALREADY_FAILED', status: 409, retryAfterSeconds: undefined });
  });

  it("Temporal's NOT_FOUND for its namespace is an outage wherever the API asks Temporal: a signal, a look, a reconcile", async () => {
    const lost = () => new WorkflowNotFoundError('Namespace default is not found.', 'payment-pay-0123456789abcdef0123456789abcdef', undefined);
    const handle = {
      signal: () => Promise.reject(lost()),
      describe: () => Promise.reject(lost()),
      query: () => Promise.reject(lost()),
    };
    const client = { withDeadline: (_: number, call: () => Promise<unknown>) => call(), workflow: { getHandle: () => handle } } as unknown as Client;
    const workflows = createPaymentWorkflows(client, 'q');
    const id = 'pay-0123456789abcdef0123456789abcdef';
    // A notification marked closed would never be signalled again; a payment said not to exist would be a 404.
    await expect(workflows.notify(id, { orderId: id, transactionStatus: 'settlement' } as Parameters<PaymentWorkflows['notify']>[1])).rejects.toThrow();
    await expect(workflows.exists(id)).rejects.toThrow();
    await expect(workflows.view(id)).rejects.toThrow();
    await expect(workflows.requestReconcile(id, { requestedBy: 'webhook' } as Parameters<PaymentWorkflows['requestReconcile']>[1])).rejects.not.toMatchObject({ code: 'PAYMENT_WORKFLOW_CLOSED' });
  });

  it("Temporal's NOT_FOUND for its namespace (its own database down) is an outage to retry, not 'the payment is closed'", async () => {
    const lost = new WorkflowNotFoundError('Namespace default is not found.', 'payment-pay-0123456789abcdef0123456789abcdef', undefined);
    await expect(refund(lost)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, retryAfterSeconds: expect.any(Number) });
    const closed = new WorkflowNotFoundError('workflow not found for ID: payment-pay-0123456789abcdef0123456789abcdef', 'payment-pay-0123456789abcdef0123456789abcdef', undefined);
    await expect(refund(closed)).rejects.toMatchObject({ code: 'INVALID_STATE', status: 409 });
  });
});

