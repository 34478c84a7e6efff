-- Console sessions signed out before they expired: a copy of their cookie opens nothing.
CREATE TABLE "ended_operator_sessions" (
    "id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ended_operator_sessions_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "ended_operator_sessions_expires_at_idx" ON "ended_operator_sessions"("expires_at");
