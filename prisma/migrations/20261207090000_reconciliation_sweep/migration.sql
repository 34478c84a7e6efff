-- The daily reconciliation's sweep of older paid payments, as each run applied it.
ALTER TABLE "reconciliation_runs" ADD COLUMN "sweep_every_days" INTEGER,
ADD COLUMN "swept_paid_since" TIMESTAMP(3);
