import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createDatabase } from '../src/db/client';

/**
 * The API-overhead baseline: a bare Hono route doing one primary-key read of a payment with the same Prisma client
 * (pg driver adapter, same pool size) on the same database, answering a small JSON like GET …/status. No middleware,
 * no validation, no Temporal.
 */
const db = createDatabase(process.env.DATABASE_URL!, Number(process.env.DATABASE_POOL_SIZE ?? 10));
const app = new Hono();
app.get('/payments/:id', async (c) => {
  const row = await db.payment.findUnique({ where: { id: c.req.param('id') } });
  if (!row) return c.json({ error: 'not found' }, 404);
  return c.json({ payment_id: row.id, status: row.status, updated_at: row.updatedAt.toISOString(), midtrans_status: row.midtransStatus });
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
