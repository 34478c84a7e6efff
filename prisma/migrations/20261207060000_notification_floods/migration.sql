-- A payment whose new notifications the webhook refused past their hourly budget, and when its workflow was last asked
-- to look at Midtrans instead.
CREATE TABLE "notification_floods" (
    "payment_id" TEXT NOT NULL,
    "refused" INTEGER NOT NULL,
    "first_refused_at" TIMESTAMP(3) NOT NULL,
    "last_refused_at" TIMESTAMP(3) NOT NULL,
    "look_asked_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "notification_floods_pkey" PRIMARY KEY ("payment_id")
);
