import { z } from 'zod';

/**
 * Every environment variable the service reads, parsed once. Defaults suit local development against the
 * simulator; production (NODE_ENV=production) must set the secrets explicitly.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
const commaList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const LOCAL_SIMULATOR_SERVER_KEY = 'SB-Mid-server-local-simulator';

const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    HOST: z.string().default('0.0.0.0'),
    PORT: positiveInt(8000),
    API_KEYS: commaList,
    CORS_ORIGINS: commaList,
    ENFORCE_HTTPS: booleanFlag,
    BODY_LIMIT_BYTES: positiveInt(64 * 1024),
    /** How long POST /payments waits for the charge before answering 202 instead of 201. */
    CREATE_PAYMENT_WAIT_MS: positiveInt(10_000),
    /**
     * Notifications handled at once. Past it the webhook answers 503 at once (Midtrans retries; reconciliation backs
     * it up) instead of queueing: a burst of settlements must not pile stalled signals onto a saturated Temporal.
     */
    WEBHOOK_MAX_IN_FLIGHT: positiveInt(64),
    /**
     * How long cancel and refund wait for their workflow update before answering 504 UPDATE_PENDING (the update still
     * completes; a retry with the same Idempotency-Key gets its answer).
     */
    UPDATE_WAIT_MS: positiveInt(15_000),
    /** Idempotency-Keys are kept this long (as Stripe does), then purged. */
    IDEMPOTENCY_KEY_TTL_HOURS: positiveInt(24),

    DATABASE_URL: z.string().url(),
    DATABASE_POOL_SIZE: positiveInt(10),

    // Address, namespace, TLS and API key are read by @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
    // TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE); only what it does not cover is here.
    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('payments'),
    WORKER_MAX_CACHED_WORKFLOWS: positiveInt(2_000),
    WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(100),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt(40),

    MIDTRANS_SERVER_KEY: z.string().min(1).default(LOCAL_SIMULATOR_SERVER_KEY),
    MIDTRANS_CLIENT_KEY: z.string().default(''),
    MIDTRANS_IS_PRODUCTION: booleanFlag,
    MIDTRANS_API_BASE_URL: z.string().url().optional(),
    MIDTRANS_SNAP_BASE_URL: z.string().url().optional(),
    MIDTRANS_TIMEOUT_MS: positiveInt(15_000),

    TRANSACTION_SERVICE_URL: z.string().url().default('http://127.0.0.1:8010'),
    USER_SERVICE_URL: z.string().url().default('http://127.0.0.1:8020'),
    DOWNSTREAM_TIMEOUT_MS: positiveInt(10_000),

    /** The payment workflow stays open this long after success so refunds go through it. */
    REFUND_WINDOW_DAYS: positiveInt(30),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    if (c.MIDTRANS_SERVER_KEY === LOCAL_SIMULATOR_SERVER_KEY) {
      ctx.addIssue({ code: 'custom', path: ['MIDTRANS_SERVER_KEY'], message: 'must be set in production' });
    }
    if (c.API_KEYS.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'must be set in production' });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** Parses the environment; the error names each bad variable but never echoes a value (they may be secrets). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}
