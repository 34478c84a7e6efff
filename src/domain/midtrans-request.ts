import { DomainError } from './errors';
import { parseIdrAmount, sumItems } from './money';
import type { Bank, PaymentMethod } from './payment-methods';

/**
 * What a payment's workflow needs to decide: ids, amount, method, expiry. No customer, item or card details: those
 * are the payment's checkout, which stays in PostgreSQL (see `PaymentCheckout`), so they never enter a workflow history.
 */
export interface PaymentTerms {
  paymentId: string;
  /** The TiketQ order this payment is for; one order may have several payment attempts. */
  orderId: string;
  amount: number;
  method: PaymentMethod;
  bank?: Bank;
  /** A card token came with the payment (Core API charge); the token itself stays in the checkout. */
  hasCardToken?: boolean;
  expiryMinutes: number;
  /** Where GoPay/ShopeePay send the customer back after paying in their app. */
  callbackUrl?: string;
}

/** What the customer entered at checkout: personal data and the card token, read only by the charge. */
export interface PaymentCheckout {
  /** Single-use token from Midtrans's browser tokenization; without it a card payment goes through Snap. */
  cardToken?: string;
  customer: { firstName: string; lastName?: string; email?: string; phone?: string };
  items: { id: string; name: string; price: number; quantity: number }[];
  description?: string;
}

/** A payment as our API accepted it; `buildMidtransCharge` turns it into the one Midtrans request it needs. */
export type PaymentRequest = PaymentTerms & PaymentCheckout;

/** The terms alone: what a workflow started with a whole request (before the checkout moved out) passes on. */
export function withoutCheckout({ cardToken, customer: _customer, items: _items, description: _description, ...terms }: PaymentTerms &
  Partial<PaymentCheckout>): PaymentTerms {
  return cardToken ? { ...terms, hasCardToken: true } : terms;
}

export interface MidtransTransactionDetails {
  order_id: string;
  gross_amount: number;
}

export interface MidtransItemDetail {
  id: string;
  price: number;
  quantity: number;
  name: string;
}

export interface MidtransCustomerDetails {
  first_name: string;
  last_name?: string;
  email?: string;
  phone?: string;
}

export type VirtualAccountBank = Exclude<Bank, 'mandiri'>;

/** The per-method part of a Core API charge: `payment_type` plus its object. */
export type CorePaymentDetails =
  | { payment_type: 'credit_card'; credit_card: { token_id: string; authentication: true } }
  | { payment_type: 'bank_transfer'; bank_transfer: { bank: VirtualAccountBank } }
  | { payment_type: 'echannel'; echannel: { bill_info1: string; bill_info2: string } }
  | { payment_type: 'gopay'; gopay?: { enable_callback: boolean; callback_url: string } }
  | { payment_type: 'shopeepay'; shopeepay: { callback_url?: string } }
  | { payment_type: 'qris'; qris: { acquirer: 'gopay' | 'airpay shopee' } }
  | { payment_type: 'cstore'; cstore: { store: 'indomaret' | 'alfamart'; message: string } }
  | { payment_type: 'ovo'; ovo: { payer_phone_number: string } };

/** `POST /v2/charge` body. */
export type CoreChargeBody = {
  transaction_details: MidtransTransactionDetails;
  item_details?: MidtransItemDetail[];
  customer_details: MidtransCustomerDetails;
  /** Absent for OVO only: Midtrans fixes its expiry and accepts no custom one. */
  custom_expiry?: { order_time: string; expiry_duration: number; unit: 'minute' };
} & CorePaymentDetails;

export type SnapEnabledPayment = 'credit_card' | 'dana';

/** `POST /snap/v1/transactions` body. */
export interface SnapTransactionBody {
  transaction_details: MidtransTransactionDetails;
  item_details?: MidtransItemDetail[];
  customer_details: MidtransCustomerDetails;
  enabled_payments: SnapEnabledPayment[];
  expiry: { start_time: string; unit: 'minute'; duration: number };
  /** Always ask for 3DS, as the Core API card charge does with `authentication: true`. */
  credit_card?: { secure: true };
}

export type MidtransChargeRequest = { api: 'core'; body: CoreChargeBody } | { api: 'snap'; body: SnapTransactionBody };

/** Midtrans: `order_id` is at most 50 characters of [A-Za-z0-9-_~.]; anything else breaks status lookups. */
const MIDTRANS_ORDER_ID = /^[A-Za-z0-9\-_~.]{1,50}$/;
const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * The one mapping from our payment request to a Midtrans request. The Midtrans `order_id` is our paymentId:
 * Midtrans refuses to reuse an order_id, and each payment attempt is its own Midtrans order.
 * `now` is passed in (never read from a clock) so workflow code stays deterministic.
 */
export function buildMidtransCharge(req: PaymentRequest, now: Date): MidtransChargeRequest {
  const common = commonDetails(req);
  const expiryStart = formatMidtransTime(now);
  const customExpiry = { order_time: expiryStart, expiry_duration: req.expiryMinutes, unit: 'minute' as const };
  const core = (details: CorePaymentDetails): MidtransChargeRequest => ({
    api: 'core',
    body: { ...common, custom_expiry: customExpiry, ...details },
  });
  const snap = (enabledPayment: SnapEnabledPayment): MidtransChargeRequest => ({
    api: 'snap',
    body: {
      ...common,
      enabled_payments: [enabledPayment],
      expiry: { start_time: expiryStart, unit: 'minute', duration: req.expiryMinutes },
      ...(enabledPayment === 'credit_card' ? { credit_card: { secure: true as const } } : {}),
    },
  });
  const label = req.description?.trim() || 'TiketQ';

  switch (req.method) {
    case 'credit_card':
      return req.cardToken
        ? core({ payment_type: 'credit_card', credit_card: { token_id: req.cardToken, authentication: true } })
        : snap('credit_card');
    case 'bank_transfer': {
      if (!req.bank) throw validationFailed('bank_transfer needs a bank', { field: 'bank' });
      // Mandiri is a bill payment at Midtrans; bill_info1 ≤ 10 and bill_info2 ≤ 30 characters.
      if (req.bank === 'mandiri') {
        return core({ payment_type: 'echannel', echannel: { bill_info1: 'Payment:', bill_info2: truncate(label, 30) } });
      }
      return core({ payment_type: 'bank_transfer', bank_transfer: { bank: req.bank } });
    }
    case 'gopay':
      return core({
        payment_type: 'gopay',
        ...(req.callbackUrl ? { gopay: { enable_callback: true, callback_url: req.callbackUrl } } : {}),
      });
    case 'shopeepay':
      return core({ payment_type: 'shopeepay', shopeepay: req.callbackUrl ? { callback_url: req.callbackUrl } : {} });
    case 'qris':
      return core({ payment_type: 'qris', qris: { acquirer: 'gopay' } });
    case 'indomaret':
    case 'alfamart':
      // `message` is the label on the store's till, at most 20 characters.
      return core({ payment_type: 'cstore', cstore: { store: req.method, message: truncate(label, 20) } });
    case 'ovo': {
      const phone = req.customer.phone?.trim();
      if (!phone) throw validationFailed('OVO needs the customer phone number', { field: 'customer.phone' });
      // No custom_expiry: Midtrans fixes OVO's expiry and accepts no other.
      return { api: 'core', body: { ...common, payment_type: 'ovo', ovo: { payer_phone_number: phone } } };
    }
    case 'dana':
      // Midtrans offers DANA only through Snap.
      return snap('dana');
  }
}

/**
 * Snap orders are unknown to the status API by order_id until the customer picks a method, and DANA's only ever
 * answer by transaction_id (docs/midtrans.md §2, §4): for these a status look-up may need the transaction_id a notification
 * hints at, and its answer counts only if its order_id is ours. `cardToken`: a workflow started before the checkout
 * moved to PostgreSQL carries the token itself.
 */
export function chargesThroughSnap(req: Pick<PaymentTerms, 'method' | 'hasCardToken'> & Pick<PaymentCheckout, 'cardToken'>): boolean {
  return req.method === 'dana' || (req.method === 'credit_card' && !req.cardToken && !req.hasCardToken);
}

/** Midtrans's timestamp format in Jakarta time: "yyyy-MM-dd HH:mm:ss +0700", independent of the host's time zone. */
export function formatMidtransTime(instant: Date): string {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw validationFailed('invalid time', { instant: String(instant) });
  const wib = new Date(ms + WIB_OFFSET_MS);
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${wib.getUTCFullYear()}-${two(wib.getUTCMonth() + 1)}-${two(wib.getUTCDate())}`;
  const time = `${two(wib.getUTCHours())}:${two(wib.getUTCMinutes())}:${two(wib.getUTCSeconds())}`;
  return `${date} ${time} +0700`;
}

function commonDetails(req: PaymentRequest) {
  if (!MIDTRANS_ORDER_ID.test(req.paymentId)) {
    throw validationFailed('paymentId must be 1-50 characters of A-Z a-z 0-9 - _ ~ .', { field: 'paymentId' });
  }
  if (!Number.isSafeInteger(req.expiryMinutes) || req.expiryMinutes < 1) {
    throw validationFailed('expiryMinutes must be a positive integer', { field: 'expiryMinutes' });
  }
  const amount = parseIdrAmount(req.amount);
  // Midtrans answers 400 when the items do not add up to gross_amount exactly; refuse before calling it.
  if (req.items.length > 0 && sumItems(req.items) !== amount) {
    throw new DomainError('AMOUNT_MISMATCH', 'items do not add up to the amount', {
      amount,
      itemsTotal: sumItems(req.items),
    });
  }
  const { firstName, lastName, email, phone } = req.customer;
  const customer: MidtransCustomerDetails = { first_name: firstName };
  if (lastName) customer.last_name = lastName;
  if (email) customer.email = email;
  if (phone) customer.phone = phone;
  return {
    transaction_details: { order_id: req.paymentId, gross_amount: amount },
    ...(req.items.length > 0
      ? {
          item_details: req.items.map(
            ({ id, name, price, quantity }): MidtransItemDetail => ({ id, price, quantity, name: truncate(name, 50) }),
          ),
        }
      : {}),
    customer_details: customer,
  };
}

/** Cut to `max` characters without splitting an emoji or other surrogate pair, or leaving a trailing space. */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('').trimEnd();
}

function validationFailed(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('VALIDATION_FAILED', message, details);
}
