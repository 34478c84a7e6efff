/**
 * `npm run db:start`: starts (or reuses) the project-private PostgreSQL cluster, applies migrations, and prints its
 * DATABASE_URL on stdout (progress goes to stderr), e.g. `export DATABASE_URL=$(npm run -s db:start)`.
 * `npm run db:stop` stops it. A command that needs the cluster only for its own run uses
 * scripts/with-private-postgres.ts instead, which stops what it started.
 */
import { applyMigrations } from './local-stack/migrations';
import { ensurePrivatePostgres, stopPrivatePostgres } from './local-stack/postgres';

try {
  if (process.argv[2] === '--stop') {
    stopPrivatePostgres();
  } else {
    const postgres = await ensurePrivatePostgres(process.argv[2] ?? 'tiketq');
    applyMigrations(postgres.url);
    console.log(postgres.url);
  }
} catch (error) {
  console.error(`[postgres] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
