import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadEncryptionCodec } from '../../src/temporal/payload-codec';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { createPaymentBody, tokenizeTestCard } from '../support/fixtures';
import { bytesOf, keyIdsOf, payloadsIn } from '../support/history-payloads';
import { startService, type Service } from '../support/service-harness';
import { chargeCompletedUpdate } from '../../workflows/messages';

/**
 * What anyone with read access to the Temporal cluster (the Web UI, `temporal workflow show`, Temporal Cloud's
 * storage) sees of a payment: its history read without our key holds no customer detail and no card token in plain
 * text; read with the key, they are all there.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

describe('a payment started through the API', () => {
  it('leaves no customer e-mail, phone, name or card token in plain text in its Temporal history', async () => {
    const token = await tokenizeTestCard(s.simulator.url);
    const unique = randomUUID().slice(0, 8);
    const customer = {
      first_name: `Siti${unique}`,
      last_name: `Rahma${unique}`,
      email: `siti.${unique}@example.com`,
      phone: `+62812${String(Date.now() % 1e7).padStart(7, '0')}`,
    };
    const created = await s.api(
      'POST',
      '/payments',
      createPaymentBody({ payment_method: 'credit_card', bank: undefined, card_token: token.token_id, customer_details: customer }),
    );
    // 202 when the charge outlasts CREATE_PAYMENT_WAIT_MS (a loaded machine): wait for the charge step either way.
    expect([201, 202], JSON.stringify(created.body)).toContain(created.status);
    const workflowId = paymentWorkflowId(created.body.payment_id as string);
    await s.client.workflow.getHandle(workflowId).executeUpdate(chargeCompletedUpdate);
    const secrets = [customer.first_name, customer.last_name, customer.email, customer.phone, token.token_id];

    // A client without the codec: what the Web UI and the CLI get from the server.
    const withoutKey = new Client({ connection: s.client.connection, namespace: 'default' });
    const raw = await withoutKey.workflow.getHandle(workflowId).fetchHistory();
    const rawBytes = Buffer.from(temporal.api.history.v1.History.encode(raw).finish());
    for (const secret of secrets) expect(rawBytes.includes(secret), `${secret} in the raw history`).toBe(false);
    const payloads = payloadsIn(raw);
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    expect(keyIdsOf(payloads)).not.toContain('none');

    // The same history through the codec: the details are there, so the search above could have found them.
    const opened = bytesOf(await new PayloadEncryptionCodec(s.payloadEncryptionKeys).decode(payloads));
    for (const secret of secrets) expect(opened.includes(secret), `${secret} in the decoded history`).toBe(true);
  });
});
