-- Notifications for orders that are not ours (payment_id null) are counted on their first row by meaning, as a
-- payment's are: this index finds that row.
CREATE INDEX "webhook_notifications_order_id_meaning_sha256_idx" ON "webhook_notifications"("order_id", "meaning_sha256");
