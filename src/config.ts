import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { Operator } from './api/middleware/operator-access';
import { DEFAULT_EARLY_LOOKS_MINUTES } from './domain/reconciliation';
import { midtransBaseUrls } from './midtrans/client';
import { PAYLOAD_KEY_BYTES, type PayloadEncryptionKey } from './temporal/payload-codec';

/**
 * Every environment variable the service reads, parsed once. Defaults suit local development against the
 * simulator; production (NODE_ENV=production) must set the secrets explicitly and refuses unsafe settings
 * (refuseUnsafeProductionSettings below).
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
export const commaList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Minutes after the start, ascending, within the first hour: the early reconciliation looks of a payment awaiting
 * money. Within the hour, so an open payment costs no more than 4 look-ups a day after it (src/domain/reconciliation.ts).
 */
const earlyLooksMinutes = z
  .string()
  .default(DEFAULT_EARLY_LOOKS_MINUTES.join(','))
  .transform((value, ctx) => {
    const minutes = value.split(',').map((entry) => Number(entry.trim()));
    const ascending = minutes.every((m, i) => i === 0 || m > minutes[i - 1]!);
    if (minutes.length > 6 || !ascending || minutes.some((m) => !Number.isInteger(m) || m < 1 || m > 60)) {
      ctx.addIssue({ code: 'custom', message: 'must be 1 to 6 whole minutes from 1 to 60, ascending and comma-separated (e.g. 1,5,15,60)' });
      return z.NEVER;
    }
    return minutes;
  });

export const LOCAL_SIMULATOR_SERVER_KEY = 'SB-Mid-server-local-simulator';
/** The browser's key for card tokenization (GET /v2/token); public by design, sandbox-shaped for the simulator. */
export const LOCAL_SIMULATOR_CLIENT_KEY = 'SB-Mid-client-local-simulator';
/** The dev server's Web UI (`npm run dev`). */
export const LOCAL_TEMPORAL_UI_URL = 'http://127.0.0.1:8233';
export const LOCAL_DOWNSTREAM_SIGNING_SECRET = 'whsec_dGlrZXRxLWxvY2FsLWRldmVsb3BtZW50LWRvd25zdHJlYW0=';

/** API keys anyone can read in this repository (old compose and .env.example defaults, the test suites' keys). */
const PUBLICLY_KNOWN_API_KEYS = new Set(['local-dev-api-key', 'integration-test-key', 'chaos-suite-api-key']);
/** Every operator token this repository's tests use (a copy in production would be an open door). */
export const PUBLICLY_KNOWN_OPERATOR_TOKENS = new Set([
  'integration-test-operator-token',
  'integration-test-operator-token-2',
  'integration-test-reconciliation-operator',
  'ana-token-0123456789abcdef0123456789',
  'budi-token-0123456789abcdef012345678',
]);
const PUBLICLY_KNOWN_METRICS_TOKENS = new Set(['integration-test-metrics-token-0123456789abcdef']);
/** Payload keys whose bytes are in this repository (the tests'), as base64: anyone could decrypt with them. */
const PUBLICLY_KNOWN_PAYLOAD_KEYS = new Set([Buffer.from('tiketq-tests-payload-key-32bytes').toString('base64')]);
/** 32 characters of a random base64url or hex key are 128 bits or more: out of reach of guessing. */
export const MIN_PRODUCTION_API_KEY_LENGTH = 32;

/** An IP address or a CIDR range ("10.0.0.0/8", "fd00::/8"), or undefined when `entry` is neither. */
function addressRange(entry: string): { address: string; family: 'ipv4' | 'ipv6'; prefix?: number } | undefined {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (version === 4 ? 32 : 128)) return undefined;
  return { address, family, prefix: Number(prefix) };
}

/** TRUSTED_PROXIES as a matcher of peer addresses (an IPv4 range also matches its IPv4-mapped IPv6 form). */
const trustedProxies = commaList.transform((entries, ctx) => {
  const proxies = new BlockList();
  entries.forEach((entry, index) => {
    const range = addressRange(entry);
    if (!range) ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is not an IP address or CIDR range` });
    else if (range.prefix === undefined) proxies.addAddress(range.address, range.family);
    else proxies.addSubnet(range.address, range.prefix, range.family);
  });
  return proxies;
});

/**
 * PAYLOAD_ENCRYPTION_KEYS as keys: `id:base64key` entries, comma-separated, each key exactly 32 bytes (AES-256). The
 * first seals, all open. Problems name the entry and its id, never the key.
 */
export const payloadEncryptionKeys = commaList.transform((entries, ctx) => {
  const keys: PayloadEncryptionKey[] = [];
  entries.forEach((entry, index) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${message}` });
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const encoded = entry.slice(separator + 1);
    if (separator < 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      problem('is not id:base64key (an id of letters, digits, ".", "_" or "-", a colon, then the key in base64)');
    } else if (keys.some((key) => key.id === id)) {
      problem(`repeats the key id "${id}"`);
    } else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || Buffer.from(encoded, 'base64').length !== PAYLOAD_KEY_BYTES) {
      problem(`(key id "${id}") is not ${PAYLOAD_KEY_BYTES} bytes in base64 (\`openssl rand -base64 ${PAYLOAD_KEY_BYTES}\`)`);
    } else {
      keys.push({ id, key: Buffer.from(encoded, 'base64') });
    }
  });
  return keys;
});

/**
 * OPERATOR_TOKENS as operators: `name:token` entries, comma-separated. The name is what the audit trail and the logs
 * show; problems name the entry and the operator, never the token.
 */
const operatorTokens = commaList.transform((entries, ctx) => {
  const operators: Operator[] = [];
  entries.forEach((entry, index) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${message}` });
    const separator = entry.indexOf(':');
    const name = entry.slice(0, separator);
    const token = entry.slice(separator + 1);
    if (separator < 0 || !/^[A-Za-z0-9._@-]{1,64}$/.test(name) || token.length === 0) {
      problem('is not name:token (a name of letters, digits, ".", "_", "@" or "-", a colon, then the token)');
    } else if (operators.some((operator) => operator.name === name)) {
      problem(`repeats the operator name "${name}"`);
    } else if (operators.some((operator) => operator.token === token)) {
      problem(`(operator "${name}") has the token of another operator`);
    } else {
      operators.push({ name, token });
    }
  });
  return operators;
});

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** The origin of `url`, or undefined when it is not a URL (the field's own check reports that; refinements still run). */
const originOf = (url: string) => (URL.canParse(url) ? new URL(url).origin : undefined);

export function isLoopbackUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(host);
  return host === 'localhost' || (version !== 0 && LOOPBACK.check(host, version === 4 ? 'ipv4' : 'ipv6'));
}

const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    HOST: z.string().default('0.0.0.0'),
    PORT: positiveInt(8000),
    API_KEYS: commaList,
    /**
     * Who may use the operators' routes (search, review queue and its actions, the console): `name:token` entries. Empty
     * outside production = everyone is the anonymous operator (local development); empty in production = nobody is.
     */
    OPERATOR_TOKENS: operatorTokens,
    /** Tokens that open GET /metrics and nothing else: what Prometheus scrapes with (an API key opens it too). */
    METRICS_TOKENS: commaList,
    /** How long an operator's console sign-in lasts before the token must be given again. */
    OPERATOR_SESSION_HOURS: positiveInt(8),
    /** A pending payment this long past its expiry, still not expired, goes to the review queue. */
    REVIEW_PENDING_GRACE_MINUTES: positiveInt(30),
    /** A payment processing (charge, cancel or refund under way) this long goes to the review queue. */
    REVIEW_PROCESSING_HOURS: positiveInt(2),
    CORS_ORIGINS: commaList,
    ENFORCE_HTTPS: booleanFlag,
    /** Peers (IPs or CIDRs) whose X-Forwarded-Proto is believed; empty = none, the connection's own scheme counts. */
    TRUSTED_PROXIES: trustedProxies,
    BODY_LIMIT_BYTES: positiveInt(64 * 1024),
    /** How long POST /payments waits for the charge before answering 202 instead of 201. */
    CREATE_PAYMENT_WAIT_MS: positiveInt(10_000),
    /**
     * Notifications handled at once. Past it the webhook answers 503 at once (Midtrans retries; reconciliation backs
     * it up) instead of queueing: a burst of settlements must not pile stalled signals onto a saturated Temporal.
     */
    WEBHOOK_MAX_IN_FLIGHT: positiveInt(64),
    /**
     * Refused (unsigned or malformed) notifications being recorded at once. They have their own budget, so they can
     * never shed a genuine notification; past it a refusal is answered without a record (counted in /metrics).
     */
    WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT: positiveInt(8),
    /**
     * New (not yet stored) verified notifications one payment may have stored in the last hour; past it the webhook
     * answers 429 and stores nothing. A signed body with an unsigned field edited is a new notification each time.
     * Midtrans sends a payment a handful in its life; a copy of one already stored is never refused.
     */
    WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR: positiveInt(30),
    /** Records of refused notifications are kept this long, then purged. */
    REJECTED_NOTIFICATION_RETENTION_DAYS: positiveInt(7),
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
    /** The Temporal Web UI operators use: the console links each payment to its workflow there. */
    TEMPORAL_UI_URL: z.string().url().default(LOCAL_TEMPORAL_UI_URL),
    /** Keys that encrypt Temporal payloads (src/temporal/payload-codec.ts); empty = none, refused in production. */
    PAYLOAD_ENCRYPTION_KEYS: payloadEncryptionKeys,
    /**
     * Open Temporal payloads written without encryption. Off: they are refused, so whoever reaches Temporal without a
     * key cannot refund, charge or answer for a payment. On only while workflows started before encryption are open.
     */
    ACCEPT_UNENCRYPTED_PAYLOADS: booleanFlag,
    /**
     * Sticky-cached workflows: each costs memory, an evicted one a replay when it wakes (docs/tuning.md change 16).
     * Unset: as many as fit the worker's memory limit, at most 3,000 (src/temporal/workflow-cache.ts).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().positive().optional(),
    WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt(100),
    /** Local activities (the charge, status look-ups, read-model writes, first delivery attempts) one worker runs at once. */
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: positiveInt(100),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt(40),
    /** The worker's Temporal metrics for Prometheus (the SDK core's exporter, GET /metrics); unset = not served. */
    WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    /** The worker's GET /health (200 while polling) and its Node process metrics (GET /metrics); unset = not served. */
    WORKER_HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    /** OTLP over HTTP (protobuf) for traces (src/telemetry/tracing.ts); the exporter reads the other OTEL_* variables itself. Unset = no tracing. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    /** The workflow bundle `npm run build` wrote (the image sets it); unset = bundle the workflows at start (development). */
    /** On SIGTERM the API answers /ready with 503 and keeps serving this long before it stops accepting (0 = stop at once). */
    API_DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    /**
     * The SDK's stack trace for every promise a workflow creates (the Web UI's Stack Trace tab, and the frames of an
     * error thrown in workflow code). Off: they cost about a third of the workflow thread's CPU (docs/tuning.md
     * change 22). On: the worker loads the bundle that keeps them (`npm run build` writes it beside
     * WORKFLOW_BUNDLE_PATH's), or bundles at start with them; for debugging a workflow.
     */
    WORKFLOW_STACK_TRACES: booleanFlag,
    /** On SIGTERM, running activities get this long to finish; keep it below the orchestrator's stop grace (compose: 60 s). */
    WORKER_SHUTDOWN_GRACE_MS: positiveInt(45_000),

    MIDTRANS_SERVER_KEY: z.string().min(1).default(LOCAL_SIMULATOR_SERVER_KEY),
    // Compose passes an unset key as '': that too means the simulator's key.
    MIDTRANS_CLIENT_KEY: z
      .string()
      .default('')
      .transform((key) => key || LOCAL_SIMULATOR_CLIENT_KEY),
    MIDTRANS_IS_PRODUCTION: booleanFlag,
    MIDTRANS_API_BASE_URL: z.string().url().optional(),
    MIDTRANS_SNAP_BASE_URL: z.string().url().optional(),
    MIDTRANS_TIMEOUT_MS: positiveInt(15_000),
    /** Production only: permit a gateway URL other than Midtrans production over https (a staging proxy, the simulator). */
    ALLOW_NON_MIDTRANS_GATEWAY: booleanFlag,
    /** Production only: permit the Midtrans sandbox (MIDTRANS_IS_PRODUCTION=false, an SB- server key, sandbox hosts). */
    ALLOW_MIDTRANS_SANDBOX: booleanFlag,

    TRANSACTION_SERVICE_URL: z.string().url().default('http://127.0.0.1:8010'),
    USER_SERVICE_URL: z.string().url().default('http://127.0.0.1:8020'),
    DOWNSTREAM_TIMEOUT_MS: positiveInt(10_000),
    /** Signs calls to both services (Standard Webhooks, HMAC-SHA256). The default is for local development only. */
    DOWNSTREAM_SIGNING_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, 'must be whsec_ followed by at least 24 bytes in base64')
      .default(LOCAL_DOWNSTREAM_SIGNING_SECRET),

    /** The payment workflow stays open this long after success so refunds go through it. */
    REFUND_WINDOW_DAYS: positiveInt(30),
    /**
     * When a new payment asks Midtrans for its status in its first hour if no notification came; each payment keeps
     * the looks it started with. Every 6 hours after, and 5 minutes before expiry, whatever this says.
     */
    RECONCILE_EARLY_LOOKS_MINUTES: earlyLooksMinutes,
    /**
     * A closed payment's customer name, e-mail and phone are erased from PostgreSQL this long after it closed
     * (src/domain/retention.ts); amounts, statuses and the audit trail stay. A year covers disputes and chargebacks.
     */
    PII_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
    /** The daily reconciliation compares with Midtrans every payment written in this many days before it runs. */
    RECONCILIATION_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(400).default(3),
    /**
     * A paid payment last written before that window is compared every this many days after it was paid, and on the
     * refund window's last day (REFUND_WINDOW_DAYS), so a dashboard refund whose notifications were all lost is found.
     * 0: never.
     */
    RECONCILIATION_SWEEP_EVERY_DAYS: z.coerce.number().int().min(0).max(400).default(7),
    /** Its status look-ups started per second at most, so a large window never trips Midtrans's rate limit (429). */
    RECONCILIATION_MIDTRANS_CALLS_PER_SECOND: z.coerce.number().int().min(1).max(1_000).default(20),
  })
  .superRefine((c, ctx) => {
    const refuse: Refuse = (variable, reason) => ctx.addIssue({ code: 'custom', path: [variable], message: reason });
    if (c.NODE_ENV === 'production') refuseUnsafeProductionSettings(c, refuse);
    else refusePublicServerKeyOffLoopback(c, refuse);
  });

export type Config = z.infer<typeof configSchema>;

type Refuse = (variable: keyof Config, reason: string) => void;

/** Settings that would open the API, leak the gateway's key or move money through the wrong gateway in production. */
function refuseUnsafeProductionSettings(c: Config, refuse: Refuse) {
  if (c.API_KEYS.length === 0) refuse('API_KEYS', 'must be set in production');
  c.API_KEYS.forEach((key, index) => {
    const which = `key ${index + 1} of ${c.API_KEYS.length}`;
    if (PUBLICLY_KNOWN_API_KEYS.has(key)) refuse('API_KEYS', `${which} is publicly known (a default or test key of this repository)`);
    else if (key.length < MIN_PRODUCTION_API_KEY_LENGTH)
      refuse('API_KEYS', `${which} is shorter than ${MIN_PRODUCTION_API_KEY_LENGTH} characters`);
  });

  c.OPERATOR_TOKENS.forEach(({ name, token }) => {
    const which = `the token of operator "${name}"`;
    if (PUBLICLY_KNOWN_OPERATOR_TOKENS.has(token))
      refuse('OPERATOR_TOKENS', `${which} is publicly known (a test token of this repository)`);
    else if (token.length < MIN_PRODUCTION_API_KEY_LENGTH)
      refuse('OPERATOR_TOKENS', `${which} is shorter than ${MIN_PRODUCTION_API_KEY_LENGTH} characters`);
    else if (c.API_KEYS.includes(token))
      refuse('OPERATOR_TOKENS', `${which} is also an API key: the services that hold it would be operators`);
  });

  c.METRICS_TOKENS.forEach((token, index) => {
    const which = `token ${index + 1} of ${c.METRICS_TOKENS.length}`;
    const publiclyKnown = PUBLICLY_KNOWN_METRICS_TOKENS.has(token) || PUBLICLY_KNOWN_OPERATOR_TOKENS.has(token) || PUBLICLY_KNOWN_API_KEYS.has(token);
    if (publiclyKnown) refuse('METRICS_TOKENS', `${which} is publicly known (a test token of this repository)`);
    else if (token.length < MIN_PRODUCTION_API_KEY_LENGTH) refuse('METRICS_TOKENS', `${which} is shorter than ${MIN_PRODUCTION_API_KEY_LENGTH} characters`);
    else if (c.API_KEYS.includes(token) || c.OPERATOR_TOKENS.some((operator) => operator.token === token))
      refuse('METRICS_TOKENS', `${which} is also an API key or an operator token: a scrape config would hold more than metrics`);
  });

  const allowSandbox = ' (ALLOW_MIDTRANS_SANDBOX=true permits the sandbox)';
  if (c.MIDTRANS_SERVER_KEY === LOCAL_SIMULATOR_SERVER_KEY) {
    refuse('MIDTRANS_SERVER_KEY', "is unset or the simulator's publicly known key: set the Midtrans server key");
  } else if (c.MIDTRANS_SERVER_KEY.startsWith('SB-') && !c.ALLOW_MIDTRANS_SANDBOX) {
    refuse('MIDTRANS_SERVER_KEY', `is a sandbox key (SB-…)${allowSandbox}`);
  }
  if (!c.MIDTRANS_IS_PRODUCTION && !c.ALLOW_MIDTRANS_SANDBOX)
    refuse('MIDTRANS_IS_PRODUCTION', `must be true: false is the sandbox${allowSandbox}`);

  if (!c.ALLOW_NON_MIDTRANS_GATEWAY) {
    const overrides = [
      ['MIDTRANS_API_BASE_URL', c.MIDTRANS_API_BASE_URL, 'apiBaseUrl'],
      ['MIDTRANS_SNAP_BASE_URL', c.MIDTRANS_SNAP_BASE_URL, 'snapBaseUrl'],
    ] as const;
    for (const [variable, url, gateway] of overrides) {
      if (url === undefined) continue;
      const environments = c.ALLOW_MIDTRANS_SANDBOX ? [true, false] : [true];
      const midtransOrigins = environments.map((isProduction) => originOf(midtransBaseUrls(isProduction)[gateway]));
      const origin = originOf(url);
      if (origin !== undefined && !midtransOrigins.includes(origin)) {
        refuse(variable, `must point at ${midtransOrigins.join(' or ')} (ALLOW_NON_MIDTRANS_GATEWAY=true permits another gateway)`);
      }
    }
  }

  if (c.PAYLOAD_ENCRYPTION_KEYS.length === 0) {
    refuse('PAYLOAD_ENCRYPTION_KEYS', 'must be set in production: without it customer data sits in Temporal histories in plain text');
  }
  c.PAYLOAD_ENCRYPTION_KEYS.forEach(({ key }, index) => {
    if (PUBLICLY_KNOWN_PAYLOAD_KEYS.has(key.toString('base64'))) {
      refuse(
        'PAYLOAD_ENCRYPTION_KEYS',
        `key ${index + 1} of ${c.PAYLOAD_ENCRYPTION_KEYS.length} is publicly known (the tests' key in this repository)`,
      );
    }
  });

  if (c.DOWNSTREAM_SIGNING_SECRET === LOCAL_DOWNSTREAM_SIGNING_SECRET) {
    refuse('DOWNSTREAM_SIGNING_SECRET', 'must be set in production: the transaction and user services verify our calls with it');
  }
}

/** The simulator's key is public, so whoever knows it can sign notifications: it may only talk to a simulator on this machine. */
function refusePublicServerKeyOffLoopback(c: Config, refuse: Refuse) {
  if (c.MIDTRANS_SERVER_KEY !== LOCAL_SIMULATOR_SERVER_KEY) return;
  const midtrans = midtransBaseUrls(c.MIDTRANS_IS_PRODUCTION);
  const gateways = [c.MIDTRANS_API_BASE_URL ?? midtrans.apiBaseUrl, c.MIDTRANS_SNAP_BASE_URL ?? midtrans.snapBaseUrl];
  if (!gateways.every(isLoopbackUrl)) {
    refuse(
      'MIDTRANS_SERVER_KEY',
      "is unset or the simulator's publicly known key, which works only with a loopback simulator (MIDTRANS_API_BASE_URL and MIDTRANS_SNAP_BASE_URL on 127.0.0.1 or localhost): set a key of your own",
    );
  }
}

/** Parses the environment; the error names each bad variable but never echoes a value (they may be secrets). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}
