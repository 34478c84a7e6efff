import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundRequest, requestProblem, type RequestBinding } from '../../workflows/messages';

/**
 * What the payment workflow's cancel and refund validators take (docs/security.md, threat 20): whoever holds the key
 * opens any sealed payload, so a request is told from a copied notification, or from another update's request, only
 * by its fields and its binding. Every payload reaches the validator as JSON decoded it.
 */

const refund: RequestBinding = { paymentId: 'pay-0123456789abcdef0123456789abcdef', updateId: 'u-1', update: 'refund' };
const cancel: RequestBinding = { ...refund, update: 'cancel' };
const asDecoded = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('requestProblem', () => {
  it('takes a request bound as the API binds it, with or without its optional fields', () => {
    for (const request of [{}, { amount: 50_000 }, { reason: 'one seat' }, { amount: 50_000, reason: 'one seat' }]) {
      expect(requestProblem(asDecoded(boundRequest(request, refund)), refund)).toBeUndefined();
    }
    expect(requestProblem(asDecoded(boundRequest({ reason: 'changed plans' }, cancel)), cancel)).toBeUndefined();
  });

  it.each([
    ['no binding (an API instance older than it)', { amount: 50_000 }, /bound to no payment/],
    ['bound to another payment', boundRequest({}, { ...refund, paymentId: 'pay-other' }), /another payment or update/],
    ['bound to another update id', boundRequest({}, { ...refund, updateId: 'u-2' }), /another payment or update/],
    ['a cancel sent as a refund', boundRequest({}, cancel), /another payment or update/],
    ['a binding with a field more', { boundTo: { ...refund, extra: 1 } }, /another payment or update/],
    ['a binding that is a list', { boundTo: [refund] }, /another payment or update/],
    ['a settlement notification', { orderId: refund.paymentId, transactionStatus: 'settlement', grossAmount: 50_000 }, /has a field/],
    ['a field a refund has not', { ...boundRequest({}, refund), requestedBy: 'operator' }, /has a field a refund request has not: requestedBy/],
    ['an amount that is text', boundRequest({ amount: '50000' as unknown as number }, refund), /amount that is not a number/],
    ['a reason that is not text', boundRequest({ reason: 7 as unknown as string }, refund), /reason that is not text/],
    ['null', null, /is not a request/],
    ['a list', [boundRequest({}, refund)], /is not a request/],
    ['text', 'pay-0123456789abcdef0123456789abcdef', /is not a request/],
  ])('refuses %s', (_name, request, problem) => {
    expect(requestProblem(asDecoded(request), refund)).toMatch(problem);
  });

  it('refuses an own __proto__ field, as JSON decodes one', () => {
    const request = JSON.parse(`{"__proto__": {"amount": 1}, "boundTo": ${JSON.stringify(refund)}}`) as unknown;
    expect(requestProblem(request, refund)).toMatch(/has a field a refund request has not: __proto__/);
  });

  it('takes no payload bound for one update as another: any two distinct bindings', () => {
    const binding = fc.record({
      paymentId: fc.constantFrom('pay-a', 'pay-b'),
      updateId: fc.constantFrom('u-1', 'u-2'),
      update: fc.constantFrom('cancel' as const, 'refund' as const),
    });
    fc.assert(
      fc.property(binding, binding, (sentFor, receivedAs) => {
        const problem = requestProblem(asDecoded(boundRequest({ reason: 'r' }, sentFor)), receivedAs);
        return JSON.stringify(sentFor) === JSON.stringify(receivedAs) ? problem === undefined : problem !== undefined;
      }),
    );
  });
});
