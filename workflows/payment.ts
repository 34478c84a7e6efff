import {
  ApplicationFailure,
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PaymentActivities, DownstreamEvent } from '../activities';
import {
  applyRefund,
  applyTransition,
  decideCancel,
  answerMismatch,
  applyMidtransObservation,
  chargesThroughSnap,
  decideOnMidtransStatus,
  decideRefund,
  DomainError,
  isAwaitingPayment,
  isPaid,
  isPaymentAfterClose,
  isSettlementReversal,
  notificationClaim,
  parseGrossAmount,
  refundKey,
  type MidtransObservation,
  type NotificationDecision,
  type PaymentState,
  type PaymentStatus,
} from '../src/domain';
import { PAYMENT_STATUS } from '../src/temporal/search-attributes';
import {
  auditEventKey,
  cancelUpdate,
  chargeCompletedUpdate,
  midtransNotificationSignal,
  paymentQuery,
  refundUpdate,
  type CancelRequest,
  type MidtransNotificationSignal,
  type PaymentEventSource,
  type PaymentHistoryEntry,
  type PaymentView,
  type PaymentWorkflowInput,
  type RefundRequest,
  type ResumedPayment,
} from './messages';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Lost-webhook reconciliation: ask Midtrans after 1, 5 and 15 minutes, then every hour. */
const DEFAULT_RECONCILE_AFTER_MINUTES = [1, 5, 15];
const RECONCILE_EVERY = 60 * MINUTE;
/** patched() ids: each marks a logic change that running workflows must replay around (see the README). */
const RECONCILE_FRAUD_STATUS_PATCH = 'reconcile-fraud-status-change';
const NOTIFICATIONS_ARE_HINTS_PATCH = 'notifications-are-hints';
const GATEWAY_ANSWER_CHECK_PATCH = 'gateway-answer-about-this-payment';
const CONTINUE_AS_NEW_PATCH = 'continue-as-new-on-long-history';
const CONFIRM_REVERSAL_CLAIMS_PATCH = 'confirm-reversal-claims';
/**
 * Temporal terminates a workflow at 51,200 events; its server suggests continuing as new long before that. A payment
 * open for 30 days only gets there under a flood of notifications, so this is a backstop, not a routine.
 */
const CONTINUE_AS_NEW_AFTER_EVENTS = 10_000;
/** A notification hints at transaction ids to try when a Snap order is unknown by its order_id: at most this many. */
const MAX_HINTED_LOOKUPS = 3;

/**
 * Midtrans calls: the client gives up after its own HTTP timeout, so 30 s per attempt is ample. Retries back off
 * to one a minute; a charge that still cannot be placed after 15 minutes is resolved by asking for the status.
 */
const gateway = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/**
 * Status look-ups: a permanent error (a rotated server key, an answer we cannot read) fails at once, transient ones
 * are retried for 10 minutes. Then the workflow records needs_operator_review and goes on (reconciliation asks again
 * later), so a cancel or refund never waits behind a look-up that cannot succeed.
 */
const lookups = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const charging = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** PostgreSQL writes are idempotent: retry until the database is back, however long that takes. */
const readModel = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
/**
 * Downstream services: network errors, 5xx, 408 and 429 are retried for a week with backoff up to an hour;
 * any other 4xx is final (DownstreamRejected) and stays visible as a failed delivery.
 */
const downstream = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['DownstreamRejected'] },
});

/** Each payment is one workflow that owns its truth, from the charge to the end of its refund window. */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentView> {
  const { request, resumed } = input;
  const startedAt = resumed?.startedAtMs ?? Date.now();
  const expiresAtMs = startedAt + request.expiryMinutes * MINUTE;
  const reconcileAt = (input.reconcileAfterMinutes ?? DEFAULT_RECONCILE_AFTER_MINUTES).map((m) => startedAt + m * MINUTE);
  const operatorReviews = metricMeter.createCounter('payment_needs_operator_review', 'reviews', 'Payments that need a person, by reason');

  let state: PaymentState = resumed?.state ?? {
    paymentId: request.paymentId,
    orderId: request.orderId,
    method: request.method,
    amount: request.amount,
    status: 'pending',
    refundedAmount: 0,
  };
  const view: PaymentView = resumed?.view ?? {
    paymentId: request.paymentId,
    orderId: request.orderId,
    userId: input.userId,
    method: request.method,
    bank: request.bank,
    amount: request.amount,
    refundedAmount: 0,
    status: 'pending',
    instructions: null,
    chargeCompleted: false,
    createdAt: iso(startedAt),
    updatedAt: iso(startedAt),
    expiresAt: iso(expiresAtMs),
    history: [],
    refunds: [],
    ignoredNotifications: {},
  };
  let version = resumed?.version ?? 0;
  let eventCount = resumed?.eventCount ?? 0;
  let refundWindowEndsMs = resumed?.refundWindowEndsMs;
  let expiryPassed = resumed?.expiryPassed ?? false;
  const inbox: MidtransNotificationSignal[] = [...(resumed?.inbox ?? [])];
  const deliveries: Promise<void>[] = [];
  let deliveriesInFlight = 0;
  /** Reversed statuses (deny, …) already asked about in this run: a flood of one claim costs one look-up. */
  const reversalsAsked: string[] = [];

  // One state change at a time: notifications, timers, cancel and refunds each run to completion before the next.
  let tail: Promise<unknown> = Promise.resolve();
  function serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = tail.then(step);
    tail = run.catch(() => undefined);
    return run;
  }

  // Midtrans finds an order by order_id or transaction_id; DANA (Snap) orders only by transaction_id.
  const midtransId = () => state.transactionId ?? state.paymentId;

  const currentView = (): PaymentView => ({
    ...view,
    status: state.status,
    refundedAmount: state.refundedAmount,
    midtransStatus: state.midtransStatus,
    fraudStatus: state.fraudStatus,
    transactionId: state.transactionId,
    readModelVersion: version,
  });

  /**
   * The payment as the read model stores it. The history stays out: each write carries its own event, and sending the
   * whole history every time would grow each write (and the workflow's own history, which stores activity inputs).
   */
  function readModelView(): Omit<PaymentView, 'history'> {
    const { history: _history, readModelVersion: _version, ...rest } = currentView();
    return rest;
  }

  async function record(kind: string, source: PaymentEventSource, extra: Partial<PaymentHistoryEntry> = {}) {
    const entry: PaymentHistoryEntry = { kind, source, at: iso(Date.now()), ...extra };
    view.history.push(entry);
    view.updatedAt = entry.at;
    version += 1;
    eventCount += 1;
    await readModel.recordPayment({ view: readModelView(), version }, { ...entry, key: auditEventKey(eventCount, kind) });
  }

  async function transition(to: PaymentStatus, source: PaymentEventSource, detail?: Record<string, unknown>) {
    const from = state.status;
    state = applyTransition(state, to);
    await announceTransition(from, to, source, detail);
  }

  /** Persists a status change already applied to `state`, tags the workflow for the UI, and tells downstream. */
  async function announceTransition(from: PaymentStatus, to: PaymentStatus, source: PaymentEventSource, detail?: Record<string, unknown>) {
    if (to === 'success') view.paidAt = iso(Date.now());
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: to }]);
    await record('transition', source, { from, to, detail });
    if (to === 'success' || to === 'failed' || to === 'expired' || to === 'canceled') notifyDownstream(to);
    // A refund Midtrans reports that we did not ask for (dashboard refund, chargeback) is still news downstream.
    if ((to === 'partially_refunded' || to === 'refunded') && source !== 'api') {
      notifyDownstream(to, `midtrans-${to}-${state.refundedAmount}`);
    }
  }

  /**
   * Applies what Midtrans says the order is now; anything the state machine refuses is recorded, never applied.
   * `auditIgnored: false` counts an answer that changes nothing instead of writing it to the audit trail.
   */
  async function applyObservation(
    observation: MidtransObservation,
    source: PaymentEventSource,
    auditIgnored = true,
  ): Promise<NotificationDecision> {
    const before = state;
    const { state: next, decision, steps } = applyMidtransObservation(state, observation);
    const detail = {
      transaction_status: observation.transactionStatus,
      fraud_status: observation.fraudStatus,
      status_code: observation.statusCode,
    };
    if (decision.kind === 'transition') {
      state = next;
      for (const step of steps) await announceTransition(step.from, step.to, source, detail);
    } else if (isSettlementReversal(before, observation) || isPaymentAfterClose(before, observation)) {
      // The table cannot follow Midtrans here (money reversed after success, or paid after we closed): alert.
      await needsOperatorReview(source, isSettlementReversal(before, observation) ? 'settlement_reversed' : 'paid_after_close', detail);
    } else {
      state = next;
      // What we asked for ourselves (charge answer, status poll) repeating what we know is not worth an audit line.
      if (decision.kind === 'ignored' && decision.reason === 'duplicate' && source !== 'webhook') return decision;
      if (decision.kind === 'ignored' && !auditIgnored) return decision;
      await record(decision.kind === 'ignored' ? 'notification_ignored' : 'notification_rejected', source, {
        detail: { ...detail, reason: decision.reason, gross_amount: observation.grossAmount },
      });
    }
    return decision;
  }

  /** Something only a person can settle (money reversed, paid after close, Midtrans unreachable or answering oddly). */
  async function needsOperatorReview(source: PaymentEventSource, reason: string, detail: Record<string, unknown> = {}) {
    operatorReviews.add(1, { reason });
    await record('needs_operator_review', source, { detail: { ...detail, reason } });
  }

  /**
   * Notifications that change nothing are counted by reason; only the first of each reason goes to the audit trail,
   * so a flood of them cannot grow the history. Signed fields that do not match (order, amount) are rejected, the rest
   * ignored.
   */
  async function noteIgnoredNotification(reason: string, what: MidtransObservation) {
    const counts = (view.ignoredNotifications ??= {});
    counts[reason] = (counts[reason] ?? 0) + 1;
    if (counts[reason] > 1) return;
    const kind = reason === 'order_mismatch' || reason === 'amount_mismatch' ? 'notification_rejected' : 'notification_ignored';
    const { transactionStatus, fraudStatus, statusCode, grossAmount } = what;
    await record(kind, 'webhook', {
      detail: {
        reason,
        transaction_status: transactionStatus,
        fraud_status: fraudStatus,
        status_code: statusCode,
        gross_amount: grossAmount,
      },
    });
  }

  /**
   * Midtrans's status of our own order; undefined when the look-up gave up (a permanent error, or transient ones past
   * the look-up's deadline), which is recorded for an operator.
   */
  async function lookUpStatus(source: PaymentEventSource, id: string = midtransId()): Promise<MidtransObservation | null | undefined> {
    try {
      return await lookups.fetchMidtransStatus(id);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await needsOperatorReview(source, 'status_lookup_failed', { error: describe(error) });
      return undefined;
    }
  }

  function notifyDownstream(status: PaymentStatus, eventKey: string = status, refundAmount?: number) {
    const event: DownstreamEvent = {
      paymentId: state.paymentId,
      orderId: state.orderId,
      userId: input.userId,
      eventKey,
      status,
      amount: state.amount,
      refundAmount,
    };
    // Runs beside the workflow: a slow or dead downstream service never blocks refunds or queries.
    const calls: Promise<void>[] = [downstream.notifyTransactionService(event)];
    if (input.userId && status !== 'failed' && status !== 'expired' && status !== 'canceled') {
      calls.push(downstream.notifyUserService({ ...event, userId: input.userId }));
    }
    for (const call of calls) {
      deliveriesInFlight += 1;
      deliveries.push(
        call
          .catch((error: unknown) =>
            serialized(() => record('downstream_failed', 'downstream', { detail: { event: eventKey, error: describe(error) } })),
          )
          .finally(() => {
            deliveriesInFlight -= 1;
          }),
      );
    }
  }

  // Messages ---------------------------------------------------------------------------------------------------
  setHandler(paymentQuery, currentView);
  setHandler(midtransNotificationSignal, (notification) => {
    inbox.push(notification);
  });
  setHandler(chargeCompletedUpdate, async () => {
    await condition(() => view.chargeCompleted);
    return currentView();
  });
  setHandler(
    cancelUpdate,
    (request: CancelRequest): Promise<PaymentView> =>
      serialized(async () => {
        guard(() => decideCancel(state));
        const outcome = await gateway.cancelAtMidtrans(midtransId()).catch(gatewayUnavailable);
        await refuseAnswerNotOurs('cancel', outcome.observation);
        if (outcome.observation) await applyObservation(outcome.observation, 'api');
        if (state.status !== 'canceled' && outcome.kind === 'done' && isAwaitingPayment(state.status)) {
          await transition('canceled', 'api', { reason: request.reason });
        }
        if (state.status !== 'canceled') {
          throw ApplicationFailure.nonRetryable(`payment is ${state.status}; it can no longer be canceled`, 'INVALID_STATE');
        }
        view.failureReason = request.reason;
        return currentView();
      }),
    { validator: (_request: CancelRequest) => guard(() => decideCancel(state)) },
  );
  setHandler(
    refundUpdate,
    (request: RefundRequest): Promise<PaymentView> =>
      serialized(async () => {
        guard(() => assertRefundWindowOpen());
        const decision = guard(() => decideRefund(state, request.amount));
        const key = refundKey(state.paymentId, view.refunds.length + 1);
        const outcome = await gateway
          .refundAtMidtrans({ paymentId: midtransId(), refundKey: key, amount: decision.amount, reason: request.reason })
          .catch(gatewayUnavailable);
        await refuseAnswerNotOurs('refund', outcome.observation, { refund_key: key });
        if (outcome.kind === 'refused') {
          await record('refund_rejected', 'api', { detail: { code: outcome.code, message: outcome.message, amount: decision.amount } });
          throw ApplicationFailure.nonRetryable(`Midtrans refused the refund: ${outcome.message}`, 'MIDTRANS_REFUND_REJECTED', {
            code: outcome.code,
          });
        }
        const from = state.status;
        const refundedTotal = outcome.observation?.refundAmount ? parseGrossAmount(outcome.observation.refundAmount) : undefined;
        state = applyRefund(state, decision.amount, refundedTotal);
        view.refunds.push({ refundKey: key, amount: decision.amount, reason: request.reason, status: 'succeeded', at: iso(Date.now()) });
        upsertSearchAttributes([{ key: PAYMENT_STATUS, value: state.status }]);
        await record('refund', 'api', { from, to: state.status, detail: { amount: decision.amount, refund_key: key } });
        notifyDownstream(state.status, `refund-${view.refunds.length}`, decision.amount);
        return currentView();
      }),
    {
      validator: (request: RefundRequest) =>
        guard(() => {
          assertRefundWindowOpen();
          decideRefund(state, request.amount);
        }),
    },
  );

  /**
   * Midtrans moved money (or canceled) but answered about another order: nothing here may count it, and a person must
   * find out where it went. Patched: workflows that met such an answer before applied it.
   */
  async function refuseAnswerNotOurs(
    command: 'cancel' | 'refund',
    answer: MidtransObservation | null,
    detail: Record<string, unknown> = {},
  ) {
    const notOurs = answer ? answerMismatch(state, answer) : null;
    if (!notOurs || !answer || !patched(GATEWAY_ANSWER_CHECK_PATCH)) return;
    await needsOperatorReview('api', `${command}_answer_not_ours`, {
      ...detail,
      mismatch: notOurs,
      order_id: answer.orderId,
      gross_amount: answer.grossAmount,
    });
    throw ApplicationFailure.nonRetryable(
      `Midtrans answered the ${command} about another order; an operator must check it`,
      'INTERNAL_ERROR',
    );
  }

  /** A gateway command that gave up for good (a rotated server key): the caller gets a typed failure, never a hang. */
  function gatewayUnavailable(error: unknown): never {
    if (error instanceof ActivityFailure) {
      throw ApplicationFailure.nonRetryable(`Midtrans could not be reached: ${describe(error)}`, 'SERVICE_UNAVAILABLE');
    }
    throw error;
  }

  function assertRefundWindowOpen() {
    if (refundWindowEndsMs !== undefined && Date.now() >= refundWindowEndsMs) {
      throw new DomainError('INVALID_STATE', 'the refund window of this payment has closed');
    }
  }

  // The process -------------------------------------------------------------------------------------------------
  if (resumed) upsertSearchAttributes([{ key: PAYMENT_STATUS, value: state.status }]);
  else await createAndCharge();

  async function createAndCharge() {
    version += 1;
    await readModel.recordPayment({
      view: readModelView(),
      version,
      created: { customerDetails: request.customer, itemDetails: request.items, description: request.description },
    });

    const charge = await charging.chargePayment(request).catch((error: unknown) => {
      log.error('charge could not be placed', { error: describe(error) });
      return null;
    });
    await serialized(async () => {
      if (charge?.kind === 'charged') {
        view.instructions = charge.instructions;
        await record('charged', 'charge', { detail: { instructions: charge.instructions?.kind ?? null } });
        if (charge.observation) await applyObservation(charge.observation, 'charge');
      } else if (charge?.kind === 'rejected') {
        view.failureReason = `Midtrans rejected the charge (${charge.code}): ${charge.message}`;
        await transition('failed', 'charge', { code: charge.code, message: charge.message });
      } else {
        // The gateway never answered clearly: only the status API can say whether the order exists. If it cannot say
        // either, the payment stays pending for reconciliation to settle.
        const observation = await lookUpStatus('reconciliation');
        if (observation) await applyObservation(observation, 'reconciliation');
        else if (observation === null) {
          view.failureReason = 'Midtrans could not be reached to place the charge';
          await transition('failed', 'charge', { reason: 'gateway_unavailable' });
        }
      }
      view.chargeCompleted = true;
    });
  }

  while (isAwaitingPayment(state.status)) {
    const now = Date.now();
    const nextReconcile = reconcileAt.find((t) => t > now) ?? now + RECONCILE_EVERY;
    const wakeAt = expiryPassed ? nextReconcile : Math.min(expiresAtMs, nextReconcile);
    const notified = await condition(() => inbox.length > 0 || !isAwaitingPayment(state.status), Math.max(wakeAt - now, 1));
    if (inbox.length > 0) {
      await serialized(processInbox);
    } else if (!notified && !expiryPassed && Date.now() >= expiresAtMs) {
      expiryPassed = true;
      await serialized(async () => {
        if (!isAwaitingPayment(state.status)) return;
        const observation = await gateway.expireAtMidtrans(midtransId()).catch(async (error: unknown) => {
          // Midtrans refuses us for good (a rotated key): we cannot know whether the customer paid, so nothing expires.
          if (!(error instanceof ActivityFailure)) throw error;
          await needsOperatorReview('timer', 'expiry_unconfirmed', { error: describe(error) });
          return undefined;
        });
        if (observation === undefined) return;
        if (observation) await applyObservation(observation, 'timer');
        if (state.status === 'pending') await transition('expired', 'timer', { reason: 'expiry timer' });
        // A card captured but held for fraud review (processing) is not ours to expire: Midtrans only expires pending
        // orders, and the money may still settle. The merchant approves or denies it at Midtrans; until then we keep
        // reconciling hourly. (Before this, the expired transition threw here and failed the workflow task forever;
        // the commands up to that point are unchanged, so such a workflow resumes on this code without a patch.)
        else if (state.status === 'processing')
          await record('expiry_deferred', 'timer', { detail: { reason: 'held_for_review', midtrans_status: state.midtransStatus } });
      });
    } else if (!notified) {
      await serialized(async () => {
        const observation = await lookUpStatus('reconciliation');
        if (observation && (observation.transactionStatus !== state.midtransStatus || fraudReviewChanged(observation))) {
          await applyObservation(observation, 'reconciliation');
        }
      });
    }
    if (historyIsLong()) await continueAsNewWithState();
  }

  /**
   * A challenged card keeps transaction_status `capture` when the merchant approves it; only fraud_status moves (to
   * accept). Reconciliation used to compare transaction_status alone and so never saw an approval: patched, because
   * workflows that reconciled before this change did nothing here and must replay the same way.
   */
  function fraudReviewChanged(observation: MidtransObservation): boolean {
    if (observation.fraudStatus === undefined || observation.fraudStatus === state.fraudStatus) return false;
    return patched(RECONCILE_FRAUD_STATUS_PATCH);
  }

  /**
   * Notifications that reached a workflow before the notifications-are-hints patch replay through the loop below,
   * which trusted a notification when the look-up found nothing; everything live goes through processHints.
   */
  async function processInbox() {
    if (patched(NOTIFICATIONS_ARE_HINTS_PATCH)) return processHints();
    while (inbox.length > 0) {
      const notification = inbox.shift()!;
      const observation: MidtransObservation = {
        transactionStatus: notification.transactionStatus,
        fraudStatus: notification.fraudStatus,
        grossAmount: notification.grossAmount,
        orderId: notification.orderId,
        statusCode: notification.statusCode,
        transactionId: notification.transactionId,
        refundAmount: notification.refundAmount,
      };
      const decision = decideOnMidtransStatus(state, observation);
      if (decision.kind !== 'transition') {
        await applyObservation(observation, 'webhook');
        continue;
      }
      // Midtrans's own advice: confirm a status-changing notification with the status API before acting on it.
      const confirmed = await gateway.fetchMidtransStatus(notification.transactionId ?? midtransId());
      await applyObservation(confirmed ?? observation, 'webhook');
    }
  }

  /**
   * A notification is a hint to ask, never a fact: Midtrans signs only order_id + status_code + gross_amount, so its
   * status, transaction_id, fraud_status and refund amount may have been edited. One that claims nothing new is
   * counted; one that claims a change makes us ask Midtrans about our own order, and only its answer is applied.
   */
  async function processHints() {
    while (inbox.length > 0) {
      const hintedTransactionIds: string[] = [];
      let claimsChange = false;
      for (const notification of inbox.splice(0)) {
        const claim = notificationClaim(state, notification);
        if (claim.kind !== 'transition' && !asksAboutReversal(notification)) {
          await noteIgnoredNotification(claim.reason, notification);
          continue;
        }
        claimsChange = true;
        const hinted = notification.transactionId;
        if (hinted && !hintedTransactionIds.includes(hinted) && hintedTransactionIds.length < MAX_HINTED_LOOKUPS)
          hintedTransactionIds.push(hinted);
      }
      if (claimsChange) await confirmWithMidtrans(hintedTransactionIds);
    }
  }

  /**
   * The table never moves a paid payment back, yet Midtrans can reverse a settlement (deny): a notification claiming
   * so is worth one look-up per claimed status, whose answer an operator reviews. Patched: before this, such a claim
   * was counted stale without asking.
   */
  function asksAboutReversal(notification: MidtransObservation): boolean {
    const claimed = notification.transactionStatus;
    if (!isSettlementReversal(state, notification) || reversalsAsked.includes(claimed)) return false;
    if (!patched(CONFIRM_REVERSAL_CLAIMS_PATCH)) return false;
    reversalsAsked.push(claimed);
    return true;
  }

  async function confirmWithMidtrans(hintedTransactionIds: string[]) {
    let answer = await lookUpStatus('webhook');
    // A Snap order may be unknown by order_id (DANA always is): try the ids the notifications hinted at; an answer
    // counts only if it is about our order.
    if (answer === null && chargesThroughSnap(request)) {
      for (const id of hintedTransactionIds) {
        const hinted = await lookUpStatus('webhook', id);
        if (hinted === undefined) return;
        if (hinted && answerMismatch(state, hinted) === null) {
          answer = hinted;
          break;
        }
      }
    }
    if (answer === undefined) return; // recorded for an operator; reconciliation asks again
    if (answer === null) return needsOperatorReview('webhook', 'unknown_at_midtrans');
    const notOurs = answerMismatch(state, answer);
    if (notOurs)
      return needsOperatorReview('webhook', 'status_answer_not_ours', {
        mismatch: notOurs,
        order_id: answer.orderId,
        gross_amount: answer.grossAmount,
      });
    const decision = await applyObservation(answer, 'webhook', false);
    // What the status API says, not what the notification claimed, is what the audit line shows.
    if (decision.kind === 'ignored') await noteIgnoredNotification('unconfirmed', answer);
  }

  /** Near Temporal's history limit (or a test's low threshold), the payment moves to a fresh run with its state. */
  function historyIsLong(): boolean {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < (input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AFTER_EVENTS)) return false;
    // A delivery to a downstream service is an activity of this run: wait for it rather than lose it.
    return deliveriesInFlight === 0 && patched(CONTINUE_AS_NEW_PATCH);
  }

  async function continueAsNewWithState(): Promise<never> {
    await condition(allHandlersFinished);
    await tail;
    const carried: ResumedPayment = {
      state,
      view,
      version,
      eventCount,
      startedAtMs: startedAt,
      expiryPassed,
      refundWindowEndsMs,
      inbox: [...inbox],
    };
    return continueAsNew<typeof paymentWorkflow>({ ...input, resumed: carried });
  }

  if (isPaid(state.status)) {
    refundWindowEndsMs ??= Date.now() + input.refundWindowDays * DAY;
    while (state.status !== 'refunded') {
      const remaining = refundWindowEndsMs - Date.now();
      if (remaining <= 0) break;
      await condition(() => inbox.length > 0 || state.status === 'refunded', remaining);
      if (inbox.length > 0) await serialized(processInbox);
      if (historyIsLong()) await continueAsNewWithState();
    }
    refundWindowEndsMs = Math.min(refundWindowEndsMs, Date.now());
  }

  await condition(allHandlersFinished);
  await tail;
  await Promise.all(deliveries);
  log.info('payment workflow finished', { paymentId: state.paymentId, status: state.status, workflowId: workflowInfo().workflowId });
  return currentView();
}

/** Domain rule violations become typed update failures (the API maps their type to an HTTP status). */
function guard<T>(rule: () => T): T {
  try {
    return rule();
  } catch (error) {
    if (error instanceof DomainError) throw ApplicationFailure.nonRetryable(error.message, error.code, error.details);
    throw error;
  }
}

function describe(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
