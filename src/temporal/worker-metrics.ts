import { Counter } from 'prom-client';

/**
 * Counted by the worker's activities and served on its GET /metrics (serveWorkerHealth). Registered in no registry
 * here: each health endpoint adds it to its own.
 */
export const reconciliationDriftTotal = new Counter({
  name: 'payments_reconciliation_drift_total',
  help: 'Payments whose record differed from Midtrans when the daily reconciliation compared them, by kind',
  labelNames: ['kind'] as const,
  registers: [],
});
