import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { SimulatorDeps } from '../context';
import { faultConfigSchema } from '../faults';
import { controlPanelPage } from '../pages';
import { readJsonObject } from '../api-guards';
import { statusBody } from '../responses';
import type { SimTransaction } from '../store';
import type { StatusAction } from '../transitions';

/**
 * The simulator's own controls (Midtrans's sandbox has a similar "payment simulator"): pay, deny, expire… a
 * transaction, inspect what was sent, inject faults, reset. No server key. Each POST accepts JSON or an HTML form;
 * forms are redirected back to the panel.
 */

const STATUS_ACTIONS: Record<string, StatusAction> = {
  pay: 'pay',
  deny: 'deny',
  expire: 'expire',
  challenge: 'challenge',
  approve: 'approve',
  cancel: 'cancel',
};

export function controlRoutes(deps: SimulatorDeps, reset: () => void): Hono {
  const control = new Hono();

  control.get('/_simulator', (c) =>
    c.html(
      controlPanelPage({
        transactions: deps.store.list(),
        stats: deps.store.stats,
        faults: deps.faults.config,
        error: c.req.query('error'),
      }),
    ),
  );

  control.get('/_simulator/stats', (c) => c.json({ ...deps.store.stats, transactions: deps.store.list().length }));

  control.get('/_simulator/faults', (c) => c.json(deps.faults.config));

  control.post('/_simulator/faults', async (c) => {
    const body = await readJsonObject(c);
    const parsed = faultConfigSchema.safeParse(body ?? {});
    if (!body || !parsed.success) {
      return c.json({ error: 'invalid fault configuration', issues: parsed.success ? [] : z.treeifyError(parsed.error) }, 400);
    }
    return c.json(deps.faults.configure(parsed.data));
  });

  control.post('/_simulator/reset', (c) => {
    reset();
    return isFormPost(c) ? c.redirect('/_simulator', 303) : c.json({ reset: true });
  });

  control.get('/_simulator/transactions', (c) => c.json(deps.store.list().map((tx) => transactionView(deps, tx))));

  control.get('/_simulator/transactions/:id', (c) => {
    const id = c.req.param('id');
    const tx = deps.store.find(id)?.transaction;
    const orderId = tx?.orderId ?? id;
    const chargeAttempts = deps.store.chargeAttempts(orderId) ?? { received: 0, applied: 0 };
    if (!tx) {
      // Requests that never applied still leave a trace, so "nothing was charged" can be asserted.
      return chargeAttempts.received > 0
        ? c.json({ transaction: null, chargeAttempts })
        : c.json({ error: 'transaction not found' }, 404);
    }
    const earlier = deps.store.historyOf(orderId).filter((other) => other !== tx);
    return c.json({
      ...transactionView(deps, tx),
      chargeAttempts,
      earlierTransactions: earlier.map((other) => ({ transaction_id: other.transactionId, transaction_status: other.status })),
    });
  });

  control.post('/_simulator/transactions/:id/:action', (c) => {
    const tx = deps.store.find(c.req.param('id'))?.transaction;
    const action = c.req.param('action');
    if (!tx) return answer(c, 404, { error: 'transaction not found' });

    if (action === 'notify') {
      const record = deps.notifications.resend(tx);
      return record ? answer(c, 200, transactionView(deps, tx)) : answer(c, 409, { error: 'nothing was notified yet' });
    }
    const statusAction = STATUS_ACTIONS[action];
    if (!statusAction) return answer(c, 404, { error: `unknown action ${action}` });
    if (!deps.lifecycle.change(tx, statusAction)) {
      return answer(c, 409, { error: `cannot ${action} a transaction that is ${tx.status} (fraud ${tx.fraudStatus})` });
    }
    return answer(c, 200, transactionView(deps, tx));
  });

  return control;
}

function transactionView(deps: SimulatorDeps, tx: SimTransaction) {
  return {
    transaction: statusBody(tx, deps.serverKey),
    channel: tx.channel,
    history: tx.history,
    notificationUrls: deps.notifications.targetsFor(tx),
    notifications: tx.notifications,
  };
}

function isFormPost(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  return type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data');
}

/** JSON for programs; for the panel's forms, back to the panel (with the error shown, if any). */
function answer(c: Context, status: 200 | 404 | 409, body: Record<string, unknown>): Response {
  if (!isFormPost(c)) return c.json(body, status);
  const error = typeof body.error === 'string' ? `?error=${encodeURIComponent(body.error)}` : '';
  return c.redirect(`/_simulator${error}`, 303);
}
