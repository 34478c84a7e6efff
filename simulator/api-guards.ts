import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { FaultInjector } from './faults';
import { isObject, readNotificationUrls, type Json } from './requests';
import { apiError, httpStatusFor, MESSAGES, type MidtransBody } from './responses';
import type { NotificationTargets } from './store';
import type { TimerRegistry } from './timers';

/** What wraps every Core API and Snap API route: Basic auth, JSON bodies, and injected faults. */

/** `Authorization: Basic base64(SERVER_KEY + ":")`. Core API answers 401 with a body code; Snap with error_messages. */
export function requireServerKey(serverKey: string, flavour: 'core' | 'snap'): MiddlewareHandler {
  return async (c, next) => {
    if (basicAuthUser(c.req.header('authorization')) === serverKey) return next();
    if (flavour === 'snap') {
      return c.json(
        {
          error_messages: [
            'Access denied due to unauthorized transaction, please check client or server key',
            'Visit https://snap-docs.midtrans.com/#request-headers for more details',
          ],
        },
        401,
      );
    }
    return c.json(apiError('401', MESSAGES.unauthorized), 401);
  };
}

function basicAuthUser(header: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/**
 * The parsed JSON object; {} for an empty body or JSON `null` (well-formed, it just names nothing, so Midtrans
 * answers its missing fields with 400); undefined when the body is not a JSON object.
 */
export async function readJsonObject(c: Context): Promise<Json | undefined> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null) return {};
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Answers a Core API body with the HTTP status the table in responses.ts gives its status_code. */
export function respond(c: Context, body: MidtransBody): Response {
  return c.json(body, httpStatusFor(body.status_code));
}

export function notificationTargets(c: Context): NotificationTargets {
  return {
    override: readNotificationUrls(c.req.header('x-override-notification')),
    append: readNotificationUrls(c.req.header('x-append-notification')),
  };
}

export interface FaultGuard {
  faults: FaultInjector;
  timers: TimerRegistry;
  /** Hanging requests give up after this long even if the client never does. */
  hangMaxMs: number;
  /** Released by close()/reset() so no request hangs past the simulator. */
  hanging: Set<() => void>;
}

/**
 * Runs `handle` under the configured API faults:
 *  - error: answer 500/503 and apply nothing;
 *  - timeout: apply nothing and never answer, until the client gives up;
 *  - ambiguous (mutations only): apply, then answer 500 or drop the connection, so the caller cannot know.
 */
export async function withApiFaults(
  c: Context,
  guard: FaultGuard,
  mutates: boolean,
  handle: () => Response | Promise<Response>,
  errorBody: (statusCode: '500' | '503') => Record<string, unknown> = coreErrorBody,
): Promise<Response> {
  const fault = guard.faults.pickApiFault(mutates);
  if (fault === 'error') {
    const statusCode = guard.faults.coin() ? '500' : '503';
    return c.json(errorBody(statusCode), Number(statusCode) as 500 | 503);
  }
  if (fault === 'timeout') return hangUntilClientGivesUp(c, guard);

  const response = await handle();
  if (fault !== 'ambiguous') return response;
  const socket = nodeResponse(c)?.socket;
  if (socket && guard.faults.coin()) {
    socket.destroy();
    return hangUntilClientGivesUp(c, guard);
  }
  return c.json(errorBody('500'), 500);
}

function coreErrorBody(statusCode: '500' | '503'): Record<string, unknown> {
  return apiError(statusCode, statusCode === '500' ? MESSAGES.internalError : MESSAGES.unavailable);
}

export function snapErrorBody(statusCode: '500' | '503'): Record<string, unknown> {
  return { error_messages: [statusCode === '500' ? MESSAGES.internalError : MESSAGES.unavailable] };
}

/** Resolves (with a 504 nobody reads) when the client disconnects, the simulator closes, or hangMaxMs passes. */
function hangUntilClientGivesUp(c: Context, guard: FaultGuard): Promise<Response> {
  return new Promise((resolve) => {
    const signal = c.req.raw.signal;
    const release = () => {
      cancelTimer();
      guard.hanging.delete(release);
      signal.removeEventListener('abort', release);
      resolve(c.json(apiError('504', 'Gateway timeout'), 504));
    };
    const cancelTimer = guard.timers.schedule(guard.hangMaxMs, release);
    guard.hanging.add(release);
    if (signal.aborted) release();
    else signal.addEventListener('abort', release, { once: true });
  });
}

/** @hono/node-server passes the Node objects as env; absent under app.request() in tests. */
function nodeResponse(c: Context): ServerResponse | undefined {
  const env = c.env as { outgoing?: ServerResponse } | undefined;
  return env?.outgoing;
}
