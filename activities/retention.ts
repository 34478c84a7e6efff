import { Context } from '@temporalio/activity';
import type { Database } from '../src/db/client';
import { erasePersonalDataOfClosedPayments, recordPaymentClosures } from '../src/db/retention';
import { retentionCutoffs, type RetentionPolicy } from '../src/domain';

export interface RetentionBatch extends RetentionPolicy {
  /** Rows each step touches at most, so no statement holds many row locks for long. */
  batchSize: number;
}

export interface RetentionBatchResult {
  closuresRecorded: number;
  erased: number;
  /** A step filled its batch: there may be more to do. */
  more: boolean;
}

/** The personal-data retention job's one step. Idempotent: run twice, or twice at once, it erases each row once. */
export function createRetentionActivities(db: Database) {
  return {
    async erasePersonalDataBatch({ batchSize, ...policy }: RetentionBatch): Promise<RetentionBatchResult> {
      const cutoffs = retentionCutoffs(new Date(), policy);
      const closuresRecorded = await recordPaymentClosures(db, cutoffs, policy.refundWindowDays, batchSize);
      const erased = await erasePersonalDataOfClosedPayments(db, cutoffs, batchSize);
      // Counts and the cut-off only: never which payments, let alone whose data.
      Context.current().log.info('personal data retention batch', {
        closuresRecorded,
        erased,
        closedBefore: cutoffs.closedBefore.toISOString(),
      });
      return { closuresRecorded, erased, more: closuresRecorded === batchSize || erased === batchSize };
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
