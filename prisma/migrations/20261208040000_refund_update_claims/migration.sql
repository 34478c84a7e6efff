-- Which run of a payment's workflow carried out each refund update: a refund update id is sent to Midtrans by one
-- run only, so a workflow restarted or reset (its memory of its updates gone) cannot refund under it again.
CREATE TABLE "refund_update_claims" (
    "payment_id" TEXT NOT NULL,
    "update_id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "claimed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refund_update_claims_pkey" PRIMARY KEY ("payment_id","update_id")
);
