-- The workflow update a claim of an Idempotency-Key stands for, stored so that every retry sends it: a key's first
-- claim gets the id derived from (caller, key), as before this column; a key claimed again past its TTL gets a fresh
-- one. Null on rows claimed before this column (or by an API instance from before it): theirs is (caller, key).
ALTER TABLE "idempotency_keys" ADD COLUMN "update_id" TEXT;
