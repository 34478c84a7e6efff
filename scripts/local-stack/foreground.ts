import type { ServiceProcess } from './processes';

/**
 * A stack run in the foreground (`npm run dev`, `npm run stack`): whatever it started is stopped, last first, on
 * Ctrl-C or SIGTERM, when starting fails, or when one of its services exits on its own.
 */
export class ForegroundStack {
  private readonly stops: Array<() => Promise<void>> = [];
  private stopping = false;

  constructor(private readonly label: string) {}

  say(message: string): void {
    console.log(`[${this.label}] ${message}`);
  }

  onStop(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  /** Starts the service; if it exits while the stack runs, everything stops. */
  startService(service: ServiceProcess): ServiceProcess {
    service.start().once('exit', (code, signal) => {
      if (this.stopping) return;
      const log = service.logFile ? `; see ${service.logFile}` : '';
      console.error(`[${this.label}] ${service.name} exited (${signal ?? code})${log}; stopping everything`);
      void this.stopAll(1);
    });
    this.onStop(() => service.stop());
    return service;
  }

  async stopAll(exitCode: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.say('stopping');
    for (const stop of this.stops.reverse()) await stop().catch((error: unknown) => console.error(`[${this.label}]`, error));
    process.exit(exitCode);
  }

  run(start: () => Promise<void>): void {
    process.on('SIGINT', () => void this.stopAll(0));
    process.on('SIGTERM', () => void this.stopAll(0));
    start().catch(async (error: unknown) => {
      console.error(`[${this.label}] failed to start:`, error instanceof Error ? error.message : error);
      await this.stopAll(1);
    });
  }
}
