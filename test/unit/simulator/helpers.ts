import { createSimulator, type Simulator, type SimulatorOptions } from '../../../simulator/app';

/** Shared plumbing for the simulator's contract tests: calls go through app.request(), no port. */

export const SERVER_KEY = 'SB-Mid-server-contract-test';
export const AUTH_HEADER = `Basic ${Buffer.from(`${SERVER_KEY}:`).toString('base64')}`;

export function newSimulator(options: SimulatorOptions = {}): Simulator {
  return createSimulator({ serverKey: SERVER_KEY, refundConfirmationDelayMs: 10, ...options });
}

/** Tests read arbitrary fields of Midtrans bodies. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface ApiResult {
  status: number;
  body: Loose;
  headers: Headers;
}

export async function readJson(response: Response): Promise<Loose> {
  return response.json();
}

export async function call(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult> {
  const response = await sim.app.request(path, {
    method,
    headers: { authorization: AUTH_HEADER, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML pages and empty bodies stay text.
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

let sequence = 0;
export function newOrderId(prefix = 'order'): string {
  sequence += 1;
  return `${prefix}-${Date.now()}-${sequence}`;
}

/** A minimal valid charge for `paymentType`; `extra` is merged over it. */
export function chargeRequest(paymentType: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const methodObjects: Record<string, Record<string, unknown>> = {
    bank_transfer: { bank_transfer: { bank: 'bca' } },
    echannel: { echannel: { bill_info1: 'Payment:', bill_info2: 'Concert ticket' } },
    gopay: { gopay: { enable_callback: true, callback_url: 'https://tiketq.example/back' } },
    shopeepay: { shopeepay: { callback_url: 'https://tiketq.example/back' } },
    qris: { qris: { acquirer: 'gopay' } },
    cstore: { cstore: { store: 'indomaret', message: 'TiketQ' } },
    ovo: { ovo: { payer_phone_number: '+628111111111' } },
    credit_card: { credit_card: { token_id: '4411111111111118' } },
  };
  return {
    payment_type: paymentType,
    transaction_details: { order_id: newOrderId(paymentType), gross_amount: 44000 },
    item_details: [
      { id: 'ticket', price: 20000, quantity: 2, name: 'Concert ticket' },
      { id: 'fee', price: 4000, quantity: 1, name: 'Service fee' },
    ],
    ...methodObjects[paymentType],
    ...extra,
  };
}

export async function charge(sim: Simulator, request: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call(sim, 'POST', '/v2/charge', request, headers);
}

/** Polls until `check` passes (notifications and timers are asynchronous). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
