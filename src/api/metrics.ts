import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; finer at the low end, where reads and webhooks answer. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The API's Prometheus metrics (prom-client): Node's default process metrics, requests by route, Midtrans
 * notifications by outcome, and payments by status. One registry per app, so apps built side by side in tests
 * count apart.
 */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const webhooks = new Counter({
    name: 'midtrans_webhooks_total',
    help: 'Midtrans notifications received, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const unrecordedRefusals = new Counter({
    name: 'midtrans_webhook_refusals_unrecorded_total',
    help: 'Refused notifications (bad signature, malformed) answered without a record.',
    registers,
  });
  const forwards = new Counter({
    name: 'midtrans_notification_signals_total',
    help: 'Signals of stored notifications to their payment workflows, by outcome (accepted, payment_closed, retry).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const awaitingSignal = new Gauge({
    name: 'midtrans_notifications_awaiting_signal',
    help: 'Stored notifications this process is signalling or has queued to signal.',
    registers,
  });
  const payments = new Gauge({
    name: 'payments',
    help: 'Payments in the read model, by status.',
    labelNames: ['status'] as const,
    registers,
  });

  const reviewQueue = new Gauge({
    name: 'payments_review_queue_items',
    help: "Items in the operators' review queue, by kind (counted up to the queue's page of 1,000).",
    labelNames: ['kind'] as const,
    registers,
  });

  // Prometheus's convention for "when did the job last run": a timestamp, 0 while none is recorded.
  const reconciliationStarted = new Gauge({
    name: 'payments_reconciliation_last_started_timestamp_seconds',
    help: 'When the latest daily reconciliation run started (seconds since the epoch; 0: none recorded).',
    registers,
  });
  const reconciliationCompleted = new Gauge({
    name: 'payments_reconciliation_last_completed_timestamp_seconds',
    help: 'When the latest completed daily reconciliation run finished (seconds since the epoch; 0: none recorded).',
    registers,
  });

  return {
    contentType: registry.contentType,
    observeRequest(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
    countWebhook(outcome: string) {
      webhooks.inc({ outcome });
    },
    countNotificationSignal(outcome: 'accepted' | 'payment_closed' | 'retry') {
      forwards.inc({ outcome });
    },
    setNotificationsAwaitingSignal(count: number) {
      awaitingSignal.set(count);
    },
    /** A refused notification answered without its record (the unverified budget was full, or the insert failed). */
    countUnrecordedRefusal() {
      unrecordedRefusals.inc();
    },
    /**
     * The Prometheus text; the read model's figures are read by the caller, as they change outside this process. One
     * left out (PostgreSQL slow or down) keeps the values last read, so an alert on it does not flap with the database.
     */
    render(
      paymentsByStatus?: Record<string, number>,
      reviewItemsByKind?: Record<string, number>,
      reconciliation?: { lastStarted: number | null; lastCompleted: number | null },
    ): Promise<string> {
      if (paymentsByStatus) {
        payments.reset();
        for (const [status, count] of Object.entries(paymentsByStatus)) payments.set({ status }, count);
      }
      if (reviewItemsByKind) {
        reviewQueue.reset();
        for (const [kind, count] of Object.entries(reviewItemsByKind)) reviewQueue.set({ kind }, count);
      }
      if (reconciliation) {
        reconciliationStarted.set(reconciliation.lastStarted ?? 0);
        reconciliationCompleted.set(reconciliation.lastCompleted ?? 0);
      }
      return registry.metrics();
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
