import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createSimulator, type Simulator, type SimulatorOptions } from './app';

export interface StartSimulatorOptions extends SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  hostname?: string;
}

export interface RunningSimulator extends Omit<Simulator, 'close'> {
  /** The real base URL, e.g. http://127.0.0.1:40123 (use it as MIDTRANS_API_BASE_URL / MIDTRANS_SNAP_BASE_URL). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the simulator on a real port, for test setups and the dev script. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const { port = 0, hostname = '127.0.0.1', ...simulatorOptions } = options;
  const simulator = createSimulator(simulatorOptions);
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: simulator.app.fetch, port, hostname }, () => resolve(started as Server));
    started.once('error', reject);
  });
  const actualPort = (server.address() as AddressInfo).port;
  const host = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname;

  return {
    ...simulator,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    port: actualPort,
    close: async () => {
      simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}
