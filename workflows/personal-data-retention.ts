import { log } from '@temporalio/workflow';
import type { RetentionBatch } from '../activities';
import { batchByBatch, erasePersonalDataBatch } from './retention-batches';

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

/**
 * The scheduled job (src/temporal/schedules.ts) that erases the personal data of payments closed longer ago than
 * PII_RETENTION_DAYS, batch by batch until a batch comes back short.
 */
export async function personalDataRetentionWorkflow({ batch, maxBatches }: PersonalDataRetentionInput): Promise<PersonalDataRetentionResult> {
  const total = { closuresRecorded: 0, erased: 0 };
  const { batches, unfinished } = await batchByBatch(() => erasePersonalDataBatch(batch), maxBatches, (result) => {
    total.closuresRecorded += result.closuresRecorded;
    total.erased += result.erased;
  });
  log.info('personal data retention finished', { ...total, batches, unfinished });
  return { ...total, batches };
}
