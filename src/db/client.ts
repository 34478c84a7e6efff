import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Database = PrismaClient;

/** The Rust-free Prisma client over node-postgres (no engine download, see prisma/offline-workarounds.ts). */
export function createDatabase(connectionString: string, poolSize = 10): Database {
  const adapter = new PrismaPg({ connectionString, max: poolSize, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}
