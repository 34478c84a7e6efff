import type { Database } from '../src/db/client';
import { recordPaymentSnapshot, type PaymentEventRecord, type PaymentSnapshot } from '../src/db/payments';

/** The read model and audit log. Writes are idempotent and versioned, so Temporal may retry them freely. */
export function createDatabaseActivities(db: Database) {
  return {
    async recordPayment(snapshot: PaymentSnapshot, event?: PaymentEventRecord): Promise<void> {
      await recordPaymentSnapshot(db, snapshot, event);
    },
  };
}
