import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../config';
import type { personalDataRetentionWorkflow } from '../../workflows/personal-data-retention';

/** A job Temporal starts on a schedule: a workflow of ours, with its arguments typed by the workflow it starts. */
type ScheduledJob<W extends Workflow = Workflow> = ScheduleOptions<ScheduleOptionsStartWorkflowAction<W>>;

export type ScheduleSettings = Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'PII_RETENTION_DAYS' | 'REFUND_WINDOW_DAYS'>;

/**
 * Every job the service runs on a Temporal Schedule: the one place to add one. Applied by every worker at start and
 * by `npm run schedules:apply`, so a deploy with new settings updates the schedules it finds.
 */
export function scheduledJobs(config: ScheduleSettings): ScheduledJob[] {
  const personalDataRetention: ScheduledJob<typeof personalDataRetentionWorkflow> = {
    scheduleId: 'personal-data-retention',
    // Daily at 19:30 UTC, 02:30 in Jakarta (WIB): few payments move then. A missed run is caught up within the day.
    spec: { calendars: [{ hour: 19, minute: 30, comment: '02:30 WIB' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'personalDataRetentionWorkflow',
      workflowId: 'personal-data-retention',
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [
        {
          batch: { retentionDays: config.PII_RETENTION_DAYS, refundWindowDays: config.REFUND_WINDOW_DAYS, batchSize: 1_000 },
          maxBatches: 500,
        },
      ],
      workflowExecutionTimeout: '6 hours',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
  return [personalDataRetention];
}

export interface AppliedSchedule {
  scheduleId: string;
  outcome: 'created' | 'updated';
}

/**
 * Creates each schedule, or updates the one with its id to match: safe to run twice, or from many workers at once
 * (the server's schedule id is unique). An update keeps the schedule's state, so a schedule an operator paused stays
 * paused.
 */
export async function applySchedules(client: Client, jobs: readonly ScheduledJob[]): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const job of jobs) {
    try {
      await client.schedule.create(job);
      applied.push({ scheduleId: job.scheduleId, outcome: 'created' });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      const { scheduleId, memo: _memo, state: _state, ...definition } = job;
      await client.schedule.getHandle(scheduleId).update((previous) => ({ ...definition, state: previous.state }));
      applied.push({ scheduleId, outcome: 'updated' });
    }
  }
  return applied;
}
