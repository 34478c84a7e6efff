import { log, proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities, RetentionBatch } from '../activities';

export interface PersonalDataRetentionInput {
  batch: RetentionBatch;
  /** A run stops after this many batches; the next scheduled run goes on where it stopped. */
  maxBatches: number;
}

export interface PersonalDataRetentionResult {
  closuresRecorded: number;
  erased: number;
  batches: number;
}

/** Each batch is idempotent, so retries are free; a database outage that outlasts them fails this run, not the next. */
const { erasePersonalDataBatch } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The scheduled job (src/temporal/schedules.ts) that erases the personal data of payments closed longer ago than
 * PII_RETENTION_DAYS, batch by batch until a batch comes back short.
 */
export async function personalDataRetentionWorkflow({ batch, maxBatches }: PersonalDataRetentionInput): Promise<PersonalDataRetentionResult> {
  const total: PersonalDataRetentionResult = { closuresRecorded: 0, erased: 0, batches: 0 };
  let more = true;
  while (more && total.batches < maxBatches) {
    const result = await erasePersonalDataBatch(batch);
    total.closuresRecorded += result.closuresRecorded;
    total.erased += result.erased;
    total.batches += 1;
    more = result.more;
  }
  log.info('personal data retention finished', { ...total, unfinished: more });
  return total;
}
