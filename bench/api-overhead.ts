import autocannon from 'autocannon';
import { readMemory } from './procs';
import type { Cleanup, Infra, PaymentServices } from './stack';
import { spawnIpcService } from './stack';
import { mib, round1, round2, say } from './util';

/**
 * GET /payments/{id} and GET /payments/{id}/status under autocannon, against a bare Hono route doing one
 * primary-key read with the same Prisma client on the same database. Targets alternate round by round so a noisy
 * neighbour hits all of them alike.
 */

export interface TargetRun {
  reqPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface TargetResult {
  name: string;
  what: string;
  runs: TargetRun[];
  /** Mean over rounds. */
  reqPerSecond: number;
  p99Ms: number;
  p50Ms: number;
}

export interface ApiOverheadResult {
  connections: number;
  durationSeconds: number;
  rounds: number;
  distinctIds: number;
  targets: TargetResult[];
  /** Against the bare primary-key read, and against the bare route doing the same data access as the target. */
  ratios: { name: string; throughputVsBare: number; p99VsBare: number; equivalent?: string; throughputVsEquivalent?: number; p99VsEquivalent?: number }[];
  bareApiRssMiB: number | null;
}

export async function runApiOverhead(
  cleanup: Cleanup,
  infra: Infra,
  services: PaymentServices,
  ids: string[],
  options: { connections: number; durationSeconds: number; rounds: number },
): Promise<ApiOverheadResult> {
  const { service: bare, ready } = await spawnIpcService(cleanup, infra, 'bare-api', 'bench/bare-api.ts', {
    ...infra.serviceEnv(services.taskQueue),
  });
  const bareUrl = `http://127.0.0.1:${String(ready.port)}`;
  const sample = ids.slice(0, 500);
  const targets = [
    { name: 'bare', what: 'bare Hono route: one primary-key read, one SQL statement (same Prisma client and database)', url: bareUrl, path: (id: string) => `/payments/${id}` },
    { name: 'bare-orm', what: 'bare Hono route: one primary-key read through Prisma findUnique', url: bareUrl, path: (id: string) => `/orm/payments/${id}` },
    { name: 'bare-detail', what: 'bare Hono route: the same one statement as GET /payments/{id}, row returned as is', url: bareUrl, path: (id: string) => `/detail/payments/${id}` },
    { name: 'detail', equivalent: 'bare-detail', what: 'API GET /payments/{id} (payment + audit trail, refunds, notifications: one SQL statement)', url: infra.apiUrl, path: (id: string) => `/payments/${id}` },
    { name: 'status', equivalent: 'bare', what: 'API GET /payments/{id}/status (primary-key read of the read model)', url: infra.apiUrl, path: (id: string) => `/payments/${id}/status` },
    { name: 'health', what: 'API GET /health (middleware only, no I/O)', url: infra.apiUrl, path: () => '/health' },
  ];
  const runs = new Map<string, TargetRun[]>(targets.map((t) => [t.name, []]));
  let bareRssKiB: number | null = null;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate the order each round (A B C D, D C B A, …).
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const target of order) {
        const result = await autocannon({
          url: target.url,
          connections: options.connections,
          duration: options.durationSeconds,
          timeout: 30,
          requests: sample.map((id) => ({ method: 'GET', path: target.path(id) })),
        });
        const run: TargetRun = {
          reqPerSecond: round1(result['2xx'] / result.duration),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        };
        runs.get(target.name)!.push(run);
        say(`  api ${target.name} round ${round}: ${run.reqPerSecond} req/s, p99 ${run.p99Ms} ms, non-2xx ${run.non2xx}, errors ${run.errors}`);
      }
    }
  } finally {
    const bareRss = readMemory(bare.mainPid);
    await bare.stop();
    bareRssKiB = bareRss?.hwmKiB ?? null;
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const results: TargetResult[] = targets.map((t) => {
    const r = runs.get(t.name)!;
    return {
      name: t.name,
      what: t.what,
      runs: r,
      reqPerSecond: round1(mean(r.map((x) => x.reqPerSecond))),
      p50Ms: round1(mean(r.map((x) => x.p50Ms))),
      p99Ms: round1(mean(r.map((x) => x.p99Ms))),
    };
  });
  const bareResult = results.find((r) => r.name === 'bare')!;
  return {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    rounds: options.rounds,
    distinctIds: sample.length,
    targets: results,
    ratios: results
      .filter((r) => r.name !== 'bare')
      .map((r) => {
        const equivalentName = targets.find((t) => t.name === r.name)?.equivalent;
        const equivalent = results.find((x) => x.name === equivalentName);
        return {
          name: r.name,
          throughputVsBare: round2(r.reqPerSecond / Math.max(0.001, bareResult.reqPerSecond)),
          p99VsBare: round2(r.p99Ms / Math.max(0.001, bareResult.p99Ms)),
          ...(equivalent && {
            equivalent: equivalent.name,
            throughputVsEquivalent: round2(r.reqPerSecond / Math.max(0.001, equivalent.reqPerSecond)),
            p99VsEquivalent: round2(r.p99Ms / Math.max(0.001, equivalent.p99Ms)),
          }),
        };
      }),
    bareApiRssMiB: mib(bareRssKiB),
  };
}
