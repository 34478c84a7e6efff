import { randomUUID } from 'node:crypto';
import type { CardOutcome } from './cards';
import { approved, type ChargePlan } from './charge';
import type { NotificationDispatcher } from './notifications';
import { MESSAGES, refundedAmount, transactionFields, type MidtransBody } from './responses';
import type { RefundRequest } from './requests';
import type { NotificationTargets, RefundRecord, SimTransaction, SimulatorStore } from './store';
import type { TimerRegistry } from './timers';
import {
  FULL_REFUND_ONLY,
  nextStatus,
  REFUNDABLE_PAYMENT_TYPES,
  REFUNDABLE_STATUSES,
  type StatusAction,
} from './transitions';

/**
 * Everything that changes a transaction goes through here, so every change is recorded in its history, stops or
 * starts its expiry timer, and sends a notification ("on every status change").
 */

export interface LifecycleOptions {
  merchantId: string;
  /** Expiry timers fire after (expiry_time − now) × expiryScale; expiry_time itself stays truthful. */
  expiryScale: number;
  /** Delay of the second refund notification (the bank's confirmation). */
  refundConfirmationDelayMs: number;
}

export interface OpenInput {
  transactionId: string;
  orderId: string;
  grossAmount: number;
  channel: 'core' | 'snap';
  targets: NotificationTargets;
  transactionTime: number;
  /** From custom_expiry or Snap expiry; overrides the method's default unless the method fixes its expiry. */
  requestedExpiryAt?: number;
}

export type RefundOutcome =
  | { kind: 'refunded'; body: MidtransBody }
  | { kind: 'replayed'; body: MidtransBody }
  | { kind: 'rejected'; statusCode: '406' | '412' | '414'; statusMessage: string };

const AFTER_AUTHENTICATION: Record<CardOutcome, StatusAction> = {
  accept: 'pay',
  bank_deny: 'deny',
  fraud_deny: 'deny',
  challenge: 'challenge',
};

export class TransactionLifecycle {
  private readonly expiryTimers = new Map<string, () => void>();

  constructor(
    private readonly store: SimulatorStore,
    private readonly notifications: NotificationDispatcher,
    private readonly timers: TimerRegistry,
    private readonly options: LifecycleOptions,
  ) {}

  /** Creates the transaction a charge (or a Snap choice) describes, and announces it. */
  open(plan: ChargePlan, input: OpenInput): SimTransaction {
    const { transactionTime } = input;
    let expiryTime: number | undefined;
    if (plan.status === 'pending' && plan.defaultExpiryMs !== undefined) {
      expiryTime = plan.fixedExpiry || input.requestedExpiryAt === undefined
        ? transactionTime + plan.defaultExpiryMs
        : input.requestedExpiryAt;
    }
    const tx: SimTransaction = {
      transactionId: input.transactionId,
      orderId: input.orderId,
      merchantId: this.options.merchantId,
      paymentType: plan.paymentType,
      grossAmount: input.grossAmount,
      transactionTime,
      expiryTime,
      status: plan.status,
      fraudStatus: plan.fraudStatus,
      statusMessage: plan.statusMessage,
      paymentFields: { ...plan.paymentFields },
      chargeFields: { ...plan.chargeFields },
      card: plan.card,
      refunds: [],
      targets: input.targets,
      channel: input.channel,
      history: [],
      notifications: [],
    };
    if (plan.spendsToken) this.store.spendCardToken(plan.spendsToken);
    this.store.add(tx);
    this.record(tx);
    this.scheduleExpiry(tx);
    this.notifications.notify(tx);
    return tx;
  }

  /** Applies a status action if the state machine allows it; false (nothing changed) otherwise. */
  change(tx: SimTransaction, action: StatusAction): boolean {
    const next = nextStatus(tx, action);
    if (!next) return false;
    const wasPending = tx.status === 'pending';
    tx.status = next.status;
    tx.fraudStatus = next.fraudStatus;
    tx.statusMessage = next.statusMessage;
    if (next.status === 'settlement') tx.settlementTime = Date.now();
    const cardApproved = next.status === 'capture' || next.status === 'authorize';
    if (tx.paymentType === 'credit_card' && cardApproved && tx.paymentFields.approval_code === undefined) {
      Object.assign(tx.paymentFields, approved());
    }
    if (wasPending && next.status !== 'pending') this.cancelExpiry(tx);
    this.record(tx);
    this.notifications.notify(tx);
    return true;
  }

  /** The cardholder finished 3-D Secure: a wrong OTP fails it; the right one gets the issuer's scripted answer. */
  completeCardAuthentication(tx: SimTransaction, otpAccepted: boolean): boolean {
    if (!otpAccepted) return this.change(tx, 'deny');
    return this.change(tx, AFTER_AUTHENTICATION[tx.card?.outcome ?? 'accept']);
  }

  /**
   * POST /v2/{id}/refund. Idempotent by refund_key: the same key with the same amount answers the first result
   * again without refunding twice; the same key with another amount is a 406.
   */
  refund(tx: SimTransaction, request: RefundRequest): RefundOutcome {
    if (request.refundKey !== undefined) {
      const earlier = tx.refunds.find((refund) => refund.refundKey === request.refundKey);
      if (earlier) {
        return earlier.requestedAmount === request.amount
          ? { kind: 'replayed', body: earlier.response }
          : { kind: 'rejected', statusCode: '406', statusMessage: MESSAGES.duplicateRefundKey };
      }
    }
    if (!REFUNDABLE_STATUSES.has(tx.status)) {
      const hint = tx.status === 'capture' ? ': a captured card payment is not settled yet, cancel it instead' : '';
      return { kind: 'rejected', statusCode: '412', statusMessage: `${MESSAGES.cannotModify}${hint}` };
    }
    if (!REFUNDABLE_PAYMENT_TYPES.has(tx.paymentType)) {
      return { kind: 'rejected', statusCode: '414', statusMessage: `Refund is not available for payment type ${tx.paymentType}` };
    }
    const remaining = tx.grossAmount - refundedAmount(tx);
    const amount = request.amount ?? remaining;
    if (FULL_REFUND_ONLY.has(tx.paymentType) && (amount !== tx.grossAmount || tx.refunds.length > 0)) {
      return { kind: 'rejected', statusCode: '414', statusMessage: `Partial refund is not available for payment type ${tx.paymentType}` };
    }
    if (amount > remaining) {
      return { kind: 'rejected', statusCode: '414', statusMessage: 'Refund amount exceeds the refundable amount of the transaction' };
    }

    const refund: RefundRecord = {
      refundChargebackId: this.store.stats.refunds.applied + 1,
      amount,
      refundKey: request.refundKey ?? randomUUID(),
      reason: request.reason,
      createdAt: Date.now(),
      requestedAmount: request.amount,
      response: { status_code: '200' }, // completed below, once the transaction shows this refund
    };
    tx.refunds.push(refund);
    this.store.stats.refunds.applied += 1;
    tx.status = refundedAmount(tx) === tx.grossAmount ? 'refund' : 'partial_refund';
    tx.statusMessage = 'Success, refund request is approved';
    refund.response = {
      status_code: '200',
      status_message: 'Success, refund request is approved',
      ...pick(transactionFields(tx), [
        'transaction_id',
        'order_id',
        'gross_amount',
        'currency',
        'payment_type',
        'transaction_time',
        'transaction_status',
        'refund_amount',
      ]),
      refund_chargeback_id: refund.refundChargebackId,
      refund_key: refund.refundKey,
    };
    this.record(tx);
    this.notifications.notify(tx);
    // Midtrans docs, Refund Transaction: two notifications follow a refund. The second is the bank's confirmation of
    // the same refund.
    this.timers.schedule(this.options.refundConfirmationDelayMs, () => {
      refund.bankConfirmedAt = Date.now();
      this.notifications.notify(tx);
    });
    return { kind: 'refunded', body: refund.response };
  }

  /** Forgets expiry timers (the registry itself is cleared by the caller). */
  reset(): void {
    this.expiryTimers.clear();
  }

  private record(tx: SimTransaction): void {
    tx.history.push({ status: tx.status, fraudStatus: tx.fraudStatus, at: new Date().toISOString() });
  }

  private scheduleExpiry(tx: SimTransaction): void {
    if (tx.status !== 'pending' || tx.expiryTime === undefined) return;
    const delay = Math.max(0, tx.expiryTime - Date.now()) * this.options.expiryScale;
    const cancel = this.timers.schedule(delay, () => {
      this.expiryTimers.delete(tx.transactionId);
      this.change(tx, 'expire');
    });
    this.expiryTimers.set(tx.transactionId, cancel);
  }

  private cancelExpiry(tx: SimTransaction): void {
    this.expiryTimers.get(tx.transactionId)?.();
    this.expiryTimers.delete(tx.transactionId);
  }
}

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key]]));
}
