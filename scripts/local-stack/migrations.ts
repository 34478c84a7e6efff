import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from './binaries';

/** Applies the checked-in migrations with the offline Prisma CLI (see prisma/offline-workarounds.ts). */
export function applyMigrations(databaseUrl: string): void {
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}
