import type { WebhookAttempt } from './simulator';
import { summarize, tally, type Summary } from './util';

/** How the webhook answered Midtrans (the simulator): the time to each answer, and the answers by status. */
export interface WebhookSummary {
  /** Every POST, retries included: send → answer read, ms. */
  answerMs: Summary | null;
  /** POSTs by answer (HTTP status, or the error such as a timeout). */
  answers: Record<string, number>;
  notifications: number;
  /** Notifications that needed more than one POST. */
  retried: number;
  /** Notifications Midtrans gave up on after its retries: lost to the webhook (reconciliation would find them). */
  givenUp: number;
}

/** The webhook's answers, from the simulator's records of its attempts. */
export function summarizeWebhooks(attempts: WebhookAttempt[]): WebhookSummary | undefined {
  if (attempts.length === 0) return undefined;
  const answers: Record<string, number> = {};
  const deliveries = new Map<number, { posts: number; outcome: WebhookAttempt['outcome'] }>();
  for (const attempt of attempts) {
    tally(answers, attempt.answer);
    // One delivery per notification here: each charge's notifications go to one URL.
    const delivery = deliveries.get(attempt.notificationId) ?? { posts: 0, outcome: attempt.outcome };
    delivery.posts += 1;
    deliveries.set(attempt.notificationId, delivery);
  }
  const all = [...deliveries.values()];
  return {
    answerMs: summarize(attempts.map((a) => a.ms)),
    answers,
    notifications: all.length,
    retried: all.filter((d) => d.posts > 1).length,
    givenUp: all.filter((d) => d.outcome === 'failed').length,
  };
}
