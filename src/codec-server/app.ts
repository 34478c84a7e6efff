import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import { ApiError, errorResponse } from '../api/errors';
import { limitRequestBody } from '../api/middleware/body-limit';
import { readValidBody } from '../api/validation';
import type { Logger } from '../logger';
import { PayloadDecryptionError, PayloadEncryptionCodec } from '../temporal/payload-codec';
import type { CodecServerConfig } from './config';
import { operatorAccess, operatorNamedByFingerprint, requireOperator, type OperatorEnv } from '../api/middleware/operator-access';
import { ownOriginForms } from '../api/middleware/own-origin-forms';
import { payloadFromJson, payloadsJson, payloadToJson } from './payloads-json';

/** What the app needs of the configuration (the listen address is the process's business). */
export type CodecServerSettings = Omit<CodecServerConfig, 'LOG_LEVEL' | 'CODEC_SERVER_HOST' | 'CODEC_SERVER_PORT'>;

/**
 * Temporal's remote codec protocol for the Web UI and the CLI: POST …/encode and POST …/decode take and answer
 * `{"payloads": [...]}`. Only an operator (src/api/middleware/operator-access.ts) gets payloads opened; a browser page only from the Web UI's
 * origins. Logs say who decoded how many payloads of which namespace, never what they hold.
 */
export function createCodecServer(config: CodecServerSettings, logger: Logger) {
  // An operator reads every payload, sealed or not: one written without a key is shown as it was sent, which is how
  // an operator sees what an intruder sent (the worker and the API refuse it).
  const codec = new PayloadEncryptionCodec(config.PAYLOAD_ENCRYPTION_KEYS, { acceptUnencrypted: true });
  // Its config allows an empty token list on loopback only.
  const access = operatorAccess(config.CODEC_OPERATOR_TOKENS.map(operatorNamedByFingerprint), {
    sessionHours: config.CODEC_SESSION_HOURS,
    secure: config.NODE_ENV === 'production',
    cookieName: 'tiketq-codec-session',
    openWhenEmpty: true,
  });
  const allowedOrigins = new Set(config.CODEC_ALLOWED_ORIGINS);
  const app = new Hono<OperatorEnv>();

  app.use('*', accessLog(logger));
  app.use('*', secureHeaders());

  const transcode = (direction: 'encode' | 'decode') => async (c: Context<OperatorEnv>) => {
    const namespace = c.req.header('x-namespace');
    if (namespace !== undefined && namespace !== config.TEMPORAL_NAMESPACE) {
      throw new ApiError('NAMESPACE_NOT_SERVED', `this codec server serves the namespace ${config.TEMPORAL_NAMESPACE}, not ${namespace}`);
    }
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json: {"payloads": [...]}');
    }
    const { payloads } = await readValidBody(c, payloadsJson);
    let transcoded;
    try {
      transcoded = await codec[direction](payloads.map(payloadFromJson));
    } catch (error) {
      if (!(error instanceof PayloadDecryptionError)) throw error;
      // The message names the key id, never the key or the payload.
      throw new ApiError('PAYLOAD_NOT_DECODABLE', error.message);
    }
    logger.info(
      { operator: c.get('operator'), namespace: namespace ?? null, direction, payloads: payloads.length },
      `payloads ${direction}d`,
    );
    return c.json({ payloads: transcoded.map(payloadToJson) });
  };
  // Only the last path segment counts (Temporal's protocol), so the server can sit under any prefix behind a proxy.
  for (const direction of ['encode', 'decode'] as const) {
    for (const path of [`/${direction}`, `/:prefix{.+}/${direction}`]) {
      app.use(path, refuseOtherOrigins(allowedOrigins));
      app.use(
        path,
        cors({
          origin: [...allowedOrigins],
          allowMethods: ['POST'],
          allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
          credentials: true,
          maxAge: 600,
        }),
      );
      app.use(path, requireOperator(access, CODEC_SIGN_IN));
      app.use(path, limitRequestBody(config.CODEC_BODY_LIMIT_BYTES));
      app.post(path, transcode(direction));
    }
  }

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/login', async (c) => c.html(signInPage(await access.operatorOf(c), access.required)));
  app.use('/login', limitRequestBody(SIGN_IN_BODY_LIMIT_BYTES));
  // Another site's form would sign the browser in under a token of its choosing, or out.
  for (const path of ['/login', '/logout']) app.use(path, ownOriginForms('sign in and out only on this server\'s own page'));
  app.post('/login', async (c) => {
    const form = /^application\/json\b/i.test(c.req.header('content-type') ?? '') ? null : await c.req.parseBody();
    const token = form ? form.token : ((await c.req.json().catch(() => ({}))) as { token?: unknown }).token;
    const operator = typeof token === 'string' ? access.operatorHolding(token) : undefined;
    if (!operator) {
      logger.warn('operator sign-in refused');
      const refusal = new ApiError('UNAUTHORIZED', 'that is not an operator token');
      return form ? c.html(signInPage(undefined, true, refusal.message), refusal.status) : errorResponse(c, refusal);
    }
    const expiresAt = await access.signIn(c, token as string);
    logger.info({ operator, expiresAt }, 'operator signed in');
    return form ? c.html(signInPage(operator, true)) : c.json({ operator, expires_at: expiresAt.toISOString() });
  });
  app.post('/logout', async (c) => {
    await access.signOut(c);
    return c.html(signInPage(undefined, access.required));
  });

  app.notFound((c) => errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    logger.error({ err: { name: error.name, message: error.message } }, 'unhandled error');
    return errorResponse(c, new ApiError('INTERNAL_ERROR', 'internal error'));
  });
  return app;
}

/** A sign-in form holds one token. */
const SIGN_IN_BODY_LIMIT_BYTES = 4096;

/** A page of another origin is refused outright, preflight included: CORS headers alone would still let it run. */
function refuseOtherOrigins(allowedOrigins: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      throw new ApiError('ORIGIN_NOT_ALLOWED', `the origin ${origin} is not in CODEC_ALLOWED_ORIGINS`);
    }
    await next();
  };
}

/** The preflight never gets here (cors answers it: it carries no credentials, by the Fetch standard). */
const CODEC_SIGN_IN =
  'sign in at /login on this server (and turn on "include cross-origin credentials" in the Web UI\'s codec settings), or send Authorization: Bearer <operator token>';

/** One line per request, with no body, query or header values: the payloads and tokens stay out of the logs. */
function accessLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  };
}

function signInPage(operator: string | undefined, required: boolean, problem?: string) {
  const state = !required
    ? html`<p>No operator tokens are configured: this local codec server is open to whoever reaches it on this machine.</p>`
    : operator
      ? html`<p>
            Signed in as operator <code>${operator}</code>. The Temporal Web UI now shows decoded payloads, if its codec setting "include
            cross-origin credentials" is on.
          </p>
          <form method="post" action="logout"><button type="submit">Sign out</button></form>`
      : html`<form method="post" action="login">
          <label>Operator token <input type="password" name="token" autocomplete="current-password" required /></label>
          <button type="submit">Sign in</button>
        </form>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>TiketQ codec server: operator sign-in</title>
      </head>
      <body>
        <h1>TiketQ codec server</h1>
        ${problem ? html`<p role="alert">${problem}</p>` : ''} ${state}
      </body>
    </html>`;
}
