-- The workflow update a claim of an Idempotency-Key stands for, derived from the whole request (caller, key, endpoint,
-- payment, body): a key claimed again after its TTL for another request sends another update. Null on rows claimed
-- before this column, whose update id derives from (caller, key) as it did when they were claimed.
ALTER TABLE "idempotency_keys" ADD COLUMN "update_id" TEXT;
