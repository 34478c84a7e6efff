-- A delivery's record must never fail the call it records, even while the payment's row is missing.
ALTER TABLE "downstream_deliveries" DROP CONSTRAINT "downstream_deliveries_payment_id_fkey";
