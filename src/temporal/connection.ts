import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import type { PaymentTracing } from '../telemetry/tracing';
import { encryptedDataConverter, type PayloadEncryptionKey } from './payload-codec';

/**
 * Connection settings come from @temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_* or a TEMPORAL_PROFILE in temporal.toml, so Temporal Cloud (mTLS or API key) needs no code.
 */
function connectConfig(defaults: { address: string; namespace: string }) {
  const loaded = loadClientConnectConfig();
  return {
    connectionOptions: { ...loaded.connectionOptions, address: loaded.connectionOptions.address ?? defaults.address },
    namespace: loaded.namespace ?? defaults.namespace,
  };
}

/**
 * A client whose payloads are sealed with the first of `payloadEncryptionKeys` and opened with any of them (unsealed
 * ones refused unless `acceptUnencryptedPayloads`); with `tracing`, its calls carry the caller's trace to the workflow.
 */
export async function connectClient(
  defaults: { address: string; namespace: string },
  payloadEncryptionKeys: readonly PayloadEncryptionKey[],
  { tracing, acceptUnencryptedPayloads }: { tracing?: PaymentTracing; acceptUnencryptedPayloads: boolean },
): Promise<Client> {
  const { connectionOptions, namespace } = connectConfig(defaults);
  const connection = await Connection.connect(connectionOptions);
  return new Client({
    connection,
    namespace,
    dataConverter: encryptedDataConverter(payloadEncryptionKeys, { acceptUnencrypted: acceptUnencryptedPayloads }),
    interceptors: tracing?.clientInterceptors,
  });
}

export async function connectWorker(defaults: { address: string; namespace: string }) {
  const { connectionOptions, namespace } = connectConfig(defaults);
  return { connection: await NativeConnection.connect(connectionOptions), namespace };
}
