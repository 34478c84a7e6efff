/**
 * The chaos suite's two sizes. `CHAOS_MODE=bounded` is the CI size (the whole suite well under 4 minutes on 2 cores);
 * anything else (the default when run by hand) is the full size the reliability issue asks for.
 */
export type ChaosMode = 'bounded' | 'full';

export const MODE: ChaosMode = process.env.CHAOS_MODE === 'bounded' ? 'bounded' : 'full';

/**
 * Which Temporal the suite runs on: `dev` (the CLI's dev server on SQLite, the default) or `stack` (`npm run
 * test:stack`: the production topology, the server on its own PostgreSQL, with two workers).
 */
export type ChaosTopology = 'dev' | 'stack';
export const TOPOLOGY: ChaosTopology = process.env.CHAOS_TEMPORAL === 'stack' ? 'stack' : 'dev';
const bounded = MODE === 'bounded';

export const SIZES = {
  /** Payments in flight in each of scenarios 1–4. */
  paymentsPerScenario: bounded ? 20 : 100,
  /** How long the worker / Temporal dev server stay dead before they are restarted. */
  workerDownMs: bounded ? 3_000 : 8_000,
  temporalDownMs: bounded ? 4_000 : 10_000,
  /** PostgreSQL outage (scenario 3). */
  postgresDownMs: bounded ? 10_000 : 30_000,
  /** Scenario 5: forged notifications, and redeliveries of one settlement. */
  forgedNotifications: bounded ? 20 : 1_000,
  duplicateDeliveries: bounded ? 20 : 1_000,
  /** Scenario 5f–5i: edited signed notifications, redirect attempts, reformatted copies, unsigned 60 KB bodies. */
  attackNotifications: bounded ? 40 : 1_000,
  /** Scenario 5: payments whose notifications are all dropped (settled by reconciliation alone). */
  droppedPayments: bounded ? 3 : 10,
  /** Scenario 6: concurrent refund requests on one payment. */
  concurrentRefunds: bounded ? 20 : 50,
  /** Scenario 7: schemathesis examples per operation and phase; the full run must reach 10,000 requests with fast-check. */
  schemathesisMaxExamples: bounded ? 8 : 550,
  /** How many requests at once when sending many webhooks. */
  webhookConcurrency: bounded ? 10 : 25,
} as const;

/**
 * Ports of the chaos stack (own ports, so it can run beside `npm run dev`, the integration tests and benchmarks). All
 * below Linux's ephemeral range (32768–60999): it starts after thousands of connections, and a connection's own port
 * on a fixed one fails the listen with EADDRINUSE (it did in CI, to a test's 54394).
 */
export const PORTS = {
  temporal: Number(process.env.CHAOS_TEMPORAL_PORT ?? 27233),
  /** Temporal's own PostgreSQL in the stack topology. */
  temporalPostgres: Number(process.env.CHAOS_TEMPORAL_PG_PORT ?? 27433),
  /** The production server's first membership port (below 32768: the SQL membership store keeps it as smallint). */
  temporalMembership: Number(process.env.CHAOS_TEMPORAL_MEMBERSHIP_PORT ?? 26933),
  api: Number(process.env.CHAOS_API_PORT ?? 27000),
  simulator: Number(process.env.CHAOS_SIMULATOR_PORT ?? 27900),
  receiver: Number(process.env.CHAOS_RECEIVER_PORT ?? 27010),
} as const;

export const SERVER_KEY = 'SB-Mid-server-chaos-suite';
export const API_KEY = 'chaos-suite-api-key';
export const TASK_QUEUE = 'chaos-payments';
export const DATABASE_NAME = 'tiketq_chaos';
/** Seed of every random choice the suite makes (fault dice, refund amounts, payment mixes). */
export const SEED = Number(process.env.CHAOS_SEED ?? 20_261_126);
