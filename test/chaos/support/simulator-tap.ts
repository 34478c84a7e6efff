import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../../simulator/app';

/**
 * The Midtrans simulator on a real port, with a tap in front of it that classifies every Core API answer the way
 * the payment service experiences it. The tap reads the simulator's own store before and after each call, so it
 * knows whether a failed answer hid an applied mutation (the "ambiguous" case) without asking the service anything.
 */
export type CallKind = 'charge' | 'status' | 'cancel' | 'expire' | 'refund' | 'other';
/** ok: any answer below 500. error: 5xx, nothing applied. timeout: hung until the client gave up. ambiguous: applied, then 5xx or a dropped connection. */
export type CallOutcome = 'ok' | 'error' | 'timeout' | 'ambiguous';
export type TapCounts = Record<CallKind, Record<CallOutcome, number>>;

const KINDS: CallKind[] = ['charge', 'status', 'cancel', 'expire', 'refund', 'other'];
const emptyCounts = (): TapCounts => Object.fromEntries(KINDS.map((k) => [k, { ok: 0, error: 0, timeout: 0, ambiguous: 0 }])) as TapCounts;

export interface TappedSimulator {
  url: string;
  simulator: Simulator;
  counts(): TapCounts;
  close(): Promise<void>;
}

function classify(method: string, pathname: string): { kind: CallKind; id?: string } {
  if (method === 'POST' && pathname === '/v2/charge') return { kind: 'charge' };
  const match = /^\/v2\/([^/]+)\/(status|cancel|expire|refund)(?:\/online\/direct)?$/.exec(pathname);
  if (match) return { kind: match[2] as CallKind, id: decodeURIComponent(match[1]!) };
  return { kind: 'other' };
}

export async function startTappedSimulator(port: number, options: SimulatorOptions): Promise<TappedSimulator> {
  const simulator = createSimulator(options);
  let counts = emptyCounts();

  /** What "applied" means per call: a new transaction, a new refund, a status change. */
  const footprint = (kind: CallKind, orderId: string | undefined): string => {
    if (!orderId) return '';
    if (kind === 'charge') return String(simulator.store.chargeAttempts(orderId)?.applied ?? 0);
    const tx = simulator.store.find(orderId)?.transaction;
    if (!tx) return 'none';
    return kind === 'refund' ? String(tx.refunds.length) : tx.status;
  };

  const fetch = async (request: Request, env: unknown): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const { kind, id } = classify(request.method, pathname);
    if (!pathname.startsWith('/v2/')) return simulator.app.fetch(request, env);
    let orderId = id;
    if (kind === 'charge') {
      try {
        const body = JSON.parse(await request.clone().text()) as { transaction_details?: { order_id?: unknown } };
        orderId = typeof body.transaction_details?.order_id === 'string' ? body.transaction_details.order_id : undefined;
      } catch {
        orderId = undefined;
      }
    }
    const before = footprint(kind, orderId);
    const response = await simulator.app.fetch(request, env);
    const applied = kind !== 'status' && kind !== 'other' && footprint(kind, orderId) !== before;
    // A hung request is released with a 504 once the client disconnects (the simulator's own timeout answer).
    const outcome: CallOutcome = response.status < 500 ? 'ok' : applied ? 'ambiguous' : response.status === 504 ? 'timeout' : 'error';
    counts[kind][outcome] += 1;
    return response;
  };

  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve(started as Server));
    started.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    simulator,
    counts: () => structuredClone(counts),
    close: async () => {
      simulator.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      counts = emptyCounts();
    },
  };
}

/** after − before, per kind and outcome (for one scenario's share of the counts). */
export function diffCounts(after: TapCounts, before: TapCounts): TapCounts {
  const out = emptyCounts();
  for (const kind of KINDS) {
    for (const outcome of Object.keys(out[kind]) as CallOutcome[]) out[kind][outcome] = after[kind][outcome] - before[kind][outcome];
  }
  return out;
}
