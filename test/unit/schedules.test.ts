import { describe, expect, it } from 'vitest';
import { scheduledJobs, type ScheduleSettings } from '../../src/temporal/schedules';
import type { DailyReconciliationInput } from '../../workflows/daily-reconciliation';

const settings: ScheduleSettings = {
  TEMPORAL_TASK_QUEUE: 'payments',
  PII_RETENTION_DAYS: 365,
  REFUND_WINDOW_DAYS: 30,
  REJECTED_NOTIFICATION_RETENTION_DAYS: 7,
  RECONCILIATION_LOOKBACK_DAYS: 3,
  RECONCILIATION_SWEEP_EVERY_DAYS: 7,
  RECONCILIATION_MIDTRANS_CALLS_PER_SECOND: 20,
};

const reconciliationInput = (overrides: Partial<ScheduleSettings>): DailyReconciliationInput => {
  const job = scheduledJobs({ ...settings, ...overrides }).find((j) => j.scheduleId === 'daily-reconciliation');
  return (job!.action.args as [DailyReconciliationInput])[0];
};

describe('the daily reconciliation schedule', () => {
  it('passes the lookback, the sweep and the refund window to each run', () => {
    expect(reconciliationInput({})).toMatchObject({ lookbackDays: 3, sweepEveryDays: 7, refundWindowDays: 30, midtransCallsPerSecond: 20 });
  });

  it('passes a sweep of 0 as none, and the refund window as configured', () => {
    expect(reconciliationInput({ RECONCILIATION_SWEEP_EVERY_DAYS: 0 }).sweepEveryDays).toBe(0);
    expect(reconciliationInput({ REFUND_WINDOW_DAYS: 5 })).toMatchObject({ sweepEveryDays: 7, refundWindowDays: 5 });
  });
});
