/**
 * `npm run schedules:apply`: creates or updates every Temporal Schedule of the service (src/temporal/schedules.ts) from
 * the current settings. Every worker does the same at start, except move a schedule to its task queue: this moves it
 * (after a change of TEMPORAL_TASK_QUEUE), and is for a deploy that wants it done once, up front.
 */
import { loadConfig } from '../src/config';
import { connectClient } from '../src/temporal/connection';
import { applySchedules, scheduledJobs } from '../src/temporal/schedules';

const config = loadConfig();
const client = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }, config.PAYLOAD_ENCRYPTION_KEYS, {
  acceptUnencryptedPayloads: config.ACCEPT_UNENCRYPTED_PAYLOADS,
});
console.error(`[schedules] applying to namespace ${client.options.namespace}`);
const applied = await applySchedules(client, scheduledJobs(config), 'operator');
for (const { scheduleId, outcome } of applied) console.error(`[schedules] ${scheduleId}: ${outcome}`);
await client.connection.close();
