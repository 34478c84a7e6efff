import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentBody, startService, type Service } from '../support/service-harness';

/**
 * Calls to TiketQ's transaction and user services (attack 7): the payment's data must not choose where a call goes.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

/** Workflows Temporal knows for an order, through the OrderId search attribute every payment workflow carries. */
const workflowsOfOrder = async (orderId: string) => (await s.client.workflow.count(`OrderId = "${orderId}"`)).count;

describe('attack 7: user_id shapes the downstream URL', () => {
  it('a payment whose user_id is a dot segment or holds a slash is a 400 VALIDATION_FAILED: no row, no workflow', async () => {
    // Visibility lags behind the start: a payment the API accepts is seen first, so a zero below means "never started".
    const accepted = createPaymentBody({ user_id: 'user-42.tiketq:id@b2b_1' });
    expect((await s.api('POST', '/payments', accepted)).status).toBe(201);
    await s.eventually(
      () => workflowsOfOrder(accepted.order_id),
      (count) => count === 1,
    );

    for (const userId of ['..', '.', '../admin', 'a/b', '.hidden', 'user 42', 'user%2F42']) {
      const body = createPaymentBody({ user_id: userId });
      const reply = await s.api('POST', '/payments', body);
      expect(reply.status, `${userId}: ${JSON.stringify(reply.body)}`).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_FAILED');
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['user_id']);
      expect(await s.db.payment.count({ where: { orderId: body.order_id } })).toBe(0);
      expect(await workflowsOfOrder(body.order_id)).toBe(0);
    }
  });
});
