import { postponeNotification, setNotificationOutcome, takeDueNotifications, type DueNotification } from '../db/notifications';
import type { MidtransObservation } from '../domain';
import { rateLimitedWarning } from '../logger';
import { toMidtransObservation } from '../midtrans/observation';
import type { ApiDependencies } from './app';

/** A stored notification on its way to its payment's workflow. */
export interface NotificationToSignal {
  /** The webhook_notifications row: the workflow records it with the notification, and its outcome is set here. */
  id: number;
  paymentId: string;
  observation: MidtransObservation;
  /** Attempts made before this one (0 for the one the webhook starts). */
  attempts: number;
}

/** Signals sent at once: enough to keep Temporal busy, few enough that a burst queues here, not in gRPC. */
const CONCURRENT_SIGNALS = 32;
/** Past this, a stored notification waits for a sweep instead of memory: a burst never grows the API unbounded. */
const MAX_QUEUED = 10_000;
const SWEEP_BATCH = 500;
const SWEEP_INTERVAL_MS = 5_000;
const MAX_RETRY_DELAY_SECONDS = 60;
/** A Temporal outage fails every signal: one line per 10 s says so, with how many were not logged. */
const RETRY_LOG_INTERVAL_MS = 10_000;

/** 1, 2, 4 … seconds after each failed attempt, at most a minute: Temporal back from a restart is noticed quickly. */
const retryDelaySeconds = (attempts: number) => Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** attempts);

/**
 * Sends stored notifications to their payments' workflows, so the webhook can answer Midtrans once a notification is
 * stored (one insert) instead of after Temporal has taken its signal.
 *
 * The row is the truth, this process's queue only a shortcut: a notification is `received` until its signal is
 * taken (`accepted`) or its workflow is gone (`payment_closed`). The webhook hands each new row here at once; a
 * sweep takes rows whose lease ran out (this or another API process died, or Temporal was unreachable) and signals
 * them again. A signal sent twice (a process died between the signal and its outcome) is harmless: the workflow
 * counts the second as a duplicate.
 */
export function createNotificationForwarder({
  db,
  workflows,
  logger,
  metrics,
}: Pick<ApiDependencies, 'db' | 'workflows' | 'logger' | 'metrics'>) {
  const queue: NotificationToSignal[] = [];
  let sending = 0;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<number> | undefined;
  let whenIdle: (() => void)[] = [];
  const warnRetry = rateLimitedWarning(RETRY_LOG_INTERVAL_MS);

  const awaiting = () => queue.length + sending;

  function signal(notification: NotificationToSignal): void {
    if (queue.length >= MAX_QUEUED) return; // its row stays `received`: a sweep signals it once its lease runs out
    queue.push(notification);
    pump();
  }

  function pump(): void {
    while (sending < CONCURRENT_SIGNALS && queue.length > 0) {
      sending += 1;
      void send(queue.shift()!).finally(() => {
        sending -= 1;
        pump();
      });
    }
    metrics.setNotificationsAwaitingSignal(awaiting());
    if (awaiting() === 0) for (const resolve of whenIdle.splice(0)) resolve();
  }

  async function send(notification: NotificationToSignal): Promise<void> {
    const { id, paymentId, observation, attempts } = notification;
    let signal: 'signalled' | 'closed';
    try {
      signal = await workflows.notify(paymentId, observation, id);
    } catch (error) {
      metrics.countNotificationSignal('retry');
      const delaySeconds = retryDelaySeconds(attempts);
      warnRetry(logger, { err: error, paymentId, attempts: attempts + 1, retryInSeconds: delaySeconds }, 'notification not signalled yet; retried');
      // If PostgreSQL is down too, the lease taken when the row was stored or swept runs out instead.
      await postponeNotification(db, id, delaySeconds).catch(() => {});
      return;
    }
    if (signal === 'closed') {
      // The workflow has closed (final, refund window over): the notification stays for the audit trail.
      await setNotificationOutcome(db, id, 'payment_closed').catch(() => {});
      metrics.countNotificationSignal('payment_closed');
      logger.warn({ paymentId, transactionStatus: observation.transactionStatus }, 'notification for a closed payment stored, not applied');
      return;
    }
    metrics.countNotificationSignal('accepted');
    // Should this fail, the row is signalled again once its lease runs out, and the workflow counts a duplicate.
    await setNotificationOutcome(db, id, 'accepted').catch((error: unknown) =>
      logger.warn({ err: error, paymentId }, 'notification signalled, its outcome not recorded'),
    );
  }

  /** Takes the notifications whose signal is due (as many as the queue has room for); returns how many. */
  async function sweep(): Promise<number> {
    const room = Math.min(SWEEP_BATCH, MAX_QUEUED - queue.length);
    if (room <= 0) return 0;
    const due = await takeDueNotifications(db, room);
    for (const row of due) {
      try {
        signal(toSignal(row));
      } catch (error) {
        // Cannot happen to bytes the webhook verified and parsed; if it does, the row stays in sight of the logs.
        logger.error({ err: error, notificationId: row.id, paymentId: row.paymentId }, 'stored notification unreadable; not signalled');
      }
    }
    return due.length;
  }

  return {
    signal,
    sweep,
    /** Signals and queued notifications of this process (for tests and shutdown). */
    awaiting,
    /** Sweeps every few seconds until `stop`. */
    start(intervalMs = SWEEP_INTERVAL_MS): void {
      sweepTimer ??= setInterval(() => {
        if (sweeping) return;
        sweeping = sweep()
          .catch((error: unknown) => {
            logger.warn({ err: error }, 'sweep for notifications to signal failed; tried again shortly');
            return 0;
          })
          .finally(() => (sweeping = undefined));
      }, intervalMs).unref();
    },
    /** Stops sweeping and waits (at most `timeoutMs`) for the queue to be signalled; what is left, a later sweep sends. */
    async stop(timeoutMs: number): Promise<void> {
      clearInterval(sweepTimer);
      sweepTimer = undefined;
      if (awaiting() === 0) return;
      await Promise.race([
        new Promise<void>((resolve) => whenIdle.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
      whenIdle = [];
    },
  };
}

export type NotificationForwarder = ReturnType<typeof createNotificationForwarder>;

/** The stored bytes were verified before they were stored; the observation is read from them again. */
function toSignal(row: DueNotification): NotificationToSignal {
  return {
    id: row.id,
    paymentId: row.paymentId,
    observation: toMidtransObservation(JSON.parse(row.rawBody) as Record<string, unknown>),
    attempts: row.attempts,
  };
}
