-- When the purge deletes an Idempotency-Key's row: a cancel's or refund's is kept past its expiry until the payment it
-- may have refunded has closed (REFUND_WINDOW_DAYS, 30 by default, after the claim, plus a day). Rows claimed before
-- this migration get the default's.
ALTER TABLE "idempotency_keys" ADD COLUMN "purge_after" TIMESTAMP(3);
UPDATE "idempotency_keys" SET "purge_after" = CASE
  WHEN "endpoint" = 'POST /payments' THEN "expires_at"
  ELSE GREATEST("expires_at", "created_at" + INTERVAL '31 days')
END;
ALTER TABLE "idempotency_keys" ALTER COLUMN "purge_after" SET NOT NULL;

DROP INDEX "idempotency_keys_expires_at_idx";
CREATE INDEX "idempotency_keys_purge_after_idx" ON "idempotency_keys"("purge_after");
