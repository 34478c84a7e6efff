import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { withoutCheckout, type PaymentRequest } from '../../src/domain';
import { chargeCompletedUpdate, midtransNotificationSignal, refundUpdate } from '../../workflows/messages';
import type { paymentWorkflow } from '../../workflows/payment';
import { eventually } from '../../scripts/local-stack/waiting';
import { patchIdsIn, paymentRequest, useWorkflowHarness } from '../support/workflow-harness';

/**
 * What a payment costs Temporal, counted in the histories of the standard shapes (issue 16): history events, workflow
 * tasks, activity tasks through the server, and local-activity markers. Counting is deterministic up to how messages
 * land in workflow tasks, so the table is printed for docs/tuning.md (`npm run history:cost`) and only loose upper
 * bounds are asserted.
 */
const ctx = useWorkflowHarness();
const { EventType } = temporal.api.enums.v1;
/** The marker name the SDK's core gives local activities. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

interface HistoryCost {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
  patchMarkers: number;
  bytes: number;
}

function historyCost(history: temporal.api.history.v1.IHistory): HistoryCost {
  const events = history.events ?? [];
  if (process.env.HISTORY_COST_TRACE) console.log(events.map(describeEvent).join('\n'));
  const ofType = (type: temporal.api.enums.v1.EventType) => events.filter((e) => e.eventType === type).length;
  return {
    events: events.length,
    workflowTasks: ofType(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    activityTasks: ofType(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: events.filter((e) => e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER).length,
    patchMarkers: patchIdsIn(history).length,
    bytes: temporal.api.history.v1.History.encode(temporal.api.history.v1.History.fromObject(history)).finish().length,
  };
}

/** `12:ACTIVITY_TASK_SCHEDULED(chargePayment)`: one line of the trace HISTORY_COST_TRACE=1 prints. */
function describeEvent(event: temporal.api.history.v1.IHistoryEvent): string {
  const detail = event.markerRecordedEventAttributes?.markerName ?? event.activityTaskScheduledEventAttributes?.activityType?.name;
  return `${String(event.eventId)}:${EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '')}${detail ? `(${detail})` : ''}`;
}

/** The history once the workflow has handled everything: no workflow task open, no activity pending, twice in a row. */
async function historyAtRest(handle: WorkflowHandle): Promise<temporal.api.history.v1.IHistory> {
  let previous = -1;
  const settled = await eventually(
    'the workflow to be at rest',
    async () => {
      const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
      const events = history.events ?? [];
      const lastTask = events.findLast((e) => e.eventType != null && e.eventType >= EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED &&
        e.eventType <= EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)?.eventType;
      const stable = events.length === previous;
      previous = events.length;
      const idle = (description.raw.pendingActivities ?? []).length === 0 && lastTask === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
      return { history, atRest: stable && idle };
    },
    (s) => s.atRest,
    30_000,
    200,
  );
  return settled.history;
}

const results: Record<string, HistoryCost> = {};

/**
 * Upper bounds, measured (docs/tuning.md) plus one workflow task of slack: how messages and completions share
 * workflow tasks varies from run to run, what each step schedules does not.
 */
const BUDGET = {
  paid: { events: 31, activityTasks: 0 },
  partialRefund: { events: 46, activityTasks: 1 },
};

const downstreamOf = (paymentId: string) => ctx.h.downstreamCalls.filter((c) => c.event.paymentId === paymentId);

/** Waits on the harness's own records: a query would cost the time-skipping server a workflow task of its own. */
async function until(what: string, done: () => boolean): Promise<void> {
  await eventually(what, async () => done(), (ok) => ok, 30_000, 20);
}

/** Started as the API starts it (update-with-start, the checkout stored first), then notified as Midtrans notifies. */
async function paidPayment(overrides: Partial<PaymentRequest>): Promise<{ request: PaymentRequest; handle: WorkflowHandle }> {
  const request = paymentRequest(overrides);
  const { cardToken, customer, items, description } = request;
  ctx.h.checkouts.set(request.paymentId, { cardToken, customer, items, description });
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof paymentWorkflow>('paymentWorkflow', {
    workflowId: `payment-${request.paymentId}`,
    taskQueue: ctx.h.taskQueue,
    args: [{ request: withoutCheckout(request), userId: 'user-7', refundWindowDays: 30 }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  await ctx.h.env.client.workflow.executeUpdateWithStart(chargeCompletedUpdate, { startWorkflowOperation });
  const handle = await startWorkflowOperation.workflowHandle();
  ctx.lastPayment = handle;
  // Pending right after the charge, settlement once the customer pays; each message meets a workflow at rest, as
  // minutes apart they do.
  await historyAtRest(handle);
  await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
  await historyAtRest(handle);
  await ctx.h.simulatorControl(request.paymentId, 'pay');
  await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
  await until('both downstream calls', () => downstreamOf(request.paymentId).length >= 2);
  await historyAtRest(handle);
  return { request, handle };
}

describe('what a payment costs Temporal', () => {
  it('paid payment: create → charge → pending and settlement notifications → success → both downstream calls', async () => {
    const { handle } = await paidPayment({ method: 'bank_transfer', bank: 'bca' });
    const cost = historyCost(await handle.fetchHistory());
    results['paid payment (VA)'] = cost;
    expect(cost.events).toBeLessThanOrEqual(BUDGET.paid.events);
    expect(cost.activityTasks).toBeLessThanOrEqual(BUDGET.paid.activityTasks);
  });

  it('create → pay → partial refund (GoPay), until the refund’s downstream calls are made', async () => {
    const { request, handle } = await paidPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger cancelled' }] });
    expect(refunded.status).toBe('partially_refunded');
    await until('the refund’s downstream calls', () => downstreamOf(request.paymentId).length >= 4);
    await historyAtRest(handle);
    const cost = historyCost(await handle.fetchHistory());
    results['create → pay → partial refund (GoPay)'] = cost;
    expect(cost.events).toBeLessThanOrEqual(BUDGET.partialRefund.events);
    expect(cost.activityTasks).toBeLessThanOrEqual(BUDGET.partialRefund.activityTasks);
  });

  it('prints the table', () => {
    const rows = Object.entries(results).map(([shape, c]) =>
      `| ${shape} | ${c.events} | ${c.workflowTasks} | ${c.activityTasks} | ${c.localActivities} | ${c.patchMarkers} | ${c.bytes} |`);
    console.log(['', '| shape | history events | workflow tasks | activity tasks | local activities | patch markers | history bytes |',
      '| -- | --: | --: | --: | --: | --: | --: |', ...rows, ''].join('\n'));
    expect(rows).toHaveLength(2);
  });
});
