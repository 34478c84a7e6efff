/**
 * Every timer the simulator starts (expiries, notification retries, held notifications) goes through here, so
 * close() and reset() can cancel them all and none of them keeps a test process alive (they are unref'd).
 */
export class TimerRegistry {
  private readonly active = new Set<NodeJS.Timeout>();

  /** Runs `task` after `delayMs`. Delays beyond setTimeout's 24.8-day limit are chained. */
  schedule(delayMs: number, task: () => void): () => void {
    const MAX_DELAY = 2_147_483_647;
    let handle: NodeJS.Timeout;
    const arm = (remaining: number) => {
      const step = Math.min(Math.max(0, remaining), MAX_DELAY);
      handle = setTimeout(() => {
        this.active.delete(handle);
        if (remaining > MAX_DELAY) arm(remaining - MAX_DELAY);
        else task();
      }, step);
      handle.unref();
      this.active.add(handle);
    };
    arm(delayMs);
    return () => {
      clearTimeout(handle);
      this.active.delete(handle);
    };
  }

  clearAll(): void {
    for (const handle of this.active) clearTimeout(handle);
    this.active.clear();
  }

  get size(): number {
    return this.active.size;
  }
}
