import { randomInt } from 'node:crypto';
import { resolveCardToken, type CardOutcome, type IssuedCardToken } from './cards';
import { isObject, type Json, type OrderDetails } from './requests';
import type { FraudStatus, SimTransaction, TransactionStatus } from './store';

/**
 * What each Core API payment_type asks for and answers (Midtrans docs, Core API charge for each payment method):
 * validation of the method's request object, the response extras, the starting status and the default expiry.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface ChargeContext {
  transactionId: string;
  order: OrderDetails;
  body: Json;
  baseUrl: string;
  /** Tokens GET /v2/token issued (single-use, like Midtrans's). */
  cardToken(tokenId: string): IssuedCardToken | undefined;
}

export interface ChargePlan {
  paymentType: string;
  status: TransactionStatus;
  fraudStatus: FraudStatus;
  statusMessage: string;
  paymentFields: Json;
  chargeFields: Json;
  /** Expiry of a pending transaction when the merchant sets none. */
  defaultExpiryMs?: number;
  /** OVO: Midtrans fixes the expiry and ignores custom_expiry. */
  fixedExpiry?: boolean;
  card?: SimTransaction['card'];
  /** A single-use token to mark as spent once the charge is applied. */
  spendsToken?: string;
}

export type ChargeRejection = { statusCode: '402' | '411'; statusMessage: string };

interface PaymentMethod {
  /** Checks the method's own request object, adding Midtrans-style messages. */
  validate(body: Json, messages: string[]): void;
  plan(context: ChargeContext): ChargePlan | ChargeRejection;
}

const VA_BANKS = ['bca', 'bni', 'bri', 'permata', 'cimb'] as const;
const VA_DIGITS: Record<(typeof VA_BANKS)[number], number> = { bca: 11, bni: 16, bri: 16, permata: 16, cimb: 16 };

const bankTransfer: PaymentMethod = {
  validate(body, messages) {
    const request = body.bank_transfer;
    if (!isObject(request)) return void messages.push('bank_transfer is required');
    if (!VA_BANKS.includes(request.bank as (typeof VA_BANKS)[number])) {
      messages.push(`bank_transfer.bank must be one of ${VA_BANKS.join(', ')}`);
    }
    if (request.va_number !== undefined && !(typeof request.va_number === 'string' && /^\d{1,18}$/.test(request.va_number))) {
      messages.push('bank_transfer.va_number must be a string of digits');
    }
  },
  plan({ body }) {
    const request = body.bank_transfer as Json;
    const bank = request.bank as (typeof VA_BANKS)[number];
    const vaNumber = typeof request.va_number === 'string' ? request.va_number : digits(VA_DIGITS[bank]);
    // Permata answers with its own field instead of va_numbers[] (a long-standing Midtrans quirk).
    const paymentFields = bank === 'permata' ? { permata_va_number: vaNumber } : { va_numbers: [{ bank, va_number: vaNumber }] };
    return pending('bank_transfer', 'Success, Bank Transfer transaction is created', paymentFields, {}, 24 * HOUR);
  },
};

const echannel: PaymentMethod = {
  validate(body, messages) {
    const request = body.echannel;
    if (!isObject(request)) return void messages.push('echannel is required');
    if (typeof request.bill_info1 !== 'string' || request.bill_info1.length === 0 || request.bill_info1.length > 10) {
      messages.push('echannel.bill_info1 is required, maximum 10 characters');
    }
    if (typeof request.bill_info2 !== 'string' || request.bill_info2.length === 0 || request.bill_info2.length > 30) {
      messages.push('echannel.bill_info2 is required, maximum 30 characters');
    }
    if (request.bill_key !== undefined && !(typeof request.bill_key === 'string' && /^\d{1,12}$/.test(request.bill_key))) {
      messages.push('echannel.bill_key must be a string of at most 12 digits');
    }
  },
  plan({ body }) {
    const request = body.echannel as Json;
    const billKey = typeof request.bill_key === 'string' ? request.bill_key : digits(11);
    return pending('echannel', 'OK, Mandiri Bill transaction is successful', { bill_key: billKey, biller_code: '70012' }, {}, 24 * HOUR);
  },
};

const gopay: PaymentMethod = {
  validate(body, messages) {
    optionalObject(body, 'gopay', messages);
  },
  plan({ transactionId, baseUrl }) {
    // The sandbox's deeplink opens Midtrans's wallet simulator page; ours opens the simulator's wallet page.
    const actions = [
      { name: 'generate-qr-code', method: 'GET', url: `${baseUrl}/v2/gopay/${transactionId}/qr-code` },
      { name: 'deeplink-redirect', method: 'GET', url: `${baseUrl}/_simulator/wallet/${transactionId}` },
      { name: 'get-status', method: 'GET', url: `${baseUrl}/v2/${transactionId}/status` },
      { name: 'cancel', method: 'POST', url: `${baseUrl}/v2/${transactionId}/cancel` },
    ];
    return pending('gopay', 'GoPay transaction is created', {}, { actions }, 15 * MINUTE);
  },
};

const shopeepay: PaymentMethod = {
  validate(body, messages) {
    optionalObject(body, 'shopeepay', messages);
  },
  plan({ transactionId, baseUrl }) {
    const actions = [{ name: 'deeplink-redirect', method: 'GET', url: `${baseUrl}/_simulator/wallet/${transactionId}` }];
    return pending('shopeepay', 'ShopeePay transaction is created', {}, { actions }, 15 * MINUTE);
  },
};

const QRIS_ACQUIRERS = ['gopay', 'airpay shopee'];

const qris: PaymentMethod = {
  validate(body, messages) {
    if (!optionalObject(body, 'qris', messages)) return;
    const acquirer = (body.qris as Json | undefined)?.acquirer;
    if (acquirer !== undefined && !QRIS_ACQUIRERS.includes(acquirer as string)) {
      messages.push(`qris.acquirer must be one of ${QRIS_ACQUIRERS.join(', ')}`);
    }
  },
  plan({ transactionId, baseUrl, body, order }) {
    const acquirer = ((body.qris as Json | undefined)?.acquirer as string | undefined) ?? 'gopay';
    const actions = [{ name: 'generate-qr-code', method: 'GET', url: `${baseUrl}/v2/qris/${transactionId}/qr-code` }];
    return pending('qris', 'QRIS transaction is created', { acquirer }, { actions, qr_string: qrString(transactionId, order.grossAmount) }, 15 * MINUTE);
  },
};

const CSTORES = ['indomaret', 'alfamart'];

const cstore: PaymentMethod = {
  validate(body, messages) {
    const request = body.cstore;
    if (!isObject(request)) return void messages.push('cstore is required');
    if (!CSTORES.includes(request.store as string)) messages.push(`cstore.store must be one of ${CSTORES.join(', ')}`);
  },
  plan({ body }) {
    const store = (body.cstore as Json).store as string;
    const paymentCode = store === 'alfamart' ? digits(16) : digits(14);
    return pending('cstore', 'Success, cstore transaction is successful', { payment_code: paymentCode, store }, {}, 24 * HOUR);
  },
};

/** The sandbox's unregistered OVO account (Midtrans docs, Testing Payment on Sandbox). */
export const OVO_UNREGISTERED_PHONE = '+628249134000';

const ovo: PaymentMethod = {
  validate(body, messages) {
    const request = body.ovo;
    if (!isObject(request) || typeof request.payer_phone_number !== 'string' || request.payer_phone_number.trim() === '') {
      messages.push('ovo.payer_phone_number is required');
    }
  },
  plan({ body }) {
    const phone = ((body.ovo as Json).payer_phone_number as string).replace(/[\s-]/g, '');
    if (phone === OVO_UNREGISTERED_PHONE || phone === OVO_UNREGISTERED_PHONE.slice(1)) {
      return settled('ovo', 'deny', 'accept', 'OVO account is not registered', {});
    }
    return { ...pending('ovo', 'OVO transaction is created', {}, {}, 65_000), fixedExpiry: true };
  },
};

const creditCard: PaymentMethod = {
  validate(body, messages) {
    if (body.credit_card !== undefined && !isObject(body.credit_card)) messages.push('credit_card must be an object');
  },
  plan({ body, transactionId, baseUrl, cardToken }) {
    const request = (body.credit_card ?? {}) as Json;
    const card = resolveCardToken(request.token_id, cardToken);
    if (!card) return { statusCode: '411', statusMessage: 'Token id is missing, invalid, or timed out' };
    const bank = typeof request.bank === 'string' ? request.bank.toLowerCase() : 'bni';
    const cardFields = { masked_card: card.maskedCard, bank, card_type: 'credit' };
    const preauthorize = request.type === 'authorize';
    const common = { card: { pan: card.pan, outcome: card.outcome, preauthorize }, spendsToken: card.singleUseToken };

    // `authentication` defaults to false (Midtrans docs, Card Feature: 3D Secure); some integrations send "true".
    const authentication = request.authentication === true || request.authentication === 'true';
    if (card.enrolled3ds && authentication) {
      // Midtrans's documented 3DS answer: pending, yet worded as a success, with the 3DS version it will run.
      const redirectUrl = `${baseUrl}/v2/token/rba/redirect/${transactionId}`;
      const fields = { ...cardFields, three_ds_version: '2' };
      return {
        ...pending('credit_card', 'Success, Credit Card transaction is successful', fields, { redirect_url: redirectUrl }, 10 * MINUTE),
        ...common,
      };
    }
    return { ...cardDecision(card.outcome, preauthorize, bank, cardFields), ...common };
  },
};

/** The issuer's and the fraud system's answer to a card charge that needs (or has finished) no authentication. */
function cardDecision(outcome: CardOutcome, preauthorize: boolean, bank: string, cardFields: Json): ChargePlan {
  switch (outcome) {
    case 'bank_deny':
      return settled('credit_card', 'deny', 'accept', `Deny by Bank [${bank.toUpperCase()}] with code [05] and message [Do not honour]`, {
        ...cardFields,
        channel_response_code: '05',
        channel_response_message: 'Do not honour',
      });
    case 'fraud_deny':
      return settled('credit_card', 'deny', 'deny', 'Deny by FDS', cardFields);
    case 'challenge':
      return settled('credit_card', 'capture', 'challenge', 'Challenge by FDS', { ...cardFields, ...approved() });
    case 'accept':
      return settled('credit_card', preauthorize ? 'authorize' : 'capture', 'accept', 'Success, Credit Card transaction is successful', {
        ...cardFields,
        ...approved(),
      });
  }
}

const PAYMENT_METHODS: Record<string, PaymentMethod> = {
  credit_card: creditCard,
  bank_transfer: bankTransfer,
  echannel,
  gopay,
  shopeepay,
  qris,
  cstore,
  ovo,
};

/**
 * Real Midtrans payment types this merchant cannot charge through Core API: DANA is offered through Snap only, the
 * others are not simulated. Midtrans answers them 402 "not activated"; anything else is not a payment type at all.
 */
const NOT_ACTIVATED_ON_CORE_API = new Set([
  'dana',
  'akulaku',
  'kredivo',
  'cimb_clicks',
  'bca_klikpay',
  'bca_klikbca',
  'bri_epay',
  'danamon_online',
  'uob_ezpay',
  'mandiri_clickpay',
]);

export type PaymentTypeCheck = { kind: 'supported' } | { kind: 'not_activated' } | { kind: 'invalid'; message: string };

export function checkPaymentType(paymentType: unknown): PaymentTypeCheck {
  if (paymentType === undefined || paymentType === null || paymentType === '') {
    return { kind: 'invalid', message: 'payment_type is required' };
  }
  if (typeof paymentType === 'string' && paymentType in PAYMENT_METHODS) return { kind: 'supported' };
  if (typeof paymentType === 'string' && NOT_ACTIVATED_ON_CORE_API.has(paymentType)) return { kind: 'not_activated' };
  return { kind: 'invalid', message: 'payment_type is not supported' };
}

export function validatePaymentMethod(paymentType: string, body: Json, messages: string[]): void {
  PAYMENT_METHODS[paymentType]!.validate(body, messages);
}

export function planCharge(paymentType: string, context: ChargeContext): ChargePlan | ChargeRejection {
  return PAYMENT_METHODS[paymentType]!.plan(context);
}

export function isRejection(outcome: ChargePlan | ChargeRejection): outcome is ChargeRejection {
  return 'statusCode' in outcome;
}

/**
 * A transaction for a payment type the Core API side does not charge (Snap-only methods such as dana, and the
 * redirect methods offered on the Snap page): pending, paid or failed from the page.
 */
export function planSnapOnlyMethod(paymentType: string): ChargePlan {
  return pending(paymentType, `${paymentType} transaction is created`, {}, {}, 15 * MINUTE);
}

function pending(paymentType: string, statusMessage: string, paymentFields: Json, chargeFields: Json, defaultExpiryMs: number): ChargePlan {
  return { paymentType, status: 'pending', fraudStatus: 'accept', statusMessage, paymentFields, chargeFields, defaultExpiryMs };
}

function settled(paymentType: string, status: TransactionStatus, fraudStatus: FraudStatus, statusMessage: string, paymentFields: Json): ChargePlan {
  return { paymentType, status, fraudStatus, statusMessage, paymentFields, chargeFields: {} };
}

function optionalObject(body: Json, key: string, messages: string[]): boolean {
  if (body[key] === undefined || isObject(body[key])) return true;
  messages.push(`${key} must be an object`);
  return false;
}

/** Card approval fields that appear once the issuer approved. */
export function approved(): Json {
  return { approval_code: digits(13), channel_response_code: '00', channel_response_message: 'Approved', eci: '05' };
}

function digits(count: number): string {
  let out = String(randomInt(1, 10));
  while (out.length < count) out += String(randomInt(0, 10));
  return out;
}

/** An EMVCo-shaped QRIS payload (tag-length-value); only its shape matters to a merchant, which renders it as a QR. */
function qrString(transactionId: string, amount: number): string {
  const tlv = (tag: string, value: string) => `${tag}${value.length.toString().padStart(2, '0')}${value}`;
  const reference = transactionId.replace(/-/g, '').slice(0, 20).toUpperCase();
  return [
    tlv('00', '01'),
    tlv('01', '12'),
    tlv('26', tlv('00', 'COM.GO-JEK.WWW') + tlv('01', reference)),
    tlv('52', '5812'),
    tlv('53', '360'),
    tlv('54', String(amount)),
    tlv('58', 'ID'),
    tlv('59', 'TIKETQ SIMULATOR'),
    tlv('60', 'JAKARTA'),
    '6304ABCD',
  ].join('');
}
