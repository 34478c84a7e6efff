import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * README "Security and operations": "Secrets and card tokens are redacted; customer e-mail and phone are masked."
 * createLogger writes to stdout like the service does, so it runs in a child process and this test reads what
 * actually came out.
 */
const LOGGER = path.resolve(import.meta.dirname, '../../src/logger.ts');

const API_KEY = 'api-key-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e';
const SECOND_API_KEY = 'x-api-key-1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a';
const SERVER_KEY = 'SB-Mid-server-q8w7e6r5t4y3u2i1o0p9';
const SIGNATURE = 'edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b';
const CARD_TOKEN = '481111-1114-a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const EMAIL = 'budi.santoso@example.com';
const PHONE = '+6281234567890';
const FIRST_NAME = 'Budiman';
const LAST_NAME = 'Wirasantoso';
const SECOND_SIGNATURE = '9a1c2e3f4b5d6a7c8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7';
const SAVED_CARD_TOKEN = '521111-1117-saved-0f9e8d7c6b5a';
const VA_NUMBER = '12345678901234567';
const PERMATA_VA_NUMBER = '8562000087926752';
const BILL_KEY = '998877665544';
const QR_STRING = '00020101021226620014COM.GO-JEK.WWW011993600914300000000000';
const PAYMENT_CODE = '25709650945026';
/** The header Midtrans's API wants: Basic, base64 of the server key and a colon. It does not contain the key as text. */
const MIDTRANS_AUTHORIZATION = `Basic ${Buffer.from(`${SERVER_KEY}:`).toString('base64')}`;

/** What the service logs, in the shapes it logs them: a request, a webhook body, configuration, a payment. */
const RECORDS = [
  { req: { method: 'POST', url: '/payments', headers: { authorization: `Bearer ${API_KEY}`, 'x-api-key': SECOND_API_KEY } } },
  { body: { order_id: 'pay-1', status_code: '200', gross_amount: '250000.00', signature_key: SIGNATURE } },
  { config: { serverKey: SERVER_KEY } },
  { midtrans: { server_key: SERVER_KEY } },
  { payment: { order_id: 'ORDER-1', customer_details: { first_name: 'Budi', email: EMAIL, phone: PHONE }, card_token: CARD_TOKEN } },
  { credit_card: { token_id: CARD_TOKEN, authentication: true } },
  { email: EMAIL, phone: PHONE },
  // Deeper than one level, in arrays, and in the shapes the code has: our customer, Midtrans's customer_details
  // with its addresses, a charge request, the client's outgoing headers, the configuration.
  { payment: { customer: { firstName: FIRST_NAME, lastName: LAST_NAME, email: EMAIL, phone: PHONE } } },
  { customer_details: { first_name: FIRST_NAME, last_name: LAST_NAME, email: EMAIL, phone: PHONE } },
  {
    charge: {
      request: {
        transaction_details: { order_id: 'pay-3', gross_amount: 250000 },
        customer_details: { email: EMAIL, billing_address: { first_name: FIRST_NAME, phone: PHONE } },
        credit_card: { token_id: CARD_TOKEN, saved_token_id: SAVED_CARD_TOKEN },
      },
    },
  },
  { notifications: [{ order_id: 'pay-2', signature_key: SECOND_SIGNATURE }] },
  { upstream: { request: { headers: { Authorization: MIDTRANS_AUTHORIZATION, 'Content-Type': 'application/json' } } } },
  { config: { MIDTRANS_SERVER_KEY: SERVER_KEY } },
  // What a customer pays with, in Midtrans's answer and in our view's instructions.
  {
    answer: {
      va_numbers: [{ bank: 'bca', va_number: VA_NUMBER }],
      permata_va_number: PERMATA_VA_NUMBER,
      bill_key: BILL_KEY,
      biller_code: '70012',
      qr_string: QR_STRING,
      payment_code: PAYMENT_CODE,
    },
  },
  { view: { instructions: { kind: 'virtual_account', bank: 'bca', vaNumber: VA_NUMBER } } },
];

function logged(): { text: string; lines: Record<string, unknown>[] } {
  const script = [
    `const { createLogger } = await import(${JSON.stringify(LOGGER)});`,
    `const log = createLogger('info', 'redaction-test');`,
    `for (const record of ${JSON.stringify(RECORDS)}) log.info(record, 'logged');`,
    // An error carries what the failed call had: Midtrans's answer body and the request it answered.
    `const failed = Object.assign(new Error('Midtrans charge failed (400)'), {`,
    `  httpStatus: 400,`,
    `  body: { status_message: 'validation failed', customer_details: { email: ${JSON.stringify(EMAIL)}, phone: ${JSON.stringify(PHONE)} } },`,
    `  request: { headers: { Authorization: ${JSON.stringify(MIDTRANS_AUTHORIZATION)} } },`,
    `});`,
    `log.error({ err: failed }, 'charge failed');`,
    `log.error(failed);`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const text = child.stdout;
  return { text, lines: text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('log redaction (src/logger.ts)', () => {
  const { text, lines } = logged();

  const errorLines = lines.slice(RECORDS.length);

  it('writes one JSON line per record and per error, so the checks below read real output', () => {
    expect(lines).toHaveLength(RECORDS.length + 2);
    expect(lines.slice(0, RECORDS.length).every((line) => line.msg === 'logged')).toBe(true);
    expect(lines[4]).toMatchObject({ payment: { order_id: 'ORDER-1' } });
    expect(lines[9]).toMatchObject({ charge: { request: { transaction_details: { order_id: 'pay-3', gross_amount: 250000 } } } });
    expect(lines[10]).toMatchObject({ notifications: [{ order_id: 'pay-2' }] });
    expect(lines[11]).toMatchObject({ upstream: { request: { headers: { 'Content-Type': 'application/json' } } } });
  });

  it('keeps what an error says that is not personal: its type, message, stack and status', () => {
    for (const line of errorLines) {
      expect(line).toMatchObject({ err: { type: 'Error', message: 'Midtrans charge failed (400)', httpStatus: 400 } });
      expect((line.err as { stack: string }).stack).toContain('Midtrans charge failed (400)');
      expect(line).toMatchObject({ err: { body: { status_message: 'validation failed' } } });
    }
  });

  it.each([
    ['the API key (Authorization header)', API_KEY],
    ['the API key (X-API-Key header)', SECOND_API_KEY],
    ['the Midtrans server key', SERVER_KEY],
    ['the notification signature', SIGNATURE],
    ['the notification signature (in an array)', SECOND_SIGNATURE],
    ['the Midtrans Authorization header (the server key, base64)', MIDTRANS_AUTHORIZATION.slice('Basic '.length)],
    ['the card token', CARD_TOKEN],
    ['the saved card token', SAVED_CARD_TOKEN],
    ['the customer e-mail', EMAIL],
    ['the customer phone', PHONE],
    ['the phone number without its prefix', PHONE.slice(3)],
    ['the customer first name', FIRST_NAME],
    ['the customer last name', LAST_NAME],
    ['the virtual account number', VA_NUMBER],
    ['the Permata virtual account number', PERMATA_VA_NUMBER],
    ['the bill key', BILL_KEY],
    ['the QR string', QR_STRING],
    ['the store payment code', PAYMENT_CODE],
  ])('never contains %s', (_what, secret) => {
    expect(text).not.toContain(secret);
  });

  it('masks the e-mail to its first letter and domain at any depth, so support can still recognise it', () => {
    const masked = 'b***@example.com';
    expect(lines[4]).toMatchObject({ payment: { customer_details: { email: masked } } });
    expect(lines[6]).toMatchObject({ email: masked });
    expect(lines[7]).toMatchObject({ payment: { customer: { email: masked } } });
    expect(lines[8]).toMatchObject({ customer_details: { email: masked } });
    expect(lines[9]).toMatchObject({ charge: { request: { customer_details: { email: masked } } } });
    for (const line of errorLines) expect(line).toMatchObject({ err: { body: { customer_details: { email: masked } } } });
  });
});
