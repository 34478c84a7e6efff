import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { PAYMENT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { MISSING_BINARY_HINT, PROJECT_ROOT, resolveTemporalCli } from './binaries';
import { isPortOpen, ServiceProcess } from './processes';
import { waitFor } from './waiting';

export interface DevServer {
  address: string;
  uiUrl?: string;
  startedHere: boolean;
  /** The CLI process when this call started it as a child (the chaos suite SIGKILLs it); undefined otherwise. */
  process?: ServiceProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  port: number;
  /** Web UI port; undefined = headless. */
  uiPort?: number;
  /** Persist to this SQLite file; undefined = in memory. */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
  /** The codec server the Web UI asks to decode payloads (`--ui-codec-endpoint`); only with a UI. */
  codecEndpoint?: string;
}

/** True when a Temporal frontend answers its health check at `address`. */
export async function isServing(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.healthService.check({});
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * The SQLite file's default rollback journal syncs the disk several times per commit, and every workflow task is a
 * commit: WAL with `synchronous=normal` syncs once per checkpoint. A commit can be lost to a power cut (not to a crash
 * of the server), which a development server can afford (docs/tuning.md, change 12).
 */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** Starts `temporal server start-dev` with our search attributes registered, or reuses one already listening. */
export async function ensureTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const { port, uiPort, dbFile, codecEndpoint, namespace = 'default' } = options;
  const address = `127.0.0.1:${port}`;
  const uiUrl = uiPort ? `http://127.0.0.1:${uiPort}` : undefined;
  if (await isPortOpen('127.0.0.1', port)) {
    return { address, uiUrl, startedHere: false, stop: async () => {} };
  }
  const searchAttributes = PAYMENT_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`);
  const codecArgs = uiPort && codecEndpoint ? ['--ui-codec-endpoint', codecEndpoint] : [];
  const pragmaArgs = dbFile ? SQLITE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]) : [];
  const cli = resolveTemporalCli();
  if (cli.kind === 'sdk-download') {
    // No local binary: let the SDK download the CLI (works only with internet access).
    console.warn(`[temporal] no local Temporal CLI; trying the SDK download. ${MISSING_BINARY_HINT}`);
    const env = await TestWorkflowEnvironment.createLocal({
      server: { ip: '127.0.0.1', port, namespace, ui: uiPort !== undefined, uiPort, dbFilename: dbFile, searchAttributes: [...PAYMENT_SEARCH_ATTRIBUTES], extraArgs: [...codecArgs, ...pragmaArgs] },
    }).catch((error: unknown) => {
      throw new Error(`cannot start a Temporal dev server: ${String(error)}. ${MISSING_BINARY_HINT}`);
    });
    return { address, uiUrl, startedHere: true, stop: () => env.teardown() };
  }
  if (dbFile) mkdirSync(path.dirname(dbFile), { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace,
    '--log-level', 'warn', '--log-format', 'json',
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
    ...codecArgs,
    ...(dbFile ? ['--db-filename', dbFile, ...pragmaArgs] : []),
    ...searchAttributes.flatMap((sa) => ['--search-attribute', sa]),
    // Updates (cancel, refund) and update-with-start (create) are on by default in recent servers; be explicit.
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
  ];
  const server = new ServiceProcess('temporal', cli.path, args, {
    output: { logFile: options.logFile ?? path.join(PROJECT_ROOT, '.data', 'temporal.log') },
  });
  server.start();
  await waitFor(`Temporal dev server on ${address}`, () => isServing(address), 60_000);
  return { address, uiUrl, startedHere: true, process: server, stop: () => server.stop() };
}
