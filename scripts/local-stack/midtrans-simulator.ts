import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
// The one place the stack kit, the tests and the benchmark name where the simulator lives.
import { createSimulator, type Simulator, type SimulatorOptions } from '../../simulator/app';

export { createSimulator, type Simulator, type SimulatorOptions };
export { mulberry32, type FaultConfigInput } from '../../simulator/faults';
/** The simulator as a program of its own (`npm run midtrans:sim`), configured by MIDTRANS_SIM_* variables. */
export const SIMULATOR_ENTRY = 'simulator/main.ts';

/** What a request to the simulator is for: a Core API call, Snap, or the simulator's own control panel. */
export type CallKind = 'charge' | 'status' | 'cancel' | 'expire' | 'refund' | 'other';
export type RequestKind = CallKind | 'snap' | 'control';
/** ok: any answer below 500. error: 5xx, nothing applied. timeout: hung until the client gave up. ambiguous: applied, then 5xx or a dropped connection. */
export type CallOutcome = 'ok' | 'error' | 'timeout' | 'ambiguous';
export type TapCounts = Record<CallKind, Record<CallOutcome, number>>;

const CALL_KINDS: CallKind[] = ['charge', 'status', 'cancel', 'expire', 'refund', 'other'];
const emptyCounts = (): TapCounts => Object.fromEntries(CALL_KINDS.map((k) => [k, { ok: 0, error: 0, timeout: 0, ambiguous: 0 }])) as TapCounts;

function classify(method: string, pathname: string): { kind: RequestKind; orderId?: string } {
  if (pathname.startsWith('/_simulator')) return { kind: 'control' };
  if (pathname.startsWith('/snap/')) return { kind: 'snap' };
  if (method === 'POST' && pathname === '/v2/charge') return { kind: 'charge' };
  const match = /^\/v2\/([^/]+)\/(status|cancel|expire|refund)(?:\/online\/direct)?$/.exec(pathname);
  if (match) return { kind: match[2] as CallKind, orderId: decodeURIComponent(match[1]!) };
  return { kind: 'other' };
}

/** Told of every request as it arrives and of every charge's time as it is answered: for a tap read from another process. */
export interface TapListener {
  request?(kind: RequestKind): void;
  charge?(orderId: string, totalMs: number): void;
}

export interface TappedSimulator {
  url: string;
  simulator: Simulator;
  /** Core API (/v2/) answers by call and outcome, as the payment service experienced them. */
  counts(): TapCounts;
  /** Every request so far by RequestKind; a live record (the simulator's own stats do not count status calls). */
  requests: Record<string, number>;
  /** Milliseconds the simulator took to answer charges, by order id (summed over retries): the gateway's own share of a create. */
  chargeMs: Map<string, number>;
  close(): Promise<void>;
}

/**
 * The Midtrans simulator on a real port (0 = a free one), with a tap in front that counts every request and
 * classifies every Core API answer. The tap reads the simulator's own store before and after each call, so it knows
 * whether a failed answer hid an applied mutation (the "ambiguous" case) without asking the service anything.
 */
export async function startTappedSimulator(options: SimulatorOptions & { port?: number; listener?: TapListener }): Promise<TappedSimulator> {
  const { port = 0, listener, ...simulatorOptions } = options;
  const simulator = createSimulator(simulatorOptions);
  const requests: Record<string, number> = {};
  const chargeMs = new Map<string, number>();
  let counts = emptyCounts();

  /** What "applied" means per call: a new transaction, a new refund, a status change. */
  const footprint = (kind: RequestKind, orderId: string | undefined): string => {
    if (!orderId) return '';
    if (kind === 'charge') return String(simulator.store.chargeAttempts(orderId)?.applied ?? 0);
    const tx = simulator.store.find(orderId)?.transaction;
    if (!tx) return 'none';
    return kind === 'refund' ? String(tx.refunds.length) : tx.status;
  };

  const fetch = async (request: Request, env: unknown): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const { kind, orderId: pathOrderId } = classify(request.method, pathname);
    requests[kind] = (requests[kind] ?? 0) + 1;
    listener?.request?.(kind);
    if (!pathname.startsWith('/v2/')) return simulator.app.fetch(request, env);
    const orderId = kind === 'charge' ? await chargedOrderId(request) : pathOrderId;
    const before = footprint(kind, orderId);
    const started = performance.now();
    const response = await simulator.app.fetch(request, env);
    if (kind === 'charge' && orderId) {
      const total = (chargeMs.get(orderId) ?? 0) + performance.now() - started;
      chargeMs.set(orderId, total);
      listener?.charge?.(orderId, total);
    }
    const applied = kind !== 'status' && kind !== 'other' && footprint(kind, orderId) !== before;
    // A hung request is released with a 504 once the client disconnects (the simulator's own timeout answer).
    const outcome: CallOutcome = response.status < 500 ? 'ok' : applied ? 'ambiguous' : response.status === 504 ? 'timeout' : 'error';
    counts[kind as CallKind][outcome] += 1;
    return response;
  };

  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve(started as Server));
    started.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    simulator,
    counts: () => structuredClone(counts),
    requests,
    chargeMs,
    close: async () => {
      simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
      counts = emptyCounts();
    },
  };
}

async function chargedOrderId(request: Request): Promise<string | undefined> {
  try {
    const body = JSON.parse(await request.clone().text()) as { transaction_details?: { order_id?: unknown } };
    return typeof body.transaction_details?.order_id === 'string' ? body.transaction_details.order_id : undefined;
  } catch {
    return undefined;
  }
}

/** after − before, per kind and outcome (for one scenario's share of the counts). */
export function diffCounts(after: TapCounts, before: TapCounts): TapCounts {
  const out = emptyCounts();
  for (const kind of CALL_KINDS) {
    for (const outcome of Object.keys(out[kind]) as CallOutcome[]) out[kind][outcome] = after[kind][outcome] - before[kind][outcome];
  }
  return out;
}
