-- The code before purge_after still inserts keys without it while a deploy rolls out, and again after a code
-- rollback: its rows get the time of the insert, so the purge takes them at its next run. A retry then still finds
-- its payment and its update: a create's payment id and a first claim's update id are derived from the key.
ALTER TABLE "idempotency_keys" ALTER COLUMN "purge_after" SET DEFAULT CURRENT_TIMESTAMP;
