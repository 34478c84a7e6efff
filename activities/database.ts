import type { Database } from '../src/db/client';
import { recordPaymentSnapshot, type PaymentEventRecord, type PaymentSnapshot } from '../src/db/payments';

/** The read model and audit log. Writes are idempotent and versioned, so Temporal may retry them freely. */
export function createDatabaseActivities(db: Database) {
  return {
    /** `events`: this step's audit line, after any that waited for it; a workflow before that sent one at most. */
    async recordPayment(snapshot: PaymentSnapshot, ...events: PaymentEventRecord[]): Promise<void> {
      await recordPaymentSnapshot(db, snapshot, events);
    },
  };
}
