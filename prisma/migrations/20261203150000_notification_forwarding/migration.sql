-- The webhook answers once a notification is stored; the API's forwarder sends its signal (issue 16).

-- AlterTable
ALTER TABLE "webhook_notifications" ADD COLUMN "forward_after" TIMESTAMP(3),
ADD COLUMN "forward_attempts" INTEGER NOT NULL DEFAULT 0;

-- A signal that failed, or a claim left by a process that died, is the forwarder's to send now.
UPDATE "webhook_notifications" SET "outcome" = 'received', "forward_after" = "received_at"
WHERE "outcome" IN ('received', 'signal_failed');

-- CreateIndex
CREATE INDEX "webhook_notifications_outcome_forward_after_idx" ON "webhook_notifications"("outcome", "forward_after");
