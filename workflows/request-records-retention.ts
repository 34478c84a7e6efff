import { log } from '@temporalio/workflow';
import type { RequestRecordsRetention } from '../activities';
import { batchByBatch, purgeExpiredRequestRecords } from './retention-batches';

export interface RequestRecordsRetentionInput {
  retention: RequestRecordsRetention;
  /** A run stops after this many batches; the next scheduled run goes on where it stopped. */
  maxBatches: number;
}

export interface RequestRecordsRetentionResult {
  idempotencyKeys: number;
  rejectedNotifications: number;
  abandonedCheckouts: number;
  batches: number;
}

/**
 * The scheduled job (src/temporal/schedules.ts) that deletes what the API kept about requests once it is past its
 * retention: idempotency keys, refused-notification records, abandoned checkouts; batch by batch until one comes back
 * short.
 */
export async function requestRecordsRetentionWorkflow({ retention, maxBatches }: RequestRecordsRetentionInput): Promise<RequestRecordsRetentionResult> {
  const total = { idempotencyKeys: 0, rejectedNotifications: 0, abandonedCheckouts: 0 };
  const { batches, unfinished } = await batchByBatch(() => purgeExpiredRequestRecords(retention), maxBatches, (purged) => {
    total.idempotencyKeys += purged.idempotencyKeys;
    total.rejectedNotifications += purged.rejectedNotifications;
    total.abandonedCheckouts += purged.abandonedCheckouts;
  });
  log.info('request records retention finished', { ...total, batches, unfinished });
  return { ...total, batches };
}
