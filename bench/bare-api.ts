import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createDatabase } from '../src/db/client';
import { findPaymentWithAudit } from '../src/db/payments';

/**
 * The API-overhead baseline: a bare Hono route doing one primary-key read of a payment on the same database through
 * the same Prisma client (pg driver adapter, same pool size), answering a small JSON like GET …/status. No
 * middleware, no validation, no Temporal. `/payments/:id` reads with one SQL statement, as the service's read routes
 * do; `/orm/payments/:id` reads with Prisma's findUnique, to show what the ORM path itself costs; `/detail/payments/:id`
 * runs the very statement GET /payments/{id} runs and returns its row as is (the equivalent bare read of the detail).
 */
const db = createDatabase(process.env.DATABASE_URL!, Number(process.env.DATABASE_POOL_SIZE ?? 10));
const app = new Hono();
type Row = { id: string; status: string; updatedAt: Date; midtransStatus: string | null };
const answer = (row: Row) => ({ payment_id: row.id, status: row.status, updated_at: row.updatedAt.toISOString(), midtrans_status: row.midtransStatus });
app.get('/payments/:id', async (c) => {
  const [row] = await db.$queryRaw<Row[]>`
    select id, status, updated_at as "updatedAt", midtrans_status as "midtransStatus" from payments where id = ${c.req.param('id')}`;
  return row ? c.json(answer(row)) : c.json({ error: 'not found' }, 404);
});
app.get('/orm/payments/:id', async (c) => {
  const row = await db.payment.findUnique({ where: { id: c.req.param('id') } });
  return row ? c.json(answer(row)) : c.json({ error: 'not found' }, 404);
});
app.get('/detail/payments/:id', async (c) => {
  const row = await findPaymentWithAudit(db, c.req.param('id'));
  if (!row) return c.json({ error: 'not found' }, 404);
  return c.json({ ...row, amount: Number(row.amount), refundedAmount: Number(row.refundedAmount) });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo | null)?.port ?? info.port });
});
const stop = () => {
  server.close(() => {
    void db.$disconnect().finally(() => process.exit(0));
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
