import type { Database } from '../src/db/client';
import { recordPaymentSnapshot, type PaymentEventRecord, type PaymentSnapshot } from '../src/db/payments';

/** The read model and audit log. Writes are idempotent and versioned, so Temporal may retry them freely. */
export function createDatabaseActivities(db: Database) {
  return {
    /** The write of workflows from before routine-notification-lines-wait-for-the-next-write: one audit line at most. */
    async recordPayment(snapshot: PaymentSnapshot, event?: PaymentEventRecord): Promise<void> {
      await recordPaymentSnapshot(db, snapshot, event ? [event] : []);
    },
    /**
     * A step's write with its audit lines: any that waited for it, then its own. A name of its own, not a second
     * parameter of recordPayment: a worker from before it would take that activity and drop all lines but the first.
     */
    async recordPaymentLines(snapshot: PaymentSnapshot, lines: PaymentEventRecord[]): Promise<void> {
      await recordPaymentSnapshot(db, snapshot, lines);
    },
  };
}
