import { durationMs, parseExpiryUnit, parseMidtransTime } from './format';

/**
 * Validation shared by Core API charges and Snap: transaction_details, item_details, expiry and refund bodies.
 * Problems are collected as Midtrans-style messages ("transaction_details.gross_amount is required") so one
 * response can list them all, as Midtrans's validation_messages / error_messages do.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface OrderDetails {
  orderId: string;
  grossAmount: number;
}

/** Midtrans order ids: at most 50 characters of letters, digits, "-", "_", "~" and ".". */
const ORDER_ID = /^[A-Za-z0-9\-_~.]{1,50}$/;

/**
 * IDR has no minor unit and Midtrans rejects decimals anywhere ("100.50" or 100.5). Integer strings are accepted
 * as Midtrans does. Returns undefined after recording a message.
 */
export function readWholeAmount(value: unknown, path: string, messages: string[]): number | undefined {
  if (value === undefined || value === null || value === '') {
    messages.push(`${path} is required`);
    return undefined;
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    messages.push(Number.isFinite(value) ? `${path} must not have decimal places` : `${path} is not a number`);
    return undefined;
  }
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value.trim())) return Number(value.trim());
    messages.push(/^-?\d+\.\d+$/.test(value.trim()) ? `${path} must not have decimal places` : `${path} is not a number`);
    return undefined;
  }
  messages.push(`${path} is not a number`);
  return undefined;
}

/** transaction_details and item_details, including the rule that items must add up to gross_amount exactly. */
export function readOrder(body: Json, messages: string[]): OrderDetails | undefined {
  const details = body.transaction_details;
  if (!isObject(details)) {
    messages.push('transaction_details is required');
    return undefined;
  }
  const before = messages.length;
  const orderId = details.order_id;
  if (orderId === undefined || orderId === null || orderId === '') {
    messages.push('transaction_details.order_id is required');
  } else if (typeof orderId !== 'string') {
    messages.push('transaction_details.order_id must be a string');
  } else if (orderId.length > 50) {
    messages.push('transaction_details.order_id too long, maximum 50 characters');
  } else if (!ORDER_ID.test(orderId)) {
    messages.push('transaction_details.order_id may only contain letters, digits, "-", "_", "~" and "."');
  }
  const grossAmount = readWholeAmount(details.gross_amount, 'transaction_details.gross_amount', messages);
  if (grossAmount !== undefined && grossAmount < 1) {
    messages.push('transaction_details.gross_amount must be greater than or equal to 1');
  }

  const items = body.item_details;
  if (items !== undefined && items !== null) {
    const itemsTotal = readItemsTotal(items, messages);
    if (itemsTotal !== undefined && grossAmount !== undefined && itemsTotal !== grossAmount) {
      messages.push('transaction_details.gross_amount is not equal to the sum of item_details');
    }
  }
  if (messages.length > before) return undefined;
  return { orderId: orderId as string, grossAmount: grossAmount as number };
}

function readItemsTotal(items: unknown, messages: string[]): number | undefined {
  if (!Array.isArray(items)) {
    messages.push('item_details must be an array');
    return undefined;
  }
  const before = messages.length;
  let total = 0;
  items.forEach((item, index) => {
    const path = `item_details[${index}]`;
    if (!isObject(item)) {
      messages.push(`${path} must be an object`);
      return;
    }
    // Negative prices are allowed: that is how Midtrans expects discounts.
    const price = readWholeAmount(item.price, `${path}.price`, messages);
    const quantity = readWholeAmount(item.quantity, `${path}.quantity`, messages);
    if (quantity !== undefined && quantity < 1) messages.push(`${path}.quantity must be greater than or equal to 1`);
    if (typeof item.name !== 'string' || item.name.trim() === '') messages.push(`${path}.name is required`);
    else if (item.name.length > 50) messages.push(`${path}.name too long, maximum 50 characters`);
    if (price !== undefined && quantity !== undefined) total += price * quantity;
  });
  return messages.length > before ? undefined : total;
}

/**
 * Core API `custom_expiry {order_time?, expiry_duration, unit}`. Returns the expiry instant, measured from
 * order_time when given, else from the transaction time.
 */
export function readCustomExpiry(value: unknown, transactionTime: number, messages: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    messages.push('custom_expiry must be an object');
    return undefined;
  }
  return readExpiry(value.order_time, value.expiry_duration, value.unit, transactionTime, 'custom_expiry', {
    start: 'order_time',
    duration: 'expiry_duration',
  }, messages);
}

/** Snap `expiry {start_time?, unit, duration}`. */
export function readSnapExpiry(value: unknown, now: number, messages: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    messages.push('expiry must be an object');
    return undefined;
  }
  return readExpiry(value.start_time, value.duration, value.unit, now, 'expiry', {
    start: 'start_time',
    duration: 'duration',
  }, messages);
}

function readExpiry(
  start: unknown,
  duration: unknown,
  unit: unknown,
  fallbackStart: number,
  path: string,
  names: { start: string; duration: string },
  messages: string[],
): number | undefined {
  let startAt = fallbackStart;
  if (start !== undefined && start !== null && start !== '') {
    const parsed = typeof start === 'string' ? parseMidtransTime(start) : undefined;
    if (parsed === undefined) {
      messages.push(`${path}.${names.start} must be formatted as yyyy-MM-dd HH:mm:ss Z`);
      return undefined;
    }
    startAt = parsed;
  }
  const amount = readWholeAmount(duration, `${path}.${names.duration}`, messages);
  const parsedUnit = parseExpiryUnit(unit);
  if (parsedUnit === undefined) messages.push(`${path}.unit must be one of second, minute, hour, day`);
  if (amount === undefined || parsedUnit === undefined) return undefined;
  if (amount < 1) {
    messages.push(`${path}.${names.duration} must be greater than or equal to 1`);
    return undefined;
  }
  return startAt + durationMs(amount, parsedUnit);
}

export interface RefundRequest {
  refundKey?: string;
  amount?: number;
  reason?: string;
}

/** POST /v2/{id}/refund `{refund_key?, amount?, reason?}`; an empty body means "refund everything". */
export function readRefundRequest(body: Json, messages: string[]): RefundRequest | undefined {
  const before = messages.length;
  const request: RefundRequest = {};
  if (body.refund_key !== undefined && body.refund_key !== null) {
    if (typeof body.refund_key !== 'string' || !/^[A-Za-z0-9\-_]{1,100}$/.test(body.refund_key)) {
      messages.push('refund_key may only contain letters, digits, "-" and "_"');
    } else {
      request.refundKey = body.refund_key;
    }
  }
  if (body.amount !== undefined && body.amount !== null) {
    const amount = readWholeAmount(body.amount, 'amount', messages);
    if (amount !== undefined && amount < 1) messages.push('amount must be greater than or equal to 1');
    else if (amount !== undefined) request.amount = amount;
  }
  if (body.reason !== undefined && body.reason !== null) {
    if (typeof body.reason !== 'string' || body.reason.length > 255) messages.push('reason must be a string of at most 255 characters');
    else request.reason = body.reason;
  }
  return messages.length > before ? undefined : request;
}

/** X-Override-Notification / X-Append-Notification: comma-separated, at most 2 URLs each (extra ones are ignored). */
export function readNotificationUrls(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((url) => url.trim())
    .filter((url) => /^https?:\/\//i.test(url))
    .slice(0, 2);
}
