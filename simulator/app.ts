import { Hono } from 'hono';
import { LOCAL_SIMULATOR_CLIENT_KEY, LOCAL_SIMULATOR_SERVER_KEY } from '../src/config';
import { apiError, MESSAGES } from './responses';
import type { SimulatorDeps } from './context';
import { FaultInjector, type FaultConfig, type FaultConfigInput } from './faults';
import { TransactionLifecycle } from './lifecycle';
import { NotificationDispatcher } from './notifications';
import { controlRoutes } from './routes/control';
import { cardTokenRoutes } from './routes/card-token';
import { coreApiRoutes } from './routes/core-api';
import { customerPageRoutes } from './routes/customer-pages';
import { snapRoutes } from './routes/snap';
import { SimulatorStore } from './store';
import { TimerRegistry } from './timers';

/**
 * A local Midtrans: Core API, Snap, signed HTTP notifications with Midtrans's retry rules, expiry, and controls to
 * play the customer's part. It imitates Midtrans's documented behaviour (simulator/README.md); it never bends
 * toward the payment service.
 */
export interface SimulatorOptions {
  /** Server key expected in Basic auth and used to sign notifications. */
  serverKey?: string;
  /** Client key expected by card tokenization (GET /v2/token). */
  clientKey?: string;
  merchantId?: string;
  /** Default notification URL (the dashboard setting). Unset: only X-Override/X-Append-Notification URLs. */
  notificationUrl?: string;
  /** Base of URLs handed out (Snap redirect_url, 3DS, QR, deeplinks). Default: the request's own origin. */
  publicBaseUrl?: string;
  /** Multiplies Midtrans's notification retry spacing (2 min … 3.5 h). Default 0.001: 2 min → 120 ms. */
  retryScale?: number;
  /** Multiplies the time until a pending transaction's expiry_time before it expires. Default 1 (real time). */
  expiryScale?: number;
  /** A notification receiver slower than this counts as failed. Default 5000 (Midtrans's 5 s). */
  notificationTimeoutMs?: number;
  /** Delay of the second refund notification (bank confirmation). Default 1000. */
  refundConfirmationDelayMs?: number;
  /** Longest an apiTimeout fault hangs a request when the client never gives up. Default 120000. */
  apiHangMaxMs?: number;
  faults?: FaultConfigInput;
}

export interface Simulator {
  app: Hono;
  store: SimulatorStore;
  /** Current fault configuration; replace it with `configureFaults`. */
  faults(): FaultConfig;
  configureFaults(input: FaultConfigInput): FaultConfig;
  /** Forgets all transactions, stats and pending deliveries; faults return to their initial configuration. */
  reset(): void;
  /** Stops every timer, in-flight notification and hanging request. */
  close(): void;
}

export const DEFAULT_MERCHANT_ID = 'G123456789';

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const serverKey = options.serverKey ?? LOCAL_SIMULATOR_SERVER_KEY;
  const store = new SimulatorStore();
  const timers = new TimerRegistry();
  const faults = new FaultInjector(options.faults);
  const notifications = new NotificationDispatcher({
    serverKey,
    defaultUrl: options.notificationUrl,
    retryScale: options.retryScale ?? 0.001,
    timeoutMs: options.notificationTimeoutMs ?? 5_000,
    store,
    faults,
    timers,
  });
  const lifecycle = new TransactionLifecycle(store, notifications, timers, {
    merchantId: options.merchantId ?? DEFAULT_MERCHANT_ID,
    expiryScale: options.expiryScale ?? 1,
    refundConfirmationDelayMs: options.refundConfirmationDelayMs ?? 1_000,
  });
  const deps: SimulatorDeps = {
    serverKey,
    clientKey: options.clientKey ?? LOCAL_SIMULATOR_CLIENT_KEY,
    store,
    lifecycle,
    notifications,
    faults,
    timers,
    hangMaxMs: options.apiHangMaxMs ?? 120_000,
    hanging: new Set(),
    baseUrl: (c) => (options.publicBaseUrl ?? new URL(c.req.url).origin).replace(/\/+$/, ''),
  };

  const stopEverything = () => {
    timers.clearAll();
    notifications.reset();
    lifecycle.reset();
    for (const release of [...deps.hanging]) release();
  };
  const reset = () => {
    stopEverything();
    store.clear();
    faults.configure(options.faults ?? {});
  };

  const app = new Hono();
  app.route('/', coreApiRoutes(deps));
  app.route('/', cardTokenRoutes(deps));
  app.route('/', snapRoutes(deps));
  app.route('/', customerPageRoutes(deps));
  app.route('/', controlRoutes(deps, reset));
  app.get('/', (c) => c.redirect('/_simulator'));
  app.notFound((c) => c.json(apiError('404', 'The requested resource is not found'), 404));
  app.onError((error, c) => {
    console.error('midtrans simulator error', error);
    return c.json(apiError('500', MESSAGES.internalError), 500);
  });

  return {
    app,
    store,
    faults: () => faults.config,
    configureFaults: (input) => faults.configure(input),
    reset,
    close: stopEverything,
  };
}
