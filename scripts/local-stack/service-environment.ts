/** Where the worker and the API find the rest of the stack; each is passed to them as environment variables. */
export interface StackSettings {
  databaseUrl: string;
  temporalAddress: string;
  apiPort: number;
  /** The API's listen address; unset = the service's own default. */
  host?: string;
  namespace?: string;
  taskQueue?: string;
  /** A Midtrans to charge (the simulator); unset = the gateway the environment names. */
  midtrans?: { url: string; serverKey?: string };
  /** The transaction and user services (often one downstream receiver) and the secret their calls are signed with. */
  downstream?: { transactionServiceUrl: string; userServiceUrl: string; signingSecret: string };
  /** PAYLOAD_ENCRYPTION_KEYS of the worker and the API; the stack's own Temporal clients need the same keys. */
  payloadEncryptionKeys?: string;
}

/**
 * The caller's environment without the settings of some other Temporal (a profile, Cloud keys: the SDK's envconfig
 * reads TEMPORAL_*), its payload keys, Midtrans, database or worker tuning, so a stack started for tests or a
 * benchmark talks only to its own parts.
 */
export function isolatedEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([key]) =>
        !key.startsWith('TEMPORAL_') &&
        !key.startsWith('MIDTRANS_') &&
        !key.startsWith('WORKER_') &&
        key !== 'DATABASE_URL' &&
        key !== 'PAYLOAD_ENCRYPTION_KEYS',
    ),
  );
}

/** The environment of a worker or API process: `base`, then the stack's settings, then `tuning` (which wins). */
export function serviceEnvironment(
  stack: StackSettings,
  { base = isolatedEnvironment(), tuning = {} }: { base?: NodeJS.ProcessEnv; tuning?: Record<string, string> } = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    PORT: String(stack.apiPort),
  };
  if (stack.host) env.HOST = stack.host;
  if (stack.namespace) env.TEMPORAL_NAMESPACE = stack.namespace;
  if (stack.taskQueue) env.TEMPORAL_TASK_QUEUE = stack.taskQueue;
  if (stack.midtrans) {
    env.MIDTRANS_API_BASE_URL = stack.midtrans.url;
    env.MIDTRANS_SNAP_BASE_URL = `${stack.midtrans.url}/snap/v1`;
    if (stack.midtrans.serverKey) env.MIDTRANS_SERVER_KEY = stack.midtrans.serverKey;
  }
  if (stack.downstream) {
    env.TRANSACTION_SERVICE_URL = stack.downstream.transactionServiceUrl;
    env.USER_SERVICE_URL = stack.downstream.userServiceUrl;
    env.DOWNSTREAM_SIGNING_SECRET = stack.downstream.signingSecret;
  }
  if (stack.payloadEncryptionKeys) env.PAYLOAD_ENCRYPTION_KEYS = stack.payloadEncryptionKeys;
  return { ...env, ...tuning };
}
