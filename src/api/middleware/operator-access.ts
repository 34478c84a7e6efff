import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { ApiError } from '../errors';
import { callerFingerprint, sameKey } from './auth';

/**
 * Who is an operator: a holder of one of the operator tokens (OPERATOR_TOKENS for the API and its console,
 * CODEC_OPERATOR_TOKENS for the codec server). A browser proves it with a session cookie that signing in sets once the
 * token is given; the CLI and scripts send the token itself (`Authorization: Bearer`). The cookie holds its expiry and a
 * random session id, signed (HMAC-SHA256) with the operator's own token: every replica checks it alike, and removing a
 * token from the list ends its sessions at once. Signing out ends the session where `endedSessions` is given (the
 * API's console: PostgreSQL), not only in the browser that signed out.
 */
export interface Operator {
  /** Shown in logs and in the operators' audit trail; never the token. */
  readonly name: string;
  readonly token: string;
}

export interface OperatorAccess {
  /** False when no tokens are configured and access is open (local development): everyone is the anonymous operator. */
  readonly required: boolean;
  /**
   * The operator's name, or undefined when the request proves no operator. `sessions: false` takes only a token: a
   * browser sends its cookie with whatever a page of the same site asks, so a route with no same-origin check of its
   * own must not be opened by it.
   */
  operatorOf(c: Context, options?: { sessions?: boolean }): Promise<string | undefined>;
  /** The name of the operator holding `token`, or undefined. */
  operatorHolding(token: string): string | undefined;
  /** Sets the session cookie of the operator holding `token` (check it with operatorHolding first). */
  signIn(c: Context, token: string): Promise<Date>;
  signOut(c: Context): Promise<void>;
}

/** Sessions signed out before they expired, so a copy of their cookie opens nothing. */
export interface EndedSessions {
  isEnded(sessionId: string): Promise<boolean>;
  /** Kept until `expiresAt`, after which the cookie is refused anyway. */
  end(sessionId: string, expiresAt: Date): Promise<void>;
}

export const ANONYMOUS_OPERATOR = 'anonymous';

/** An operator known only by a token (the codec server's list): named by a fingerprint short enough for a log line. */
export const operatorNamedByFingerprint = (token: string): Operator => ({ name: callerFingerprint(token).slice(0, 12), token });

export interface OperatorAccessOptions {
  sessionHours: number;
  /** Production: the cookie is Secure and __Host- prefixed. */
  secure: boolean;
  /** Each server its own cookie, so signing in to one is not signing in to another. */
  cookieName: string;
  /** With no operators configured: true = everyone is the anonymous operator (local development), false = nobody is. */
  openWhenEmpty: boolean;
  endedSessions?: EndedSessions;
}

/** A session cookie's value: `<expiry ms>.<session id>`. A value of another form (an older cookie) is no session. */
function sessionOf(value: string | false | undefined): { expiresAtMs: number; id: string } | undefined {
  const match = typeof value === 'string' ? /^(\d+)\.([0-9a-f-]{36})$/.exec(value) : null;
  return match ? { expiresAtMs: Number(match[1]), id: match[2]! } : undefined;
}

export function operatorAccess(
  operators: readonly Operator[],
  { sessionHours, secure, cookieName: baseName, openWhenEmpty, endedSessions }: OperatorAccessOptions,
): OperatorAccess {
  // __Host-: the browser keeps it to this exact host, over https only, never set by a sibling subdomain.
  const cookieName = secure ? baseName : `${baseName}-local`;
  const prefix = secure ? ('host' as const) : undefined;
  // SameSite=Strict: a same-site fetch (the Web UI on another port or subdomain) carries it, a link from another site not.
  const cookieOptions: CookieOptions = { httpOnly: true, sameSite: 'Strict', path: '/', secure, ...(prefix ? { prefix } : {}) };
  const holderOf = (candidate: string) => operators.find(({ token }) => sameKey(candidate, token));
  const open = operators.length === 0 && openWhenEmpty;

  /** The request's live session, and whose it is. */
  async function sessionFrom(c: Context): Promise<{ name: string; id: string; expiresAtMs: number } | undefined> {
    for (const { name, token } of operators) {
      const session = sessionOf(await getSignedCookie(c, token, cookieName, prefix));
      if (!session || session.expiresAtMs <= Date.now()) continue;
      if (await endedSessions?.isEnded(session.id)) return undefined;
      return { name, ...session };
    }
    return undefined;
  }

  return {
    required: !open,
    operatorHolding(candidate) {
      return holderOf(candidate)?.name;
    },
    async operatorOf(c, { sessions = true } = {}) {
      if (open) return ANONYMOUS_OPERATOR;
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (bearer !== undefined) return this.operatorHolding(bearer);
      if (!sessions) return undefined;
      return (await sessionFrom(c))?.name;
    },
    async signIn(c, token) {
      const expiresAt = new Date(Date.now() + sessionHours * 3_600_000);
      const value = `${expiresAt.getTime()}.${randomUUID()}`;
      await setSignedCookie(c, cookieName, value, token, { ...cookieOptions, maxAge: sessionHours * 3_600 });
      return expiresAt;
    },
    async signOut(c) {
      const session = await sessionFrom(c);
      if (session) await endedSessions?.end(session.id, new Date(session.expiresAtMs));
      deleteCookie(c, cookieName, cookieOptions);
    },
  };
}

export type OperatorEnv = { Variables: { operator: string } };

/**
 * Lets only an operator through and puts the operator's name on the context (`c.get('operator')`). An API key is not
 * an operator token: the services that create payments cannot search them all or act on the review queue.
 */
export function requireOperator<E extends OperatorEnv = OperatorEnv>(
  access: OperatorAccess,
  howToSignIn: string,
  options: { sessions?: boolean } = {},
): MiddlewareHandler<E> {
  return async (c, next) => {
    const operator = await access.operatorOf(c, options);
    if (!operator) throw new ApiError('UNAUTHORIZED', `an operator is required: ${howToSignIn}`);
    (c as unknown as Context<OperatorEnv>).set('operator', operator);
    await next();
  };
}
