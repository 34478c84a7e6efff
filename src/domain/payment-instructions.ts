/** What the customer needs to pay, in our words; shown by the API and stored with the payment. */
export type PaymentInstructions =
  | { kind: 'virtual_account'; bank: string; vaNumber: string }
  | { kind: 'bill_payment'; billerCode: string; billKey: string }
  | { kind: 'qr_code'; qrString?: string; qrUrl?: string; deeplinkUrl?: string }
  | { kind: 'deeplink'; deeplinkUrl: string }
  | { kind: 'store_payment_code'; store: string; paymentCode: string }
  | { kind: 'redirect'; redirectUrl: string; token?: string }
  | { kind: 'ewallet_push'; wallet: string };

/**
 * The one place that reads payment instructions out of a Midtrans charge (or Snap) response. Reads the shape,
 * not `payment_type` (a GoPay charge can report qris). Null when the customer has nothing to do (a card paid
 * without 3DS) or the shape is unknown.
 */
export function paymentInstructionsFrom(chargeResponse: Record<string, unknown>): PaymentInstructions | null {
  const r = chargeResponse;

  const [va] = Array.isArray(r.va_numbers) ? r.va_numbers : [];
  if (isRecord(va) && isText(va.bank) && isText(va.va_number)) {
    return { kind: 'virtual_account', bank: va.bank, vaNumber: va.va_number };
  }
  // Permata answers with its own field instead of va_numbers.
  if (isText(r.permata_va_number)) return { kind: 'virtual_account', bank: 'permata', vaNumber: r.permata_va_number };
  // Mandiri bill payment (echannel): the customer needs both codes.
  if (isText(r.bill_key) && isText(r.biller_code)) {
    return { kind: 'bill_payment', billerCode: r.biller_code, billKey: r.bill_key };
  }
  if (isText(r.payment_code)) {
    return { kind: 'store_payment_code', store: isText(r.store) ? r.store : 'unknown', paymentCode: r.payment_code };
  }

  // GoPay, QRIS and ShopeePay: a QR to scan and/or an app deeplink, listed in actions[].
  const qrUrl = actionUrl(r.actions, 'generate-qr-code');
  const deeplinkUrl = actionUrl(r.actions, 'deeplink-redirect');
  const qrString = isText(r.qr_string) ? r.qr_string : undefined;
  if (qrUrl || qrString) {
    return { kind: 'qr_code', ...(qrString && { qrString }), ...(qrUrl && { qrUrl }), ...(deeplinkUrl && { deeplinkUrl }) };
  }
  if (deeplinkUrl) return { kind: 'deeplink', deeplinkUrl };

  // Snap answers {token, redirect_url}; a card charge answers redirect_url when 3DS is needed.
  if (isText(r.redirect_url)) {
    return { kind: 'redirect', redirectUrl: r.redirect_url, ...(isText(r.token) && { token: r.token }) };
  }
  // OVO pushes the payment request to the customer's OVO app: nothing to show but "open OVO".
  if (r.payment_type === 'ovo') return { kind: 'ewallet_push', wallet: 'ovo' };
  return null;
}

function actionUrl(actions: unknown, name: string): string | undefined {
  if (!Array.isArray(actions)) return undefined;
  const action: unknown = actions.find((a) => isRecord(a) && a.name === name);
  return isRecord(action) && isText(action.url) ? action.url : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
