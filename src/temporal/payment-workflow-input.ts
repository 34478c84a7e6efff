import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { PaymentWorkflowInput } from '../../workflows/messages';

/**
 * The input a payment workflow run was started with, read from the first event of its history (one event, not the
 * whole history). It is where the customer and item details live that only a payment's first read-model write
 * carries; the read model is rebuilt from it when PostgreSQL lost them.
 */
export async function fetchPaymentWorkflowInput(client: Client, workflowId: string, runId?: string): Promise<PaymentWorkflowInput> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`workflow ${workflowId} has no start event`);
  return decodeFromPayloadsAtIndex<PaymentWorkflowInput>(client.workflow.options.loadedDataConverter, 0, started.input?.payloads);
}
