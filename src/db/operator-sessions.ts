import type { Database } from './client';

/**
 * Console sessions signed out before they expired, shared by every API replica. A row is needed only until its
 * session's expiry, when the cookie is refused anyway: each sign-out deletes the rows past theirs.
 */
export function endedOperatorSessions(db: Database) {
  return {
    async isEnded(sessionId: string): Promise<boolean> {
      const rows = await db.$queryRaw<unknown[]>`select 1 from ended_operator_sessions where id = ${sessionId}`;
      return rows.length > 0;
    },
    async end(sessionId: string, expiresAt: Date): Promise<void> {
      await db.$executeRaw`
        with expired as (delete from ended_operator_sessions where expires_at < (now() at time zone 'utc'))
        insert into ended_operator_sessions (id, expires_at) values (${sessionId}, ${expiresAt.toISOString()}::timestamp(3)) on conflict (id) do nothing`;
    },
  };
}
