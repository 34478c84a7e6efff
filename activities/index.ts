import { deleteCheckout, findCheckout } from '../src/db/checkouts';
import type { Database } from '../src/db/client';
import type { MidtransClient } from '../src/midtrans/client';
import { createDatabaseActivities } from './database';
import { createDownstreamActivities, type DownstreamConfig } from './downstream';
import { createMidtransActivities } from './midtrans';

export interface ActivityDependencies {
  db: Database;
  midtrans: MidtransClient;
  downstream: DownstreamConfig;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createMidtransActivities(deps.midtrans, {
      find: (paymentId) => findCheckout(deps.db, paymentId),
      delete: (paymentId) => deleteCheckout(deps.db, paymentId),
    }),
    ...createDatabaseActivities(deps.db),
    ...createDownstreamActivities(deps.db, deps.downstream),
  };
}

export type PaymentActivities = ReturnType<typeof createActivities>;
export type { ChargeInput, ChargeOutcome, CheckoutStore, GatewayCommandOutcome } from './midtrans';
export type { DownstreamEvent } from './downstream';
export { DOWNSTREAM_REJECTED } from './downstream';
