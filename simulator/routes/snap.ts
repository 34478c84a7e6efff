import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { notificationTargets, readJsonObject, requireServerKey, snapErrorBody, withApiFaults } from '../api-guards';
import { isRejection, planCharge, planSnapOnlyMethod, type ChargePlan } from '../charge';
import type { SimulatorDeps } from '../context';
import { isObject, readOrder, readSnapExpiry, type Json } from '../requests';
import { transactionStatusCode } from '../responses';
import { resultPage, snapChoicePage, snapTransactionPage, type SnapMethodChoice } from '../pages';
import type { SimTransaction, SnapSession } from '../store';

/**
 * Snap: POST /snap/v1/transactions gives a token and a redirect_url; the page behind it is where the customer
 * picks a method. Until then the order does not exist for the Core API: GET status answers 404.
 */

const DAY = 86_400_000;

/** enabled_payments values (Midtrans Snap docs) and how each one is charged once picked. */
const SNAP_METHODS: Record<string, { label: string; charge?: (session: SnapSession) => Json }> = {
  credit_card: {
    label: 'Credit/debit card (sandbox card 4811 1111 1111 1114, 3DS)',
    charge: () => ({ payment_type: 'credit_card', credit_card: { token_id: '4811111111111114', authentication: true } }),
  },
  bca_va: { label: 'BCA virtual account', charge: (s) => virtualAccount('bca', s.request.bca_va) },
  bni_va: { label: 'BNI virtual account', charge: (s) => virtualAccount('bni', s.request.bni_va) },
  bri_va: { label: 'BRI virtual account', charge: (s) => virtualAccount('bri', s.request.bri_va) },
  cimb_va: { label: 'CIMB Niaga virtual account', charge: () => virtualAccount('cimb', undefined) },
  permata_va: { label: 'Permata virtual account', charge: (s) => virtualAccount('permata', s.request.permata_va) },
  // "Other banks" transfers land on a Permata VA.
  other_va: { label: 'Other banks (ATM Bersama, Prima, Alto)', charge: (s) => virtualAccount('permata', s.request.permata_va) },
  echannel: {
    label: 'Mandiri bill payment',
    charge: () => ({ payment_type: 'echannel', echannel: { bill_info1: 'Payment:', bill_info2: 'Online purchase' } }),
  },
  gopay: { label: 'GoPay', charge: () => ({ payment_type: 'gopay', gopay: {} }) },
  shopeepay: { label: 'ShopeePay', charge: () => ({ payment_type: 'shopeepay', shopeepay: {} }) },
  other_qris: { label: 'QRIS', charge: () => ({ payment_type: 'qris', qris: {} }) },
  indomaret: { label: 'Indomaret', charge: () => ({ payment_type: 'cstore', cstore: { store: 'indomaret' } }) },
  alfamart: { label: 'Alfamart', charge: () => ({ payment_type: 'cstore', cstore: { store: 'alfamart' } }) },
  dana: { label: 'DANA' },
  akulaku: { label: 'Akulaku' },
  kredivo: { label: 'Kredivo' },
  cimb_clicks: { label: 'CIMB Clicks' },
  bca_klikbca: { label: 'KlikBCA' },
  bca_klikpay: { label: 'BCA KlikPay' },
  bri_epay: { label: 'BRImo' },
  danamon_online: { label: 'Danamon Online Banking' },
  uob_ezpay: { label: 'UOB EZPay' },
};

const DEFAULT_ENABLED = ['credit_card', 'bca_va', 'bni_va', 'bri_va', 'permata_va', 'echannel', 'gopay', 'shopeepay', 'other_qris', 'indomaret', 'alfamart'];

function virtualAccount(bank: string, options: unknown): Json {
  const vaNumber = isObject(options) && typeof options.va_number === 'string' ? options.va_number : undefined;
  return { payment_type: 'bank_transfer', bank_transfer: { bank, ...(vaNumber ? { va_number: vaNumber } : {}) } };
}

export function snapRoutes(deps: SimulatorDeps): Hono {
  const snap = new Hono();

  snap.post('/snap/v1/transactions', requireServerKey(deps.serverKey, 'snap'), async (c) => {
    const body = await readJsonObject(c);
    return withApiFaults(c, deps, true, () => createSnapTransaction(c, deps, body), snapErrorBody);
  });

  snap.get('/snap/v3/redirection/:token', (c) => {
    const session = deps.store.snapSession(c.req.param('token'));
    if (!session) return c.html(resultPage('Payment page not found', undefined, 'This Snap token does not exist.'), 404);
    const tx = session.transactionId ? deps.store.find(session.transactionId)?.transaction : undefined;
    if (tx) return c.html(snapTransactionPage(session, tx));
    if (session.expiresAt <= Date.now()) return c.html(resultPage('Payment page expired', undefined, 'This payment page has expired.'), 410);
    return c.html(snapChoicePage(session, methodChoices(session)));
  });

  snap.post('/snap/v3/redirection/:token', async (c) => {
    const session = deps.store.snapSession(c.req.param('token'));
    if (!session) return c.html(resultPage('Payment page not found', undefined, 'This Snap token does not exist.'), 404);
    const form = await c.req.parseBody();
    const action = String(form.action ?? 'pay');

    let tx = session.transactionId ? deps.store.find(session.transactionId)?.transaction : undefined;
    if (!tx) {
      if (session.expiresAt <= Date.now()) return c.html(resultPage('Payment page expired', undefined, 'This payment page has expired.'), 410);
      const method = String(form.payment_method ?? '');
      if (!session.enabledPayments.includes(method)) {
        return c.html(snapChoicePage(session, methodChoices(session), 'Choose one of the offered payment methods.'), 400);
      }
      const opened = openChosenMethod(c, deps, session, method);
      if (typeof opened === 'string') return c.html(snapChoicePage(session, methodChoices(session), opened), 400);
      tx = opened;
    }

    if (action === 'pay') deps.lifecycle.change(tx, 'pay');
    else if (action === 'fail') deps.lifecycle.change(tx, 'deny');
    return finish(c, session, tx, action);
  });

  return snap;
}

function createSnapTransaction(c: Context, deps: SimulatorDeps, body: Json | undefined): Response {
  if (!body) return c.json({ error_messages: ['The request cannot be processed due to malformed syntax in the request body'] }, 400);
  const messages: string[] = [];
  const now = Date.now();
  const order = readOrder(body, messages);
  const transactionExpiryAt = readSnapExpiry(body.expiry, now, messages);
  const enabledPayments = readEnabledPayments(body.enabled_payments, messages);
  const callbacks = isObject(body.callbacks) ? body.callbacks : {};
  if (messages.length > 0 || !order) return c.json({ error_messages: messages }, 400);
  if (deps.store.isOrderIdTaken(order.orderId, now)) {
    return c.json({ error_messages: ['transaction_details.order_id has already been taken'] }, 400);
  }

  const token = randomUUID();
  deps.store.addSnapSession({
    token,
    orderId: order.orderId,
    grossAmount: order.grossAmount,
    createdAt: now,
    expiresAt: transactionExpiryAt ?? now + DAY,
    transactionExpiryAt,
    enabledPayments,
    request: body,
    callbacks: {
      finish: stringOrUndefined(callbacks.finish),
      error: stringOrUndefined(callbacks.error),
      unfinish: stringOrUndefined(callbacks.unfinish),
    },
    targets: notificationTargets(c),
  });
  return c.json({ token, redirect_url: `${deps.baseUrl(c)}/snap/v3/redirection/${token}` }, 201);
}

function readEnabledPayments(value: unknown, messages: string[]): string[] {
  if (value === undefined || value === null) return DEFAULT_ENABLED;
  if (!Array.isArray(value)) {
    messages.push('enabled_payments must be an array');
    return [];
  }
  // Unknown values are skipped, as Snap skips channels the merchant has not activated.
  const known = value.filter((method): method is string => typeof method === 'string' && method in SNAP_METHODS);
  if (known.length === 0) messages.push('enabled_payments has no payment channel that is activated');
  return known;
}

function methodChoices(session: SnapSession): SnapMethodChoice[] {
  return session.enabledPayments.map((code) => ({ code, label: SNAP_METHODS[code]?.label ?? code }));
}

/** The customer's choice becomes a real transaction: visible to GET status from now on, and notified. */
function openChosenMethod(c: Context, deps: SimulatorDeps, session: SnapSession, method: string): SimTransaction | string {
  const transactionId = randomUUID();
  const charge = SNAP_METHODS[method]?.charge;
  let plan: ChargePlan;
  if (charge) {
    const body = { ...session.request, ...charge(session) };
    const outcome = planCharge(body.payment_type as string, {
      transactionId,
      order: { orderId: session.orderId, grossAmount: session.grossAmount },
      body,
      baseUrl: deps.baseUrl(c),
      cardToken: (token) => deps.store.cardToken(token),
    });
    if (isRejection(outcome)) return outcome.statusMessage;
    plan = outcome;
  } else {
    plan = planSnapOnlyMethod(method);
  }
  const tx = deps.lifecycle.open(plan, {
    transactionId,
    orderId: session.orderId,
    grossAmount: session.grossAmount,
    channel: 'snap',
    targets: session.targets,
    transactionTime: Date.now(),
    requestedExpiryAt: session.transactionExpiryAt,
  });
  session.transactionId = tx.transactionId;
  deps.store.stats.snapTransactions.created += 1;
  return tx;
}

/** Back to the merchant like Snap does: the callback URL with order_id, status_code and transaction_status. */
function finish(c: Context, session: SnapSession, tx: SimTransaction, action: string): Response | Promise<Response> {
  const target =
    action === 'fail'
      ? session.callbacks.error ?? session.callbacks.finish
      : action === 'abandon'
        ? session.callbacks.unfinish ?? session.callbacks.finish
        : session.callbacks.finish;
  const url = target && URL.canParse(target) ? new URL(target) : undefined;
  if (url) {
    url.searchParams.set('order_id', tx.orderId);
    url.searchParams.set('status_code', transactionStatusCode(tx));
    url.searchParams.set('transaction_status', tx.status);
    return c.redirect(url.toString(), 303);
  }
  const title = action === 'pay' ? 'Payment complete' : action === 'fail' ? 'Payment failed' : 'Payment not finished';
  return c.html(resultPage(title, tx, 'You can close this page.'));
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
