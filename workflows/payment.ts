import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { isAwaitingPayment, isPaid, withoutCheckout, type PaymentView } from '../src/domain';
import {
  cancelUpdate,
  chargeCompletedUpdate,
  midtransNotificationSignal,
  paymentQuery,
  reconcileRequestSignal,
  paymentWorkflowId,
  refundUpdate,
  type PaymentWorkflow,
  type PaymentWorkflowInput,
} from './messages';
import { applies, PATCHES } from './patches';
import { PaymentEntity } from './payment-entity';
import { failureMessage, placeCharge } from './steps';
import { WakeUpTimer } from './wake-up-timer';

/** Each payment is one workflow that owns its truth, from the charge to the end of its refund window. */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentView> {
  // A payment's workflow id is its own: an input for another payment (a sealed one copied from its history and
  // started under another id) fails the workflow task here, before any command, and charges and refunds nothing.
  if (workflowInfo().workflowId !== paymentWorkflowId(input.request.paymentId)) {
    throw new Error(`workflow ${workflowInfo().workflowId} was started with the input of payment ${input.request.paymentId}`);
  }
  const payment = new PaymentEntity(input);

  setHandler(paymentQuery, () => payment.view());
  setHandler(midtransNotificationSignal, (notification) => payment.receive(notification));
  setHandler(reconcileRequestSignal, (request) => payment.requestReconciliation(request));
  setHandler(chargeCompletedUpdate, async () => {
    await condition(() => payment.chargeCompleted);
    return payment.view();
  });
  setHandler(cancelUpdate, (request) => payment.cancel(request), { validator: (request) => payment.validateCancelRequest(request) });
  setHandler(refundUpdate, (request) => payment.refund(request), { validator: (request) => payment.validateRefund(request) });

  if (input.resumed) {
    payment.tagStatus();
    payment.deliverOwed();
  } else await charge(payment, input);
  const wakeUp = new WakeUpTimer();

  // Awaiting payment: each notification is checked with Midtrans, the order expires once, and Midtrans is asked when
  // nothing comes. Inline, not a helper: a helper's return costs a microtask, which would let an update queued behind
  // the last step schedule its activity before the refund window's timer, a different command order on replay.
  while (isAwaitingPayment(payment.status)) {
    const hasMessage = () => payment.hasNotifications || payment.reconciliationRequested || !isAwaitingPayment(payment.status);
    const notified = applies(PATCHES.leanHistory)
      ? await wakeUp.messageOrDeadline(hasMessage, payment.nextCheckAt())
      : await condition(hasMessage, payment.msUntilNextCheck());
    if (payment.hasNotifications) await payment.processInbox();
    else if (!notified && payment.expiryIsDue()) await payment.expire();
    else if (!notified || payment.reconciliationRequested) await payment.reconcile();
    if (payment.historyIsLong()) await continueAsNewWith(payment, input);
  }
  if (isPaid(payment.status)) await holdRefundWindow(payment, input, wakeUp);
  wakeUp.cancel();

  // Updates still running and downstream deliveries finish before the workflow does.
  await condition(allHandlersFinished);
  await payment.idle();
  if (await payment.historyGrewLongBeforeDeliveries()) {
    payment.forgetMessages();
    await continueAsNewWith(payment, input);
  }
  await payment.deliveriesSettled();
  // A run from before closed-payment-continues-as-new waits here past a long history, where no claim wakes it.
  await payment.askAboutPaymentClaimedAfterClose();
  log.info('payment workflow finished', {
    paymentId: input.request.paymentId,
    status: payment.status,
    workflowId: workflowInfo().workflowId,
  });
  return payment.view();
}

/**
 * Places the charge at Midtrans once and applies its answer, whose write records the payment and deletes its checkout
 * in one statement. Should Midtrans be slow past the worker's quick attempts, the payment is recorded before the
 * activity takes over, so lists show it meanwhile. Patched: workflows that recorded the payment before the charge
 * replay that write, and their charge deletes the checkout.
 */
async function charge(payment: PaymentEntity, { request }: PaymentWorkflowInput): Promise<void> {
  const recordedWithAnswer = applies(PATCHES.firstWriteWithChargeAnswer);
  if (!recordedWithAnswer) await payment.recordCreated();
  const placed = recordedWithAnswer ? placeCharge({ ...request, keepCheckout: true }, () => payment.recordCreated()) : placeCharge(request);
  const answer = await placed.catch((error: unknown) => {
    log.error('charge could not be placed', { error: failureMessage(error) });
    return null;
  });
  await payment.applyChargeAnswer(answer);
}

/** A paid payment stays open for refunds (ours and Midtrans's) until its window ends or nothing is left to refund. */
async function holdRefundWindow(payment: PaymentEntity, input: PaymentWorkflowInput, wakeUp: WakeUpTimer): Promise<void> {
  const endsAtMs = payment.openRefundWindow(input.refundWindowDays);
  while (payment.status !== 'refunded') {
    const remaining = endsAtMs - Date.now();
    if (remaining <= 0) break;
    const hasMessage = () => payment.hasNotifications || payment.reconciliationRequested || payment.status === 'refunded';
    if (applies(PATCHES.leanHistory)) await wakeUp.messageOrDeadline(hasMessage, endsAtMs);
    else await condition(hasMessage, remaining);
    if (payment.hasNotifications) await payment.processInbox();
    else if (payment.reconciliationRequested) await payment.reconcile();
    if (payment.historyIsLong()) await continueAsNewWith(payment, input);
  }
  payment.closeRefundWindow();
}

async function continueAsNewWith(payment: PaymentEntity, input: PaymentWorkflowInput): Promise<never> {
  // First: an update that arrives while this write retries is then waited for below, not abandoned.
  await payment.writeWaitingLines();
  await condition(allHandlersFinished);
  await payment.idle();
  // The new run needs the terms only: an older input's customer details and card token stay behind in this history.
  return continueAsNew<PaymentWorkflow>({ ...input, request: withoutCheckout(input.request), resumed: payment.carryOver() });
}
