-- Idempotency keys become per caller, bound to an endpoint, with the answer to replay and an expiry.
-- Existing rows (all from POST /payments, when keys were global) get caller '' and expire 24 hours after they were
-- created; until then the API still honours them for the same key and the same body, so a create retried across the
-- deploy finds its payment instead of charging again.
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey",
ADD COLUMN "caller" TEXT NOT NULL DEFAULT '',
ADD COLUMN "endpoint" TEXT NOT NULL DEFAULT 'POST /payments',
ADD COLUMN "response_status" INTEGER,
ADD COLUMN "response_body" JSONB,
ADD COLUMN "expires_at" TIMESTAMP(3);

UPDATE "idempotency_keys" SET "expires_at" = "created_at" + INTERVAL '24 hours';

ALTER TABLE "idempotency_keys" ALTER COLUMN "caller" DROP DEFAULT,
ALTER COLUMN "endpoint" DROP DEFAULT,
ALTER COLUMN "expires_at" SET NOT NULL,
ADD CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("caller", "key");

-- CreateIndex
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");
