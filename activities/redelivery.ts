import type { Database } from '../src/db/client';
import { markDeliveryFailed } from '../src/db/deliveries';

/** The redelivery workflow's own step: the downstream calls themselves are the payment workflow's activities. */
export function createRedeliveryActivities(db: Database) {
  return {
    /** A redelivery that gave up leaves the row failed (its last attempt may have said `retrying`). */
    async recordRedeliveryFailure(deliveryId: string, error: string): Promise<void> {
      await markDeliveryFailed(db, deliveryId, error);
    },
  };
}
