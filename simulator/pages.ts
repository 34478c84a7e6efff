import { html } from 'hono/html';
import type { FaultConfig } from './faults';
import { formatMidtransTime } from './format';
import type { SimTransaction, SimulatorStats, SnapSession } from './store';
import { nextStatus, type StatusAction } from './transitions';

/**
 * The HTML a person sees: the Snap payment page, the 3DS and wallet stand-ins, and the control panel. Plain forms
 * and inline CSS only (no external assets: the machines running this have no internet). All values are escaped
 * by hono's html template.
 */

type Html = ReturnType<typeof html>;

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2733; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
  form.inline { display: inline; }
  button { margin: .1rem; padding: .3rem .7rem; cursor: pointer; }
  .card { border: 1px solid #dde3ea; border-radius: .5rem; padding: 1rem 1.25rem; margin: 1rem 0; }
  .amount { font-size: 1.6rem; font-weight: 600; }
  .muted { color: #66788a; font-size: .85rem; }
  .error { background: #fdecea; border: 1px solid #f5c2c0; padding: .5rem .75rem; border-radius: .4rem; }
  label.method { display: block; padding: .3rem 0; }
  code { background: #f3f5f7; padding: 0 .25rem; border-radius: .2rem; }
`;

function layout(title: string, content: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <style>
      ${STYLE}
    </style>
  </head>
  <body>
    ${content}
  </body>
</html>`;
}

export function formatRupiah(amount: number): string {
  return `Rp ${amount.toLocaleString('id-ID')}`;
}

export interface SnapMethodChoice {
  code: string;
  label: string;
}

export function snapChoicePage(session: SnapSession, methods: SnapMethodChoice[], error?: string): Html {
  return layout(
    `Pay ${session.orderId}`,
    html`<h1>Midtrans Snap (simulator)</h1>
      ${error ? html`<p class="error">${error}</p>` : ''}
      <div class="card">
        <div class="muted">Order ${session.orderId}</div>
        <div class="amount">${formatRupiah(session.grossAmount)}</div>
        <div class="muted">Choose before ${formatMidtransTime(session.expiresAt)} (GMT+7)</div>
      </div>
      <form method="post" action="/snap/v3/redirection/${session.token}">
        <div class="card">
          ${methods.map(
            (method, index) =>
              html`<label class="method"
                ><input type="radio" name="payment_method" value="${method.code}" ${index === 0 ? 'checked' : ''} />
                ${method.label}</label
              >`,
          )}
        </div>
        <p class="muted">Picking a method creates the transaction. Pay settles it, Fail makes the bank deny it, Abandon leaves it pending.</p>
        <button name="action" value="pay">Pay</button>
        <button name="action" value="fail">Fail</button>
        <button name="action" value="abandon">Abandon</button>
      </form>`,
  );
}

export function snapTransactionPage(session: SnapSession, tx: SimTransaction): Html {
  return layout(
    `Pay ${session.orderId}`,
    html`<h1>Midtrans Snap (simulator)</h1>
      <div class="card">
        <div class="muted">Order ${tx.orderId} · ${tx.paymentType}</div>
        <div class="amount">${formatRupiah(tx.grossAmount)}</div>
        <div>Status: <strong>${tx.status}</strong> (fraud: ${tx.fraudStatus})</div>
        ${paymentInstructions(tx)}
      </div>
      ${tx.status === 'pending'
        ? html`<form method="post" action="/snap/v3/redirection/${session.token}">
            <button name="action" value="pay">Pay</button>
            <button name="action" value="fail">Fail</button>
            <button name="action" value="abandon">Abandon</button>
          </form>`
        : ''}`,
  );
}

export function resultPage(title: string, tx: SimTransaction | undefined, message: string): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <div class="card">
        ${tx
          ? html`<div class="muted">Order ${tx.orderId} · ${tx.paymentType}</div>
              <div class="amount">${formatRupiah(tx.grossAmount)}</div>
              <div>Status: <strong>${tx.status}</strong> (fraud: ${tx.fraudStatus})</div>`
          : ''}
        <p>${message}</p>
      </div>`,
  );
}

/** Stand-in for the issuer's 3DS page behind a card charge's redirect_url. */
export function threeDsPage(tx: SimTransaction, error?: string): Html {
  return layout(
    '3D Secure',
    html`<h1>3D Secure authentication (simulator)</h1>
      ${error ? html`<p class="error">${error}</p>` : ''}
      <div class="card">
        <div class="muted">Card ${String(tx.paymentFields.masked_card ?? '')} · order ${tx.orderId}</div>
        <div class="amount">${formatRupiah(tx.grossAmount)}</div>
      </div>
      <form method="post" action="/v2/token/rba/redirect/${tx.transactionId}">
        <label>OTP <input name="otp" autocomplete="one-time-code" /></label>
        <button>Submit</button>
        <p class="muted">The sandbox OTP is <code>112233</code>; any other value fails authentication.</p>
      </form>`,
  );
}

/** Stand-in for the GoPay / ShopeePay app behind a deeplink-redirect action. */
export function walletPage(tx: SimTransaction): Html {
  return layout(
    'Wallet',
    html`<h1>${tx.paymentType} wallet (simulator)</h1>
      <div class="card">
        <div class="muted">Order ${tx.orderId}</div>
        <div class="amount">${formatRupiah(tx.grossAmount)}</div>
        <div>Status: <strong>${tx.status}</strong></div>
      </div>
      ${tx.status === 'pending'
        ? html`<form method="post" action="/_simulator/wallet/${tx.transactionId}">
            <button name="action" value="pay">Pay</button>
            <button name="action" value="fail">Decline</button>
          </form>`
        : ''}`,
  );
}

function paymentInstructions(tx: SimTransaction): Html | string {
  const fields = tx.paymentFields;
  const va = (fields.va_numbers as Array<{ bank: string; va_number: string }> | undefined)?.[0];
  if (va) return html`<div>Transfer to ${va.bank.toUpperCase()} virtual account <code>${va.va_number}</code></div>`;
  if (fields.permata_va_number) return html`<div>Transfer to Permata virtual account <code>${String(fields.permata_va_number)}</code></div>`;
  if (fields.bill_key) return html`<div>Mandiri bill: biller <code>${String(fields.biller_code)}</code>, bill key <code>${String(fields.bill_key)}</code></div>`;
  if (fields.payment_code) return html`<div>Pay at ${String(fields.store)} with code <code>${String(fields.payment_code)}</code></div>`;
  if (fields.masked_card) return html`<div>Card ${String(fields.masked_card)}</div>`;
  return '';
}

const PANEL_ACTIONS: StatusAction[] = ['pay', 'deny', 'expire', 'challenge', 'approve', 'cancel'];

export function controlPanelPage(input: {
  transactions: SimTransaction[];
  stats: SimulatorStats;
  faults: FaultConfig;
  error?: string;
}): Html {
  const { transactions, stats, faults, error } = input;
  return layout(
    'Midtrans simulator',
    html`<h1>Midtrans simulator</h1>
      ${error ? html`<p class="error">${error}</p>` : ''}
      <p class="muted">
        Charges ${stats.charges.applied}/${stats.charges.received} applied · notifications ${stats.notifications.delivered}
        delivered, ${stats.notifications.failed} failed, ${stats.notifications.dropped} dropped · faults
        <code>${JSON.stringify(faults)}</code>
      </p>
      <table>
        <thead>
          <tr>
            <th>Order</th>
            <th>Type</th>
            <th>Amount</th>
            <th>Status</th>
            <th>Expiry (GMT+7)</th>
            <th>Notifications</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          ${transactions.length === 0 ? html`<tr><td colspan="7" class="muted">No transactions yet.</td></tr>` : ''}
          ${[...transactions].reverse().map(
            (tx) => html`<tr>
              <td><a href="/_simulator/transactions/${tx.transactionId}">${tx.orderId}</a></td>
              <td>${tx.paymentType}</td>
              <td>${formatRupiah(tx.grossAmount)}</td>
              <td>${tx.status} / ${tx.fraudStatus}</td>
              <td>${tx.expiryTime ? formatMidtransTime(tx.expiryTime) : ''}</td>
              <td>${tx.notifications.length}</td>
              <td>
                ${PANEL_ACTIONS.filter((action) => nextStatus(tx, action)).map(
                  (action) =>
                    html`<form class="inline" method="post" action="/_simulator/transactions/${tx.transactionId}/${action}">
                      <button>${action}</button>
                    </form>`,
                )}
                <form class="inline" method="post" action="/_simulator/transactions/${tx.transactionId}/notify">
                  <button>notify</button>
                </form>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
      <h2>Reset</h2>
      <form method="post" action="/_simulator/reset"><button>Forget all transactions</button></form>`,
  );
}

/** A placeholder "QR code": an image that shows the payload's beginning (no QR encoder offline). */
export function qrCodeSvg(label: string): string {
  const text = label.replace(/[<>&"']/g, '');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">
  <rect width="240" height="240" fill="#fff" stroke="#000" stroke-width="8"/>
  <rect x="20" y="20" width="50" height="50"/><rect x="170" y="20" width="50" height="50"/><rect x="20" y="170" width="50" height="50"/>
  <text x="120" y="125" font-family="monospace" font-size="11" text-anchor="middle">${text}</text>
</svg>`;
}
