import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../config';
import type { dailyReconciliationWorkflow } from '../../workflows/daily-reconciliation';
import type { personalDataRetentionWorkflow } from '../../workflows/personal-data-retention';
import type { requestRecordsRetentionWorkflow } from '../../workflows/request-records-retention';

/** A job Temporal starts on a schedule: a workflow of ours, with its arguments typed by the workflow it starts. */
type ScheduledJob<W extends Workflow = Workflow> = ScheduleOptions<ScheduleOptionsStartWorkflowAction<W>>;

export type ScheduleSettings = Pick<
  Config,
  | 'TEMPORAL_TASK_QUEUE'
  | 'PII_RETENTION_DAYS'
  | 'REFUND_WINDOW_DAYS'
  | 'REJECTED_NOTIFICATION_RETENTION_DAYS'
  | 'RECONCILIATION_LOOKBACK_DAYS'
  | 'RECONCILIATION_SWEEP_EVERY_DAYS'
  | 'RECONCILIATION_MIDTRANS_CALLS_PER_SECOND'
>;

interface DailySchedule {
  /** The schedule's id, and its runs' workflow id prefix (a started run is `<id>-<time>`). */
  id: string;
  workflowType: string;
  /** "HH:MM" in UTC. */
  utc: `${number}:${number}`;
  workflowExecutionTimeout: string;
}

/** Jakarta's time (WIB, UTC+7) of a UTC hour and minute, for the schedule's comment in the Web UI. */
const inJakarta = (hour: number, minute: number) => `${String((hour + 7) % 24).padStart(2, '0')}:${String(minute).padStart(2, '0')} WIB`;

/**
 * A workflow started once a day on the service's task queue. Runs never overlap (a run still going when the next is
 * due has that one skipped), and a run missed while Temporal was away is caught up within the day.
 */
function dailyJob<W extends Workflow>(config: ScheduleSettings, schedule: DailySchedule, args: Parameters<W>): ScheduledJob<W> {
  const [hour = 0, minute = 0] = schedule.utc.split(':').map(Number);
  return {
    scheduleId: schedule.id,
    spec: { calendars: [{ hour, minute, comment: inJakarta(hour, minute) }] },
    // The SDK's conditional type of `args` does not resolve for a generic W; Parameters<W> has checked the caller's.
    action: {
      type: 'startWorkflow',
      workflowType: schedule.workflowType,
      workflowId: schedule.id,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args,
      workflowExecutionTimeout: schedule.workflowExecutionTimeout,
    } as ScheduleOptionsStartWorkflowAction<W>,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/**
 * Every job the service runs on a Temporal Schedule: the one place to add one. Applied by every worker at start and
 * by `npm run schedules:apply` (see `ScheduleApplier`), so a deploy with new settings updates the schedules it finds.
 * They run in Jakarta's small hours, when few payments move.
 */
export function scheduledJobs(config: ScheduleSettings): ScheduledJob[] {
  const personalDataRetention = dailyJob<typeof personalDataRetentionWorkflow>(
    config,
    { id: 'personal-data-retention', workflowType: 'personalDataRetentionWorkflow', utc: '19:30', workflowExecutionTimeout: '6 hours' },
    [{ batch: { retentionDays: config.PII_RETENTION_DAYS, refundWindowDays: config.REFUND_WINDOW_DAYS, batchSize: 1_000 }, maxBatches: 500 }],
  );
  // Idempotency keys live a day (IDEMPOTENCY_KEY_TTL_HOURS), so a daily purge keeps at most two days of them; the API
  // also purges on the way while requests come.
  const requestRecordsRetention = dailyJob<typeof requestRecordsRetentionWorkflow>(
    config,
    { id: 'request-records-retention', workflowType: 'requestRecordsRetentionWorkflow', utc: '19:45', workflowExecutionTimeout: '6 hours' },
    [{ retention: { rejectedNotificationRetentionDays: config.REJECTED_NOTIFICATION_RETENTION_DAYS, batchSize: 10_000 }, maxBatches: 500 }],
  );
  // After the day's settlements are in. A run continues as new every 50 pages; the timeout covers the whole chain.
  const dailyReconciliation = dailyJob<typeof dailyReconciliationWorkflow>(
    config,
    { id: 'daily-reconciliation', workflowType: 'dailyReconciliationWorkflow', utc: '20:00', workflowExecutionTimeout: '20 hours' },
    [
      {
        lookbackDays: config.RECONCILIATION_LOOKBACK_DAYS,
        sweepEveryDays: config.RECONCILIATION_SWEEP_EVERY_DAYS,
        refundWindowDays: config.REFUND_WINDOW_DAYS,
        midtransCallsPerSecond: config.RECONCILIATION_MIDTRANS_CALLS_PER_SECOND,
        pageSize: 200,
        pagesPerRun: 50,
      },
    ],
  );
  return [personalDataRetention, requestRecordsRetention, dailyReconciliation];
}

export interface AppliedSchedule {
  scheduleId: string;
  /** `kept`: a worker found the schedule starting its runs on another task queue and left it as it was. */
  outcome: 'created' | 'updated' | 'kept';
}

/**
 * Who applies the schedules. A worker at start brings each schedule up to its settings, but leaves one that starts
 * its runs on another task queue as it is: a worker started on a queue of its own (to debug, say) must not take the
 * service's daily jobs away from the payments' workers. The operator (`npm run schedules:apply`) moves it.
 */
export type ScheduleApplier = 'worker' | 'operator';

/**
 * Creates each schedule, or updates the one with its id to match: safe to run twice, or from many workers at once
 * (the server's schedule id is unique). An update keeps the schedule's state, so a schedule an operator paused stays
 * paused.
 */
export async function applySchedules(client: Client, jobs: readonly ScheduledJob[], applier: ScheduleApplier): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const job of jobs) {
    try {
      await client.schedule.create(job);
      applied.push({ scheduleId: job.scheduleId, outcome: 'created' });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      const { scheduleId, memo: _memo, state: _state, ...definition } = job;
      const handle = client.schedule.getHandle(scheduleId);
      if (applier === 'worker') {
        const { action } = await handle.describe();
        if (action.type === 'startWorkflow' && action.taskQueue !== definition.action.taskQueue) {
          applied.push({ scheduleId, outcome: 'kept' });
          continue;
        }
      }
      await handle.update((previous) => ({ ...definition, state: previous.state }));
      applied.push({ scheduleId, outcome: 'updated' });
    }
  }
  return applied;
}
