import { Context } from '@temporalio/activity';
import { purgeAbandonedCheckouts } from '../src/db/checkouts';
import type { Database } from '../src/db/client';
import { purgeExpiredIdempotencyKeys } from '../src/db/idempotency';
import { purgeRejectedNotifications } from '../src/db/notifications';
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

/** What the request-records retention job keeps, and how much each step deletes at most. */
export interface RequestRecordsRetention {
  /** REJECTED_NOTIFICATION_RETENTION_DAYS. Idempotency keys carry their own expiry (IDEMPOTENCY_KEY_TTL_HOURS when stored). */
  rejectedNotificationRetentionDays: number;
  batchSize: number;
}

export interface RequestRecordsPurged {
  idempotencyKeys: number;
  rejectedNotifications: number;
  abandonedCheckouts: number;
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

    /**
     * The request-records retention job's one step: idempotency keys past their expiry, refused-notification records
     * past their retention and checkouts no charge will read (each holds a customer's details). The API purges the
     * first two on the way too, but only while requests come; this job does it whatever the traffic. Idempotent.
     */
    async purgeExpiredRequestRecords({ rejectedNotificationRetentionDays, batchSize }: RequestRecordsRetention): Promise<RequestRecordsPurged> {
      const idempotencyKeys = await purgeExpiredIdempotencyKeys(db, batchSize);
      const rejectedNotifications = await purgeRejectedNotifications(db, rejectedNotificationRetentionDays, batchSize);
      const abandonedCheckouts = await purgeAbandonedCheckouts(db, batchSize);
      Context.current().log.info('request records purged', { idempotencyKeys, rejectedNotifications, abandonedCheckouts });
      return {
        idempotencyKeys,
        rejectedNotifications,
        abandonedCheckouts,
        more: [idempotencyKeys, rejectedNotifications, abandonedCheckouts].some((purged) => purged === batchSize),
      };
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
