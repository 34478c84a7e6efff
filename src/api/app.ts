import { BlockList } from 'node:net';
import { except } from 'hono/combine';
import type { Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { LOCAL_TEMPORAL_UI_URL, type Config } from '../config';
import { consoleRoutes } from '../console/app';
import type { Database } from '../db/client';
import { endedOperatorSessions } from '../db/operator-sessions';
import type { Logger } from '../logger';
import { ApiError, errorResponse, OUTAGE_RETRY_AFTER_SECONDS } from './errors';
import { isDependencyOutage } from './dependency-outage';
import type { ApiMetrics } from './metrics';
import { requireApiKey } from './middleware/auth';
import { limitRequestBody, payloadTooLarge } from './middleware/body-limit';
import { operatorAccess, requireOperator, type EndedSessions, type OperatorAccess } from './middleware/operator-access';
import { corsForBrowsers } from './middleware/cors';
import { enforceHttps } from './middleware/https';
import { requestContext, type ApiEnv } from './middleware/request-context';
import { traceRequests } from './middleware/trace-requests';
import type { NotificationForwarder } from './notification-forwarder';
import type { PaymentWorkflows } from './payment-workflows';
import { apiRouter, SECURITY_SCHEMES } from './route-docs';
import { docsRoutes } from './routes/docs';
import { operationsRoutes } from './routes/operations';
import { operatorReviewRoutes, reviewActionDependencies } from './routes/operator-reviews';
import { paymentRoutes } from './routes/payments';
import { reconciliationRoutes } from './routes/reconciliations';
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
    | 'WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR'
    | 'REJECTED_NOTIFICATION_RETENTION_DAYS'
    | 'MIDTRANS_SERVER_KEY'
    | 'REFUND_WINDOW_DAYS'
    | 'RECONCILE_EARLY_LOOKS_MINUTES'
  > &
    // May be left out (a config built by hand in tests): then no proxy is trusted, and no one is an operator.
    Partial<
      Pick<
        Config,
        | 'TRUSTED_PROXIES'
        | 'NODE_ENV'
        | 'OPERATOR_TOKENS'
        | 'METRICS_TOKENS'
        | 'OPERATOR_SESSION_HOURS'
        | 'REVIEW_PENDING_GRACE_MINUTES'
        | 'REVIEW_PROCESSING_HOURS'
        | 'TEMPORAL_UI_URL'
        | 'TEMPORAL_NAMESPACE'
      >
    >;
  db: Database;
  workflows: PaymentWorkflows;
  logger: Logger;
  metrics: ApiMetrics;
  /** Signals stored notifications; the process that sweeps (src/server.ts) passes its own, tests may leave it out. */
  forwarder?: NotificationForwarder;
  /** Resolves when Temporal answers (for /ready). */
  checkTemporal(): Promise<void>;
  /** True once the process is shutting down: /ready answers 503 so a load balancer stops sending new requests. */
  isDraining?(): boolean;
  /** A span per request (src/telemetry/tracing.ts registered a tracer provider); absent = no tracing work at all. */
  traced?: boolean;
}

/**
 * Methods the app routes for `path` (HEAD goes wherever GET does); empty when no route has that path at all. A path
 * that is a route of its own (POST /payments/webhook) is not also a payment id: only its own routes count.
 */
function allowedMethods(app: Hono<ApiEnv>, path: string): string[] {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const matching = app.routes
    .filter((route) => route.method !== 'ALL') // middleware, and the webhook's refusal of other methods
    .map((route) => ({ method: route.method, pattern: route.path.length > 1 ? route.path.replace(/\/+$/, '') : route.path }))
    .filter(({ pattern }) =>
      new RegExp(
        `^${pattern
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/:[^/]+/g, '[^/]+')
          .replace(/\*/g, '.*')}$`,
      ).test(trimmed),
    );
  const exact = matching.filter(({ pattern }) => pattern === trimmed);
  const methods = new Set((exact.length > 0 ? exact : matching).map(({ method }) => method));
  if (methods.has('GET')) methods.add('HEAD');
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

/** Paths anyone may call: Midtrans (signed), probes, and the docs. */
const OPEN_PATHS = ['/payments/webhook', '/health', '/ready', '/docs', '/docs/*', '/openapi.json'];
/** Prometheus scrapes with a token of its own (METRICS_TOKENS) that opens nothing else; an API key opens it too. */
const METRICS_PATH = '/metrics';
/**
 * Paths for operators only, where an API key opens nothing: searching every payment (GET /payments), the review queue
 * and its actions (/operations/*), the console (/console). Each of their routes lets only an operator in
 * (`operatorOnly`, route middleware, so a method the path does not take is still a 405).
 */
const OPERATOR_PATHS = ['/operations/*', '/console', '/console/*'];
const isOperatorRoute = (c: Context) => (c.req.path === '/payments' || c.req.path === '/payments/') && isBodiless(c);
export const OPERATOR_SIGN_IN = 'send Authorization: Bearer <operator token> (one of OPERATOR_TOKENS; an API key is not one)';

/**
 * Who is an operator on the API and its console (OPERATOR_TOKENS); open to everyone only in local development.
 * `endedSessions`: where signing out is kept, so it ends the session everywhere.
 */
export function apiOperatorAccess(config: ApiDependencies['config'], endedSessions?: EndedSessions): OperatorAccess {
  return operatorAccess(config.OPERATOR_TOKENS ?? [], {
    endedSessions,
    sessionHours: config.OPERATOR_SESSION_HOURS ?? 8,
    secure: config.NODE_ENV === 'production',
    cookieName: 'tiketq-operator-session',
    // A config built by hand without NODE_ENV is not local development: nobody is an operator.
    openWhenEmpty: config.NODE_ENV === 'development' || config.NODE_ENV === 'test',
  });
}
const isPreflight = (c: Context) => c.req.method === 'OPTIONS';
// GET and HEAD carry no body, and looking for one makes @hono/node-server build the full fetch Request (a stream
// and an AbortController) that reads otherwise never need: about half the cost of a read (docs/benchmarks.md).
const isBodiless = (c: Context) => c.req.method === 'GET' || c.req.method === 'HEAD';

export const OPENAPI_INFO = {
  title: 'TiketQ Payment Service',
  version: '0.1.0',
  description:
    'Payments for TiketQ tickets through Midtrans. Each payment is a Temporal workflow; this API starts, queries, ' +
    'signals and updates them. Amounts are integer IDR. Errors use one envelope: {"error": {"code", "message", "details"}}. ' +
    'Text may not contain U+0000 or an unpaired surrogate (PostgreSQL and UTF-8 cannot hold them): 400 VALIDATION_FAILED.',
};

export function createApp(deps: ApiDependencies) {
  const { config } = deps;
  // strict: false — POST /payments and POST /payments/ are the same route, as in the original service.
  const app = apiRouter({ strict: false });

  if (deps.traced) app.use('*', traceRequests());
  app.use('*', requestContext(deps.logger, deps.metrics));
  // HSTS is enforceHttps's to send (only with ENFORCE_HTTPS, on HTTPS); secureHeaders would overwrite it with its default.
  app.use('*', secureHeaders({ strictTransportSecurity: false }));
  app.use('*', corsForBrowsers(config.CORS_ORIGINS));
  app.use('*', enforceHttps(config.ENFORCE_HTTPS, config.TRUSTED_PROXIES ?? new BlockList()));
  app.use('*', except(isBodiless, limitRequestBody(config.BODY_LIMIT_BYTES)));
  app.use('*', except([...OPEN_PATHS, METRICS_PATH, ...OPERATOR_PATHS, isOperatorRoute, isPreflight], requireApiKey(config.API_KEYS)));
  app.use(METRICS_PATH, requireApiKey([...config.API_KEYS, ...(config.METRICS_TOKENS ?? [])]));
  const operators = apiOperatorAccess(config, endedOperatorSessions(deps.db));
  // The operators' API takes the token only; the console's cookie opens the console, whose forms check their origin.
  const operatorOnly = requireOperator<ApiEnv>(operators, OPERATOR_SIGN_IN, { sessions: false });

  app.route('/', operationsRoutes(deps));
  app.route('/operations', operatorReviewRoutes(deps, operatorOnly));
  app.route('/operations/reconciliations', reconciliationRoutes(deps, operatorOnly));
  app.route('/payments/webhook', webhookRoutes(deps));
  app.route('/payments', paymentRoutes(deps, operatorOnly));
  app.route(
    '/console',
    consoleRoutes({
      db: deps.db,
      logger: deps.logger,
      operators,
      reviewActions: reviewActionDependencies(deps),
      temporalUi: { url: config.TEMPORAL_UI_URL ?? LOCAL_TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE ?? 'default' },
    }),
  );
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  app.route('/', docsRoutes(app.getOpenAPI31Document({ openapi: '3.1.0', info: OPENAPI_INFO })));

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length === 0) return errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
    c.header('Allow', allowed.join(', '));
    return errorResponse(
      c,
      new ApiError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}`),
    );
  });
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    // A streamed body (no Content-Length) over the limit fails while the handler reads it; it is the client's error.
    if (error.name === 'BodyLimitError') return errorResponse(c, payloadTooLarge(config.BODY_LIMIT_BYTES));
    const log = c.get('log') ?? deps.logger;
    if (isDependencyOutage(error)) {
      log.warn({ err: error }, 'dependency unavailable');
      return errorResponse(c, new ApiError('SERVICE_UNAVAILABLE', 'a dependency is unavailable; try again shortly', undefined, OUTAGE_RETRY_AFTER_SECONDS));
    }
    log.error({ err: error }, 'unhandled error');
    return errorResponse(c, new ApiError('INTERNAL_ERROR', 'internal error'));
  });
  return app;
}
