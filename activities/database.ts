import { Context } from '@temporalio/activity';
import type { Database } from '../src/db/client';
import { recordPaymentSnapshot, type PaymentEventRecord, type PaymentSnapshot } from '../src/db/payments';
import { fetchPaymentWorkflowInput } from '../src/api/payment-workflows';

/** The read model and audit log. Writes are idempotent and versioned, so Temporal may retry them freely. */
export function createDatabaseActivities(db: Database) {
  return {
    async recordPayment(snapshot: PaymentSnapshot, event?: PaymentEventRecord): Promise<void> {
      const { missingDetails } = await recordPaymentSnapshot(db, snapshot, event);
      if (!missingDetails || snapshot.created) return;
      // The row was recreated by a later write (the database lost it): the customer and item details came only with
      // the first write, so read them from the workflow's own input rather than carry them in every write.
      const { client, info } = Context.current();
      const execution = info.workflowExecution;
      if (!execution) throw new Error('recordPayment runs only inside a payment workflow');
      const { request } = await fetchPaymentWorkflowInput(client, execution.workflowId, execution.runId);
      await recordPaymentSnapshot(db, {
        ...snapshot,
        created: { customerDetails: request.customer, itemDetails: request.items, description: request.description },
      });
    },
  };
}
