import { Hono } from 'hono';
import { SANDBOX_3DS_OTP } from '../cards';
import type { SimulatorDeps } from '../context';
import { qrCodeSvg, resultPage, threeDsPage, walletPage } from '../pages';

/**
 * What the URLs in charge responses open for a customer: the 3DS page (credit_card redirect_url), QR images
 * (generate-qr-code actions) and the wallet app (deeplink-redirect actions). No server key: browsers open these.
 */
export function customerPageRoutes(deps: SimulatorDeps): Hono {
  const pages = new Hono();
  const byTransactionId = (id: string) => deps.store.find(id)?.transaction;

  for (const wallet of ['gopay', 'qris'] as const) {
    pages.get(`/v2/${wallet}/:id/qr-code`, (c) => {
      const tx = byTransactionId(c.req.param('id'));
      if (!tx) return c.text('Not found', 404);
      const payload = String(tx.chargeFields.qr_string ?? tx.transactionId);
      return c.body(qrCodeSvg(payload.slice(0, 28)), 200, { 'content-type': 'image/svg+xml' });
    });
  }

  pages.get('/v2/token/rba/redirect/:id', (c) => {
    const tx = byTransactionId(c.req.param('id'));
    if (!tx || tx.paymentType !== 'credit_card') return c.html(resultPage('Not found', undefined, 'Unknown transaction.'), 404);
    if (tx.status !== 'pending') return c.html(resultPage('3D Secure', tx, 'Authentication is already complete.'));
    return c.html(threeDsPage(tx));
  });

  pages.post('/v2/token/rba/redirect/:id', async (c) => {
    const tx = byTransactionId(c.req.param('id'));
    if (!tx || tx.paymentType !== 'credit_card') return c.html(resultPage('Not found', undefined, 'Unknown transaction.'), 404);
    if (tx.status !== 'pending') return c.html(resultPage('3D Secure', tx, 'Authentication is already complete.'));
    const form = await c.req.parseBody();
    // A wrong OTP fails authentication and the charge is denied, as in the sandbox.
    const passed = String(form.otp ?? '').trim() === SANDBOX_3DS_OTP;
    deps.lifecycle.completeCardAuthentication(tx, passed);
    // The page shows the status the issuer then gave (a bank can still decline an authenticated card).
    return c.html(resultPage(passed ? 'Authentication complete' : 'Authentication failed', tx, 'You can close this page.'));
  });

  pages.get('/_simulator/wallet/:id', (c) => {
    const tx = byTransactionId(c.req.param('id'));
    return tx ? c.html(walletPage(tx)) : c.html(resultPage('Not found', undefined, 'Unknown transaction.'), 404);
  });

  pages.post('/_simulator/wallet/:id', async (c) => {
    const tx = byTransactionId(c.req.param('id'));
    if (!tx) return c.html(resultPage('Not found', undefined, 'Unknown transaction.'), 404);
    const form = await c.req.parseBody();
    deps.lifecycle.change(tx, form.action === 'fail' ? 'deny' : 'pay');
    return c.html(walletPage(tx));
  });

  return pages;
}
