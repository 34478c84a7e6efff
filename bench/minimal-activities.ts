import { Webhook } from 'standardwebhooks';
import type { MinimalActivities, MinimalInput } from './minimal-workflow';

export interface MinimalActivityConfig {
  midtransApiBaseUrl: string;
  serverKey: string;
  /** The minimal shape's own webhook receiver: sent per charge as X-Override-Notification, as Midtrans allows. */
  notificationUrl: string;
  transactionServiceUrl: string;
  userServiceUrl: string;
  signingSecret: string;
}

/**
 * The minimal shape's activities do the real outside work with nothing around it: one Core API charge, two signed
 * downstream calls (the receiver refuses unsigned ones). No read model, no audit, no delivery records.
 */
export function createMinimalActivities(config: MinimalActivityConfig): MinimalActivities {
  const signer = new Webhook(config.signingSecret);
  const authorization = `Basic ${Buffer.from(`${config.serverKey}:`).toString('base64')}`;

  async function post(url: string, headers: Record<string, string>, body: object): Promise<void> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    const code = Number((JSON.parse(text || '{}') as { status_code?: string }).status_code ?? response.status);
    if (!response.ok || code >= 300) throw new Error(`${url} answered ${response.status} (${text.slice(0, 200)})`);
  }

  async function notify(url: string, target: string, input: MinimalInput, body: object): Promise<void> {
    const id = `${input.paymentId}:success:${target}`;
    const payload = { payment_id: input.paymentId, status: 'success', amount: input.amount, ...body };
    const signedAt = new Date();
    await post(
      url,
      {
        'idempotency-key': id,
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
        'webhook-signature': signer.sign(id, signedAt, JSON.stringify(payload)),
      },
      payload,
    );
  }

  return {
    async charge(input) {
      await post(
        `${config.midtransApiBaseUrl}/v2/charge`,
        { authorization, accept: 'application/json', 'x-override-notification': config.notificationUrl },
        {
          payment_type: 'bank_transfer',
          transaction_details: { order_id: input.paymentId, gross_amount: input.amount },
          bank_transfer: { bank: 'bca' },
        },
      );
    },
    notifyTransactionService: (input) => notify(`${config.transactionServiceUrl}/transactions/payments/notify`, 'transaction-service', input, {}),
    notifyUserService: (input) => notify(`${config.userServiceUrl}/users/${encodeURIComponent(input.userId)}/payments`, 'user-service', input, { user_id: input.userId }),
  };
}
