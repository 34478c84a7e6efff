import type { ApiDependencies } from '../../src/api/app';
import { LOCAL_SIMULATOR_CLIENT_KEY } from '../../src/config';
import { DEFAULT_EARLY_LOOKS_MINUTES } from '../../src/domain/reconciliation';
import { encryptedDataConverter, type PayloadEncryptionKey } from '../../src/temporal/payload-codec';

/** The tests' shared fixtures: one payment body, one API configuration, one bounded pool, one way to wait. */
export { eventually, sleep, waitFor } from '../../scripts/local-stack/waiting';

export const SERVER_KEY = 'SB-Mid-server-integration-tests';
export const API_KEY = 'integration-test-key';

/** The tests' Temporal payload key: public in this repository, so for tests only. */
export const TEST_PAYLOAD_KEY: PayloadEncryptionKey = { id: 'tests', key: Buffer.from('tiketq-tests-payload-key-32bytes') };
/** The same key as PAYLOAD_ENCRYPTION_KEYS, for services the tests start as processes. */
export const TEST_PAYLOAD_ENCRYPTION_KEYS = `${TEST_PAYLOAD_KEY.id}:${TEST_PAYLOAD_KEY.key.toString('base64')}`;
/** The data converter of every Temporal client and worker the tests create. */
export const testDataConverter = () => encryptedDataConverter([TEST_PAYLOAD_KEY]);

/** The API's settings as the service's defaults have them, with the test keys; `overrides` change some. */
export function apiConfig(overrides: Partial<ApiDependencies['config']> = {}): ApiDependencies['config'] {
  return {
    API_KEYS: [API_KEY],
    CORS_ORIGINS: [],
    ENFORCE_HTTPS: false,
    BODY_LIMIT_BYTES: 64 * 1024,
    CREATE_PAYMENT_WAIT_MS: 10_000,
    UPDATE_WAIT_MS: 15_000,
    IDEMPOTENCY_KEY_TTL_HOURS: 24,
    WEBHOOK_MAX_IN_FLIGHT: 64,
    WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT: 8,
    WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR: 30,
    REJECTED_NOTIFICATION_RETENTION_DAYS: 7,
    MIDTRANS_SERVER_KEY: SERVER_KEY,
    REFUND_WINDOW_DAYS: 30,
    RECONCILE_EARLY_LOOKS_MINUTES: [...DEFAULT_EARLY_LOOKS_MINUTES],
    ...overrides,
  };
}

/** A 3-D Secure test card tokenized at the simulator with the local client key, as Midtrans's browser script does. */
export async function tokenizeTestCard(simulatorUrl: string): Promise<{ status_code: string; token_id: string }> {
  const card = new URLSearchParams({
    client_key: LOCAL_SIMULATOR_CLIENT_KEY,
    card_number: '4811 1111 1111 1114',
    card_exp_month: '12',
    card_exp_year: String(new Date().getFullYear() + 1),
    card_cvv: '123',
  });
  return (await (await fetch(`${simulatorUrl}/v2/token?${card}`)).json()) as { status_code: string; token_id: string };
}

let orders = 0;
/**
 * A valid POST /payments body: a BCA virtual account for a flight, with a user id (so both downstream calls).
 * The bank goes only with bank_transfer; `overrides` win (an `undefined` drops a field from the JSON).
 */
export function createPaymentBody(overrides: Record<string, unknown> = {}, orderPrefix = 'ORDER-IT') {
  orders += 1;
  const amount = (overrides.amount as number | undefined) ?? 250_000;
  const method = (overrides.payment_method as string | undefined) ?? 'bank_transfer';
  return {
    order_id: `${orderPrefix}-${Date.now().toString(36)}-${orders}`,
    amount,
    payment_method: method,
    ...(method === 'bank_transfer' ? { bank: 'bca' } : {}),
    customer_details: { first_name: 'Siti', last_name: 'Rahma', email: 'siti@example.com', phone: '+6281234567890' },
    item_details: [{ id: 'CGK-KNO', price: amount, quantity: 1, name: 'Flight Jakarta-Medan' }],
    description: 'Flight booking payment',
    user_id: 'user-42',
    ...overrides,
  };
}

/** Runs `task` over `items` with at most `limit` at once (a slot starts the next one); results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}
