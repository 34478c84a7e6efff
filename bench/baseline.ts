import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../scripts/local-stack/binaries';
import { ensurePrivatePostgres } from '../scripts/local-stack/postgres';
import { PORTS, type Cleanup, type Infra, type ServiceCode } from './stack';
import { say } from './util';

/**
 * `--baseline <ref>`: the code of another commit (by default the one before issue 16's work) measured beside the
 * current code in one run. Its worker and API run from a second checkout (a git worktree, kept between runs) against
 * the same Temporal, the same PostgreSQL cluster and the same simulator, on their own task queue, port and database
 * (migrated with its own migrations, so a schema change between the two commits cannot break either side).
 */

export interface BaselineCheckout {
  ref: string;
  commit: string;
  subject: string;
  root: string;
}

/** What the report records about the baseline code. */
export type BaselineCode = Omit<BaselineCheckout, 'root'> & { database: string };

const DATABASE = 'tiketq_bench_baseline';

const git = (args: string[], cwd = PROJECT_ROOT) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** A worktree of `ref` with its dependencies installed, under the temp dir; an existing one for the same commit is reused. */
export function prepareBaselineCheckout(ref: string): BaselineCheckout {
  const commit = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const short = commit.slice(0, 7);
  const subject = git(['log', '-1', '--format=%s', commit]);
  const root = path.join(os.tmpdir(), 'tiketq-bench-baseline', short);
  const current = existsSync(path.join(root, '.git')) ? git(['rev-parse', 'HEAD'], root) : undefined;
  if (current !== commit) {
    say(`baseline: checking out ${short} (${ref}) in ${root}`);
    mkdirSync(path.dirname(root), { recursive: true });
    // A worktree whose directory was deleted (a cleaned temp dir) is still registered until pruned.
    git(['worktree', 'prune']);
    if (current !== undefined) git(['worktree', 'remove', '--force', root]);
    git(['worktree', 'add', '--detach', root, commit]);
  }
  if (!existsSync(path.join(root, 'node_modules', '.bin', 'tsx'))) {
    // The npm cache may lack an older commit's versions (a fresh machine); the registry fills the gaps.
    say(`baseline: npm ci in ${root} (from the npm cache where it can)`);
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  say(`baseline: ${short} "${subject}"`);
  return { ref, commit: short, subject, root };
}

/** The baseline's own database in the shared cluster: migrated by its own checkout, emptied at the start. */
async function baselineDatabase(cleanup: Cleanup, checkout: BaselineCheckout): Promise<string> {
  const postgres = await ensurePrivatePostgres(DATABASE);
  execFileSync(path.join(checkout.root, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], {
    cwd: checkout.root,
    env: { ...process.env, DATABASE_URL: postgres.url, CHECKPOINT_DISABLE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const db = new pg.Pool({ connectionString: postgres.url, max: 1 });
  cleanup.add('baseline pg pool', () => db.end());
  const { rows } = await db.query<{ name: string }>(
    "select quote_ident(tablename) as name from pg_tables where schemaname = 'public' and tablename <> '_prisma_migrations'",
  );
  if (rows.length) await db.query(`truncate table ${rows.map((r) => r.name).join(', ')} restart identity cascade`);
  return postgres.url;
}

/**
 * Midtrans sends notifications to the one URL its dashboard names (the service's API); a charge may name another
 * with X-Override-Notification. This front to the simulator adds that header to the baseline's charges, so the
 * simulator notifies the baseline's own API. Everything else passes through untouched (one loopback hop).
 */
async function notificationRoutingFront(simulatorUrl: string, webhookUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(simulatorUrl);
  const agent = new Agent({ keepAlive: true });
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers };
    if (req.method === 'POST' && req.url === '/v2/charge') headers['x-override-notification'] = webhookUrl;
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/** Where the baseline's worker and API run: its checkout, database, API port and route to the simulator. */
export async function startBaselineInfra(cleanup: Cleanup, infra: Infra, checkout: BaselineCheckout): Promise<ServiceCode> {
  const databaseUrl = await baselineDatabase(cleanup, checkout);
  const apiUrl = `http://127.0.0.1:${PORTS.baselineApi}`;
  const front = await notificationRoutingFront(infra.simulator.url, `${apiUrl}/payments/webhook`);
  cleanup.add('baseline Midtrans front', () => front.close());
  return { root: checkout.root, apiPort: PORTS.baselineApi, apiUrl, databaseUrl, midtransUrl: front.url };
}

export const baselineCode = (checkout: BaselineCheckout): BaselineCode => ({
  ref: checkout.ref,
  commit: checkout.commit,
  subject: checkout.subject,
  database: DATABASE,
});
