import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createMidtransActivities, type ChargeOutcome } from '../../activities/midtrans';
import { withoutCheckout, type PaymentCheckout } from '../../src/domain';
import { createMidtransClient } from '../../src/midtrans/client';
import { createSimulator } from '../../scripts/local-stack/midtrans-simulator';
import { checkoutStoreIn, paymentRequest } from '../support/workflow-harness';

const SERVER_KEY = 'SB-Mid-server-charge-activity';

/** The charge activity against the simulator, its checkouts in a map as PostgreSQL would keep them. */
function chargeSetup() {
  const simulator = createSimulator({ serverKey: SERVER_KEY });
  let charges = 0;
  const midtrans = createMidtransClient({
    serverKey: SERVER_KEY,
    apiBaseUrl: 'http://midtrans.test',
    snapBaseUrl: 'http://midtrans.test/snap/v1',
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const request = new Request(input as string, init);
      if (request.method === 'POST' && new URL(request.url).pathname === '/v2/charge') charges += 1;
      return simulator.app.fetch(request);
    }) as typeof fetch,
  });
  const checkouts = new Map<string, PaymentCheckout>();
  const activities = createMidtransActivities(
    midtrans,
    checkoutStoreIn(checkouts),
    // The charge is under test; refunds, which claim their update, are not.
    { claim: async () => true },
  );
  /** A payment whose checkout the API stored, as the workflow's input holds it (its terms only). */
  const storedPayment = () => {
    const request = paymentRequest();
    const { cardToken, customer, items, description } = request;
    checkouts.set(request.paymentId, { cardToken, customer, items, description });
    return { paymentId: request.paymentId, input: withoutCheckout(request) };
  };
  return { activities, checkouts, storedPayment, charges: () => charges };
}

describe('chargePayment run again from its first attempt', () => {
  // A local activity whose worker died after Midtrans answered runs again as attempt 1 in the next workflow task: the
  // server counts no attempts for it. The first run used the checkout, so the second finds none.
  it('finds the order Midtrans already took and reports it charged, never rejected for a missing checkout', async () => {
    const { activities, checkouts, storedPayment, charges } = chargeSetup();
    const { paymentId, input } = storedPayment();

    const first: ChargeOutcome = await new MockActivityEnvironment().run(activities.chargePayment, input);
    expect(first.kind).toBe('charged');
    expect(checkouts.has(paymentId)).toBe(false);

    const again: ChargeOutcome = await new MockActivityEnvironment().run(activities.chargePayment, input);
    expect(again.kind).toBe('charged');
    expect(again.kind === 'charged' && again.observation?.transactionStatus).toBe('pending');
    expect(charges()).toBe(1);
  });

  it('still rejects a payment whose checkout is missing and that Midtrans never saw', async () => {
    const { activities, charges } = chargeSetup();
    const outcome: ChargeOutcome = await new MockActivityEnvironment().run(activities.chargePayment, withoutCheckout(paymentRequest()));
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'CHECKOUT_MISSING' });
    expect(charges()).toBe(0);
  });
});

describe('chargePayment for a workflow whose first read-model write deletes the checkout', () => {
  it('leaves the checkout for that write, and a run again still charges once', async () => {
    const { activities, checkouts, storedPayment, charges } = chargeSetup();
    const stored = storedPayment();
    const paymentId = stored.paymentId;
    const input = { ...stored.input, keepCheckout: true };

    const first: ChargeOutcome = await new MockActivityEnvironment().run(activities.chargePayment, input);
    expect(first.kind).toBe('charged');
    expect(checkouts.has(paymentId)).toBe(true);
    // Run again from its first attempt (its worker died before the workflow task completed): Midtrans refuses the
    // order id it already took (406), and the status API's answer is reported.
    const again: ChargeOutcome = await new MockActivityEnvironment().run(activities.chargePayment, input);
    expect(again.kind === 'charged' && again.observation?.transactionStatus).toBe('pending');
    expect(charges()).toBe(2);
  });
});
