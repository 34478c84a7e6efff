import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import {
  cancelUpdate,
  chargeCompletedUpdate,
  midtransNotificationSignal,
  paymentQuery,
  reconcileRequestSignal,
  refundUpdate,
  boundRequest,
  type CancelRequest,
  type PaymentWorkflow,
  type PaymentWorkflowInput,
  type ReconcileRequest,
  type RefundRequest,
  type RequestBinding,
} from '../../workflows/messages';
import type { DownstreamRedeliveryInput, DownstreamRedeliveryResult } from '../../workflows/downstream-redelivery';

export type { DownstreamRedeliveryInput, DownstreamRedeliveryResult };
import type { MidtransObservation, PaymentView } from '../domain';
import { ORDER_ID, PAYMENT_METHOD, PAYMENT_STATUS } from '../temporal/search-attributes';
import { paymentWorkflowId } from '../temporal/workflow-ids';
import { isTemporalNamespaceLost } from './dependency-outage';
import { ApiError, isErrorCode, OUTAGE_RETRY_AFTER_SECONDS, RETRY_AFTER_SECONDS, type ErrorCode } from './errors';

export { paymentWorkflowId };

const SIGNAL_DEADLINE_MS = 10_000;

export type StartOutcome =
  | { kind: 'charged'; view: PaymentView }
  | { kind: 'still-charging' }
  /** The workflow already finished (an idempotent retry long after): the read model has the answer. */
  | { kind: 'already-closed' };

/**
 * The client reports every gRPC NOT_FOUND as WorkflowNotFoundError, the lost namespace of a Temporal without its
 * database included: that is an outage, and reading it as "no workflow" would drop a notification or answer 404.
 */
const namespaceLost = (error: unknown) => error instanceof WorkflowNotFoundError && isTemporalNamespaceLost(error.message);

/** Temporal says this workflow does not exist (closed past retention, or never started). */
const workflowGone = (error: unknown) => error instanceof WorkflowNotFoundError && !namespaceLost(error);

/** The lost namespace as the outage it is: a 503 with Retry-After wherever it ends up (src/api/app.ts). */
function asOutage(error: unknown): unknown {
  if (namespaceLost(error)) {
    return new ApiError('SERVICE_UNAVAILABLE', 'Temporal cannot be used right now; retry (with the same Idempotency-Key)', undefined, OUTAGE_RETRY_AFTER_SECONDS);
  }
  return error;
}

/** Everything the API asks of Temporal; the API never talks to Midtrans itself. */
export function createPaymentWorkflows(client: Client, taskQueue: string) {
  const handle = (paymentId: string) => client.workflow.getHandle(paymentWorkflowId(paymentId));
  /** False only when Temporal says there is no such workflow; Temporal unreachable (or slow past the deadline) throws. */
  const exists = (paymentId: string) =>
    client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle(paymentId).describe()).then(
      () => true,
      (error: unknown) => {
        if (workflowGone(error)) return false;
        throw asOutage(error);
      },
    );
  /** Updates this process is waiting for, by workflow and update id: a retry joins the wait instead of adding one. */
  const updatesInFlight = new Map<string, Promise<PaymentView>>();

  /**
   * Sends an update and resolves with its result, however long the workflow takes (a worker away, a gateway call
   * retrying): callers bound their own wait. The update id is the request's identity: Temporal applies an update id
   * once per workflow run and answers a repeat with the same update's outcome, so re-sending it is always safe. The
   * request is bound to the payment and the update id, so its sealed payload is good for this update only.
   */
  function completeUpdate<Request extends CancelRequest | RefundRequest>(
    paymentId: string,
    definition: UpdateDefinition<PaymentView, [Request]>,
    request: Request,
    updateId: string,
  ) {
    const inFlightId = `${paymentWorkflowId(paymentId)}/${updateId}`;
    const joined = updatesInFlight.get(inFlightId);
    if (joined) return joined;
    const completion = (async () => {
      for (;;) {
        try {
          const update = await handle(paymentId).startUpdate(definition, {
            args: [boundRequest(request, { paymentId, updateId, update: definition.name as RequestBinding['update'] })],
            updateId,
            waitForStage: WorkflowUpdateStage.ACCEPTED,
          });
          return await update.result();
        } catch (error) {
          if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) rethrowAsApiError(error);
          await sleep(1_000);
        }
      }
    })().finally(() => updatesInFlight.delete(inFlightId));
    updatesInFlight.set(inFlightId, completion);
    return completion;
  }

  return {
    /**
     * Starts the payment's workflow and waits (bounded) for its charge step, in one call: update-with-start.
     * USE_EXISTING + REJECT_DUPLICATE make a repeated start with the same payment id attach to the same workflow,
     * so an idempotent retry never charges twice.
     */
    async start(input: PaymentWorkflowInput, waitMs: number): Promise<StartOutcome> {
      const startWorkflowOperation = new WithStartWorkflowOperation<PaymentWorkflow>('paymentWorkflow', {
        workflowId: paymentWorkflowId(input.request.paymentId),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: PAYMENT_STATUS, value: 'pending' },
          { key: ORDER_ID, value: input.request.orderId },
          { key: PAYMENT_METHOD, value: input.request.method },
        ],
      });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<StartOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'still-charging' }), waitMs);
      });
      const charged = client.workflow
        .executeUpdateWithStart(chargeCompletedUpdate, { startWorkflowOperation })
        .then((view): StartOutcome => ({ kind: 'charged', view }))
        .catch((error: unknown): StartOutcome => {
          if (error instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'already-closed' };
          throw error;
        });
      charged.catch(() => {});
      try {
        const first = await Promise.race([charged, deadline]);
        if (first.kind !== 'still-charging') return first;
      } finally {
        clearTimeout(timer);
      }
      // A 202 tells the client that the payment exists. While Temporal is unreachable the client library is still
      // retrying the start, which may yet fail: answer 202 only once Temporal has the workflow, otherwise wait for the
      // start to succeed or fail (then the error is a 503 the client can retry, never a payment id that never existed).
      for (;;) {
        if (await exists(input.request.paymentId).catch(() => false)) return { kind: 'still-charging' };
        const settled = await Promise.race([charged, sleep(1_000).then(() => null)]);
        if (settled) return settled;
      }
    },

    /** Whether Temporal has this payment's workflow (open, or closed within retention). */
    exists,

    /** The workflow's own view of the payment; null when no such workflow exists. */
    async view(paymentId: string): Promise<PaymentView | null> {
      return handle(paymentId)
        .query(paymentQuery)
        .catch((error: unknown) => {
          if (workflowGone(error)) return null;
          throw asOutage(error);
        });
    },

    /**
     * Signals a Midtrans notification to the payment's workflow; `closed` when the workflow has closed and takes no
     * signal. `notificationId`: the stored notification's row, for the audit trail. Bounded well inside the
     * forwarder's 30 s lease: a signal stuck on an unreachable Temporal is tried again.
     */
    async notify(paymentId: string, observation: MidtransObservation, notificationId?: number): Promise<'signalled' | 'closed'> {
      try {
        await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
          handle(paymentId).signal(midtransNotificationSignal, { ...observation, notificationId }),
        );
        return 'signalled';
      } catch (error) {
        if (workflowGone(error)) return 'closed';
        throw asOutage(error);
      }
    },

    /** `updateId`: one per client request (see completeUpdate); a retried request must send the same one. */
    cancel(paymentId: string, request: CancelRequest, updateId: string = randomUUID()): Promise<PaymentView> {
      return completeUpdate(paymentId, cancelUpdate, request, updateId);
    },

    refund(paymentId: string, request: RefundRequest, updateId: string = randomUUID()): Promise<PaymentView> {
      return completeUpdate(paymentId, refundUpdate, request, updateId);
    },

    /** Asks the payment's workflow to look at Midtrans now; a closed (or unknown) workflow is PAYMENT_WORKFLOW_CLOSED. */
    async requestReconcile(paymentId: string, request: ReconcileRequest): Promise<void> {
      try {
        await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => handle(paymentId).signal(reconcileRequestSignal, request));
      } catch (error) {
        if (!workflowGone(error)) throw asOutage(error);
        throw new ApiError(
          'PAYMENT_WORKFLOW_CLOSED',
          "this payment's workflow is closed (final, and its refund window over): there is no one to ask Midtrans and apply the answer",
        );
      }
    },

    /**
     * Starts (or, with the same `workflowId`, joins) an operator's redelivery and waits up to `waitMs` for its result;
     * undefined when it is still running. A finished workflow of that id answers with its result: nothing runs twice.
     */
    async redeliver(workflowId: string, input: DownstreamRedeliveryInput, waitMs: number): Promise<DownstreamRedeliveryResult | undefined> {
      const started = await client.workflow
        .start('downstreamRedeliveryWorkflow', {
          workflowId,
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        })
        .catch((error: unknown) => {
          if (error instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
          throw error;
        });
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      });
      try {
        return await Promise.race([started.result() as Promise<DownstreamRedeliveryResult>, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type PaymentWorkflows = ReturnType<typeof createPaymentWorkflows>;

/**
 * Workers from before MIDTRANS_UNAVAILABLE failed a gateway command for good as SERVICE_UNAVAILABLE (their only use of
 * it), and Temporal answers a repeated update id with that outcome for the rest of the run.
 */
const FAILURE_TYPES_OF_OLDER_WORKERS: Partial<Record<string, ErrorCode>> = { SERVICE_UNAVAILABLE: 'MIDTRANS_UNAVAILABLE' };

/** A rejected update carries the domain's error code as its failure type; a closed workflow takes no updates. */
function rethrowAsApiError(error: unknown): never {
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const { message, details } = error.cause;
    const type = FAILURE_TYPES_OF_OLDER_WORKERS[error.cause.type ?? ''] ?? error.cause.type;
    if (isErrorCode(type)) throw new ApiError(type, message, details?.[0], RETRY_AFTER_SECONDS[type]);
    // Only an API instance older than its worker sends an unbound request (a deploy in the wrong order): the retry,
    // with the same key, reaches a new instance.
    if (type === 'REQUEST_NOT_FOR_THIS_UPDATE') {
      throw new ApiError('SERVICE_UNAVAILABLE', 'the service is being deployed; retry (with the same Idempotency-Key)', undefined, OUTAGE_RETRY_AFTER_SECONDS);
    }
  }
  if (workflowGone(error)) throw new ApiError('INVALID_STATE', 'this payment is closed: it is final and its refund window has ended');
  throw asOutage(error);
}

/**
 * The input a payment workflow run was started with, read from the first event of its history (one event, not the
 * whole history). Workflows started before the checkout moved to PostgreSQL carry their customer and item details
 * there; the read model is rebuilt from it when PostgreSQL lost them.
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

/** One run of a payment workflow as the read model re-projects it: the workflow's view and the input it started with. */
export async function readPaymentRun(
  client: Client,
  workflowId: string,
  runId?: string,
): Promise<{ view: PaymentView; input: PaymentWorkflowInput }> {
  const [view, input] = await Promise.all([
    client.workflow.getHandle(workflowId, runId).query(paymentQuery),
    fetchPaymentWorkflowInput(client, workflowId, runId),
  ]);
  return { view, input };
}
