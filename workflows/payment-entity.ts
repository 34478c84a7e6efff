import { ActivityFailure, ApplicationFailure, condition, currentUpdateInfo, metricMeter, patched, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ChargeOutcome, DownstreamEvent, PaymentActivities } from '../activities';
import {
  answerMismatch,
  applyMidtransObservation,
  applyRefund,
  applyTransition,
  auditEventKey,
  chargesThroughSnap,
  claimsPaymentAfterClose,
  decideCancel,
  decideOnMidtransStatus,
  decideRefund,
  DomainError,
  isAwaitingPayment,
  isPaymentAfterClose,
  isSettlementReversal,
  nextReconciliationAt,
  notificationClaim,
  parseGrossAmount,
  reconciliationDrift,
  refundKey,
  REFUND_UPDATE_CLAIMED,
  reportsMoreRefunded,
  type MidtransObservation,
  type NotificationDecision,
  type PaymentEventSource,
  type PaymentHistoryEntry,
  type PaymentState,
  type PaymentStatus,
  type PaymentView,
} from '../src/domain';
import { PAYMENT_STATUS } from '../src/temporal/search-attributes';
import { cancelAtMidtrans, confirmNotification, expireAtMidtrans, refundAtMidtrans } from './activity-proxies';
import { applies, PATCHES } from './patches';
import { activityGaveUp, askMidtransForStatus, deliverToTransactionService, deliverToUserService, failureMessage, writeReadModel } from './steps';
import type {
  CancelRequest,
  DownstreamDelivery,
  MidtransNotificationSignal,
  PaymentWorkflowInput,
  ReconcileRequest,
  RefundRequest,
  ResumedPayment,
} from './messages';
import { requestProblem } from './messages';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Lost-webhook reconciliation before its patch: ask Midtrans after 1, 5 and 15 minutes, then every hour. */
const HOURLY_RECONCILE_AFTER_MINUTES = [1, 5, 15];
const RECONCILE_HOURLY = 60 * MINUTE;
/**
 * Temporal terminates a workflow at 51,200 events; its server suggests continuing as new long before that. A payment
 * open for 30 days only gets there under a flood of notifications, so this is a backstop, not a routine.
 */
const CONTINUE_AS_NEW_AFTER_EVENTS = 10_000;
/** A notification hints at transaction ids to try when a Snap order is unknown by its order_id: at most this many. */
const MAX_HINTED_LOOKUPS = 3;
/**
 * Look-ups asked for by notifications' claims that a run makes at once; after them, one at most every
 * CLAIM_LOOK_UP_SPACING_MS. One signed body with its unsigned fields edited makes endless claims, each signalled.
 */
const CLAIM_LOOK_UPS_AT_ONCE = 20;
const CLAIM_LOOK_UP_SPACING_MS = 10_000;

/** One read-model write: the row as of a step, and its audit lines. */
type ReadModelSnapshot = Parameters<PaymentActivities['recordPaymentLines']>[0];
type AuditLine = Parameters<PaymentActivities['recordPaymentLines']>[1][number];

/** What the view adds to the domain state; everything else in the view is read from the state. */
type PaymentDetails = Omit<PaymentView, keyof PaymentState | 'readModelVersion'>;

/**
 * One payment as its workflow holds it: the domain state, what the view adds to it, and every step that changes them.
 * Each step records itself (audit event + read-model write) and runs alone: notifications, timers, cancel and refunds
 * are serialized, so an update never interleaves with a notification between its activity calls.
 */
export class PaymentEntity {
  private state: PaymentState;
  private readonly details: PaymentDetails;
  private version: number;
  private eventCount: number;
  private readonly startedAtMs: number;
  private readonly expiresAtMs: number;
  /** Hourly reconciliation's first looks, for workflows started before its patch. */
  private readonly hourlyReconcileAt: number[];
  private expiryPassed: boolean;
  /** The charge step has answered: its checkout is not needed again, and the next write deletes it. */
  private chargeAnswered = false;
  private refundWindowEndsMs: number | undefined;
  private readonly inbox: MidtransNotificationSignal[];
  /** Who asked for a look at Midtrans that has not been made yet (operators, the daily reconciliation). */
  private reconcileRequests: ReconcileRequest[];
  /** Cancel and refund updates carried out, by id, in this run and the earlier ones (see ResumedPayment). */
  private readonly answeredUpdateIds: string[];
  private readonly failedUpdateIds: string[];
  /** The reason of the cancel being carried out, for the write of the transition that cancels. */
  private cancelReason: string | undefined;
  private readonly deliveries: Promise<void>[] = [];
  private deliveriesInFlight = 0;
  /** The deliveries started and not yet settled, for a run that continues as new meanwhile. */
  private readonly deliveriesUnsettled = new Set<DownstreamDelivery>();
  /** The claimed statuses of reversals and of payments after close asked about in this run: a flood of one costs one look-up. */
  private readonly claimsBeyondTheTableAsked: string[] = [];
  /** False once this workflow turned out to be one that reads no notification after close (its history says so). */
  private readsClaimsAfterClose = true;
  /** False once this workflow turned out to be one that leaves reconcile requests unread after close. */
  private readsReconcileAfterClose = true;
  /** Look-ups this run made for notifications' claims, and when the last one was made. */
  private claimLookUps = 0;
  private lastClaimLookUpMs = 0;
  /** Routine audit lines not written yet: the next write carries them (see `lineCanWait`). */
  private readonly waitingLines: AuditLine[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private readonly operatorReviews = metricMeter.createCounter(
    'payment_needs_operator_review',
    'reviews',
    'Payments that need a person, by reason',
  );

  constructor(private readonly input: PaymentWorkflowInput) {
    const { request, resumed } = input;
    this.startedAtMs = resumed?.startedAtMs ?? Date.now();
    this.expiresAtMs = this.startedAtMs + request.expiryMinutes * MINUTE;
    this.hourlyReconcileAt = (input.reconcileAfterMinutes ?? HOURLY_RECONCILE_AFTER_MINUTES).map((m) => this.startedAtMs + m * MINUTE);
    this.state = resumed?.state ?? {
      paymentId: request.paymentId,
      orderId: request.orderId,
      method: request.method,
      amount: request.amount,
      status: 'pending',
      refundedAmount: 0,
    };
    this.details = resumed
      ? detailsOf(resumed.view)
      : {
          userId: input.userId,
          bank: request.bank,
          instructions: null,
          chargeCompleted: false,
          createdAt: iso(this.startedAtMs),
          updatedAt: iso(this.startedAtMs),
          expiresAt: iso(this.expiresAtMs),
          history: [],
          refunds: [],
          ignoredNotifications: {},
        };
    this.version = resumed?.version ?? 0;
    this.eventCount = resumed?.eventCount ?? 0;
    this.refundWindowEndsMs = resumed?.refundWindowEndsMs;
    this.expiryPassed = resumed?.expiryPassed ?? false;
    this.inbox = [...(resumed?.inbox ?? [])];
    this.reconcileRequests = [...(resumed?.reconcileRequests ?? [])];
    this.answeredUpdateIds = [...(resumed?.answeredUpdateIds ?? [])];
    this.failedUpdateIds = [...(resumed?.failedUpdateIds ?? [])];
  }

  // What the workflow and its callers read -------------------------------------------------------------------------

  get status(): PaymentStatus {
    return this.state.status;
  }

  get chargeCompleted(): boolean {
    return this.details.chargeCompleted;
  }

  get hasNotifications(): boolean {
    return this.inbox.length > 0;
  }

  get reconciliationRequested(): boolean {
    return this.reconcileRequests.length > 0;
  }

  view(): PaymentView {
    const { paymentId, orderId, method, amount, status, refundedAmount, midtransStatus, fraudStatus, transactionId } = this.state;
    return {
      ...this.details,
      paymentId,
      orderId,
      method,
      amount,
      status,
      refundedAmount,
      midtransStatus,
      fraudStatus,
      transactionId,
      readModelVersion: this.version,
    };
  }

  /**
   * Until the next reason to wake without a message: the expiry (once) or the next reconciliation (src/domain/
   * reconciliation.ts). Patched: workflows that started timing their looks hourly replay the same timers.
   */
  nextCheckAt(): number {
    const now = Date.now();
    const nextReconcile = applies(PATCHES.reconcileEvery6Hours)
      ? nextReconciliationAt(
          { startedAtMs: this.startedAtMs, expiresAtMs: this.expiresAtMs, earlyLooksMinutes: this.input.reconcileAfterMinutes },
          now,
        )
      : (this.hourlyReconcileAt.find((t) => t > now) ?? now + RECONCILE_HOURLY);
    return this.expiryPassed ? nextReconcile : Math.min(this.expiresAtMs, nextReconcile);
  }

  msUntilNextCheck(): number {
    return Math.max(this.nextCheckAt() - Date.now(), 1);
  }

  expiryIsDue(): boolean {
    return !this.expiryPassed && Date.now() >= this.expiresAtMs;
  }

  /** The refund window's end, counted from the first time a paid payment gets here (a resumed run keeps it). */
  openRefundWindow(days: number): number {
    this.refundWindowEndsMs ??= Date.now() + days * DAY;
    return this.refundWindowEndsMs;
  }

  closeRefundWindow(): void {
    if (this.refundWindowEndsMs !== undefined) this.refundWindowEndsMs = Math.min(this.refundWindowEndsMs, Date.now());
  }

  // Messages ----------------------------------------------------------------------------------------------------------

  receive(notification: MidtransNotificationSignal): void {
    this.inbox.push(notification);
  }

  requestReconciliation(request: ReconcileRequest): void {
    this.reconcileRequests.push(request);
  }

  /**
   * Whoever holds the key opens a sealed payload wherever it is sent: only a request bound to this payment and this
   * update (its binding sealed with it) is taken, and an update that failed in an earlier run is not carried out again
   * (Temporal knows an update id within its run only). Only validators ask, so histories replay as they ran.
   */
  private refuseRequestNotForThisUpdate(request: unknown): void {
    const update = currentUpdateInfo();
    const problem = requestProblem(request, {
      paymentId: this.state.paymentId,
      updateId: update?.id ?? '',
      update: update?.name === 'cancel' ? 'cancel' : 'refund',
    });
    if (problem) throw ApplicationFailure.nonRetryable(`the ${update?.name} request ${problem}`, 'REQUEST_NOT_FOR_THIS_UPDATE');
    if (update && this.failedUpdateIds.includes(update.id)) {
      throw ApplicationFailure.nonRetryable(
        `this ${update.name} failed in an earlier run of the payment and is not carried out again: read the payment, then send a new request with a new Idempotency-Key`,
        'REQUEST_ALREADY_FAILED',
      );
    }
  }

  validateCancel(): void {
    guard(() => decideCancel(this.state));
  }

  /**
   * A cancel request, before it is accepted: refused while the charge is being placed, since Midtrans has no order to
   * cancel yet (its cancel answers 404) and the charge would then place a payable order for a canceled payment. Only
   * the validator asks: validators do not run on replay, so an accepted cancel replays as it ran.
   */
  validateCancelRequest(request: unknown): void {
    this.refuseRequestNotForThisUpdate(request);
    if (this.answeredInEarlierRun()) return;
    if (!this.input.resumed && !this.details.chargeCompleted) {
      throw ApplicationFailure.nonRetryable('the charge is still being placed at Midtrans; retry the cancel once it is', 'CHARGE_IN_PROGRESS');
    }
    this.validateCancel();
  }

  cancel(request: CancelRequest): Promise<PaymentView> {
    if (this.answeredInEarlierRun()) return Promise.resolve(this.view());
    const updateId = currentUpdateInfo()?.id;
    return this.serialized(async () => {
      try {
        this.validateCancel();
        // Whichever step cancels (Midtrans's answer, or ours after it), its write carries the reason.
        this.cancelReason = request.reason;
        try {
          const outcome = await cancelAtMidtrans(this.midtransId()).catch((error: unknown) => this.notTakenByMidtrans('cancel', error));
          await this.refuseAnswerNotOurs('cancel', outcome.observation);
          if (outcome.observation) await this.applyObservation(outcome.observation, 'api');
          if (this.state.status !== 'canceled' && outcome.kind === 'done' && isAwaitingPayment(this.state.status)) {
            await this.transition('canceled', 'api', { reason: request.reason });
          }
        } finally {
          this.cancelReason = undefined;
        }
        if (this.state.status !== 'canceled') {
          throw ApplicationFailure.nonRetryable(`payment is ${this.state.status}; it can no longer be canceled`, 'INVALID_STATE');
        }
        this.rememberAnswered(updateId);
        return this.view();
      } catch (error) {
        this.rememberFailed(updateId);
        throw error;
      }
    });
  }

  validateRefund(request: RefundRequest): void {
    this.refuseRequestNotForThisUpdate(request);
    if (this.answeredInEarlierRun()) return;
    guard(() => {
      this.assertRefundWindowOpen();
      decideRefund(this.state, request.amount);
    });
  }

  refund(request: RefundRequest): Promise<PaymentView> {
    if (this.answeredInEarlierRun()) return Promise.resolve(this.view());
    const updateId = currentUpdateInfo()?.id;
    return this.serialized(async () => {
      try {
        guard(() => this.assertRefundWindowOpen());
        const decision = guard(() => decideRefund(this.state, request.amount));
        const key = refundKey(this.state.paymentId, this.details.refunds.length + 1);
        const outcome = await refundAtMidtrans({
          paymentId: this.midtransId(),
          refundKey: key,
          amount: decision.amount,
          reason: request.reason,
          ...(updateId !== undefined && { claim: { paymentId: this.state.paymentId, updateId } }),
        }).catch((error: unknown) => this.notTakenByMidtrans('refund', error, { amount: decision.amount, refund_key: key }));
        await this.refuseAnswerNotOurs('refund', outcome.observation, { refund_key: key });
        if (outcome.kind === 'refused') {
          await this.record('refund_rejected', 'api', { detail: { code: outcome.code, message: outcome.message, amount: decision.amount } });
          throw ApplicationFailure.nonRetryable(`Midtrans refused the refund: ${outcome.message}`, 'MIDTRANS_REFUND_REJECTED', {
            code: outcome.code,
          });
        }
        const from = this.state.status;
        const counted = refundCounted(this.state, decision.amount, outcome.observation?.refundAmount);
        this.state = counted.state;
        this.details.refunds.push({
          refundKey: key,
          amount: decision.amount,
          reason: request.reason,
          status: 'succeeded',
          at: iso(Date.now()),
        });
        upsertSearchAttributes([{ key: PAYMENT_STATUS, value: this.state.status }]);
        await this.record('refund', 'api', { from, to: this.state.status, detail: { amount: decision.amount, refund_key: key } });
        if (counted.mismatch) {
          await this.needsOperatorReview('api', 'refund_answer_mismatch', {
            amount: decision.amount,
            midtrans_refund_amount: outcome.observation?.refundAmount ?? null,
            error: counted.mismatch,
          });
        }
        this.notifyDownstream(this.state.status, `refund-${this.details.refunds.length}`, decision.amount);
        this.rememberAnswered(updateId);
        return this.view();
      } catch (error) {
        this.rememberFailed(updateId);
        throw error;
      }
    });
  }

  /**
   * This cancel or refund update was carried out by an earlier run under the same id: it is answered with the payment
   * as it is now, and nothing is done again. (Within a run Temporal answers a repeated id itself.)
   */
  private answeredInEarlierRun(): boolean {
    const id = currentUpdateInfo()?.id;
    return id !== undefined && this.answeredUpdateIds.includes(id);
  }

  /**
   * Remembers a cancel or refund update once carried out, for the runs that continue this one. Called as the step's
   * last statement, not chained after it: a chained step would answer the update a microtask later than before.
   */
  private rememberAnswered(updateId: string | undefined): void {
    if (updateId !== undefined) this.answeredUpdateIds.push(updateId);
  }

  /** Remembers a cancel or refund update that failed once accepted, for the runs that continue this one. */
  private rememberFailed(updateId: string | undefined): void {
    if (updateId !== undefined) this.failedUpdateIds.push(updateId);
  }

  // Steps of the process ------------------------------------------------------------------------------------------

  /** A resumed run tags itself again: search attributes do not carry over to a new run. */
  tagStatus(): void {
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: this.state.status }]);
  }

  /**
   * The row's first write, unless a step wrote it already. The customer and item details reach the row from the
   * checkout the API stored; only a workflow started with them in its input (before they moved to PostgreSQL) sends
   * them, as it always did.
   */
  recordCreated(): Promise<void> {
    if (this.version > 0) return Promise.resolve();
    this.version += 1;
    return writeReadModel(this.snapshot());
  }

  /** `null`: the charge gave up without a clear answer. */
  applyChargeAnswer(charge: ChargeOutcome | null): Promise<void> {
    return this.serialized(async () => {
      this.chargeAnswered = true;
      if (charge?.kind === 'charged') {
        // An answer about another order keeps nothing: its instructions would have the customer pay that order. The
        // looks at Midtrans (1, 5 and 15 minutes on) say whether ours exists. Patched: older workflows kept it.
        if (!(await this.toldAnswerNotOurs('charge', 'charge', charge.observation, () => patched(PATCHES.chargeAnswerCheck)))) {
          this.details.instructions = charge.instructions;
          if (charge.observation) this.learnWithoutMoving(charge.observation);
          await this.record('charged', 'charge', { detail: { instructions: charge.instructions?.kind ?? null } });
          if (charge.observation) await this.applyObservation(charge.observation, 'charge');
        }
      } else if (charge?.kind === 'rejected') {
        this.details.failureReason = `Midtrans rejected the charge (${charge.code}): ${charge.message}`;
        await this.transition('failed', 'charge', { code: charge.code, message: charge.message });
      } else {
        // Only the status API can say whether the order exists. If it cannot say either, the payment stays pending
        // for reconciliation to settle.
        const observation = await this.lookUpStatus('reconciliation');
        if (observation) await this.applyObservation(observation, 'reconciliation');
        else if (observation === null) {
          this.details.failureReason = 'Midtrans could not be reached to place the charge';
          await this.transition('failed', 'charge', { reason: 'gateway_unavailable' });
        }
      }
      // The charge's answer changed nothing to record (Midtrans could not say): the row is written all the same.
      if (this.version === 0) await this.recordCreated();
      this.details.chargeCompleted = true;
    });
  }

  /** Expires the order at Midtrans and here, unless Midtrans says the customer paid in the meantime. */
  expire(): Promise<void> {
    this.expiryPassed = true;
    return this.serialized(async () => {
      if (!isAwaitingPayment(this.state.status)) return;
      const observation = await expireAtMidtrans(this.midtransId()).catch(async (error: unknown) => {
        // Midtrans refuses us for good (a rotated key): we cannot know whether the customer paid, so nothing expires.
        if (!(error instanceof ActivityFailure)) throw error;
        await this.needsOperatorReview('timer', 'expiry_unconfirmed', { error: failureMessage(error) });
        return undefined;
      });
      if (observation === undefined) return;
      // Nothing expires on an answer about another order: the next look (every 6 hours past expiry) decides. Patched:
      // workflows that expired anyway replay the same.
      if (await this.toldAnswerNotOurs('expire', 'timer', observation, () => patched(PATCHES.expireAnswerCheck))) return;
      if (observation) await this.applyObservation(observation, 'timer');
      if (this.state.status === 'pending') await this.transition('expired', 'timer', { reason: 'expiry timer' });
      // A card captured but held for fraud review (processing) is not ours to expire: Midtrans only expires pending
      // orders, and the money may still settle. The merchant approves or denies it at Midtrans; until then we keep
      // reconciling (every 6 hours past expiry).
      else if (this.state.status === 'processing')
        await this.record('expiry_deferred', 'timer', {
          detail: { reason: 'held_for_review', midtrans_status: this.state.midtransStatus },
        });
    });
  }

  /**
   * No notification came, or someone asked: ask Midtrans, and apply its answer only when it says something new. Asks
   * that arrive together are answered by one look-up.
   */
  reconcile(): Promise<void> {
    return this.serialized(async () => {
      await this.recordReconcileRequests();
      const observation = await this.lookUpStatus('reconciliation');
      // Patched: workflows that recorded such an answer as a rejected notification, or nothing, replay so.
      if (await this.toldAnswerNotOurs('status', 'reconciliation', observation ?? null, () => patched(PATCHES.reconcileAnswerCheck))) return;
      if (
        observation &&
        (observation.transactionStatus !== this.state.midtransStatus || this.fraudReviewChanged(observation) || this.furtherRefundReported(observation))
      ) {
        await this.applyObservation(observation, 'reconciliation');
      }
    });
  }

  processInbox(): Promise<void> {
    return this.serialized(() => this.drainInbox());
  }

  private async recordReconcileRequests(): Promise<void> {
    const requests = this.reconcileRequests.splice(0);
    if (requests.length === 0) return;
    await this.record('reconciliation_requested', 'reconciliation', {
      detail: { requestedBy: [...new Set(requests.map((r) => r.requestedBy))], reasons: requests.flatMap((r) => r.reason ?? []) },
    });
  }

  /**
   * A closed payment applies nothing Midtrans says, yet its workflow runs on while its deliveries retry, so the daily
   * reconciliation and operators still reach it: it looks, and what differs from ours goes to a person. Patched:
   * workflows that left such requests unread replay so.
   */
  private async reconcileAfterClose(): Promise<void> {
    if (!patched(PATCHES.reconcileAfterClose)) {
      this.readsReconcileAfterClose = false;
      return;
    }
    await this.serialized(async () => {
      await this.recordReconcileRequests();
      const observation = await this.lookUpStatus('reconciliation');
      if (observation === undefined) return;
      const { paymentId: id, status, amount, refundedAmount } = this.state;
      const drift = reconciliationDrift({ id, status, amount, refundedAmount }, observation);
      if (!drift) return;
      await this.needsOperatorReview('reconciliation', 'midtrans_differs_after_close', {
        drift,
        our_status: status,
        midtrans_status: observation?.transactionStatus ?? null,
        midtrans_fraud_status: observation?.fraudStatus ?? null,
        midtrans_refund_amount: observation?.refundAmount ?? null,
      });
    });
  }

  private reconcileAskedAfterClose(): boolean {
    return this.readsReconcileAfterClose && this.reconcileRequests.length > 0;
  }

  /** Near Temporal's history limit (or a test's low threshold), the payment moves to a fresh run with its state. */
  historyIsLong(): boolean {
    if (!this.historyReachedLimit()) return false;
    if (this.deliveriesInFlight === 0) return applies(PATCHES.continueAsNew);
    // A delivery can retry for days while a flood of distinct notifications grows the history toward Temporal's
    // limit: the run goes on without waiting, and the next run makes the delivery again (deliveriesOwed). Patched:
    // workflows that waited for their deliveries replay the same.
    return applies(PATCHES.continueAsNew) && patched(PATCHES.continueAsNewBesideDeliveries);
  }

  /**
   * Once closed, the payment waits for its deliveries, which can retry for days while signals still come: true when
   * the history grew long first, and the run should continue as new rather than wait on (the next run makes the
   * deliveries again). Patched: workflows that waited for their deliveries whatever their length replay the same.
   */
  async historyGrewLongBeforeDeliveries(): Promise<boolean> {
    let settled = false;
    void this.deliveriesSettled().then(() => (settled = true));
    for (;;) {
      await condition(() => settled || this.historyReachedLimit() || this.paymentClaimedAfterClose() || this.reconcileAskedAfterClose());
      if (this.reconcileAskedAfterClose()) await this.reconcileAfterClose();
      else if (this.paymentClaimedAfterClose()) await this.askAboutPaymentClaimedAfterClose();
      else break;
    }
    return !settled && patched(PATCHES.closedContinuesAsNew);
  }

  /**
   * A payment we closed unpaid that Midtrans says it took (a DANA or Snap order its cancel could not find, one paid as
   * our timer fired): a notification signed 200 is asked about, and what Midtrans answers goes to a person, also
   * while the payment waits for its deliveries. Patched: workflows that read no notification once closed replay so.
   */
  async askAboutPaymentClaimedAfterClose(): Promise<void> {
    if (!this.paymentClaimedAfterClose()) return;
    if (!patched(PATCHES.askAboutPaymentAfterClose)) {
      this.readsClaimsAfterClose = false;
      return;
    }
    await this.processInbox();
  }

  private paymentClaimedAfterClose(): boolean {
    return this.readsClaimsAfterClose && this.inbox.some((notification) => claimsPaymentAfterClose(this.state, notification));
  }

  /** Otherwise a closed payment reads no notification and makes no look: what it was sent is not carried to its next run. */
  forgetMessages(): void {
    this.inbox.length = 0;
    this.reconcileRequests = [];
  }

  private historyReachedLimit(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.continueAsNewAfterEvents ?? CONTINUE_AS_NEW_AFTER_EVENTS);
  }

  /** Everything a new run needs to go on where this one stops. */
  carryOver(): ResumedPayment {
    return {
      state: this.state,
      view: this.view(),
      version: this.version,
      eventCount: this.eventCount,
      startedAtMs: this.startedAtMs,
      expiryPassed: this.expiryPassed,
      refundWindowEndsMs: this.refundWindowEndsMs,
      inbox: [...this.inbox],
      reconcileRequests: [...this.reconcileRequests],
      answeredUpdateIds: [...this.answeredUpdateIds],
      failedUpdateIds: [...this.failedUpdateIds],
      deliveriesOwed: [...this.deliveriesUnsettled],
    };
  }

  /** Lines still waiting for a write are written now (the run continues as new). Only the main loop adds lines. */
  writeWaitingLines(): Promise<void> {
    if (this.waitingLines.length === 0) return Promise.resolve();
    return this.serialized(async () => {
      this.version += 1;
      await writeReadModel(this.snapshot(), this.waitingLines.splice(0));
    });
  }

  /** The step running now, if any, has finished. */
  idle(): Promise<unknown> {
    return this.tail;
  }

  /** Every downstream delivery of this run has been made, or given up and recorded. */
  deliveriesSettled(): Promise<unknown> {
    return Promise.all(this.deliveries);
  }

  // Machinery -----------------------------------------------------------------------------------------------------

  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Midtrans finds an order by order_id or transaction_id; DANA (Snap) orders only by transaction_id. */
  private midtransId(): string {
    return this.state.transactionId ?? this.state.paymentId;
  }

  /**
   * The payment as the read model stores it. The history stays out: each write carries its own event, and sending the
   * whole history every time would grow each write (and the workflow's own history, which stores activity inputs).
   */
  private readModelView(): Omit<PaymentView, 'history'> {
    const { history: _history, readModelVersion: _version, ...rest } = this.view();
    return rest;
  }

  /** Adds a line to the payment's history and writes it, after any lines that waited for a write. */
  private async record(kind: string, source: PaymentEventSource, extra: Partial<PaymentHistoryEntry> = {}): Promise<void> {
    const line = this.addLine(kind, source, extra);
    this.version += 1;
    await writeReadModel(this.snapshot(), [...this.waitingLines.splice(0), line]);
  }

  private addLine(kind: string, source: PaymentEventSource, extra: Partial<PaymentHistoryEntry>): AuditLine {
    const entry: PaymentHistoryEntry = { kind, source, at: iso(Date.now()), ...extra };
    this.details.history.push(entry);
    this.details.updatedAt = entry.at;
    this.eventCount += 1;
    return { ...entry, key: auditEventKey(this.eventCount, kind) };
  }

  /**
   * Midtrans repeating the status we hold, or sending one we have passed, is routine while the payment awaits its
   * money (every charge's pending notification is one), and the notification itself is already stored. Its line waits
   * for the payment's next write: every way out of waiting is a status change, which is written, and a run that
   * continues as new writes what waits first. Patched: older workflows wrote each line at once.
   */
  private lineCanWait(reason: string): boolean {
    return (reason === 'duplicate' || reason === 'stale') && isAwaitingPayment(this.state.status) && applies(PATCHES.routineLinesWait);
  }

  /** The row as of this step; its first write also carries the details an older workflow's input holds. */
  private snapshot(): ReadModelSnapshot {
    const { customer, items, description } = this.input.request;
    const created = this.version === 1 && customer ? { created: { customerDetails: customer, itemDetails: items, description } } : {};
    return { view: this.readModelView(), version: this.version, ...created, ...(this.chargeAnswered ? { checkoutUsed: true } : {}) };
  }

  private async transition(to: PaymentStatus, source: PaymentEventSource, detail?: Record<string, unknown>): Promise<void> {
    const from = this.state.status;
    this.state = applyTransition(this.state, to);
    await this.announceTransition(from, to, source, detail);
  }

  /**
   * Persists a status change already applied to the state, tags the workflow for the UI, and tells downstream.
   * `refunded`: the money this change refunded, for a refund Midtrans reports.
   */
  private async announceTransition(
    from: PaymentStatus,
    to: PaymentStatus,
    source: PaymentEventSource,
    detail?: Record<string, unknown>,
    refunded?: number,
  ) {
    if (to === 'success') this.details.paidAt = iso(Date.now());
    if (to === 'canceled' && this.cancelReason !== undefined) this.details.failureReason = this.cancelReason;
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: to }]);
    await this.record('transition', source, { from, to, detail });
    if (to === 'success' || to === 'failed' || to === 'expired' || to === 'canceled') this.notifyDownstream(to);
    // A refund Midtrans reports that we did not ask for (dashboard refund, chargeback) is still news downstream.
    if ((to === 'partially_refunded' || to === 'refunded') && source !== 'api') {
      // Unknown (undefined) when Midtrans reported a partial refund without its total.
      const refundAmount = refunded !== undefined && refunded > 0 ? refunded : undefined;
      this.notifyDownstream(to, `midtrans-${to}-${this.state.refundedAmount}`, refundAmount);
    }
  }

  /**
   * Applies what Midtrans says the order is now; anything the state machine refuses is recorded, never applied.
   * `auditIgnored: false` counts an answer that changes nothing instead of writing it to the audit trail.
   */
  private async applyObservation(
    observation: MidtransObservation,
    source: PaymentEventSource,
    auditIgnored = true,
  ): Promise<NotificationDecision> {
    const before = this.state;
    const { state: next, decision, steps } = applyMidtransObservation(before, observation);
    const detail = {
      transaction_status: observation.transactionStatus,
      fraud_status: observation.fraudStatus,
      status_code: observation.statusCode,
    };
    if (decision.kind === 'transition') {
      this.state = next;
      const refunded = next.refundedAmount - before.refundedAmount;
      for (const step of steps) await this.announceTransition(step.from, step.to, source, detail, refunded);
    } else if (isSettlementReversal(before, observation) || isPaymentAfterClose(before, observation)) {
      // The table cannot follow Midtrans here (money reversed after success, or paid after we closed): alert.
      await this.needsOperatorReview(
        source,
        isSettlementReversal(before, observation) ? 'settlement_reversed' : 'paid_after_close',
        detail,
      );
    } else {
      this.state = next;
      // What we asked for ourselves (charge answer, status poll) repeating what we know is not worth an audit line.
      if (decision.kind === 'ignored' && decision.reason === 'duplicate' && source !== 'webhook') return decision;
      if (decision.kind === 'ignored' && !auditIgnored) return decision;
      await this.record(decision.kind === 'ignored' ? 'notification_ignored' : 'notification_rejected', source, {
        detail: { ...detail, reason: decision.reason, gross_amount: observation.grossAmount },
      });
    }
    return decision;
  }

  /**
   * Midtrans's facts (its transaction id, its status) from an answer that repeats the status we hold, such as a
   * pending charge's: the step's own write carries them, so the row has them at once rather than at the next write.
   * An answer that moves the payment is left to applyObservation. Changes what a write carries, never a command.
   */
  private learnWithoutMoving(observation: MidtransObservation): void {
    const { state, decision } = applyMidtransObservation(this.state, observation);
    if (decision.kind === 'ignored' && decision.reason === 'duplicate') this.state = state;
  }

  /** Something only a person can settle (money reversed, paid after close, Midtrans unreachable or answering oddly). */
  private async needsOperatorReview(source: PaymentEventSource, reason: string, detail: Record<string, unknown> = {}) {
    this.operatorReviews.add(1, { reason });
    await this.record('needs_operator_review', source, { detail: { ...detail, reason } });
  }

  /**
   * Notifications that change nothing are counted by reason; only the first of each reason goes to the audit trail,
   * so a flood of them cannot grow the history. Signed fields that do not match (order, amount) are rejected, the rest
   * ignored.
   */
  private async noteIgnoredNotification(reason: string, what: MidtransObservation) {
    const counts = (this.details.ignoredNotifications ??= {});
    counts[reason] = (counts[reason] ?? 0) + 1;
    if (counts[reason] > 1) return;
    const kind = reason === 'order_mismatch' || reason === 'amount_mismatch' ? 'notification_rejected' : 'notification_ignored';
    const { transactionStatus, fraudStatus, statusCode, grossAmount } = what;
    const detail = { reason, transaction_status: transactionStatus, fraud_status: fraudStatus, status_code: statusCode, gross_amount: grossAmount };
    if (this.lineCanWait(reason)) this.waitingLines.push(this.addLine(kind, 'webhook', { detail }));
    else await this.record(kind, 'webhook', { detail });
  }

  /**
   * Midtrans's status of our own order; undefined when the look-up gave up (a permanent error, or transient ones past
   * the look-up's deadline), which is recorded for an operator.
   */
  private async lookUpStatus(source: PaymentEventSource, id: string = this.midtransId()): Promise<MidtransObservation | null | undefined> {
    try {
      return await askMidtransForStatus(id);
    } catch (error) {
      if (!activityGaveUp(error)) throw error;
      await this.needsOperatorReview(source, 'status_lookup_failed', { error: failureMessage(error) });
      return undefined;
    }
  }

  private notifyDownstream(status: PaymentStatus, eventKey: string = status, refundAmount?: number): void {
    const { userId } = this.input;
    const event: DownstreamEvent = {
      paymentId: this.state.paymentId,
      orderId: this.state.orderId,
      userId,
      eventKey,
      status,
      amount: this.state.amount,
      refundAmount,
    };
    const deliveries: DownstreamDelivery[] = [{ target: 'transaction-service', event }];
    if (userId && status !== 'failed' && status !== 'expired' && status !== 'canceled') {
      deliveries.push({ target: 'user-service', event: { ...event, userId } });
    }
    for (const delivery of deliveries) this.deliver(delivery);
  }

  /**
   * The deliveries the previous run started and had not settled when it continued as new (a cancel or refund that
   * finished on its way there): made again, under the same idempotency keys.
   */
  deliverOwed(): void {
    for (const delivery of this.input.resumed?.deliveriesOwed ?? []) this.deliver(delivery);
  }

  private deliver(delivery: DownstreamDelivery): void {
    // Runs beside the workflow: a slow or dead downstream service never blocks refunds or queries.
    const call = delivery.target === 'transaction-service' ? deliverToTransactionService(delivery.event) : deliverToUserService(delivery.event);
    this.deliveriesInFlight += 1;
    this.deliveriesUnsettled.add(delivery);
    this.deliveries.push(
      call
        .catch((error: unknown) =>
          this.serialized(() =>
            this.record('downstream_failed', 'downstream', {
              detail: { event: delivery.event.eventKey, target: delivery.target, error: failureMessage(error) },
            }),
          ),
        )
        .finally(() => {
          this.deliveriesInFlight -= 1;
          this.deliveriesUnsettled.delete(delivery);
        }),
    );
  }

  /**
   * Midtrans did not take a cancel or refund (a 401: our server key refused): the update fails 502, and a person is
   * told, since a customer asked and got nothing. Patched: workflows that met it before only failed the update.
   */
  private async notTakenByMidtrans(command: 'cancel' | 'refund', error: unknown, detail: Record<string, unknown> = {}): Promise<never> {
    const claimedElsewhere = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === REFUND_UPDATE_CLAIMED;
    if (error instanceof ActivityFailure && patched(PATCHES.commandNotTakenReviewed)) {
      const reason = claimedElsewhere ? 'refund_update_carried_out_by_another_run' : `${command}_not_taken_by_midtrans`;
      await this.needsOperatorReview('api', reason, { ...detail, error: failureMessage(error) });
    }
    if (claimedElsewhere) {
      throw ApplicationFailure.nonRetryable(`this ${command} was carried out by another run of the payment's workflow and is not sent again`, 'REQUEST_ALREADY_FAILED');
    }
    return gatewayUnavailable(error);
  }

  /**
   * Midtrans moved money (or canceled) but answered about another order: nothing here may count it, and a person must
   * find out where it went. Patched: workflows that met such an answer before applied it.
   */
  private async refuseAnswerNotOurs(
    command: 'cancel' | 'refund',
    answer: MidtransObservation | null,
    detail: Record<string, unknown> = {},
  ) {
    if (!(await this.toldAnswerNotOurs(command, 'api', answer, () => applies(PATCHES.gatewayAnswerCheck), detail))) return;
    throw ApplicationFailure.nonRetryable(
      `Midtrans answered the ${command} about another order; an operator must check it`,
      'INTERNAL_ERROR',
    );
  }

  /**
   * An answer to our command about another order says nothing about ours: an operator is told, and true means it must
   * not be applied. `patchApplies` is asked only when the answer is not ours, as each command's patch was.
   */
  private async toldAnswerNotOurs(
    command: 'charge' | 'status' | 'cancel' | 'refund' | 'expire',
    source: PaymentEventSource,
    answer: MidtransObservation | null,
    patchApplies: () => boolean,
    detail: Record<string, unknown> = {},
  ): Promise<boolean> {
    const notOurs = answer ? answerMismatch(this.state, answer) : null;
    if (!notOurs || !answer || !patchApplies()) return false;
    await this.needsOperatorReview(source, `${command}_answer_not_ours`, {
      ...detail,
      mismatch: notOurs,
      order_id: answer.orderId,
      gross_amount: answer.grossAmount,
    });
    return true;
  }

  private assertRefundWindowOpen(): void {
    if (this.refundWindowEndsMs !== undefined && Date.now() >= this.refundWindowEndsMs) {
      throw new DomainError('INVALID_STATE', 'the refund window of this payment has closed');
    }
  }

  /**
   * A challenged card keeps transaction_status `capture` when the merchant approves it; only fraud_status moves (to
   * accept). Patched: workflows that reconciled before fraud_status was compared did nothing here and replay the same.
   */
  private fraudReviewChanged(observation: MidtransObservation): boolean {
    if (observation.fraudStatus === undefined || observation.fraudStatus === this.state.fraudStatus) return false;
    return applies(PATCHES.reconcileFraudStatus);
  }

  /**
   * Midtrans has refunded more than we counted under the status we hold (a further partial refund, its notification
   * lost). Patched: workflows that looked before refund totals were compared did nothing here and replay the same.
   */
  private furtherRefundReported(observation: MidtransObservation): boolean {
    return reportsMoreRefunded(this.state, observation) && patched(PATCHES.reconcileRefundTotals);
  }

  /**
   * Notifications that reached a workflow before the notifications-are-hints patch replay through the loop below,
   * which trusted a notification when the look-up found nothing; everything live goes through processHints.
   */
  private async drainInbox(): Promise<void> {
    if (applies(PATCHES.notificationsAreHints)) return this.processHints();
    while (this.inbox.length > 0) {
      const { notificationId: _stored, ...observation } = this.inbox.shift()!;
      const decision = decideOnMidtransStatus(this.state, observation);
      if (decision.kind !== 'transition') {
        await this.applyObservation(observation, 'webhook');
        continue;
      }
      // Midtrans's own advice: confirm a status-changing notification with the status API before acting on it.
      const confirmed = await confirmNotification(observation.transactionId ?? this.midtransId());
      await this.applyObservation(confirmed ?? observation, 'webhook');
    }
  }

  /**
   * A notification is a hint to ask, never a fact: Midtrans signs only order_id + status_code + gross_amount, so its
   * status, transaction_id, fraud_status and refund amount may have been edited. One that claims nothing new is
   * counted; one that claims a change makes us ask Midtrans about our own order, and only its answer is applied.
   */
  private async processHints(): Promise<void> {
    while (this.inbox.length > 0) {
      const hintedTransactionIds: string[] = [];
      const claims: MidtransNotificationSignal[] = [];
      let batch = this.inbox.splice(0);
      while (batch.length > 0) {
        for (const notification of batch) {
          const claim = notificationClaim(this.state, notification);
          if (claim.kind !== 'transition' && !this.asksAboutClaimBeyondTheTable(notification)) {
            await this.noteIgnoredNotification(claim.reason, notification);
            continue;
          }
          claims.push(notification);
          const hinted = notification.transactionId;
          if (hinted && !hintedTransactionIds.includes(hinted) && hintedTransactionIds.length < MAX_HINTED_LOOKUPS)
            hintedTransactionIds.push(hinted);
        }
        // The claims that come while a spaced look-up waits are answered by it.
        batch = claims.length > 0 && this.claimLookUpMustWait() ? await this.inboxAfterSpacing() : [];
      }
      if (claims.length === 0) continue;
      this.claimLookUps += 1;
      this.lastClaimLookUpMs = Date.now();
      await this.confirmWithMidtrans(hintedTransactionIds);
      await this.countClaimsAnsweredTogether(claims.slice(1));
    }
  }

  /**
   * Past the run's first CLAIM_LOOK_UPS_AT_ONCE, a claim's look-up waits until CLAIM_LOOK_UP_SPACING_MS after the
   * previous one: a flood of claims costs one look-up per interval, and a genuine claim in it waits at most that long.
   * The wait holds the payment's other steps (a cancel, a refund) too. Patched: workflows that looked at once replay the
   * same.
   */
  private claimLookUpMustWait(): boolean {
    if (this.claimLookUps < CLAIM_LOOK_UPS_AT_ONCE || Date.now() >= this.lastClaimLookUpMs + CLAIM_LOOK_UP_SPACING_MS) return false;
    return patched(PATCHES.spaceClaimLookUps);
  }

  private async inboxAfterSpacing(): Promise<MidtransNotificationSignal[]> {
    await sleep(this.lastClaimLookUpMs + CLAIM_LOOK_UP_SPACING_MS - Date.now());
    return this.inbox.splice(0);
  }

  /**
   * One look-up answers every claim of a batch (a burst reaches the workflow in one task); the answer accounts for
   * the first, and the others are judged again against what Midtrans said, so every notification is counted once.
   * Patched: unpatched workflows left them uncounted.
   */
  private async countClaimsAnsweredTogether(claims: MidtransNotificationSignal[]): Promise<void> {
    if (claims.length === 0 || !applies(PATCHES.countEveryClaim)) return;
    for (const notification of claims) {
      const claim = notificationClaim(this.state, notification);
      await this.noteIgnoredNotification(claim.kind === 'transition' ? 'unconfirmed' : claim.reason, notification);
    }
  }

  /**
   * The table never moves a paid payment back nor reopens a closed one, yet Midtrans can reverse a settlement (deny)
   * or take a payment we closed unpaid: a notification claiming either is worth one look-up per claimed status, whose
   * answer an operator reviews. Patched: unpatched workflows counted such a claim stale without asking (a payment
   * after close asks patched() itself, only when one comes).
   */
  private asksAboutClaimBeyondTheTable(notification: MidtransObservation): boolean {
    const claimed = notification.transactionStatus;
    const reversal = isSettlementReversal(this.state, notification);
    if (!reversal && !claimsPaymentAfterClose(this.state, notification)) return false;
    if (this.claimsBeyondTheTableAsked.includes(claimed)) return false;
    if (reversal ? !applies(PATCHES.confirmReversalClaims) : !patched(PATCHES.askAboutPaymentAfterClose)) return false;
    this.claimsBeyondTheTableAsked.push(claimed);
    return true;
  }

  private async confirmWithMidtrans(hintedTransactionIds: string[]): Promise<void> {
    let answer = await this.lookUpStatus('webhook');
    // A Snap order may be unknown by order_id (DANA always is): try the ids the notifications hinted at; an answer
    // counts only if it is about our order.
    if (answer === null && chargesThroughSnap(this.input.request)) {
      for (const id of hintedTransactionIds) {
        const hinted = await this.lookUpStatus('webhook', id);
        if (hinted === undefined) return;
        if (hinted && answerMismatch(this.state, hinted) === null) {
          answer = hinted;
          break;
        }
      }
    }
    if (answer === undefined) return; // recorded for an operator; reconciliation asks again
    if (answer === null) return this.needsOperatorReview('webhook', 'unknown_at_midtrans');
    const notOurs = answerMismatch(this.state, answer);
    if (notOurs)
      return this.needsOperatorReview('webhook', 'status_answer_not_ours', {
        mismatch: notOurs,
        order_id: answer.orderId,
        gross_amount: answer.grossAmount,
      });
    const decision = await this.applyObservation(answer, 'webhook', false);
    // What the status API says, not what the notification claimed, is what the audit line shows.
    if (decision.kind === 'ignored') await this.noteIgnoredNotification('unconfirmed', answer);
  }
}

/** The view's own fields, without those the state holds (a resumed run reads them from its state). */
function detailsOf(view: PaymentView): PaymentDetails {
  const {
    paymentId: _paymentId,
    orderId: _orderId,
    method: _method,
    amount: _amount,
    status: _status,
    refundedAmount: _refundedAmount,
    midtransStatus: _midtransStatus,
    fraudStatus: _fraudStatus,
    transactionId: _transactionId,
    readModelVersion: _readModelVersion,
    ...details
  } = view;
  return details;
}

/**
 * The state once a refund Midtrans took is counted, with Midtrans's cumulative refund_amount when it fits. When it does
 * not (unreadable, below this refund, or above the payment), Midtrans has still moved the money: the refund is counted
 * as we asked it, and `mismatch` says why the total was not used, for an operator. Thrown, it would fail the workflow
 * task forever.
 */
function refundCounted(state: PaymentState, amount: number, midtransRefundAmount: string | undefined): { state: PaymentState; mismatch?: string } {
  try {
    return { state: applyRefund(state, amount, midtransRefundAmount ? parseGrossAmount(midtransRefundAmount) : undefined) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { state: applyRefund(state, amount), mismatch: `${error.code}: ${error.message}` };
  }
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

/**
 * A gateway command that failed for good (Midtrans refused our server key, or a proxy in front of it answered): the
 * caller gets a typed failure, never a hang. Its type is an update's outcome, not a command: changing it changes no
 * history.
 */
function gatewayUnavailable(error: unknown): never {
  if (error instanceof ActivityFailure) {
    throw ApplicationFailure.nonRetryable(`Midtrans did not take the request: ${failureMessage(error)}`, 'MIDTRANS_UNAVAILABLE');
  }
  throw error;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
