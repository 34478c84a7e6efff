import { ApplicationFailure, Context, log } from '@temporalio/activity';
import {
  buildMidtransCharge,
  formatGrossAmount,
  paymentInstructionsFrom,
  REFUND_UPDATE_CLAIMED,
  refundedUpTo,
  type MidtransObservation,
  type PaymentCheckout,
  type PaymentInstructions,
  type PaymentRequest,
  type PaymentTerms,
} from '../src/domain';
import { MidtransError, type MidtransClient } from '../src/midtrans/client';
import { toMidtransObservation } from '../src/midtrans/observation';

export type ChargeOutcome =
  | { kind: 'charged'; observation: MidtransObservation | null; instructions: PaymentInstructions | null }
  | { kind: 'rejected'; code: string; message: string };

export type GatewayCommandOutcome =
  | { kind: 'done'; observation: MidtransObservation | null }
  | { kind: 'refused'; code: string; message: string; observation: MidtransObservation | null };

type MidtransBody = Record<string, unknown>;

/** Where the charge finds what the customer entered: PostgreSQL (src/db/checkouts.ts), in memory in workflow tests. */
export interface CheckoutStore {
  find(paymentId: string): Promise<PaymentCheckout | null>;
  delete(paymentId: string): Promise<void>;
}

/** src/db/refund-claims.ts: which workflow run carried out each refund update. */
export interface RefundClaimStore {
  claim(claim: { paymentId: string; updateId: string; runId: string }): Promise<boolean>;
}

/**
 * What the workflow asks to charge: the terms, whose checkout is in PostgreSQL. Workflows started before the checkout
 * moved there carry the whole request, checkout included, and are charged with it.
 */
export type ChargeInput = PaymentTerms &
  Partial<PaymentCheckout> & {
    /**
     * The payment's first read-model write deletes the checkout, in the statement that copies its details into the
     * row: the charge leaves it there, so a create retried meanwhile finds it and stores nothing again. Workflows that
     * wrote their row before the charge leave the delete to the charge.
     */
    keepCheckout?: boolean;
  };

/** The charge's code when a payment's checkout is not in PostgreSQL (a restore from a backup older than the payment). */
export const CHECKOUT_MISSING = 'CHECKOUT_MISSING';

/** Failure type of a Midtrans error that retrying cannot fix: the workflow records it for an operator instead. */
export const MIDTRANS_PERMANENT_ERROR = 'MidtransPermanentError';

/**
 * A rotated or wrong server key (401/403), a request Midtrans refuses (4xx) or an answer we cannot read gives the
 * same result however often it is asked: fail the activity for good rather than retry it without end.
 */
function failForGood(error: unknown): unknown {
  if (!(error instanceof MidtransError) || error.retryable) return error;
  return ApplicationFailure.nonRetryable(error.message, MIDTRANS_PERMANENT_ERROR, { code: error.code, httpStatus: error.httpStatus });
}

/**
 * A command Midtrans did not carry out because of the order (not cancelable, refund rejected, …) is answered as refused:
 * Midtrans says so with a status_code in its body. A 401 refused our server key instead, and an answer without
 * Midtrans's status_code (an HTTP 401 or 403 from a proxy in front of it, say; code HTTP_<status>) did not come from
 * Midtrans's judgement of the order: either way the command fails for good, so its caller learns that the gateway is
 * unavailable, not that the payment cannot be canceled or refunded.
 */
function refusedForTheOrder(error: MidtransError): boolean {
  return error.code !== '401' && !error.code.startsWith('HTTP_');
}

/** The workflow run an activity works for; every activity here is a workflow's. */
function thisRunId(): string {
  const runId = Context.current().info.workflowExecution?.runId;
  if (!runId) throw new Error('a refund step outside a workflow run cannot claim its update');
  return runId;
}

/** Thin adapters over the Midtrans client; every decision about what a status means is in src/domain. */
export function createMidtransActivities(midtrans: MidtransClient, checkouts: CheckoutStore, refundClaims: RefundClaimStore) {
  async function statusOrNull(paymentId: string): Promise<MidtransBody | null> {
    try {
      return (await midtrans.getStatus(paymentId)) as MidtransBody;
    } catch (error) {
      if (error instanceof MidtransError && error.code === '404') return null;
      throw failForGood(error);
    }
  }

  /** The status API: null when Midtrans does not know the order (Snap orders before a method is chosen). */
  async function fetchMidtransStatus(paymentId: string): Promise<MidtransObservation | null> {
    const body = await statusOrNull(paymentId);
    return body ? toMidtransObservation(body) : null;
  }

  const alreadyCharged = (body: MidtransBody): ChargeOutcome => ({
    kind: 'charged',
    observation: toMidtransObservation(body),
    instructions: paymentInstructionsFrom(body),
  });

  /** The request to send: the workflow's own (an older workflow's input), or its terms with the stored checkout. */
  async function requestToCharge(input: ChargeInput): Promise<PaymentRequest | null> {
    if (input.customer && input.items) return { ...input, customer: input.customer, items: input.items };
    const checkout = await checkouts.find(input.paymentId);
    return checkout && { ...input, ...checkout };
  }

  /**
   * Midtrans has answered for good, so the checkout (the card token with it) is not needed again. Failing to delete
   * it must not fail the charge, whose retry could not redo a Snap order: the payment's next read-model write after
   * the charge deletes it too.
   */
  async function spent<T>({ paymentId, keepCheckout }: ChargeInput, outcome: T): Promise<T> {
    if (keepCheckout) return outcome;
    await checkouts.delete(paymentId).catch((error: unknown) => {
      log.warn('the used checkout was not deleted; the next read-model write deletes it', { paymentId, error: String(error) });
    });
    return outcome;
  }

  /**
   * Another run of the payment's workflow sent this refund update: a reset run carrying out the updates after its
   * reset point again, or a copy of the workflow someone restarted. Midtrans's own record decides, and nothing is sent:
   * the refund it holds under this refund_key, of this amount, is answered as done (and counted by this run); without
   * one, the update is not sent again.
   */
  async function refundOfAnotherRun(input: { paymentId: string; refundKey: string; amount: number; claim?: { updateId: string } }): Promise<GatewayCommandOutcome> {
    const status = await statusOrNull(input.paymentId);
    const refunded = status && refundedUpTo(status.refunds, input.refundKey, input.amount);
    // The refund call's answer is the total refunded up to this refund, not the status's total of every refund since.
    if (status && refunded !== null) return { kind: 'done', observation: { ...toMidtransObservation(status), refundAmount: formatGrossAmount(refunded) } };
    throw ApplicationFailure.nonRetryable(
      `refund update ${input.claim?.updateId} was sent by another run of this payment, and Midtrans holds no refund ${input.refundKey} of ${input.amount}`,
      REFUND_UPDATE_CLAIMED,
    );
  }

  return {
    /**
     * Charges once, ever. A retry after an unknown outcome (timeout, 5xx after send) first asks Midtrans whether the
     * order exists; a 406 duplicate order id also means "already charged". Only then is a charge sent again. The
     * customer's details and card token come from the checkout the API stored, never from the workflow's history.
     */
    async chargePayment(input: ChargeInput): Promise<ChargeOutcome> {
      const { paymentId } = input;
      if (Context.current().info.attempt > 1) {
        const existing = await statusOrNull(paymentId);
        if (existing) return spent(input, alreadyCharged(existing));
      }
      const request = await requestToCharge(input);
      if (!request) {
        // A run that charged and used the checkout, then lost its answer, may come back as attempt 1 (a local
        // activity re-run after its worker died): Midtrans knows the order.
        const existing = await statusOrNull(paymentId);
        if (existing) return alreadyCharged(existing);
        return { kind: 'rejected', code: CHECKOUT_MISSING, message: 'the checkout of this payment is not stored (used already, or lost in a database restore)' };
      }
      const charge = buildMidtransCharge(request, new Date());
      try {
        if (charge.api === 'snap') {
          const snap = await midtrans.createSnapTransaction(charge.body);
          return spent(input, {
            kind: 'charged',
            observation: null,
            instructions: { kind: 'redirect', redirectUrl: snap.redirect_url, token: snap.token },
          });
        }
        const body = (await midtrans.charge(charge.body)) as MidtransBody;
        return spent(input, alreadyCharged(body));
      } catch (error) {
        if (!(error instanceof MidtransError)) throw error;
        if (error.code === '406') {
          const existing = await statusOrNull(paymentId);
          if (existing) return spent(input, alreadyCharged(existing));
        }
        if (!error.retryable) return spent(input, { kind: 'rejected', code: error.code, message: error.message });
        throw error;
      }
    },

    fetchMidtransStatus,

    /** The cancel's own answer is Midtrans's word on the order; a status look-up is needed only when it refused. */
    async cancelAtMidtrans(paymentId: string): Promise<GatewayCommandOutcome> {
      try {
        return { kind: 'done', observation: toMidtransObservation((await midtrans.cancel(paymentId)) as MidtransBody) };
      } catch (error) {
        if (!(error instanceof MidtransError) || error.retryable) throw error;
        if (!refusedForTheOrder(error)) throw failForGood(error);
        // Unknown (a Snap order before a method was chosen): nothing to cancel there.
        if (error.code === '404') return { kind: 'done', observation: null };
        // Not cancelable (e.g. 412: already settled): report what Midtrans says the order is now, if it can say.
        const now = await fetchMidtransStatus(paymentId).catch(() => null);
        return { kind: 'refused', code: error.code, message: error.message, observation: now };
      }
    },

    /** Expiry timer: expire at Midtrans, then read the status, so a last-second settlement wins over the timer. */
    async expireAtMidtrans(paymentId: string): Promise<MidtransObservation | null> {
      try {
        await midtrans.expire(paymentId);
      } catch (error) {
        if (!(error instanceof MidtransError) || error.retryable) throw error;
      }
      return fetchMidtransStatus(paymentId);
    },

    /**
     * Midtrans keeps refund_key idempotent for 7 days: a retried activity never refunds twice. The refund update it
     * carries out (`claim`) is claimed for this workflow run first, so no other run ever sends it (refundOfAnotherRun).
     */
    async refundAtMidtrans(input: {
      paymentId: string;
      refundKey: string;
      amount: number;
      reason?: string;
      /** Absent from workflows older than the claims. */
      claim?: { paymentId: string; updateId: string };
    }): Promise<GatewayCommandOutcome> {
      if (input.claim && !(await refundClaims.claim({ ...input.claim, runId: thisRunId() }))) return refundOfAnotherRun(input);
      try {
        const body = (await midtrans.refund(input.paymentId, {
          refund_key: input.refundKey,
          amount: input.amount,
          reason: input.reason,
        })) as MidtransBody;
        return { kind: 'done', observation: toMidtransObservation(body) };
      } catch (error) {
        if (!(error instanceof MidtransError) || error.retryable) throw error;
        if (!refusedForTheOrder(error)) throw failForGood(error);
        return { kind: 'refused', code: error.code, message: error.message, observation: null };
      }
    },
  };
}
