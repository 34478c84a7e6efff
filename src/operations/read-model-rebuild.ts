import type { Client } from '@temporalio/client';
import { readPaymentRun } from '../api/payment-workflows';
import { auditEventKey } from '../domain';
import type { Database } from '../db/client';
import { recordPaymentSnapshot } from '../db/payments';

export interface RebuildReport {
  payments: number;
  failed: { workflowId: string; error: string }[];
}

const OPEN_PAYMENTS = `WorkflowType = 'paymentWorkflow' AND ExecutionStatus = 'Running'`;

/**
 * Re-projects every open payment workflow (narrowed by `where`, a visibility query such as `OrderId = 'ORDER-1'`) into
 * the read model: the payment as the workflow knows it (its query) and every audit event of its history. The customer
 * and item details come from the payment's checkout while it is stored, or from the input of a workflow started
 * before the checkout moved to PostgreSQL; other payments created since the backup come back without them. The same
 * idempotent, versioned writes the workflow makes, so running it twice, or while payments move, never turns a row back.
 */
export async function rebuildReadModel(
  client: Client,
  db: Database,
  options: { where?: string; log?: (line: string) => void } = {},
): Promise<RebuildReport> {
  const report: RebuildReport = { payments: 0, failed: [] };
  const query = options.where ? `${OPEN_PAYMENTS} AND (${options.where})` : OPEN_PAYMENTS;
  for await (const execution of client.workflow.list({ query })) {
    try {
      const { view, input } = await readPaymentRun(client, execution.workflowId, execution.runId);
      const { history, readModelVersion, ...snapshotView } = view;
      if (readModelVersion === undefined) throw new Error('the workflow did not report its read-model version');
      const version = readModelVersion;
      const { customer, items, description } = input.request;
      await recordPaymentSnapshot(db, {
        view: snapshotView,
        version,
        ...(customer ? { created: { customerDetails: customer, itemDetails: items, description } } : {}),
      });
      for (const [index, entry] of history.entries()) {
        await recordPaymentSnapshot(db, { view: snapshotView, version }, [{ ...entry, key: auditEventKey(index + 1, entry.kind) }]);
      }
      report.payments += 1;
      if (report.payments % 100 === 0) options.log?.(`${report.payments} payments re-projected`);
    } catch (error) {
      report.failed.push({ workflowId: execution.workflowId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
