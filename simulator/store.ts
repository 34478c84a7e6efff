import type { CardOutcome, IssuedCardToken } from './cards';

/**
 * The simulator's memory: transactions, Snap sessions, issued card tokens, charge-attempt counters and stats. Plain data, no behaviour
 * beyond indexing; status changes live in lifecycle.ts.
 */

export type TransactionStatus =
  | 'pending'
  | 'authorize'
  | 'capture'
  | 'settlement'
  | 'deny'
  | 'cancel'
  | 'expire'
  | 'failure'
  | 'refund'
  | 'partial_refund';

export type FraudStatus = 'accept' | 'challenge' | 'deny';

/** Statuses after which Midtrans lets the merchant reuse the order_id ("not active and not paid"). */
const ORDER_ID_RELEASING: ReadonlySet<TransactionStatus> = new Set(['deny', 'cancel', 'expire', 'failure']);

export interface NotificationTargets {
  /** From X-Override-Notification: replaces the configured URL. */
  override: string[];
  /** From X-Append-Notification: sent in addition to the configured URL. */
  append: string[];
}

export interface RefundRecord {
  refundChargebackId: number;
  amount: number;
  refundKey: string;
  reason?: string;
  createdAt: number;
  /** Set when the second ("confirmed") refund notification goes out. */
  bankConfirmedAt?: number;
  /** What the merchant asked for (undefined = full amount), to tell a retry from a conflicting reuse of the key. */
  requestedAmount?: number;
  /** The body answered the first time; a retry with the same refund_key gets it again. */
  response: { status_code: string } & Record<string, unknown>;
}

export interface DeliveryAttempt {
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface NotificationDelivery {
  url: string;
  /** 1, or 2 for the copy sent by the duplicate fault. */
  copy: number;
  state: 'scheduled' | 'delivering' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
}

export interface NotificationRecord {
  id: number;
  createdAt: string;
  body: Record<string, unknown>;
  /** Dropped by fault injection: never sent. */
  dropped: boolean;
  deliveries: NotificationDelivery[];
}

export interface SimTransaction {
  transactionId: string;
  orderId: string;
  merchantId: string;
  paymentType: string;
  grossAmount: number;
  transactionTime: number;
  expiryTime?: number;
  settlementTime?: number;
  status: TransactionStatus;
  fraudStatus: FraudStatus;
  /** status_message of the latest change, as the API that caused it answered. */
  statusMessage: string;
  /** Method fields that appear in status and notifications: va_numbers, bill_key, payment_code, masked_card, … */
  paymentFields: Record<string, unknown>;
  /** Fields only the charge response carries: actions, redirect_url, qr_string. */
  chargeFields: Record<string, unknown>;
  /** Set for credit_card: the card's scripted outcome, and whether the charge asked for pre-authorization only. */
  card?: { pan: string; outcome: CardOutcome; preauthorize: boolean };
  refunds: RefundRecord[];
  targets: NotificationTargets;
  channel: 'core' | 'snap';
  history: Array<{ status: TransactionStatus; fraudStatus: FraudStatus; at: string }>;
  notifications: NotificationRecord[];
}

export interface SnapSession {
  token: string;
  orderId: string;
  grossAmount: number;
  createdAt: number;
  /** When the Snap page stops accepting a choice (Snap `expiry`, else 24 h). */
  expiresAt: number;
  /** Transaction expiry requested through Snap `expiry`, applied to the transaction once a method is picked. */
  transactionExpiryAt?: number;
  enabledPayments: string[];
  request: Record<string, unknown>;
  callbacks: { finish?: string; error?: string; unfinish?: string };
  targets: NotificationTargets;
  transactionId?: string;
}

export interface ChargeAttempts {
  /** POST /v2/charge requests (authenticated) naming this order_id, whatever happened to them. */
  received: number;
  /** How many of those created a transaction. More than 1 only if the order_id was legitimately reused. */
  applied: number;
}

export interface SimulatorStats {
  charges: { received: number; applied: number };
  snapTransactions: { created: number };
  refunds: { applied: number };
  notifications: {
    /** Notifications produced (one per status change, plus re-sends). */
    created: number;
    /** Never sent because of the drop fault. */
    dropped: number;
    /** HTTP POSTs made, retries included. */
    sent: number;
    /** Deliveries (one per URL and copy) that ended with a 2xx. */
    delivered: number;
    /** Deliveries given up after the last allowed retry. */
    failed: number;
  };
}

function emptyStats(): SimulatorStats {
  return {
    charges: { received: 0, applied: 0 },
    snapTransactions: { created: 0 },
    refunds: { applied: 0 },
    notifications: { created: 0, dropped: 0, sent: 0, delivered: 0, failed: 0 },
  };
}

export class SimulatorStore {
  private readonly byTransactionId = new Map<string, SimTransaction>();
  /** Oldest first: an order_id can be reused after deny/cancel/expire. */
  private readonly byOrderId = new Map<string, SimTransaction[]>();
  private readonly attempts = new Map<string, ChargeAttempts>();
  private readonly snapByToken = new Map<string, SnapSession>();
  private readonly snapByOrderId = new Map<string, SnapSession>();
  private readonly cardTokens = new Map<string, IssuedCardToken>();
  stats: SimulatorStats = emptyStats();

  add(transaction: SimTransaction): void {
    this.byTransactionId.set(transaction.transactionId, transaction);
    const forOrder = this.byOrderId.get(transaction.orderId) ?? [];
    forOrder.push(transaction);
    this.byOrderId.set(transaction.orderId, forOrder);
  }

  /** `{id}` in the management API: a transaction_id, else the latest transaction for an order_id. */
  find(id: string): { transaction: SimTransaction; foundBy: 'transaction_id' | 'order_id' } | undefined {
    const byId = this.byTransactionId.get(id);
    if (byId) return { transaction: byId, foundBy: 'transaction_id' };
    const latest = this.byOrderId.get(id)?.at(-1);
    return latest ? { transaction: latest, foundBy: 'order_id' } : undefined;
  }

  historyOf(orderId: string): SimTransaction[] {
    return [...(this.byOrderId.get(orderId) ?? [])];
  }

  list(): SimTransaction[] {
    return [...this.byTransactionId.values()].sort((a, b) => a.transactionTime - b.transactionTime);
  }

  /** Midtrans refuses an order_id while a transaction for it is active or paid, or a Snap token holds it. */
  isOrderIdTaken(orderId: string, now: number): boolean {
    const latest = this.byOrderId.get(orderId)?.at(-1);
    if (latest && !ORDER_ID_RELEASING.has(latest.status)) return true;
    const session = this.snapByOrderId.get(orderId);
    return session !== undefined && session.transactionId === undefined && session.expiresAt > now;
  }

  recordChargeReceived(orderId: string | undefined): void {
    this.stats.charges.received += 1;
    if (orderId !== undefined) this.attemptsFor(orderId).received += 1;
  }

  recordChargeApplied(orderId: string): void {
    this.stats.charges.applied += 1;
    this.attemptsFor(orderId).applied += 1;
  }

  chargeAttempts(orderId: string): ChargeAttempts | undefined {
    const found = this.attempts.get(orderId);
    return found ? { ...found } : undefined;
  }

  addSnapSession(session: SnapSession): void {
    this.snapByToken.set(session.token, session);
    this.snapByOrderId.set(session.orderId, session);
  }

  snapSession(token: string): SnapSession | undefined {
    return this.snapByToken.get(token);
  }

  addCardToken(tokenId: string, pan: string): void {
    this.cardTokens.set(tokenId, { pan, spent: false });
  }

  cardToken(tokenId: string): IssuedCardToken | undefined {
    return this.cardTokens.get(tokenId);
  }

  spendCardToken(tokenId: string): void {
    const token = this.cardTokens.get(tokenId);
    if (token) token.spent = true;
  }

  clear(): void {
    this.cardTokens.clear();
    this.byTransactionId.clear();
    this.byOrderId.clear();
    this.attempts.clear();
    this.snapByToken.clear();
    this.snapByOrderId.clear();
    this.stats = emptyStats();
  }

  private attemptsFor(orderId: string): ChargeAttempts {
    let found = this.attempts.get(orderId);
    if (!found) {
      found = { received: 0, applied: 0 };
      this.attempts.set(orderId, found);
    }
    return found;
  }
}
