import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { ensureDatabaseUrlForCli, offlineMigrationAdapter } from './prisma/offline-workarounds';

// Prisma 6.19.3 with the JS schema engine: migrations run offline (see prisma/offline-workarounds.ts).
ensureDatabaseUrlForCli();

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => offlineMigrationAdapter(),
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
