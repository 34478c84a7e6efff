-- The checkout of a payment (customer and item details, card token) on its way from the API to the charge, kept out
-- of Temporal histories; deleted once the charge has used it.
CREATE TABLE "payment_checkouts" (
    "payment_id" TEXT NOT NULL,
    "customer_details" JSONB NOT NULL,
    "item_details" JSONB NOT NULL,
    "description" TEXT,
    "card_token" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_checkouts_pkey" PRIMARY KEY ("payment_id")
);
