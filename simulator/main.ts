import { z } from 'zod';
import { LOCAL_SIMULATOR_CLIENT_KEY, LOCAL_SIMULATOR_SERVER_KEY } from '../src/config';
import { parseFaultEnv } from './faults';
import { startSimulator } from './server';

/** `npm run midtrans:sim`: the simulator as a process, configured by environment variables. */

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const envSchema = z.object({
  MIDTRANS_SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(8900),
  MIDTRANS_SIM_HOST: z.string().default('127.0.0.1'),
  MIDTRANS_SERVER_KEY: z.preprocess(emptyAsUndefined, z.string().default(LOCAL_SIMULATOR_SERVER_KEY)),
  MIDTRANS_CLIENT_KEY: z.preprocess(emptyAsUndefined, z.string().default(LOCAL_SIMULATOR_CLIENT_KEY)),
  MIDTRANS_SIM_NOTIFICATION_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  MIDTRANS_SIM_PUBLIC_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  MIDTRANS_SIM_RETRY_SCALE: z.coerce.number().positive().default(0.001),
  MIDTRANS_SIM_EXPIRY_SCALE: z.coerce.number().positive().default(1),
  MIDTRANS_SIM_FAULTS: z.string().optional(),
});

async function main(): Promise<void> {
  const env = envSchema.parse(process.env);
  const simulator = await startSimulator({
    port: env.MIDTRANS_SIM_PORT,
    hostname: env.MIDTRANS_SIM_HOST,
    serverKey: env.MIDTRANS_SERVER_KEY,
    clientKey: env.MIDTRANS_CLIENT_KEY,
    notificationUrl: env.MIDTRANS_SIM_NOTIFICATION_URL,
    publicBaseUrl: env.MIDTRANS_SIM_PUBLIC_URL,
    retryScale: env.MIDTRANS_SIM_RETRY_SCALE,
    expiryScale: env.MIDTRANS_SIM_EXPIRY_SCALE,
    faults: parseFaultEnv(env.MIDTRANS_SIM_FAULTS),
  });
  console.log(
    `Midtrans simulator listening on ${simulator.url} (control panel ${simulator.url}/_simulator, notifications → ${
      env.MIDTRANS_SIM_NOTIFICATION_URL ?? 'per-charge headers only'
    })`,
  );

  const shutdown = async () => {
    await simulator.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error('Midtrans simulator failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
