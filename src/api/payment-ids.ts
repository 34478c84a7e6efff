import { randomUUID } from 'node:crypto';

/** Payment ids are Midtrans order ids too: `pay-` + 32 hex characters, within Midtrans's 50-character limit. */
export const newPaymentId = () => `pay-${randomUUID().replaceAll('-', '')}`;

/** Whether an id could be one of ours (new, or derived from an Idempotency-Key): others need no look-up anywhere. */
export const isPaymentIdShaped = (id: string) => /^pay-[0-9a-f]{32}$/.test(id);
