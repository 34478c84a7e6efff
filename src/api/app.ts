import { BlockList } from 'node:net';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { Logger } from '../logger';
import { ApiError, errorResponse } from './errors';
import type { ApiMetrics } from './metrics';
import { requireApiKey } from './middleware/auth';
import { enforceHttps } from './middleware/https';
import { requestContext, type ApiEnv } from './middleware/request-context';
import type { PaymentWorkflows } from './payment-workflows';
import { docsRoutes } from './routes/docs';
import { operationsRoutes } from './routes/operations';
import { paymentRoutes } from './routes/payments';
import { webhookRoutes } from './routes/webhook';

export interface ApiDependencies {
  config: Pick<
    Config,
    | 'API_KEYS'
    | 'CORS_ORIGINS'
    | 'ENFORCE_HTTPS'
    | 'BODY_LIMIT_BYTES'
    | 'CREATE_PAYMENT_WAIT_MS'
    | 'UPDATE_WAIT_MS'
    | 'IDEMPOTENCY_KEY_TTL_HOURS'
    | 'WEBHOOK_MAX_IN_FLIGHT'
    | 'WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT'
    | 'REJECTED_NOTIFICATION_RETENTION_DAYS'
    | 'MIDTRANS_SERVER_KEY'
    | 'REFUND_WINDOW_DAYS'
  > &
    // May be left out (a config built by hand in tests): then no proxy is trusted.
    Partial<Pick<Config, 'TRUSTED_PROXIES'>>;
  db: Database;
  workflows: PaymentWorkflows;
  logger: Logger;
  metrics: ApiMetrics;
  /** Resolves when Temporal answers (for /ready). */
  checkTemporal(): Promise<void>;
}

/** Driver errors that mean "PostgreSQL is not there right now", as opposed to a bad query or bad data. */
const DATABASE_OUTAGE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
// SQLSTATE classes 08 (connection exception), 57P (shutdown, cannot connect now), 53 (insufficient resources).
const DATABASE_OUTAGE_SQLSTATE = /^(08|57P|53)/;

/** Temporal or PostgreSQL unreachable: a 503 with a retry hint, not a crash and not a 500. */
function isDependencyOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { name, message } = error;
  const isDriverOutage = (cause: { kind?: string; code?: string } | undefined) =>
    DATABASE_OUTAGE_KINDS.has(cause?.kind ?? '') || (cause?.kind === 'postgres' && DATABASE_OUTAGE_SQLSTATE.test(cause.code ?? ''));
  if (name === 'DriverAdapterError') return isDriverOutage(error.cause as { kind?: string; code?: string } | undefined);
  // Prisma wraps the driver's error: PrismaClientKnownRequestError P1001 "Can't reach database server" with
  // meta.driverAdapterError.cause = { kind: 'DatabaseNotReachable' } (seen in the chaos suite with PostgreSQL stopped).
  const driverError = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } } }).meta?.driverAdapterError;
  if (driverError) return isDriverOutage(driverError.cause);
  const code = (error as { code?: unknown }).code;
  return (
    name === 'ServiceError' ||
    name === 'PrismaClientInitializationError' ||
    code === 14 /* gRPC UNAVAILABLE */ ||
    code === 4 /* gRPC DEADLINE_EXCEEDED */ ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect|the database system is/i.test(message)
  );
}

/** Methods the app routes for `path` (HEAD goes wherever GET does); empty when no route has that path at all. */
function allowedMethods(app: Hono<ApiEnv>, path: string): string[] {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue; // middleware
    const pattern = route.path.length > 1 ? route.path.replace(/\/+$/, '') : route.path;
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+').replace(/\*/g, '.*')}$`);
    if (regex.test(trimmed)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

const payloadTooLarge = (limit: number) => new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);

const OPEN_PATHS = new Set(['/payments/webhook', '/health', '/ready', '/docs', '/openapi.json']);

export function createApp(deps: ApiDependencies) {
  const { config } = deps;
  // strict: false — POST /payments and POST /payments/ are the same route, as in the original service.
  const app = new Hono<ApiEnv>({ strict: false });

  app.use('*', requestContext(deps.logger, deps.metrics));
  // HSTS is enforceHttps's to send (only with ENFORCE_HTTPS, on HTTPS); secureHeaders would overwrite it with its default.
  app.use('*', secureHeaders({ strictTransportSecurity: false }));
  // CORS headers matter only to browsers, which always send Origin. Hono's cors touches the response before and after
  // the handler, which makes @hono/node-server rebuild it (about 3× the CPU of a read); server-to-server calls skip it.
  // Every response varies by Origin all the same, so caches never serve one origin's answer to another.
  const corsForBrowsers = cors({ origin: config.CORS_ORIGINS, allowHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Idempotency-Key'] });
  app.use('*', (c, next) => {
    if (c.req.header('origin') !== undefined) return corsForBrowsers(c, next);
    c.header('Vary', 'Origin');
    return next();
  });
  app.use('*', enforceHttps(config.ENFORCE_HTTPS, config.TRUSTED_PROXIES ?? new BlockList()));
  const limitBody = bodyLimit({
    maxSize: config.BODY_LIMIT_BYTES,
    onError: () => {
      throw payloadTooLarge(config.BODY_LIMIT_BYTES);
    },
  });
  // GET and HEAD carry no body, and looking for one makes @hono/node-server build the full fetch Request (a stream
  // and an AbortController) that reads otherwise never need: about half the cost of a read (docs/benchmarks.md).
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  const apiKey = requireApiKey(config.API_KEYS);
  app.use('*', (c, next) =>
    OPEN_PATHS.has(c.req.path) || c.req.path.startsWith('/docs/') || c.req.method === 'OPTIONS' ? next() : apiKey(c, next),
  );

  app.route('/', operationsRoutes(deps));
  app.route('/', docsRoutes());
  app.route('/payments/webhook', webhookRoutes(deps));
  app.route('/payments', paymentRoutes(deps));

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0) return errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
    c.header('Allow', allowed.join(', '));
    return errorResponse(c, new ApiError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`));
  });
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    // A streamed body (no Content-Length) over the limit fails while the handler reads it; it is the client's error.
    if (error.name === 'BodyLimitError') return errorResponse(c, payloadTooLarge(config.BODY_LIMIT_BYTES));
    const log = c.get('log') ?? deps.logger;
    if (isDependencyOutage(error)) {
      log.warn({ err: error }, 'dependency unavailable');
      return errorResponse(c, new ApiError('SERVICE_UNAVAILABLE', 'a dependency is unavailable; try again shortly', undefined, 5));
    }
    log.error({ err: error }, 'unhandled error');
    return errorResponse(c, new ApiError('INTERNAL_ERROR', 'internal error'));
  });
  return app;
}
