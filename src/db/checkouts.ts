import { Prisma } from '../generated/prisma/client';
import type { PaymentCheckout } from '../domain';
import type { Database } from './client';

const NOW_UTC = Prisma.sql`(now() at time zone 'utc')`;

/**
 * A checkout no charge has used this long belongs to a create whose workflow never started (Temporal unreachable, a
 * client that retried without its Idempotency-Key): no charge will ever read it. A charge normally uses its
 * checkout within seconds; one that comes later than this finds none and fails the payment with CHECKOUT_MISSING.
 */
const ABANDONED_AFTER_HOURS = 24;

/**
 * Stores what the customer entered for a payment, once. A retried create (same Idempotency-Key, so the same payment
 * and body) writes nothing: the checkout is there until the charge has used it, and the payment's row from before
 * the charge on, so a retry never brings back a card token the charge has already used and deleted. The same
 * statement deletes a few abandoned checkouts: the table holds rows for seconds, so this costs next to nothing.
 */
export async function saveCheckout(db: Database, paymentId: string, checkout: PaymentCheckout): Promise<void> {
  await db.$executeRaw`
    with abandoned as (
      delete from payment_checkouts where payment_id in (
        select payment_id from payment_checkouts where created_at < ${NOW_UTC} - make_interval(hours => ${ABANDONED_AFTER_HOURS}::int)
        order by created_at limit 100))
    insert into payment_checkouts (payment_id, customer_details, item_details, description, card_token, created_at)
    select ${paymentId}, ${JSON.stringify(checkout.customer)}::jsonb, ${JSON.stringify(checkout.items)}::jsonb,
      ${checkout.description ?? null}, ${checkout.cardToken ?? null}, ${NOW_UTC}
    where not exists (select 1 from payments where id = ${paymentId})
    on conflict (payment_id) do nothing`;
}

/** The payment's checkout; null once the charge has used it (or when it never was stored). */
export async function findCheckout(db: Database, paymentId: string): Promise<PaymentCheckout | null> {
  const [row] = await db.$queryRaw<
    { customer: PaymentCheckout['customer']; items: PaymentCheckout['items']; description: string | null; cardToken: string | null }[]
  >`
    select customer_details as customer, item_details as items, description, card_token as "cardToken"
    from payment_checkouts where payment_id = ${paymentId}`;
  if (!row) return null;
  const { customer, items, description, cardToken } = row;
  return { customer, items, ...(description !== null ? { description } : {}), ...(cardToken !== null ? { cardToken } : {}) };
}

/** Deletes the checkout, card token included: the charge has used it. */
export async function deleteCheckout(db: Database, paymentId: string): Promise<void> {
  await db.$executeRaw`delete from payment_checkouts where payment_id = ${paymentId}`;
}
