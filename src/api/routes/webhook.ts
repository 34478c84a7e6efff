import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { z } from 'zod';
import {
  claimNotification,
  countUnknownPaymentCopy,
  purgeRejectedNotifications,
  noteOverBudgetRefusal,
  storeRejectedNotification,
  storeUnknownPaymentNotification,
  type NotificationClaim,
  type RejectionReason,
  type VerifiedNotification,
} from '../../db/notifications';
import { rateLimitedWarning, type Logger } from '../../logger';
import { notificationMeaningSha256 } from '../../midtrans/notification-meaning';
import { toMidtransObservation } from '../../midtrans/observation';
import { isValidMidtransSignature } from '../../midtrans/signature';
import { markPaymentSpan } from '../../telemetry/tracing';
import type { ApiDependencies } from '../app';
import { createNotificationForwarder } from '../notification-forwarder';
import { isPaymentIdShaped } from '../payment-ids';
import { ApiError } from '../errors';
import type { ApiEnv } from '../middleware/request-context';
import { apiRouter, errorResponse, jsonContent, jsonRequestBody } from '../route-docs';
import { midtransNotificationBody, webhookAckSchema } from '../schemas';
import { parseWith, readJsonBody } from '../validation';

type MidtransNotification = z.infer<typeof midtransNotificationBody>;

/** A request is either a notification signed with our server key, or refused before anything trusts it. */
type CheckedRequest =
  | { verified: true; notification: MidtransNotification }
  | { verified: false; reason: RejectionReason; error: ApiError; orderId: string | null };

const REFUSAL_LOG_INTERVAL_MS = 10_000;
const OVER_BUDGET_RETRY_SECONDS = 600;
/** While a payment's notifications are refused over budget, its workflow is asked to look at Midtrans this often. */
const OVER_BUDGET_LOOK_EVERY_MINUTES = 10;
const REJECTED_PURGE_INTERVAL_MS = 10 * 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const receiveMidtransNotification = createRoute({
  operationId: 'receiveMidtransNotification',
  method: 'post',
  path: '/',
  summary: 'Midtrans HTTP notification (signature-verified; no API key)',
  requestBody: jsonRequestBody(midtransNotificationBody, { required: true }),
  responses: {
    200: {
      description: 'Stored, its signal on its way (accepted), or a copy of one already stored (duplicate)',
      ...jsonContent(webhookAckSchema),
    },
    400: errorResponse('VALIDATION_FAILED, MALFORMED_JSON'),
    401: errorResponse('INVALID_SIGNATURE'),
    404: errorResponse('PAYMENT_NOT_FOUND'),
    405: errorResponse('Only POST (METHOD_NOT_ALLOWED); see the Allow header'),
    413: errorResponse('PAYLOAD_TOO_LARGE'),
    429: errorResponse('TOO_MANY_NOTIFICATIONS: a new notification past the payment\'s hourly budget (a copy of a stored one is never refused)'),
    503: errorResponse('SERVICE_UNAVAILABLE: too many notifications in flight, or PostgreSQL is down; Midtrans delivers it again'),
  },
});

/**
 * The Midtrans notification bridge: verify, store, answer. Midtrans has its answer once the notification is stored
 * (one insert), whatever Temporal is doing; the notification forwarder signals the payment's workflow right after,
 * and again until Temporal takes it (src/api/notification-forwarder.ts). It never waits on downstream services.
 *
 * The signature is checked first (CPU only). A refused request leaves a small record without its body, under its own
 * in-flight budget; only verified notifications count against WEBHOOK_MAX_IN_FLIGHT, so unsigned traffic can never
 * shed a genuine notification.
 */
export function webhookRoutes(deps: ApiDependencies) {
  const { db, workflows, config, metrics } = deps;
  const forwarder = deps.forwarder ?? createNotificationForwarder(deps);
  const app = apiRouter();
  const refusals = refusalRecorder(deps);
  const overBudget = rateLimitedWarning(REFUSAL_LOG_INTERVAL_MS);
  const lookFailed = rateLimitedWarning(REFUSAL_LOG_INTERVAL_MS);
  /**
   * This process's claims being made, by payment: the meanings whose claim PostgreSQL has not answered yet, each with
   * its signed part (status code and amount).
   */
  const claimsInFlight = new Map<string, Map<string, string>>();
  /** This process's latest copy of each notification in flight, by payment and meaning: the next copy waits for it. */
  const latestCopies = new Map<string, Promise<unknown>>();

  // Load shedding: when PostgreSQL slows down under a burst, waiting requests only hold memory and add stalled calls
  // to the backlog. A 503 with Retry-After costs nothing and Midtrans delivers the notification again.
  let verifiedInFlight = 0;

  // The body is read by hand, not by a validator: the exact bytes are stored and hashed (a redelivery is recognised
  // by them), and a refused request is recorded before anything trusts its content.
  app.openapi(receiveMidtransNotification, async (c) => {
    const rawBody = await c.req.text();
    const checked = await checkRequest(c, config.MIDTRANS_SERVER_KEY);
    if (!checked.verified) {
      await refusals.record(c, rawBody, checked);
      throw checked.error;
    }
    if (verifiedInFlight >= config.WEBHOOK_MAX_IN_FLIGHT) {
      metrics.countWebhook('shed');
      throw new ApiError('SERVICE_UNAVAILABLE', 'too many notifications in flight; deliver it again later', undefined, 30);
    }
    verifiedInFlight += 1;
    try {
      return await applyVerified(c, rawBody, checked.notification);
    } finally {
      verifiedInFlight -= 1;
    }
  });

  // Only POST here: without this, GET /payments/webhook would be taken for GET /payments/{payment_id}. The app's
  // notFound answers 405 with the Allow header.
  app.all('/', (c) => c.notFound());

  async function applyVerified(c: Context<ApiEnv>, rawBody: string, notification: MidtransNotification) {
    const paymentId = notification.order_id;
    markPaymentSpan(paymentId);
    const stored: VerifiedNotification = {
      paymentId,
      body: notification,
      rawBody,
      bodySha256: sha256(rawBody),
      meaningSha256: notificationMeaningSha256(notification),
    };
    const answer = (outcome: 'accepted' | 'duplicate') => {
      metrics.countWebhook(outcome);
      return c.json({ status: outcome }, 200);
    };

    const observation = toMidtransObservation(notification);
    return inTurn(stored, async (claim) => {
      if (claim.kind === 'unknown_payment') {
        // Neither row nor checkout, yet the workflow may exist: the read model lost it (a database restore). The signal
        // moves the payment on, and the workflow's next write recreates the row. An order id not shaped like ours
        // cannot have one: Temporal is not asked. A closed workflow takes no signal: the notification is kept as for an
        // order we do not know. A copy of one kept so is counted on its row: Temporal's answer for it stands.
        if (!(await countUnknownPaymentCopy(db, stored))) {
          if (isPaymentIdShaped(paymentId) && (await workflows.exists(paymentId)) && (await workflows.notify(paymentId, observation)) === 'signalled') {
            return answer('accepted');
          }
          await storeUnknownPaymentNotification(db, stored);
        }
        metrics.countWebhook('unknown_payment');
        throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
      }
      if (claim.kind === 'duplicate') return answer('duplicate');
      if (claim.kind === 'over_budget') {
        metrics.countWebhook('over_budget');
        overBudget(c.get('log'), { paymentId }, 'notification refused: the payment has had its new notifications for the hour');
        askToLookInstead(c.get('log'), paymentId);
        throw new ApiError('TOO_MANY_NOTIFICATIONS', `payment ${paymentId} has had its new notifications for the hour`, undefined, OVER_BUDGET_RETRY_SECONDS);
      }
      forwarder.signal({ id: claim.id, paymentId, observation, attempts: 0 });
      return answer('accepted');
    });
  }

  /**
   * Handles a notification once the copies of it that came to this process before it are handled, holding no database
   * connection while it waits: a copy then finds the row the one before it left (a duplicate, or for an order not ours
   * a copy counted), so copies never queue on one another in PostgreSQL, each on a connection of the pool. Nothing
   * else waits.
   */
  async function inTurn<T>(stored: VerifiedNotification, handle: (claim: NotificationClaim) => Promise<T>): Promise<T> {
    const copies = `${stored.paymentId}\n${stored.meaningSha256}`;
    const before = latestCopies.get(copies);
    const turn = (async () => {
      // After a copy answered 200 this one can only find its row. After one refused or failed it may store the row, so
      // it counts as a claim (also after a 404 for an order not ours, which has no budget to spend).
      const rowLeft = before ? await before.then(() => true, () => false) : false;
      return handle(await claimWithinBudget(stored, { mayStore: !rowLeft }));
    })();
    latestCopies.set(copies, turn);
    try {
      return await turn;
    } finally {
      if (latestCopies.get(copies) === turn) latestCopies.delete(copies);
    }
  }

  /**
   * The budget's count sees committed rows only, so claims for one payment made together would each pass it: this
   * process's claims being made for the payment's other meanings count as rows too (one of them may yet fail, so near
   * the budget a new notification can be refused one early). A copy whose predecessor in line (inTurn) left its row
   * is not counted: it can only find that row, so a flood of copies of a stored notification holds no place in it. The
   * first of a line, and a copy after one that failed or was refused, may store a row, and are counted. A signed part
   * the payment has never stored passes the budget (claimNotification), once: not while this process claims it already.
   */
  async function claimWithinBudget(stored: VerifiedNotification, { mayStore }: { mayStore: boolean }): Promise<NotificationClaim> {
    const { paymentId, meaningSha256 } = stored;
    const claiming = claimsInFlight.get(paymentId) ?? new Map<string, string>();
    const budgetLeft = config.WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR - claiming.size;
    const signedPart = `${String(stored.body.status_code)}\n${String(stored.body.gross_amount)}`;
    const budget = { newSignedPartPasses: ![...claiming.values()].includes(signedPart) };
    if (!mayStore) return claimNotification(db, stored, budgetLeft, budget);
    claimsInFlight.set(paymentId, claiming);
    claiming.set(meaningSha256, signedPart);
    try {
      return await claimNotification(db, stored, budgetLeft, budget);
    } finally {
      claiming.delete(meaningSha256);
      if (claiming.size === 0) claimsInFlight.delete(paymentId);
    }
  }

  /**
   * A flood can hold a payment's budget past all of Midtrans's retries, and a paid payment's workflow does not look at
   * Midtrans by itself: every OVER_BUDGET_LOOK_EVERY_MINUTES a refusal asks it to, and that look finds what the refused
   * ones said. After the answer, so a slow Temporal never holds the refusal; a failed ask waits for the next one.
   */
  function askToLookInstead(log: Logger, paymentId: string) {
    noteOverBudgetRefusal(db, paymentId, OVER_BUDGET_LOOK_EVERY_MINUTES)
      .then((ask) => (ask ? workflows.requestReconcile(paymentId, { requestedBy: 'webhook', reason: 'notifications refused past the payment’s hourly budget' }) : undefined))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 'PAYMENT_WORKFLOW_CLOSED') return; // nobody is left to look
        lookFailed(log, { err, paymentId }, 'asking the payment workflow to look at Midtrans for refused notifications failed');
      });
  }

  return app;
}

/** Parses and verifies the (already read) body; malformed JSON, an invalid body and a bad signature are refusals. */
async function checkRequest(c: Context<ApiEnv>, serverKey: string): Promise<CheckedRequest> {
  let json: unknown;
  try {
    ({ json } = await readJsonBody(c));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { verified: false, reason: 'malformed', error, orderId: null };
  }
  const claimedOrderId = (json as { order_id?: unknown } | null)?.order_id;
  const orderId = typeof claimedOrderId === 'string' && isPaymentIdShaped(claimedOrderId) ? claimedOrderId : null;
  let notification: MidtransNotification;
  try {
    notification = parseWith(midtransNotificationBody, json);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { verified: false, reason: 'malformed', error, orderId };
  }
  if (isValidMidtransSignature(notification, serverKey)) return { verified: true, notification };
  const reason = notification.signature_key ? 'invalid_signature' : 'missing_signature';
  return { verified: false, reason, error: new ApiError('INVALID_SIGNATURE', 'signature_key does not match this notification'), orderId };
}

/** The connection's peer; requests made in-process (app.request in tests) have none. */
function sourceAddressOf(c: Context<ApiEnv>): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/**
 * Records refused requests without their bodies, at most WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT at once (past it the refusal
 * is answered unrecorded and counted), logs at most one line per 10 s, and purges records past their retention on
 * the way (at most every 10 minutes, in the background): unsigned traffic is the one kind of traffic anybody can send.
 */
function refusalRecorder({ db, config, metrics, logger }: ApiDependencies) {
  let inFlight = 0;
  let lastPurgeAt = -Infinity;
  const warn = rateLimitedWarning(REFUSAL_LOG_INTERVAL_MS);

  function purgeExpired() {
    const now = Date.now();
    if (now - lastPurgeAt < REJECTED_PURGE_INTERVAL_MS) return;
    lastPurgeAt = now;
    purgeRejectedNotifications(db, config.REJECTED_NOTIFICATION_RETENTION_DAYS).catch((err: unknown) =>
      logger.warn({ err }, 'purging expired rejected notifications failed; retried on a later refusal'),
    );
  }

  return {
    async record(c: Context<ApiEnv>, rawBody: string, refusal: Extract<CheckedRequest, { verified: false }>) {
      metrics.countWebhook(refusal.reason === 'malformed' ? 'malformed' : 'invalid_signature');
      const bodyBytes = Buffer.byteLength(rawBody);
      warn(c.get('log'), { reason: refusal.reason, orderId: refusal.orderId, bodyBytes }, 'notification refused');
      if (inFlight >= config.WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT) {
        metrics.countUnrecordedRefusal();
        return;
      }
      inFlight += 1;
      try {
        await storeRejectedNotification(db, {
          reason: refusal.reason,
          bodyBytes,
          bodySha256: sha256(rawBody),
          sourceAddress: sourceAddressOf(c),
          orderId: refusal.orderId,
        });
      } catch {
        // The refusal stands whatever happens to its record; a failing database shows in /metrics and on /ready.
        metrics.countUnrecordedRefusal();
      } finally {
        inFlight -= 1;
      }
      purgeExpired();
    },
  };
}
