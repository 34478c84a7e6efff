import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './client';

/**
 * prisma/migrations, found upwards from this module up to the project's root (its package.json): it is src/db/ under
 * tsx and dist/ in the build and the image (the Dockerfile copies the folder beside dist/). Without it the build is
 * broken, and the process stops here rather than guess.
 */
export function migrationsDirectory(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) {
      throw new Error(`no prisma/migrations folder between ${from} and the project's root`);
    }
  }
}

/** The migrations this code was written against: each folder of prisma/migrations that holds a migration.sql. */
export function requiredMigrations(directory = migrationsDirectory()): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(directory, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The required migrations the database has not finished: `prisma migrate deploy` records each one it applies in
 * _prisma_migrations. Migrations the database has beyond these are fine (code rolled back over a newer schema).
 */
export async function pendingMigrations(db: Database, required: readonly string[]): Promise<string[]> {
  const [table] = await db.$queryRaw<{ present: boolean }[]>`select to_regclass('_prisma_migrations') is not null as present`;
  if (!table?.present) return [...required];
  const applied = await db.$queryRaw<{ name: string }[]>`
    select migration_name as name from _prisma_migrations where finished_at is not null and rolled_back_at is null`;
  const done = new Set(applied.map((m) => m.name));
  return required.filter((name) => !done.has(name));
}

/**
 * A check for `/ready`: the pending migrations, asked of the database until there are none; after that the answer
 * stays "none" without a query, since a running schema is never migrated back.
 */
export function pendingMigrationsCheck(db: Database, required: readonly string[] = requiredMigrations()): () => Promise<string[]> {
  let current = false;
  return async () => {
    if (current) return [];
    const pending = await pendingMigrations(db, required);
    current = pending.length === 0;
    return pending;
  };
}

export type MigrationWait = { kind: 'current' } | { kind: 'unchecked'; error: unknown };

/**
 * Waits until the database has every required migration, asking every `intervalMs`. `onPending` hears of the missing
 * ones at the first check and once a minute after. A database that cannot be asked ends the wait (`unchecked`): this
 * guards against code deployed before its migrations, not against an outage, which the activities' retries ride out.
 */
export async function waitForMigrations(
  db: Database,
  onPending: (pending: string[]) => void,
  { required = requiredMigrations(), intervalMs = 5_000 }: { required?: readonly string[]; intervalMs?: number } = {},
): Promise<MigrationWait> {
  let reportedAt = -Infinity;
  for (;;) {
    let pending: string[];
    try {
      pending = await pendingMigrations(db, required);
    } catch (error) {
      return { kind: 'unchecked', error };
    }
    if (pending.length === 0) return { kind: 'current' };
    if (Date.now() - reportedAt >= 60_000) {
      onPending(pending);
      reportedAt = Date.now();
    }
    await sleep(intervalMs);
  }
}
