-- A cancel's or refund's key is kept until its payment's workflow has closed, which waits up to 7 days past the refund
-- window for downstream deliveries: REFUND_WINDOW_DAYS (30 by default) + 8 days after the claim, as the API now sets.
-- Rows claimed with the earlier 31 days are given the same.
UPDATE "idempotency_keys" SET "purge_after" = GREATEST("purge_after", "created_at" + INTERVAL '38 days')
WHERE "endpoint" <> 'POST /payments';
