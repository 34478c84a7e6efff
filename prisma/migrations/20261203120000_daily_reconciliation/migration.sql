-- The daily reconciliation's drift reports (workflows/daily-reconciliation.ts) and its scan of recently written payments.

-- CreateTable
CREATE TABLE "reconciliation_runs" (
    "id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "touched_since" TIMESTAMP(3) NOT NULL,
    "touched_until" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "payments_checked" INTEGER NOT NULL DEFAULT 0,
    "differences_found" INTEGER NOT NULL DEFAULT 0,
    "handed_to_workflow" INTEGER NOT NULL DEFAULT 0,
    "needs_person" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_differences" (
    "id" BIGSERIAL NOT NULL,
    "run_id" TEXT NOT NULL,
    "payment_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "our_status" TEXT NOT NULL,
    "midtrans_status" TEXT,
    "midtrans_fraud_status" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" JSONB,
    "found_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reconciliation_differences_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payments_updated_at_id_idx" ON "payments"("updated_at", "id");

-- CreateIndex
CREATE INDEX "reconciliation_runs_started_at_id_idx" ON "reconciliation_runs"("started_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "reconciliation_differences_run_id_payment_id_key" ON "reconciliation_differences"("run_id", "payment_id");

-- AddForeignKey
ALTER TABLE "reconciliation_differences" ADD CONSTRAINT "reconciliation_differences_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
