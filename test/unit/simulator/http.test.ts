import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isValidMidtransSignature } from '../../../src/midtrans/signature';
import { startSimulator, type RunningSimulator, type StartSimulatorOptions } from '../../../simulator/server';
import { AUTH_HEADER, chargeRequest, eventually, readJson, SERVER_KEY } from './helpers';

/**
 * Real HTTP on both sides: the simulator on a random port and a tiny notification receiver whose answer is chosen
 * by path (/ok → 200, /status/503 → 503, /slow → answers after 300 ms, …). No other infrastructure needed.
 */

interface Received {
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  body: Record<string, string>;
}

let receiver: Server;
let receiverUrl: string;
let received: Received[];
let sim: RunningSimulator | undefined;

beforeEach(async () => {
  received = [];
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, at: Date.now(), headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
      const status = /^\/status\/(\d{3})/.exec(path)?.[1];
      if (path.startsWith('/slow')) {
        setTimeout(() => response.writeHead(200).end('ok'), 300);
      } else if (status) {
        response.writeHead(Number(status), status.startsWith('30') ? { location: `${receiverUrl}/ok` } : {}).end();
      } else {
        response.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function start(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  sim = await startSimulator({ serverKey: SERVER_KEY, refundConfirmationDelayMs: 10, ...options });
  return sim;
}

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  const response = await fetch(`${sim!.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: AUTH_HEADER, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  return { status: response.status, body: await readJson(response) };
}

const at = (path: string) => received.filter((r) => r.path === path);

interface DeliveryView {
  url: string;
  state: string;
  attempts: unknown[];
}
/** The simulator's own record of every delivery it created for the order's notifications. */
async function deliveriesOf(orderId: string): Promise<DeliveryView[]> {
  const view = await readJson(await fetch(`${sim!.url}/_simulator/transactions/${orderId}`));
  return (view.notifications as { deliveries: DeliveryView[] }[]).flatMap((n) => n.deliveries);
}

/**
 * Proves nothing more will be sent: every delivery has ended (delivered, or failed = the simulator gave up and
 * scheduled no retry), and the receiver saw exactly the attempts the simulator recorded.
 */
async function allDeliveriesEnded(orderId: string, timeoutMs = 10_000): Promise<DeliveryView[]> {
  let deliveries: DeliveryView[] = [];
  await eventually(async () => {
    deliveries = await deliveriesOf(orderId);
    expect(deliveries.length).toBeGreaterThan(0);
    for (const d of deliveries) expect(['delivered', 'failed']).toContain(d.state);
  }, timeoutMs);
  const attempts = deliveries.reduce((sum, d) => sum + d.attempts.length, 0);
  expect(received.filter((r) => r.body.order_id === orderId)).toHaveLength(attempts);
  return deliveries;
}

describe('startSimulator', () => {
  it('listens on a random port and returns its real URL', async () => {
    await start();
    expect(sim!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim!.port).toBeGreaterThan(0);
    const { status, body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('bank_transfer') });
    expect(status).toBe(200);
    expect(body.status_code).toBe('201');
  });

  it('hands out URLs on its own host and port (Snap redirect_url, card redirect_url)', async () => {
    await start();
    const snap = await api('/snap/v1/transactions', { method: 'POST', body: { transaction_details: { order_id: `s-${Date.now()}`, gross_amount: 1000 } } });
    expect(snap.body.redirect_url).toBe(`${sim!.url}/snap/v3/redirection/${snap.body.token}`);
    const page = await fetch(snap.body.redirect_url);
    expect(page.status).toBe(200);
    const card = await api('/v2/charge', { method: 'POST', body: chargeRequest('credit_card', { credit_card: { token_id: '4811111111111114', authentication: true } }) });
    expect(card.body.redirect_url.startsWith(sim!.url)).toBe(true);
  });
});

describe('notification delivery', () => {
  it('POSTs a correctly signed notification on every status change', async () => {
    await start({ notificationUrl: `${receiverUrl}/ok` });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('bank_transfer') });
    await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}/pay`, { method: 'POST' });
    await eventually(() => expect(at('/ok')).toHaveLength(2));

    const [pending, settlement] = [...at('/ok')].sort((a, b) => a.at - b.at).map((r) => r.body);
    expect(pending).toMatchObject({ transaction_status: 'pending', status_code: '201', gross_amount: '44000.00' });
    expect(settlement).toMatchObject({ transaction_status: 'settlement', status_code: '200', settlement_time: expect.any(String) });
    for (const notification of [pending!, settlement!]) {
      expect(isValidMidtransSignature(notification, SERVER_KEY)).toBe(true);
      expect(notification.va_numbers).toEqual(body.va_numbers);
    }
    expect(at('/ok')[0]!.headers['content-type']).toBe('application/json');

    const view = await readJson(await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}`));
    expect(view.notifications[0].deliveries[0]).toMatchObject({
      url: `${receiverUrl}/ok`,
      state: 'delivered',
      attempts: [{ status: 200, at: expect.any(String), durationMs: expect.any(Number) }],
    });
    const stats = await readJson(await fetch(`${sim!.url}/_simulator/stats`));
    expect(stats.notifications).toMatchObject({ created: 2, sent: 2, delivered: 2, failed: 0 });
  });

  it('retries a 503 four times on the scaled schedule (2, 10, 30, 90 min)', async () => {
    // 2 min → 60 ms … 1.5 h → 2.7 s: steps far enough apart that a wrong step shows through a loaded machine's noise.
    const retryScale = 0.0005;
    // A retry can be late by as long as this process was held up (a loaded machine), never early.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    await start({ notificationUrl: `${receiverUrl}/status/503`, retryScale });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('gopay') });
    const [delivery] = await allDeliveriesEnded(body.order_id);
    lag.disable();
    expect(delivery).toMatchObject({ state: 'failed' });
    expect(at('/status/503')).toHaveLength(5);

    const times = at('/status/503').map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const expected = [2, 10, 30, 90].map((minutes) => minutes * 60_000 * retryScale);
    const heldUpMs = lag.max / 1e6;
    gaps.forEach((gap, i) => {
      expect(gap, `retry ${i + 1}`).toBeGreaterThanOrEqual(expected[i]! - 2);
      expect(gap, `retry ${i + 1} (process held up ${heldUpMs} ms at most)`).toBeLessThan(expected[i]! + 100 + 2 * heldUpMs);
    });
    const stats = await readJson(await fetch(`${sim!.url}/_simulator/stats`));
    expect(stats.notifications).toMatchObject({ sent: 5, delivered: 0, failed: 1 });
  }, 20_000);

  it.each([
    ['500', 2],
    ['404', 3],
    ['400', 3],
    ['302', 1],
  ])('gives a %s answer %i attempt(s) in total', async (status, attempts) => {
    await start({ notificationUrl: `${receiverUrl}/status/${status}`, retryScale: 0.0001 });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('qris') });
    expect(await allDeliveriesEnded(body.order_id)).toMatchObject([{ state: 'failed' }]);
    expect(at(`/status/${status}`)).toHaveLength(attempts);
    // Redirects are not followed.
    expect(at('/ok')).toHaveLength(0);
  });

  it('retries any other failure five times (418 → 6 attempts)', async () => {
    await start({ notificationUrl: `${receiverUrl}/status/418`, retryScale: 0.00005 });
    await api('/v2/charge', { method: 'POST', body: chargeRequest('qris') });
    await eventually(() => expect(at('/status/418')).toHaveLength(6), 5_000);
  });

  it('counts a receiver slower than the timeout as failed and retries it', async () => {
    await start({ notificationUrl: `${receiverUrl}/slow`, notificationTimeoutMs: 100, retryScale: 0.0001 });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('qris') });
    await eventually(async () => {
      const view = await readJson(await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}`));
      const attempts = view.notifications[0].deliveries[0].attempts;
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts[0]).toMatchObject({ error: 'timeout' });
    });
  });

  it('records network errors (nobody listening) and retries them', async () => {
    await start({ notificationUrl: 'http://127.0.0.1:9/closed', retryScale: 0.0001 });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('qris') });
    await eventually(async () => {
      const view = await readJson(await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}`));
      expect(view.notifications[0].deliveries[0].attempts.length).toBeGreaterThanOrEqual(2);
      expect(view.notifications[0].deliveries[0].attempts[0].error).toEqual(expect.any(String));
    });
  });
});

describe('per-charge notification URLs', () => {
  it('X-Override-Notification replaces the configured URL', async () => {
    await start({ notificationUrl: `${receiverUrl}/configured` });
    const { body } = await api('/v2/charge', {
      method: 'POST',
      body: chargeRequest('gopay'),
      headers: { 'x-override-notification': `${receiverUrl}/override` },
    });
    const deliveries = await allDeliveriesEnded(body.order_id);
    expect(deliveries.map((d) => d.url)).toEqual([`${receiverUrl}/override`]);
    expect(at('/override')).toHaveLength(1);
    expect(at('/configured')).toHaveLength(0);
  });

  it('X-Append-Notification adds up to two URLs to the configured one', async () => {
    await start({ notificationUrl: `${receiverUrl}/configured` });
    const { body } = await api('/v2/charge', {
      method: 'POST',
      body: chargeRequest('gopay'),
      headers: { 'x-append-notification': `${receiverUrl}/a1, ${receiverUrl}/a2,${receiverUrl}/a3` },
    });
    const deliveries = await allDeliveriesEnded(body.order_id);
    expect(deliveries.map((d) => d.url.slice(receiverUrl.length)).sort()).toEqual(['/a1', '/a2', '/configured']);
    expect(received.map((r) => r.path).sort()).toEqual(['/a1', '/a2', '/configured']);
  });

  it('override wins when both headers are sent; later status changes use the same URLs', async () => {
    await start({ notificationUrl: `${receiverUrl}/configured` });
    const { body } = await api('/v2/charge', {
      method: 'POST',
      body: chargeRequest('gopay'),
      headers: { 'x-override-notification': `${receiverUrl}/override`, 'x-append-notification': `${receiverUrl}/append` },
    });
    await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}/pay`, { method: 'POST' });
    await eventually(() => expect(at('/override')).toHaveLength(2));
    expect(at('/configured')).toHaveLength(0);
    expect(at('/append')).toHaveLength(0);
  });

  it('without a configured URL, notifications go only where headers say', async () => {
    await start();
    await api('/v2/charge', { method: 'POST', body: chargeRequest('gopay') });
    await api('/v2/charge', { method: 'POST', body: chargeRequest('gopay'), headers: { 'x-append-notification': `${receiverUrl}/only` } });
    await eventually(() => expect(at('/only')).toHaveLength(1));
    expect(received).toHaveLength(1);
  });
});

describe('notification faults', () => {
  it('notificationReorder holds notifications and delivers them newest first', async () => {
    await start({ notificationUrl: `${receiverUrl}/ok`, faults: { notificationReorder: true, notificationDelayMs: 100 } });
    const { body } = await api('/v2/charge', { method: 'POST', body: chargeRequest('bank_transfer') });
    await fetch(`${sim!.url}/_simulator/transactions/${body.order_id}/pay`, { method: 'POST' });
    await eventually(() => expect(at('/ok')).toHaveLength(2));
    expect(at('/ok').map((r) => r.body.transaction_status)).toEqual(['settlement', 'pending']);
  });

  it('notificationDelayMs delays the first attempt', async () => {
    await start({ notificationUrl: `${receiverUrl}/ok`, faults: { notificationDelayMs: 150 } });
    const sentAt = Date.now();
    await api('/v2/charge', { method: 'POST', body: chargeRequest('bank_transfer') });
    await eventually(() => expect(at('/ok')).toHaveLength(1));
    expect(at('/ok')[0]!.at - sentAt).toBeGreaterThanOrEqual(140);
  });

  it('notificationDuplicateRate 1 delivers each notification twice', async () => {
    await start({ notificationUrl: `${receiverUrl}/ok`, faults: { notificationDuplicateRate: 1 } });
    await api('/v2/charge', { method: 'POST', body: chargeRequest('bank_transfer') });
    await eventually(() => expect(at('/ok')).toHaveLength(2));
    expect(at('/ok')[0]!.body).toEqual(at('/ok')[1]!.body);
  });
});

describe('API faults over real HTTP', () => {
  it('ambiguous: the charge is applied though the client sees a 500 or a dropped connection', async () => {
    await start({ faults: { ambiguousRate: 1, seed: 11 } });
    const outcomes: string[] = [];
    const orderIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const request = chargeRequest('bank_transfer');
      orderIds.push((request.transaction_details as { order_id: string }).order_id);
      try {
        const { status } = await api('/v2/charge', { method: 'POST', body: request });
        outcomes.push(String(status));
      } catch {
        outcomes.push('dropped');
      }
    }
    expect(new Set(outcomes)).toEqual(new Set(['500', 'dropped']));
    sim!.configureFaults({});
    for (const orderId of orderIds) {
      expect((await api(`/v2/${orderId}/status`)).body.transaction_status).toBe('pending');
    }
  });

  it('timeout: the client gives up and nothing was applied', async () => {
    await start({ faults: { apiTimeoutRate: 1 } });
    const request = chargeRequest('bank_transfer');
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    await expect(api('/v2/charge', { method: 'POST', body: request, signal: AbortSignal.timeout(150) })).rejects.toThrow();
    sim!.configureFaults({});
    expect((await api(`/v2/${orderId}/status`)).body.status_code).toBe('404');
    const view = await readJson(await fetch(`${sim!.url}/_simulator/transactions/${orderId}`));
    expect(view.chargeAttempts).toEqual({ received: 1, applied: 0 });
  });
});
