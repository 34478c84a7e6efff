/**
 * Registers the namespace and the payment search attributes, once the Temporal frontend answers; safe to repeat.
 * The namespace step of `npm run stack`, and docker-compose.yml's temporal-namespace job (`node
 * dist/temporal-namespace.js` in the service image). Reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE.
 */
import { registerNamespace } from './local-stack/temporal-cluster';
import { isServing } from './local-stack/temporal-server';
import { waitFor } from './local-stack/waiting';

const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
await waitFor(`the Temporal frontend on ${address}`, () => isServing(address).catch(() => false), 180_000);
await registerNamespace(address, namespace);
console.log(`[temporal-namespace] ${namespace} and its search attributes are registered on ${address}`);
