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

/** What the service logs, in the shapes it logs them: a request, a webhook body, configuration, a payment. */
const RECORDS = [
  { req: { method: 'POST', url: '/payments', headers: { authorization: `Bearer ${API_KEY}`, 'x-api-key': SECOND_API_KEY } } },
  { body: { order_id: 'pay-1', status_code: '200', gross_amount: '250000.00', signature_key: SIGNATURE } },
  { config: { serverKey: SERVER_KEY } },
  { midtrans: { server_key: SERVER_KEY } },
  { payment: { order_id: 'ORDER-1', customer_details: { first_name: 'Budi', email: EMAIL, phone: PHONE }, card_token: CARD_TOKEN } },
  { credit_card: { token_id: CARD_TOKEN, authentication: true } },
  { email: EMAIL, phone: PHONE },
];

function logged(): { text: string; lines: Record<string, unknown>[] } {
  const script = [
    `const { createLogger } = await import(${JSON.stringify(LOGGER)});`,
    `const log = createLogger('info', 'redaction-test');`,
    `for (const record of ${JSON.stringify(RECORDS)}) log.info(record, 'logged');`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  const text = child.stdout;
  return { text, lines: text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('log redaction (src/logger.ts)', () => {
  const { text, lines } = logged();

  it('writes one JSON line per record, so the checks below read real output', () => {
    expect(lines).toHaveLength(RECORDS.length);
    expect(lines.every((line) => line.msg === 'logged')).toBe(true);
    expect(lines[4]).toMatchObject({ payment: { order_id: 'ORDER-1', customer_details: { first_name: 'Budi' } } });
  });

  it.each([
    ['the API key (Authorization header)', API_KEY],
    ['the API key (X-API-Key header)', SECOND_API_KEY],
    ['the Midtrans server key', SERVER_KEY],
    ['the notification signature', SIGNATURE],
    ['the card token', CARD_TOKEN],
    ['the customer e-mail', EMAIL],
    ['the customer phone', PHONE],
    ['the phone number without its prefix', PHONE.slice(3)],
  ])('never contains %s', (_what, secret) => {
    expect(text).not.toContain(secret);
  });

  it('masks the e-mail to its first letter and domain, so support can still recognise it', () => {
    expect(lines[4]).toMatchObject({ payment: { customer_details: { email: 'b***@example.com' } } });
    expect(lines[6]).toMatchObject({ email: 'b***@example.com' });
  });
});
