import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

/**
 * The minimal shape: the least any payment-per-workflow design can do for a paid VA payment, and the floor the
 * service is measured against. Update-with-start (the caller needs the charge's answer, as POST /payments does) →
 * charge at the simulator → wait for the settlement signal (sent by a tiny receiver of the simulator's webhook) →
 * the two downstream calls → complete. No read-model writes, no status look-up, no timers, no refund window.
 */

export interface MinimalInput {
  paymentId: string;
  userId: string;
  amount: number;
}

export interface MinimalActivities {
  charge(input: MinimalInput): Promise<void>;
  notifyTransactionService(input: MinimalInput): Promise<void>;
  notifyUserService(input: MinimalInput): Promise<void>;
}

export const minimalSettlementSignal = defineSignal('settlement');
export const minimalChargedUpdate = defineUpdate<boolean>('charged');

const acts = proxyActivities<MinimalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function minimalPaymentWorkflow(input: MinimalInput): Promise<void> {
  let charged = false;
  let settled = false;
  setHandler(minimalSettlementSignal, () => {
    settled = true;
  });
  setHandler(minimalChargedUpdate, async () => {
    await condition(() => charged);
    return true;
  });
  await acts.charge(input);
  charged = true;
  await condition(() => settled);
  await Promise.all([acts.notifyTransactionService(input), acts.notifyUserService(input)]);
}
