import { CancellationScope, condition, sleep } from '@temporalio/workflow';

interface PendingWakeUp {
  atMs: number;
  scope: CancellationScope;
  fired: boolean;
}

/**
 * One timer for the next reason to wake without a message. A message that leaves that moment where it was keeps the
 * timer running, where a `condition` with a timeout would cancel its timer and start another for every message (two
 * history events each).
 */
export class WakeUpTimer {
  private pending: PendingWakeUp | undefined;

  /** True once a message is there; false when `atMs` passed first. */
  async messageOrDeadline(hasMessage: () => boolean, atMs: number): Promise<boolean> {
    if (hasMessage()) return true;
    const wakeUp = this.at(atMs);
    await condition(() => hasMessage() || wakeUp.fired);
    return hasMessage();
  }

  /** Nothing more to wait for: the timer, if still running, is canceled rather than left to fire into the history. */
  cancel(): void {
    if (this.pending && !this.pending.fired) this.pending.scope.cancel();
    this.pending = undefined;
  }

  private at(atMs: number): PendingWakeUp {
    if (this.pending && !this.pending.fired && this.pending.atMs === atMs) return this.pending;
    this.cancel();
    const wakeUp: PendingWakeUp = { atMs, scope: new CancellationScope(), fired: false };
    wakeUp.scope
      .run(() => sleep(Math.max(atMs - Date.now(), 1)))
      .then(
        () => {
          wakeUp.fired = true;
        },
        () => undefined, // canceled: a later moment replaced it
      );
    this.pending = wakeUp;
    return wakeUp;
  }
}
