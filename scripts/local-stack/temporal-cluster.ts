import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { msToTs } from '@temporalio/common';
import proto from '@temporalio/proto';
import { PAYMENT_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { PROJECT_ROOT } from './binaries';
import { ensurePrivatePostgres, privateDatabaseUrl, stopPrivatePostgres, type ClusterSettings } from './postgres';
import { isPortOpen, ServiceProcess } from './processes';
import { isServing } from './temporal-server';
import { waitFor } from './waiting';

/**
 * The production Temporal topology on this machine: the server built from its Go module (all four services in one
 * process, as the temporalio/server image runs them) on its own PostgreSQL with SQL visibility, the schemas set up
 * and upgraded by temporal-sql-tool, the namespace and search attributes registered through the operator API, and
 * the Web UI server. docker-compose.yml runs the same binaries with the same environment, step for step.
 */
export const TEMPORAL_SERVER_DIR = path.join(PROJECT_ROOT, '.tools', 'temporal-server');
const bin = (name: string) => path.join(TEMPORAL_SERVER_DIR, 'bin', name);
const SCHEMA_DIR = path.join(TEMPORAL_SERVER_DIR, 'schema', 'postgresql', 'v12');
/** Dynamic config both this stack and docker-compose.yml mount. */
export const DYNAMIC_CONFIG_FILE = path.join(PROJECT_ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml');

export interface TemporalClusterSettings {
  /** Temporal's own PostgreSQL cluster (persistence and visibility databases). */
  postgres: ClusterSettings;
  /** The frontend's gRPC port; the other services' gRPC ports follow from it (+1, +2, +6, HTTP +10). */
  frontendPort: number;
  /**
   * The first of the four membership ports (frontend, history, matching, worker: +0, +1, +2, +6). The SQL membership
   * store keeps them as smallint, so they must stay below 32768.
   */
  membershipPort: number;
  /** The Web UI server's port; undefined = no UI (tests). */
  uiPort?: number;
  namespace: string;
  /** Fixed when the persistence schema is first set up: it cannot change afterwards. */
  numHistoryShards: number;
  /** The codec server the Web UI decodes payloads through, when there is one. */
  codecEndpoint?: string;
  logDir: string;
  /** Start from empty databases (a test run), instead of keeping the previous run's workflows. */
  fresh?: boolean;
}

export interface TemporalCluster {
  address: string;
  uiUrl?: string;
  server: ServiceProcess;
  ui?: ServiceProcess;
  /** The PostgreSQL cluster Temporal persists to (the chaos tests stop and start it under the running server). */
  postgres: { url: string; stop(): void; start(): Promise<void> };
  stop(): Promise<void>;
}

export const PERSISTENCE_DATABASE = 'temporal';
export const VISIBILITY_DATABASE = 'temporal_visibility';

/** The server's environment: the variables the temporalio/server image's embedded config template reads. */
export function temporalServerEnvironment(settings: TemporalClusterSettings): NodeJS.ProcessEnv {
  const { frontendPort: grpc, postgres, numHistoryShards } = settings;
  if (settings.membershipPort + 6 >= 32768) throw new Error(`membership ports must stay below 32768, not ${settings.membershipPort}+`);
  const membership = (offset: number) => String(settings.membershipPort + offset);
  return {
    DB: 'postgres12',
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(postgres.port),
    POSTGRES_USER: 'postgres',
    POSTGRES_PWD: '',
    DBNAME: PERSISTENCE_DATABASE,
    VISIBILITY_DBNAME: VISIBILITY_DATABASE,
    NUM_HISTORY_SHARDS: String(numHistoryShards),
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(grpc),
    FRONTEND_HTTP_PORT: String(grpc + 10),
    FRONTEND_MEMBERSHIP_PORT: membership(0),
    HISTORY_GRPC_PORT: String(grpc + 1),
    HISTORY_MEMBERSHIP_PORT: membership(1),
    MATCHING_GRPC_PORT: String(grpc + 2),
    MATCHING_MEMBERSHIP_PORT: membership(2),
    WORKER_GRPC_PORT: String(grpc + 6),
    WORKER_MEMBERSHIP_PORT: membership(6),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    // No authorizer on a loopback-only development cluster; production puts mTLS or an authorizer in front.
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    LOG_LEVEL: 'warn',
    PATH: process.env.PATH,
  };
}

/** The Web UI server's environment (the variables its docker config template reads). */
export function temporalUiEnvironment(settings: TemporalClusterSettings): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${settings.frontendPort}`,
    TEMPORAL_UI_PORT: String(settings.uiPort ?? ''),
    TEMPORAL_DEFAULT_NAMESPACE: settings.namespace,
    TEMPORAL_DISABLE_NEWS_FETCH: 'true',
    TEMPORAL_CODEC_ENDPOINT: settings.codecEndpoint ?? '',
    TEMPORAL_CODEC_INCLUDE_CREDENTIALS: settings.codecEndpoint ? 'true' : 'false',
    PATH: process.env.PATH,
  };
}

export function assertTemporalServerBuilt(withUi: boolean): void {
  for (const name of ['temporal-server', 'temporal-sql-tool', ...(withUi ? ['temporal-ui-server'] : [])]) {
    if (!existsSync(bin(name))) {
      throw new Error(`${bin(name)} is missing: build the Temporal server once with \`npm run tools:install -- --server\` (10-15 minutes)`);
    }
  }
}

/** The schema job of docker-compose.yml, run here with this machine's binaries and schemas. */
export const SETUP_SCHEMA_SCRIPT = path.join(PROJECT_ROOT, 'deploy', 'temporal', 'setup-schema.sh');

export function setUpTemporalSchemas(settings: TemporalClusterSettings): void {
  execFileSync('sh', [SETUP_SCHEMA_SCRIPT], {
    env: { ...temporalServerEnvironment(settings), SQL_TOOL: bin('temporal-sql-tool'), SCHEMA_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function dropTemporalDatabases(postgres: ClusterSettings): Promise<void> {
  const client = new pg.Client({ connectionString: privateDatabaseUrl('postgres', postgres.port) });
  await client.connect();
  try {
    for (const database of [PERSISTENCE_DATABASE, VISIBILITY_DATABASE]) await client.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await client.end();
  }
}

/** Registers the namespace and the payment search attributes through the operator API; safe to repeat. */
export async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { namespaces } = await connection.workflowService.listNamespaces({ pageSize: 100 });
    if (!namespaces.some((n) => n.namespaceInfo?.name === namespace)) {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('7 days') });
    }
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = PAYMENT_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
      });
    }
  } finally {
    await connection.close();
  }
}

async function startWebUi(settings: TemporalClusterSettings, uiPort: number): Promise<{ url: string; process: ServiceProcess }> {
  const ui = new ServiceProcess('temporal-ui', bin('temporal-ui-server'), ['--root', path.join(TEMPORAL_SERVER_DIR, 'ui'), '--env', 'docker', 'start'], {
    env: temporalUiEnvironment(settings),
    output: { logFile: path.join(settings.logDir, 'temporal-ui.log') },
  });
  ui.start();
  const url = `http://127.0.0.1:${uiPort}`;
  await waitFor('the Temporal Web UI', async () => (await fetch(url).catch(() => undefined))?.ok === true, 60_000);
  return { url, process: ui };
}

/** Brings the whole Temporal side up; every part it started is stopped by `stop()`. */
export async function startTemporalCluster(settings: TemporalClusterSettings): Promise<TemporalCluster> {
  assertTemporalServerBuilt(settings.uiPort !== undefined);
  const address = `127.0.0.1:${settings.frontendPort}`;
  if (await isPortOpen('127.0.0.1', settings.frontendPort)) {
    throw new Error(`127.0.0.1:${settings.frontendPort} is in use: stop what listens there or set STACK_TEMPORAL_PORT`);
  }
  const postgres = await ensurePrivatePostgres(PERSISTENCE_DATABASE, settings.postgres);
  if (settings.fresh) await dropTemporalDatabases(settings.postgres);
  setUpTemporalSchemas(settings);

  const server = new ServiceProcess('temporal-server', bin('temporal-server'), ['start'], {
    env: temporalServerEnvironment(settings),
    output: { logFile: path.join(settings.logDir, 'temporal-server.log') },
  });
  server.start();
  await waitFor(`the Temporal server on ${address}`, () => isServing(address), 120_000);
  await registerNamespace(address, settings.namespace);

  const ui = settings.uiPort === undefined ? undefined : await startWebUi(settings, settings.uiPort);

  return {
    address,
    uiUrl: ui?.url,
    server,
    ui: ui?.process,
    postgres: {
      url: postgres.url,
      stop: () => stopPrivatePostgres(settings.postgres),
      async start() {
        await ensurePrivatePostgres(PERSISTENCE_DATABASE, settings.postgres);
      },
    },
    async stop() {
      await ui?.process.stop();
      await server.stop();
      await postgres.stop();
    },
  };
}
