-- Deliveries whose retries ran out before the read model's write of the workflow's downstream_failed line marked
-- them failed: they stayed 'retrying', out of the review queue and refused by a redelivery. Marked failed as the
-- write now marks them.
UPDATE "downstream_deliveries" AS d
SET "status" = 'failed',
    "last_error" = 'retries ran out; last error: ' || COALESCE(d."last_error", e."detail"->>'error', 'unknown'),
    "updated_at" = (now() AT TIME ZONE 'utc')
FROM "payment_events" AS e
WHERE d."status" = 'retrying'
  AND e."kind" = 'downstream_failed'
  AND e."payment_id" = d."payment_id"
  AND d."idempotency_key" = e."payment_id" || ':' || (e."detail"->>'event') || ':' || COALESCE(e."detail"->>'target', d."target");
