/**
 * `npm run read-model:rebuild`: re-projects every open payment workflow into PostgreSQL, for when waiting for each
 * payment's next write is not enough (after a database restore, before reconciling by hand). Safe to run at any
 * time and more than once: the writes are the workflow's own idempotent, versioned ones.
 * `-- --where "<visibility query>"` narrows it, e.g. `--where "OrderId = 'ORDER-1'"`.
 */
import { loadConfig } from '../src/config';
import { createDatabase } from '../src/db/client';
import { rebuildReadModel } from '../src/operations/read-model-rebuild';
import { connectClient } from '../src/temporal/connection';

const config = loadConfig();
const db = createDatabase(config.DATABASE_URL, 2);
const client = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }, config.PAYLOAD_ENCRYPTION_KEYS, {
  acceptUnencryptedPayloads: config.ACCEPT_UNENCRYPTED_PAYLOADS,
});
console.error('[read-model] re-projecting every open payment workflow into PostgreSQL');
const whereAt = process.argv.indexOf('--where');
const where = whereAt > 0 ? process.argv[whereAt + 1] : undefined;
const report = await rebuildReadModel(client, db, { where, log: (line) => console.error(`[read-model] ${line}`) });
console.log(JSON.stringify(report));
await Promise.allSettled([client.connection.close(), db.$disconnect()]);
process.exit(report.failed.length > 0 ? 1 : 0);
