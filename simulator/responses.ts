import { randomUUID } from 'node:crypto';
import { midtransSignature } from '../src/midtrans/signature';
import { formatAmount, formatMidtransTime } from './format';
import type { SimTransaction } from './store';

/**
 * Every JSON body the Core API side sends, and the one rule for which HTTP status carries it.
 *
 * Midtrans puts the outcome in the body's `status_code`; the HTTP status often stays 200 even for failures
 * (so always read the body). Evidence: official clients check the body code on HTTP 2xx
 * (midtrans-nodejs-client httpClient.js, midtrans-python-client http_client.py), a real log of the Python client
 * shows "API status code: `404` … Transaction doesn't exist." (its branch for HTTP < 400), and GET status of an
 * expired transaction answers HTTP 200 with body 407 (veritrans/go-midtrans#49). Errors that reject the request
 * itself (authentication, validation, malformed JSON) use a 4xx HTTP status as well.
 *
 * | body status_code | when                                                            | HTTP |
 * |------------------|-----------------------------------------------------------------|------|
 * | 200 / 201 / 202  | success, pending (or card challenge), deny/cancel/expire        | 200  |
 * | 400              | validation_messages (amounts, item sum, order_id, fields)        | 400  |
 * | 401              | missing or wrong server key                                     | 401  |
 * | 402              | payment channel not activated (e.g. dana through Core API)      | 200  |
 * | 404              | "Transaction doesn't exist." (unknown order_id/transaction_id)  | 200  |
 * | 406              | duplicate order_id; refund_key reused with a different amount   | 200  |
 * | 407              | POST /expire succeeded; GET status of an expired transaction    | 200  |
 * | 411              | token_id missing, invalid or already used                       | 200  |
 * | 412              | the transaction's status does not allow the change              | 200  |
 * | 413              | body is not JSON                                                | 400  |
 * | 414              | refund rejected (method without API refund, partial not allowed, amount too high) | 200 |
 * | 500 / 503        | injected faults only                                            | same |
 *
 * Card tokenization (GET /v2/token, routes/card-token.ts) is the exception: every outcome there is on HTTP 200.
 */
export function httpStatusFor(bodyStatusCode: string): 200 | 400 | 401 | 500 | 503 {
  switch (bodyStatusCode) {
    case '400':
    case '413':
      return 400;
    case '401':
      return 401;
    case '500':
      return 500;
    case '503':
      return 503;
    default:
      return 200;
  }
}

export const MESSAGES = {
  unauthorized: 'Access denied due to unauthorized transaction, please check client or server key',
  validation: 'One or more parameters in the payload is invalid.',
  channelNotActivated: 'Payment channel is not activated.',
  notFound: "Transaction doesn't exist.",
  duplicateOrderId:
    'The request could not be completed due to a conflict with the current state of the target resource, please try again',
  duplicateRefundKey: 'Duplicate refund_key: it was already used for a refund with a different amount',
  invalidToken: 'Token id is missing, invalid, or timed out',
  cannotModify: 'Merchant cannot modify the status of the transaction',
  malformed: 'The request cannot be processed due to malformed syntax in the request body',
  internalError: 'Sorry. Our system is recovering from unexpected issues. Please retry.',
  unavailable: 'Sorry, the service is temporarily unavailable. Please retry.',
} as const;

/** Any Core API body: the outcome is in its status_code. */
export type MidtransBody = { status_code: string } & Record<string, unknown>;

export type ApiErrorBody = MidtransBody & { status_message: string; id: string };

export function apiError(statusCode: string, statusMessage: string, extra: Record<string, unknown> = {}): ApiErrorBody {
  return { status_code: statusCode, status_message: statusMessage, id: randomUUID(), ...extra };
}

export function validationError(messages: string[]): ApiErrorBody {
  return apiError('400', MESSAGES.validation, { validation_messages: messages });
}

/** Body status_code of a transaction in notifications and API results: 200 done, 201 waiting, 202 failed. */
export function transactionStatusCode(tx: SimTransaction): '200' | '201' | '202' {
  switch (tx.status) {
    case 'pending':
      return '201';
    case 'capture':
      // A card held for fraud review is not final yet: Midtrans answers it like a pending one.
      return tx.fraudStatus === 'challenge' ? '201' : '200';
    case 'authorize':
    case 'settlement':
    case 'refund':
    case 'partial_refund':
      return '200';
    case 'deny':
    case 'cancel':
    case 'expire':
    case 'failure':
      return '202';
  }
}

/** The fields every transaction view shares (status, notification, charge/cancel/… responses). */
export function transactionFields(tx: SimTransaction): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    transaction_id: tx.transactionId,
    order_id: tx.orderId,
    merchant_id: tx.merchantId,
    gross_amount: formatAmount(tx.grossAmount),
    currency: 'IDR',
    payment_type: tx.paymentType,
    transaction_time: formatMidtransTime(tx.transactionTime),
    transaction_status: tx.status,
    fraud_status: tx.fraudStatus,
    ...tx.paymentFields,
  };
  if (tx.expiryTime !== undefined) fields.expiry_time = formatMidtransTime(tx.expiryTime);
  if (tx.settlementTime !== undefined) fields.settlement_time = formatMidtransTime(tx.settlementTime);
  if (tx.refunds.length > 0) {
    fields.refund_amount = formatAmount(refundedAmount(tx));
    fields.refunds = tx.refunds.map((refund) => ({
      refund_chargeback_id: refund.refundChargebackId,
      refund_amount: formatAmount(refund.amount),
      created_at: formatMidtransTime(refund.createdAt),
      reason: refund.reason ?? '',
      refund_key: refund.refundKey,
      ...(refund.bankConfirmedAt !== undefined ? { bank_confirmed_at: formatMidtransTime(refund.bankConfirmedAt) } : {}),
    }));
  }
  return fields;
}

export function refundedAmount(tx: SimTransaction): number {
  return tx.refunds.reduce((sum, refund) => sum + refund.amount, 0);
}

/** signature_key over the body's own status_code and gross_amount, exactly as they are sent. */
function withSignature(body: MidtransBody, serverKey: string): MidtransBody {
  const signature = midtransSignature(
    String(body.order_id),
    String(body.status_code),
    String(body.gross_amount),
    serverKey,
  );
  return { ...body, signature_key: signature };
}

export function notificationBody(tx: SimTransaction, serverKey: string): MidtransBody {
  return withSignature(
    {
      ...transactionFields(tx),
      status_code: transactionStatusCode(tx),
      status_message: 'midtrans payment notification',
    },
    serverKey,
  );
}

/** GET /v2/{id}/status: notification-shaped. An expired transaction reports body status_code 407 here. */
export function statusBody(tx: SimTransaction, serverKey: string): MidtransBody {
  return withSignature(
    {
      status_code: tx.status === 'expire' ? '407' : transactionStatusCode(tx),
      status_message: 'Success, transaction is found',
      ...transactionFields(tx),
    },
    serverKey,
  );
}

/** The answer to POST /v2/charge (and to the Snap choice): charge-only fields such as actions included. */
export function chargeBody(tx: SimTransaction): MidtransBody {
  return {
    status_code: transactionStatusCode(tx),
    status_message: tx.statusMessage,
    ...transactionFields(tx),
    ...tx.chargeFields,
  };
}

/** The answer to cancel/approve/deny/expire: the transaction after the change, with the API's own code. */
export function actionBody(tx: SimTransaction, statusCode: string, statusMessage: string): MidtransBody {
  return { status_code: statusCode, status_message: statusMessage, ...transactionFields(tx) };
}
