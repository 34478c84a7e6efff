-- Operators (issue 17): the payment search's and the review queue's indexes, and the audit of operators' actions.

-- The search's (status, created_at desc, id desc) serves every status look-up the old one did.
DROP INDEX "payments_status_idx";

-- CreateIndex
CREATE INDEX "payments_created_at_id_idx" ON "payments"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payments_status_created_at_id_idx" ON "payments"("status", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payments_user_id_created_at_id_idx" ON "payments"("user_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payments_payment_method_created_at_id_idx" ON "payments"("payment_method", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "payments_updated_at_idx" ON "payments"("updated_at");

-- CreateIndex
CREATE INDEX "payments_status_expires_at_idx" ON "payments"("status", "expires_at");

-- CreateIndex
CREATE INDEX "payments_status_updated_at_idx" ON "payments"("status", "updated_at");

-- CreateIndex
CREATE INDEX "payment_events_kind_occurred_at_idx" ON "payment_events"("kind", "occurred_at");

-- CreateIndex
CREATE INDEX "downstream_deliveries_status_updated_at_idx" ON "downstream_deliveries"("status", "updated_at");

-- CreateTable
CREATE TABLE "operator_actions" (
    "id" BIGSERIAL NOT NULL,
    "operator" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "payment_id" TEXT,
    "note" TEXT,
    "action_key" TEXT NOT NULL,
    "detail" JSONB,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operator_actions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_actions_action_key_key" ON "operator_actions"("action_key");

-- CreateIndex
CREATE INDEX "operator_actions_target_at_idx" ON "operator_actions"("target", "at");

-- CreateIndex
CREATE INDEX "operator_actions_payment_id_at_idx" ON "operator_actions"("payment_id", "at");
