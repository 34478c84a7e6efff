import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { callerFingerprint, sameKey } from '../api/middleware/auth';

/**
 * Who may read decoded payloads: a holder of one of CODEC_OPERATOR_TOKENS. A browser proves it with a session cookie
 * that POST /login sets once the token is given; the Web UI's fetch carries it when its codec setting "include
 * cross-origin credentials" is on. The CLI and scripts send the token itself (`Authorization: Bearer`). The cookie
 * holds only its expiry, signed (HMAC-SHA256) with the operator's own token: no session store, every replica checks
 * it alike, and removing a token from the list ends its sessions at once.
 */
export interface OperatorAccess {
  /** False when no tokens are configured (local development on loopback only): everyone is the anonymous operator. */
  readonly required: boolean;
  /** The operator's fingerprint (for logs), or undefined when the request proves no operator. */
  operatorOf(c: Context): Promise<string | undefined>;
  /** The fingerprint of the operator holding `token`, or undefined. */
  operatorHolding(token: string): string | undefined;
  signIn(c: Context, token: string): Promise<Date>;
  signOut(c: Context): void;
}

export const ANONYMOUS_OPERATOR = 'anonymous';
/** Short enough for a log line, long enough to tell operators apart. */
const fingerprintOf = (token: string) => callerFingerprint(token).slice(0, 12);

export function operatorAccess(
  tokens: readonly string[],
  { sessionHours, secure }: { sessionHours: number; secure: boolean },
): OperatorAccess {
  // __Host-: the browser keeps it to this exact host, over https only, never set by a sibling subdomain.
  const cookieName = secure ? 'tiketq-codec-session' : 'tiketq-codec-session-local';
  const prefix = secure ? ('host' as const) : undefined;
  // SameSite=Strict: the Web UI's fetch is same-site (another port or subdomain), a link from another site is not.
  const cookieOptions: CookieOptions = { httpOnly: true, sameSite: 'Strict', path: '/', secure, ...(prefix ? { prefix } : {}) };
  const holderOf = (candidate: string) => tokens.find((token) => sameKey(candidate, token));

  return {
    required: tokens.length > 0,
    operatorHolding(candidate) {
      const token = holderOf(candidate);
      return token === undefined ? undefined : fingerprintOf(token);
    },
    async operatorOf(c) {
      if (tokens.length === 0) return ANONYMOUS_OPERATOR;
      const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (bearer !== undefined) return this.operatorHolding(bearer);
      for (const token of tokens) {
        const expiresAt = await getSignedCookie(c, token, cookieName, prefix);
        if (typeof expiresAt === 'string' && Number(expiresAt) > Date.now()) return fingerprintOf(token);
      }
      return undefined;
    },
    async signIn(c, token) {
      const expiresAt = new Date(Date.now() + sessionHours * 3_600_000);
      await setSignedCookie(c, cookieName, String(expiresAt.getTime()), token, { ...cookieOptions, maxAge: sessionHours * 3_600 });
      return expiresAt;
    },
    signOut(c) {
      deleteCookie(c, cookieName, cookieOptions);
    },
  };
}
