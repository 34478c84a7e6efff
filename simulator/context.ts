import type { Context } from 'hono';
import type { FaultGuard } from './api-guards';
import type { TransactionLifecycle } from './lifecycle';
import type { NotificationDispatcher } from './notifications';
import type { SimTransaction, SimulatorStore } from './store';

/** What the route modules share. Built once in app.ts. */
export interface SimulatorDeps extends FaultGuard {
  serverKey: string;
  /** The public key browsers tokenize cards with (GET /v2/token). */
  clientKey: string;
  store: SimulatorStore;
  lifecycle: TransactionLifecycle;
  notifications: NotificationDispatcher;
  /** Base for URLs the simulator hands out (redirect_url, actions): the configured public URL or the request's origin. */
  baseUrl(c: Context): string;
}

/**
 * `{id}` of the management API: order_id or transaction_id. DANA is the exception (Midtrans docs, Get Transaction
 * Status): its status, cancel and refund work with the transaction_id only, so an order_id lookup of a DANA
 * transaction finds nothing.
 */
export function findForApi(deps: SimulatorDeps, id: string): SimTransaction | undefined {
  const found = deps.store.find(id);
  if (!found) return undefined;
  if (found.foundBy === 'order_id' && found.transaction.paymentType === 'dana') return undefined;
  return found.transaction;
}
