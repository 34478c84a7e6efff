import { DEFAULT_REORDER_WINDOW_MS, type FaultInjector } from './faults';
import { notificationBody } from './responses';
import type { NotificationDelivery, NotificationRecord, SimTransaction, SimulatorStore } from './store';
import type { TimerRegistry } from './timers';

/**
 * HTTP notifications (webhooks) as Midtrans sends them: a signed JSON POST per status change, to the configured URL
 * or the per-charge X-Override-/X-Append-Notification URLs, retried by the receiver's answer (Midtrans docs,
 * HTTP(S) Notification / Webhooks).
 */

const MINUTE = 60_000;
/** Midtrans's retry spacing: about 2 min, 10 min, 30 min, 1.5 h, 3.5 h. Multiplied by `retryScale`. */
export const RETRY_SPACING_MS = [2 * MINUTE, 10 * MINUTE, 30 * MINUTE, 90 * MINUTE, 210 * MINUTE] as const;

/**
 * How many retries Midtrans grants after an answer: 500 → 1; 503 → 4; 400/404 → 2; 301–303 → none (redirects are
 * not followed); any other failure, network errors and timeouts included → 5.
 */
export function retriesAllowedFor(status: number | undefined): number {
  if (status === 500) return 1;
  if (status === 503) return 4;
  if (status === 400 || status === 404) return 2;
  if (status !== undefined && status >= 301 && status <= 303) return 0;
  return 5;
}

export interface NotificationDispatcherOptions {
  serverKey: string;
  /** The dashboard's "Payment Notification URL"; undefined = only per-charge headers. */
  defaultUrl?: string;
  retryScale: number;
  /** Midtrans wants a 2xx within about 5 s; slower answers count as failures. */
  timeoutMs: number;
  store: SimulatorStore;
  faults: FaultInjector;
  timers: TimerRegistry;
}

export class NotificationDispatcher {
  private sequence = 0;
  /** Bumped by reset()/close(): deliveries from an older generation stop recording. */
  private generation = 0;
  private aborter = new AbortController();
  private held: Array<() => Promise<void>> = [];

  constructor(private readonly options: NotificationDispatcherOptions) {}

  /** Sends the transaction's current state. Returns the record (also kept on the transaction). */
  notify(tx: SimTransaction): NotificationRecord {
    return this.dispatch(tx, notificationBody(tx, this.options.serverKey));
  }

  /** Sends the last notification again, byte for byte (control panel "notify"). */
  resend(tx: SimTransaction): NotificationRecord | undefined {
    const last = tx.notifications.at(-1);
    return last ? this.dispatch(tx, last.body) : undefined;
  }

  targetsFor(tx: SimTransaction): string[] {
    // X-Override-Notification wins over both the configured URL and X-Append-Notification.
    if (tx.targets.override.length > 0) return tx.targets.override;
    const urls = [...(this.options.defaultUrl ? [this.options.defaultUrl] : []), ...tx.targets.append];
    return [...new Set(urls)];
  }

  reset(): void {
    this.generation += 1;
    this.aborter.abort();
    this.aborter = new AbortController();
    this.held = [];
  }

  private dispatch(tx: SimTransaction, body: Record<string, unknown>): NotificationRecord {
    const stats = this.options.store.stats.notifications;
    const { faults } = this.options;
    const record: NotificationRecord = {
      id: ++this.sequence,
      createdAt: new Date().toISOString(),
      body,
      dropped: false,
      deliveries: [],
    };
    tx.notifications.push(record);
    stats.created += 1;

    const urls = this.targetsFor(tx);
    if (urls.length === 0) return record;
    const config = faults.config;
    if (faults.chance(config.notificationDropRate)) {
      record.dropped = true;
      stats.dropped += 1;
      return record;
    }
    const copies = faults.chance(config.notificationDuplicateRate) ? 2 : 1;
    for (const url of urls) {
      for (let copy = 1; copy <= copies; copy++) record.deliveries.push({ url, copy, state: 'scheduled', attempts: [] });
    }

    const start = () => Promise.all(record.deliveries.map((delivery) => this.attempt(delivery, body))).then(() => undefined);
    if (config.notificationReorder) this.hold(start, config.notificationDelayMs || DEFAULT_REORDER_WINDOW_MS);
    else if (config.notificationDelayMs > 0) this.options.timers.schedule(config.notificationDelayMs, () => void start());
    else void start();
    return record;
  }

  /** Reorder fault: collect notifications for a window, then send them newest first, one after another. */
  private hold(start: () => Promise<void>, windowMs: number): void {
    this.held.push(start);
    if (this.held.length > 1) return;
    const generation = this.generation;
    this.options.timers.schedule(windowMs, () => {
      if (generation !== this.generation) return;
      const batch = this.held.reverse();
      this.held = [];
      void (async () => {
        for (const send of batch) await send();
      })();
    });
  }

  /** One POST; schedules the next one per the retry rules. Resolves after this attempt (not the retries). */
  private async attempt(delivery: NotificationDelivery, body: Record<string, unknown>): Promise<void> {
    const generation = this.generation;
    const { timeoutMs, retryScale, timers, store } = this.options;
    delivery.state = 'delivering';
    const startedAt = Date.now();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Veritrans' },
        body: JSON.stringify(body),
        // 301–303 must be seen, not followed: Midtrans gives up on redirects.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.aborter.signal]),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (cause) {
      error = describeError(cause);
    }
    if (generation !== this.generation) return;

    const stats = store.stats.notifications;
    delivery.attempts.push({ at: new Date(startedAt).toISOString(), status, error, durationMs: Date.now() - startedAt });
    stats.sent += 1;
    if (status !== undefined && status >= 200 && status < 300) {
      delivery.state = 'delivered';
      stats.delivered += 1;
      return;
    }
    const retriesDone = delivery.attempts.length - 1;
    const spacing = RETRY_SPACING_MS[retriesDone];
    if (retriesDone < retriesAllowedFor(status) && spacing !== undefined) {
      delivery.state = 'scheduled';
      timers.schedule(spacing * retryScale, () => void this.attempt(delivery, body));
    } else {
      delivery.state = 'failed';
      stats.failed += 1;
    }
  }
}

function describeError(cause: unknown): string {
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError') return 'timeout';
    const code = (cause.cause as { code?: string } | undefined)?.code;
    return code ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}
