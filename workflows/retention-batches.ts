import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities';

/** Each batch is idempotent, so retries are free; a database outage that outlasts them fails this run, not the next. */
export const { erasePersonalDataBatch, purgeExpiredRequestRecords } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * Runs a retention job's batch until one comes back short or `maxBatches` have run (the next scheduled run goes on
 * where this one stopped), handing each batch's result to `add`.
 */
export async function batchByBatch<R extends { more: boolean }>(
  batch: () => Promise<R>,
  maxBatches: number,
  add: (result: R) => void,
): Promise<{ batches: number; unfinished: boolean }> {
  let batches = 0;
  let more = true;
  while (more && batches < maxBatches) {
    const result = await batch();
    add(result);
    batches += 1;
    more = result.more;
  }
  return { batches, unfinished: more };
}
