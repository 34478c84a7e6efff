/**
 * `tsx scripts/with-private-postgres.ts <database> -- <command…>`: runs the command with DATABASE_URL pointing at
 * this checkout's private cluster, then stops the cluster if this script started it — also when the command fails
 * or the script is interrupted. A DATABASE_URL already set is used as is and nothing is started.
 */
import { spawn } from 'node:child_process';
import { ensurePrivatePostgres, type PrivatePostgres } from './local-stack/postgres';

const separator = process.argv.indexOf('--');
const database = process.argv[2];
const command = separator > 0 ? process.argv.slice(separator + 1) : [];
if (!database || database === '--' || command.length === 0) {
  console.error('usage: tsx scripts/with-private-postgres.ts <database> -- <command…>');
  process.exit(2);
}

let postgres: PrivatePostgres | undefined;
let exitCode = 1;
try {
  const given = process.env.DATABASE_URL;
  postgres = given ? undefined : await ensurePrivatePostgres(database);
  const url = given || postgres!.url;
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, DATABASE_URL: url } });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  exitCode = await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
} catch (error) {
  console.error(`[postgres] ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await postgres?.stop();
}
process.exit(exitCode);
