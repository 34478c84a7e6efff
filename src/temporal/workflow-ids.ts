/** A payment's workflow id: one workflow per payment, ever (Temporal refuses a second with the same id). */
export const paymentWorkflowId = (paymentId: string) => `payment-${paymentId}`;

/** The payment a workflow id belongs to; undefined for the scheduled jobs' workflows. */
export function paymentIdOfWorkflow(workflowId: string): string | undefined {
  const prefix = paymentWorkflowId('');
  return workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : undefined;
}
