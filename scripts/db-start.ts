/**
 * `npm run db:start`: starts (or reuses) the project-private PostgreSQL cluster, applies migrations, and prints its
 * DATABASE_URL on stdout (progress goes to stderr), e.g. `export DATABASE_URL=$(npm run -s db:start)`.
 */
import { applyMigrations } from './local-stack/migrations';
import { ensurePrivatePostgres } from './local-stack/postgres';

const database = process.argv[2] ?? 'tiketq';
const postgres = await ensurePrivatePostgres(database);
applyMigrations(postgres.url);
console.log(postgres.url);
