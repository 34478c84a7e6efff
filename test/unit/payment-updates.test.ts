import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createPaymentWorkflows } from '../../src/api/payment-workflows';
import type { PaymentView } from '../../src/domain';

/** How cancel and refund send their workflow update: the update id is what makes a retried request safe. */
describe('cancel and refund updates', () => {
  const view = { paymentId: 'pay-1', status: 'canceled' } as PaymentView;

  function fakeClient(answers: (() => Promise<PaymentView>)[]) {
    const sent: { name: string; updateId: string | undefined }[] = [];
    const client = {
      workflow: {
        getHandle: () => ({
          startUpdate: async (definition: { name: string }, options: { updateId?: string }) => {
            sent.push({ name: definition.name, updateId: options.updateId });
            const answer = answers.shift();
            if (!answer) throw new Error('no more answers');
            return { result: answer };
          },
        }),
      },
    } as unknown as Client;
    return { client, sent };
  }

  it('requests with one update id while it runs share one update; a later request sends it again', async () => {
    let complete: ((v: PaymentView) => void) | undefined;
    const { client, sent } = fakeClient([() => new Promise((resolve) => (complete = resolve)), () => Promise.resolve(view)]);
    const workflows = createPaymentWorkflows(client, 'q');
    const first = workflows.cancel('pay-1', {}, 'idempotency-a');
    const retried = workflows.cancel('pay-1', {}, 'idempotency-a');
    await new Promise((r) => setImmediate(r));
    complete!(view);
    expect(await Promise.all([first, retried])).toEqual([view, view]);
    expect(sent).toEqual([{ name: 'cancel', updateId: 'idempotency-a' }]);
    await workflows.cancel('pay-1', {}, 'idempotency-a');
    expect(sent).toHaveLength(2);
  });

  it('an update RPC that timed out is sent again with the same update id; without a key each request gets its own id', async () => {
    const timedOut = () => Promise.reject(new WorkflowUpdateRPCTimeoutOrCancelledError('timed out'));
    const { client, sent } = fakeClient([timedOut, () => Promise.resolve(view), () => Promise.resolve(view), () => Promise.resolve(view)]);
    const workflows = createPaymentWorkflows(client, 'q');
    await expect(workflows.refund('pay-1', { amount: 1_000 }, 'idempotency-b')).resolves.toEqual(view);
    expect(sent).toEqual([
      { name: 'refund', updateId: 'idempotency-b' },
      { name: 'refund', updateId: 'idempotency-b' },
    ]);
    await workflows.refund('pay-1', { amount: 1_000 });
    await workflows.refund('pay-1', { amount: 1_000 });
    const [a, b] = sent.slice(2).map((s) => s.updateId);
    expect(a).toEqual(expect.any(String));
    expect(a).not.toBe(b);
  });
});
