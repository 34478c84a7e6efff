import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadEncryptionCodec } from '../../src/temporal/payload-codec';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { createPaymentBody, tokenizeTestCard } from '../support/fixtures';
import { bytesOf, keyIdsOf, payloadsIn } from '../support/history-payloads';
import { startService, type Service } from '../support/service-harness';
import { chargeCompletedUpdate, paymentQuery } from '../../workflows/messages';

/**
 * What anyone with read access to the Temporal cluster (the Web UI, `temporal workflow show`, Temporal Cloud's
 * storage) sees of a payment: its history read without our key is ciphertext; and even opened with the key, no
 * payload, search attribute, memo or query answer holds a customer detail, an item name or the card token. Those go
 * to PostgreSQL once, from the API; the card token is deleted there once the charge has used it.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

describe('a card payment started through the API', () => {
  it('leaves no customer e-mail, phone, name, item name or card token in Temporal, even decoded with the key', async () => {
    const token = await tokenizeTestCard(s.simulator.url);
    const unique = randomUUID().slice(0, 8);
    const customer = {
      first_name: `Siti${unique}`,
      last_name: `Rahma${unique}`,
      email: `siti.${unique}@example.com`,
      phone: `+62812${String(Date.now() % 1e7).padStart(7, '0')}`,
    };
    const itemName = `Flight Jakarta-Medan ${unique}`;
    const body = createPaymentBody({
      payment_method: 'credit_card',
      bank: undefined,
      card_token: token.token_id,
      customer_details: customer,
      item_details: [{ id: 'CGK-KNO', price: 250_000, quantity: 1, name: itemName }],
      description: `Booking for ${customer.first_name}`,
    });
    const created = await s.api('POST', '/payments', body);
    // 202 when the charge outlasts CREATE_PAYMENT_WAIT_MS (a loaded machine): wait for the charge step either way.
    expect([201, 202], JSON.stringify(created.body)).toContain(created.status);
    const paymentId = created.body.payment_id as string;
    const handle = s.client.workflow.getHandle(paymentWorkflowId(paymentId));
    await handle.executeUpdate(chargeCompletedUpdate);
    const secrets = [customer.first_name, customer.last_name, customer.email, customer.phone, itemName, token.token_id];

    // A client without the codec: what the Web UI and the CLI get from the server.
    const withoutKey = new Client({ connection: s.client.connection, namespace: 'default' });
    const raw = await withoutKey.workflow.getHandle(paymentWorkflowId(paymentId)).fetchHistory();
    const rawBytes = Buffer.from(temporal.api.history.v1.History.encode(raw).finish());
    for (const secret of secrets) expect(rawBytes.includes(secret), `${secret} in the raw history`).toBe(false);
    const payloads = payloadsIn(raw);
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    expect(keyIdsOf(payloads)).not.toContain('none');

    // The same history opened with the key, as plain JSON: the workflow input, every activity input and result, the
    // update's outcome. The payment's own facts are there, so the search below reads the right bytes.
    const opened = bytesOf(await new PayloadEncryptionCodec(s.payloadEncryptionKeys).decode(payloads)).toString('utf8');
    expect(opened).toContain(paymentId);
    expect(opened).toContain(body.order_id);
    for (const secret of secrets) expect(opened.includes(secret), `${secret} in the decoded history`).toBe(false);

    // Search attributes and memo (indexed and shown by the server), and the query's answer.
    const described = await handle.describe();
    const indexed = JSON.stringify([described.typedSearchAttributes, described.raw.workflowExecutionInfo?.memo ?? null, await described.memo]);
    expect(indexed).toContain(body.order_id);
    const answered = JSON.stringify(await handle.query(paymentQuery));
    for (const secret of secrets) {
      expect(indexed.includes(secret), `${secret} in search attributes or memo`).toBe(false);
      expect(answered.includes(secret), `${secret} in the query's answer`).toBe(false);
    }

    // PostgreSQL has the details, written once from the API; the card token was deleted once Midtrans answered.
    const row = await s.db.payment.findUnique({ where: { id: paymentId } });
    expect(row).toMatchObject({
      customerDetails: { firstName: customer.first_name, lastName: customer.last_name, email: customer.email, phone: customer.phone },
      itemDetails: [{ id: 'CGK-KNO', price: 250_000, quantity: 1, name: itemName }],
      description: body.description,
    });
    const tokens = await s.db.$queryRaw<{ n: number }[]>`
      select count(*)::int as n from payment_checkouts where payment_id = ${paymentId} or card_token = ${token.token_id}`;
    expect(tokens).toEqual([{ n: 0 }]);
  });
});
