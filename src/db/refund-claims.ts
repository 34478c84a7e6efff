import type { Database } from './client';

/** A refund update of a payment, as the run of its workflow that carries it out. */
export interface RefundUpdateClaim {
  paymentId: string;
  updateId: string;
  runId: string;
}

/**
 * Refund update ids claimed by the workflow run that sends them to Midtrans. The workflow remembers its updates in
 * its own state, which whoever reaches Temporal can wipe (terminate and start again, reset): this table outlives it.
 */
export function refundUpdateClaims(db: Database) {
  return {
    /** True when the update is this run's (claimed now, or by this run before: a retried attempt); false when another run's. */
    async claim({ paymentId, updateId, runId }: RefundUpdateClaim): Promise<boolean> {
      const rows = await db.$queryRaw<unknown[]>`
        insert into refund_update_claims (payment_id, update_id, run_id) values (${paymentId}, ${updateId}, ${runId})
        on conflict (payment_id, update_id) do update set run_id = refund_update_claims.run_id
          where refund_update_claims.run_id = excluded.run_id
        returning 1`;
      return rows.length > 0;
    },
  };
}
