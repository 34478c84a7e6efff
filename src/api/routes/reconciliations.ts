import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { findReconciliationRun, listReconciliationRuns, type ReconciliationRunRow } from '../../db/reconciliations';
import { DRIFT_KINDS, PAYMENT_STATUSES, RECONCILIATION_RUN_STATUSES, type ReconciliationRunStatus } from '../../domain';
import type { ApiDependencies } from '../app';
import { ApiError } from '../errors';
import type { ApiEnv } from '../middleware/request-context';
import { apiRouter, errorResponse, jsonContent, OPERATOR_ERRORS, OPERATOR_SECURITY } from '../route-docs';

/** The daily reconciliation's drift reports (workflows/daily-reconciliation.ts), for operators. */

/** Where a page of runs ends: the last run's start and id, as an opaque string for the client to hand back. */
const runCursor = {
  encode: (run: { startedAt: Date; id: string }) => Buffer.from(JSON.stringify([run.startedAt.toISOString(), run.id])).toString('base64url'),
  schema: z
    .string()
    .max(200)
    .transform((text, ctx) => {
      try {
        const [startedAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
        if (typeof startedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(startedAt))) return { startedAt: new Date(startedAt), id };
      } catch {
        // Reported below, as for any other value that is not a cursor this API gave out.
      }
      ctx.addIssue({ code: 'custom', message: 'is not a cursor from an earlier page (next_cursor)' });
      return z.NEVER;
    }),
};

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Runs per page, newest first.'),
  cursor: runCursor.schema.optional().describe("The previous page's next_cursor."),
});
const runIdParam = z.object({ reconciliation_id: z.string().min(1).max(100) });

const runSchema = z.object({
  reconciliation_id: z.string(),
  workflow_id: z.string().describe('The Temporal workflow that ran it.'),
  status: z
    .enum(RECONCILIATION_RUN_STATUSES)
    .describe(
      'failed: a step failed for good. abandoned: it ended without finishing (its time limit, or terminated), found when the next run started. ' +
        'The counts of either are what it had found.',
    ),
  touched_since: z.string().describe('The window: payments last written in [touched_since, touched_until). Swept ones (sweep) were last written before it.'),
  touched_until: z.string(),
  sweep: z
    .object({ every_days: z.number().int(), paid_since: z.string() })
    .nullable()
    .describe('Also compared: payments paid since paid_since and last written before the window, on a day a multiple of every_days after their payment. Null: no sweep.'),
  payments_checked: z.number().int(),
  differences_found: z.number().int(),
  handed_to_workflow: z.number().int().describe("Differences handed to the payment's workflow, which asks Midtrans and applies its answer."),
  needs_person: z.number().int().describe('Differences nothing will fix without a person (the payment workflow has closed, or no status change can).'),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});
const differenceSchema = z.object({
  payment_id: z.string(),
  kind: z.enum(DRIFT_KINDS),
  our_status: z.enum(PAYMENT_STATUSES),
  midtrans_status: z.string().nullable().describe("Midtrans's transaction_status; null when Midtrans does not know the order."),
  midtrans_fraud_status: z.string().nullable(),
  outcome: z.enum(['handed_to_workflow', 'needs_person']),
  detail: z.record(z.string(), z.unknown()).nullable(),
  found_at: z.string(),
});
const runListSchema = z.object({
  reconciliations: z.array(runSchema),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});
const runDetailSchema = runSchema.extend({ differences: z.array(differenceSchema) });

const listRuns = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'listReconciliations',
    method: 'get',
    path: '/',
    summary: 'Operators: daily reconciliation runs, newest first, with their counts',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { query: listQuery },
    responses: { 200: { description: 'A page of runs', ...jsonContent(runListSchema) }, ...OPERATOR_ERRORS },
  });

const getRun = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'getReconciliation',
    method: 'get',
    path: '/{reconciliation_id}',
    summary: 'Operators: a reconciliation run with every difference it found between our records and Midtrans',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { params: runIdParam },
    responses: {
      200: { description: 'The run and its differences', ...jsonContent(runDetailSchema) },
      404: errorResponse('RECONCILIATION_NOT_FOUND'),
      ...OPERATOR_ERRORS,
    },
  });

function runResponse(run: ReconciliationRunRow): z.infer<typeof runSchema> {
  return {
    reconciliation_id: run.id,
    workflow_id: run.workflowId,
    status: run.status as ReconciliationRunStatus,
    touched_since: run.touchedSince.toISOString(),
    touched_until: run.touchedUntil.toISOString(),
    sweep: run.sweepEveryDays !== null && run.sweptPaidSince !== null ? { every_days: run.sweepEveryDays, paid_since: run.sweptPaidSince.toISOString() } : null,
    payments_checked: run.paymentsChecked,
    differences_found: run.differencesFound,
    handed_to_workflow: run.handedToWorkflow,
    needs_person: run.needsPerson,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

export function reconciliationRoutes({ db }: ApiDependencies, operatorOnly: MiddlewareHandler<ApiEnv>) {
  const app = apiRouter();

  app.openapi(listRuns(operatorOnly), async (c) => {
    const { limit, cursor } = c.req.valid('query');
    // One more than the page: whether there is a next page, without counting.
    const runs = await listReconciliationRuns(db, limit + 1, cursor);
    const page = runs.slice(0, limit);
    const last = page.at(-1);
    return c.json({ reconciliations: page.map(runResponse), next_cursor: runs.length > limit && last ? runCursor.encode(last) : null }, 200);
  });

  app.openapi(getRun(operatorOnly), async (c) => {
    const { reconciliation_id } = c.req.valid('param');
    const run = await findReconciliationRun(db, reconciliation_id);
    if (!run) throw new ApiError('RECONCILIATION_NOT_FOUND', `no reconciliation run ${reconciliation_id}`);
    const differences = run.differences.map((d) => ({
      payment_id: d.paymentId,
      kind: d.kind as z.infer<typeof differenceSchema>['kind'],
      our_status: d.ourStatus as z.infer<typeof differenceSchema>['our_status'],
      midtrans_status: d.midtransStatus,
      midtrans_fraud_status: d.midtransFraudStatus,
      outcome: d.outcome as z.infer<typeof differenceSchema>['outcome'],
      detail: (d.detail as Record<string, unknown> | null) ?? null,
      found_at: d.foundAt.toISOString(),
    }));
    return c.json({ ...runResponse(run), differences }, 200);
  });

  return app;
}
