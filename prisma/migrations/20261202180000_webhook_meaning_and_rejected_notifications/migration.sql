-- Issue 11, attacks 4 and 5: signed notifications are deduplicated by what they say, not by their bytes; unsigned
-- requests leave a small record without their body in a table of their own; notification ids are bigint.

-- webhook_notifications: bigint ids (the column and the sequence behind it).
ALTER TABLE "webhook_notifications" ALTER COLUMN "id" SET DATA TYPE BIGINT;
ALTER SEQUENCE "webhook_notifications_id_seq" AS BIGINT;

-- One row per meaning: later copies are counted on it.
ALTER TABLE "webhook_notifications" ADD COLUMN "meaning_sha256" TEXT,
ADD COLUMN "duplicate_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "last_duplicate_at" TIMESTAMP(3);

DROP INDEX "webhook_notifications_payment_id_body_sha256_idx";

CREATE UNIQUE INDEX "webhook_notifications_payment_id_meaning_sha256_key" ON "webhook_notifications"("payment_id", "meaning_sha256");

-- CreateTable
CREATE TABLE "rejected_notifications" (
    "id" BIGSERIAL NOT NULL,
    "reason" TEXT NOT NULL,
    "body_bytes" INTEGER NOT NULL,
    "body_sha256" TEXT NOT NULL,
    "source_address" TEXT,
    "order_id" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rejected_notifications_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "rejected_notifications_received_at_idx" ON "rejected_notifications" USING BRIN ("received_at");

-- Unsigned notifications stored so far move to the new table without their bodies (source address unknown).
INSERT INTO "rejected_notifications" ("reason", "body_bytes", "body_sha256", "order_id", "received_at")
SELECT 'invalid_signature', octet_length("raw_body"), "body_sha256",
       CASE WHEN "order_id" ~ '^pay-[0-9a-f]{32}$' THEN "order_id" END, "received_at"
FROM "webhook_notifications" WHERE NOT "signature_valid" ORDER BY "id";

DELETE FROM "webhook_notifications" WHERE NOT "signature_valid";
