import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENTRY_POINTS } from '../../scripts/local-stack/artifact';
import { temporalServerEnvironment } from '../../scripts/local-stack/temporal-cluster';

/**
 * docker-compose.yml cannot run here (no Docker engine); `npm run stack` runs the same parts and is what the tests
 * exercise. These checks hold the two together, so that running one verifies the other.
 */
interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
  build?: { target?: string };
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const installScript = readFileSync('scripts/install-temporal-server.sh', 'utf8');
const pinned = (name: string) => installScript.match(new RegExp(`^${name}=v(\\S+)$`, 'm'))?.[1];

describe('docker-compose.yml runs what npm run stack runs', () => {
  it('uses the Temporal server and Web UI releases that tools:install --server builds', () => {
    expect(pinned('TEMPORAL_SERVER_VERSION')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(services.temporal?.image).toBe(`temporalio/server:${pinned('TEMPORAL_SERVER_VERSION')}`);
    expect(services['temporal-schema']?.image).toBe(`temporalio/admin-tools:${pinned('TEMPORAL_SERVER_VERSION')}`);
    expect(services['temporal-ui']?.image).toBe(`temporalio/ui:${pinned('TEMPORAL_UI_SERVER_VERSION')}`);
  });

  it('gives the Temporal server the settings the stack gives it (database, visibility, dynamic config)', () => {
    const stack = temporalServerEnvironment({
      postgres: { name: 'x', port: 1 },
      frontendPort: 7233,
      membershipPort: 6933,
      namespace: 'default',
      numHistoryShards: 4,
      logDir: 'x',
    });
    const environment = services.temporal?.environment ?? {};
    for (const key of ['DB', 'DBNAME', 'VISIBILITY_DBNAME', 'NUM_HISTORY_SHARDS', 'DYNAMIC_CONFIG_FILE_PATH', 'TEMPORAL_ALLOW_NO_AUTH', 'POSTGRES_USER', 'POSTGRES_PWD', 'POSTGRES_SEEDS', 'DB_PORT']) {
      expect(environment, key).toHaveProperty(key);
      expect(stack, key).toHaveProperty(key);
    }
    expect(environment.DB).toBe(stack.DB);
    expect(environment.DBNAME).toBe(stack.DBNAME);
    expect(environment.VISIBILITY_DBNAME).toBe(stack.VISIBILITY_DBNAME);
    const mounted = services.temporal?.volumes?.find((v) => v.endsWith(`:${String(environment.DYNAMIC_CONFIG_FILE_PATH)}:ro`));
    expect(mounted?.startsWith('./deploy/temporal/dynamicconfig.yaml:')).toBe(true);
    expect(stack.DYNAMIC_CONFIG_FILE_PATH).toMatch(/deploy\/temporal\/dynamicconfig\.yaml$/);
  });

  it('sets up the schemas with the script the stack runs', () => {
    const job = services['temporal-schema'];
    const script = job?.volumes?.find((v) => v.startsWith('./deploy/temporal/setup-schema.sh:'))?.split(':')[1];
    expect(script).toBeDefined();
    expect(job?.entrypoint).toEqual(['sh', script]);
  });

  it('runs each service process from the built artifact, one entry point each', () => {
    const commands = Object.fromEntries(Object.entries(services).map(([name, service]) => [name, service.command?.join(' ')]));
    expect(commands).toMatchObject({
      api: 'node dist/server.js',
      worker: 'node dist/worker.js',
      'midtrans-simulator': 'node dist/simulator.js',
      'temporal-namespace': 'node dist/temporal-namespace.js',
      'codec-server': 'node dist/codec-server.js',
    });
    for (const name of ['server', 'worker', 'simulator', 'temporal-namespace', 'codec-server']) expect(ENTRY_POINTS).toHaveProperty(name);
    expect(services.migrate?.build?.target).toBe('migrate');
  });
});
