/** One workflow per payment, found again by its payment id. */
export const paymentWorkflowId = (paymentId: string) => `payment-${paymentId}`;

/** The payment a workflow id belongs to; undefined for the scheduled jobs' workflows. */
export function paymentIdOfWorkflow(workflowId: string): string | undefined {
  const prefix = paymentWorkflowId('');
  return workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : undefined;
}
