import { z } from 'zod';

/**
 * Fault injection: the failures a real gateway and a real network produce, on demand, so the payment service can be
 * tested against them. Decisions come from one PRNG; with a `seed` a test run makes the same decisions every time.
 */
const rate = z.number().min(0).max(1).default(0);

export const faultConfigSchema = z
  .object({
    /** Answer 500/503 without applying anything. */
    apiErrorRate: rate,
    /** Never answer (until the client gives up), without applying anything. */
    apiTimeoutRate: rate,
    /** Apply the mutation (charge, refund, cancel, …), then answer 500 or drop the connection: the ambiguous case. */
    ambiguousRate: rate,
    /** Deliver a notification twice. */
    notificationDuplicateRate: rate,
    /** Wait this long before the first delivery attempt of each notification. */
    notificationDelayMs: z.number().int().min(0).default(0),
    /** Hold notifications for a moment and deliver what was held newest first. */
    notificationReorder: z.boolean().default(false),
    /** Never deliver a notification (the receiver must poll GET status). */
    notificationDropRate: rate,
    seed: z.number().int().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export type ApiFault = 'none' | 'error' | 'timeout' | 'ambiguous';

/** How long reordered notifications are held when no notificationDelayMs is set. */
export const DEFAULT_REORDER_WINDOW_MS = 200;

export class FaultInjector {
  private current: FaultConfig;
  private random: () => number;

  constructor(initial: FaultConfigInput = {}) {
    this.current = faultConfigSchema.parse(initial);
    this.random = randomSource(this.current.seed);
  }

  get config(): FaultConfig {
    return { ...this.current };
  }

  /** Replaces the whole configuration (fields left out fall back to "no fault") and reseeds the PRNG. */
  configure(input: FaultConfigInput): FaultConfig {
    this.current = faultConfigSchema.parse(input);
    this.random = randomSource(this.current.seed);
    return this.config;
  }

  /** One draw per API request, so a seeded run is reproducible request by request. */
  pickApiFault(mutates: boolean): ApiFault {
    const { apiErrorRate, apiTimeoutRate, ambiguousRate } = this.current;
    if (apiErrorRate + apiTimeoutRate + ambiguousRate === 0) return 'none';
    const draw = this.random();
    if (draw < apiErrorRate) return 'error';
    if (draw < apiErrorRate + apiTimeoutRate) return 'timeout';
    if (mutates && draw < apiErrorRate + apiTimeoutRate + ambiguousRate) return 'ambiguous';
    return 'none';
  }

  /** True with probability `probability`; no draw is spent on a zero rate. */
  chance(probability: number): boolean {
    if (probability <= 0) return false;
    return this.random() < probability;
  }

  /** A fair coin from the same PRNG (500 vs 503, drop vs 500). */
  coin(): boolean {
    return this.random() < 0.5;
  }
}

function randomSource(seed: number | undefined): () => number {
  return seed === undefined ? Math.random : mulberry32(seed);
}

/** Small, well-known 32-bit PRNG: good enough for fault dice, and deterministic. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** MIDTRANS_SIM_FAULTS: a JSON object with the fields above. */
export function parseFaultEnv(text: string | undefined): FaultConfigInput {
  if (!text || text.trim() === '') return {};
  return faultConfigSchema.parse(JSON.parse(text));
}
