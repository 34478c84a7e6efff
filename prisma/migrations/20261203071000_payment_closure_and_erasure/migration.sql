-- Personal-data retention: when each payment closed, and when its customer's details were erased (src/db/retention.ts).
ALTER TABLE "payments" ADD COLUMN "closed_at" TIMESTAMP(3),
ADD COLUMN "personal_data_erased_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "payments_closed_at_status_idx" ON "payments"("closed_at", "status");

-- CreateIndex
CREATE INDEX "payments_personal_data_erased_at_closed_at_idx" ON "payments"("personal_data_erased_at", "closed_at");
