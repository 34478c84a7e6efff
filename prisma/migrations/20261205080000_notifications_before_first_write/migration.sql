-- A notification may arrive between the charge and the payment's first write, while only its checkout exists: it is
-- stored all the same, so it cannot wait for a payments row.
ALTER TABLE "webhook_notifications" DROP CONSTRAINT "webhook_notifications_payment_id_fkey";
