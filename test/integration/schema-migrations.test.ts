import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client';
import { pendingMigrations, requiredMigrations, waitForMigrations } from '../../src/db/schema-migrations';
import { privateDatabase } from '../support/service-harness';

/**
 * The database's migrations against the ones this code was built with: what the API's /ready and a starting worker
 * ask (docs/operations.md). `prisma migrate deploy` records each migration it applies in _prisma_migrations.
 */

let database: Awaited<ReturnType<typeof privateDatabase>>;
let db: Database;
const required = requiredMigrations();
const newest = required.at(-1)!;
beforeAll(async () => {
  database = await privateDatabase();
  db = createDatabase(database.url, 2);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('pending migrations', () => {
  it('none on a migrated database; the newest while it has not finished; all on a database never migrated', async () => {
    expect(await pendingMigrations(db, required)).toEqual([]);
    await db.$executeRaw`update _prisma_migrations set finished_at = null where migration_name = ${newest}`;
    expect(await pendingMigrations(db, required)).toEqual([newest]);
    await db.$executeRaw`update _prisma_migrations set finished_at = now() where migration_name = ${newest}`;
    // A migration rolled back (prisma migrate resolve --rolled-back) is not applied either.
    await db.$executeRaw`update _prisma_migrations set rolled_back_at = now() where migration_name = ${required[0]}`;
    expect(await pendingMigrations(db, required)).toEqual([required[0]]);
    await db.$executeRaw`update _prisma_migrations set rolled_back_at = null where migration_name = ${required[0]}`;
    // Migrations the database has beyond this code's (code rolled back over a newer schema) are fine.
    expect(await pendingMigrations(db, required.slice(0, -1))).toEqual([]);

    const empty = new URL(inject('databaseUrl'));
    empty.pathname = `/tiketq_never_migrated_${process.pid}`;
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query(`drop database if exists "${empty.pathname.slice(1)}"`);
    await admin.query(`create database "${empty.pathname.slice(1)}"`);
    const never = createDatabase(empty.toString(), 1);
    try {
      expect(await pendingMigrations(never, required)).toEqual(required);
    } finally {
      await never.$disconnect();
      await admin.query(`drop database "${empty.pathname.slice(1)}" with (force)`);
      await admin.end();
    }
  });
});

describe('waiting for migrations (a starting worker)', () => {
  it('waits while one is pending, says which once, and ends when it has finished', async () => {
    await db.$executeRaw`update _prisma_migrations set finished_at = null where migration_name = ${newest}`;
    const heard: string[][] = [];
    let ended: unknown;
    const waiting = waitForMigrations(db, (pending) => heard.push(pending), { required, intervalMs: 50 }).then((outcome) => (ended = outcome));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ended).toBeUndefined();
    expect(heard).toEqual([[newest]]);
    await db.$executeRaw`update _prisma_migrations set finished_at = now() where migration_name = ${newest}`;
    await waiting;
    expect(ended).toEqual({ kind: 'current' });
  });

  it('ends "unchecked" when PostgreSQL cannot be asked: an outage is not a schema behind', async () => {
    const unreachable = createDatabase('postgresql://tiketq@127.0.0.1:9/tiketq', 1);
    try {
      const heard: string[][] = [];
      const outcome = await waitForMigrations(unreachable, (pending) => heard.push(pending), { required, intervalMs: 50 });
      expect(outcome.kind).toBe('unchecked');
      expect(heard).toEqual([]);
    } finally {
      await unreachable.$disconnect();
    }
  });
});
