import { deleteCheckout, findCheckout } from '../src/db/checkouts';
import type { Database } from '../src/db/client';
import type { MidtransClient } from '../src/midtrans/client';
import { createDatabaseActivities } from './database';
import { createDownstreamActivities, type DownstreamConfig } from './downstream';
import { createReconciliationActivities } from './daily-reconciliation';
import { createMidtransActivities } from './midtrans';
import { createRedeliveryActivities } from './redelivery';
import { createRetentionActivities } from './retention';
import { refundUpdateClaims } from '../src/db/refund-claims';

export interface ActivityDependencies {
  db: Database;
  midtrans: MidtransClient;
  downstream: DownstreamConfig;
}

/** What the payment workflow calls. */
function createPaymentActivities(deps: ActivityDependencies) {
  return {
    ...createMidtransActivities(
      deps.midtrans,
      {
        find: (paymentId) => findCheckout(deps.db, paymentId),
        delete: (paymentId) => deleteCheckout(deps.db, paymentId),
      },
      refundUpdateClaims(deps.db),
    ),
    ...createDatabaseActivities(deps.db),
    ...createDownstreamActivities(deps.db, deps.downstream),
  };
}

/** Every activity the worker runs: the payment workflow's and the scheduled jobs'. */
export function createActivities(deps: ActivityDependencies) {
  const payment = createPaymentActivities(deps);
  return {
    ...payment,
    ...createRetentionActivities(deps.db),
    ...createReconciliationActivities(deps.db, payment.fetchMidtransStatus),
    ...createRedeliveryActivities(deps.db),
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
/** An operator's redelivery: the payment workflow's downstream calls, and marking the delivery failed. */
export type RedeliveryActivities = Pick<PaymentActivities, 'notifyTransactionService' | 'notifyUserService'> &
  ReturnType<typeof createRedeliveryActivities>;
export type { ChargeInput, ChargeOutcome, CheckoutStore, GatewayCommandOutcome } from './midtrans';
export type { DownstreamEvent } from './downstream';
export { DOWNSTREAM_REJECTED } from './downstream';
export type { FoundDifference, ReconciliationActivities } from './daily-reconciliation';
export type { RequestRecordsPurged, RequestRecordsRetention, RetentionActivities, RetentionBatch, RetentionBatchResult } from './retention';
