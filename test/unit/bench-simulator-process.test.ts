import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachSimulator, SIMULATOR_PROCESS_ENTRY, simulatorEnvironment, type BenchSimulator } from '../../bench/simulator';
import { Cleanup, spawnIpcService } from '../../bench/stack';
import { isolatedEnvironment } from '../../scripts/local-stack/service-environment';
import { chargeRequest, eventually } from './simulator/helpers';

const SERVER_KEY = 'SB-Mid-server-bench-process-test';

// The bench's simulator runs in a process of its own; the bench reads Midtrans usage, charge times and the webhook's
// answers from it over IPC, and every figure of the report rests on those readings.
describe('the bench simulator as a process of its own', () => {
  const cleanup = new Cleanup();
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'bench-simulator-'));
  const notified: string[] = [];
  let webhook: Server;
  let simulator: BenchSimulator;

  beforeAll(async () => {
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        notified.push(String((JSON.parse(body) as { transaction_status?: unknown }).transaction_status));
        // The first settlement is refused, so Midtrans's retry shows as a second attempt.
        const refuse = notified.filter((status) => status === 'settlement').length === 1 && notified.at(-1) === 'settlement';
        response.writeHead(refuse ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/payments/webhook`;
    const env = {
      ...isolatedEnvironment(),
      ...simulatorEnvironment({ port: 0, serverKey: SERVER_KEY, notificationUrl: webhookUrl, retryScale: 0.001 }),
    };
    const started = await spawnIpcService(cleanup, { tmpDir }, 'simulator', SIMULATOR_PROCESS_ENTRY, env);
    expect(started.service.mainPid).not.toBe(started.service.pid);
    simulator = attachSimulator(started.service.child!, { url: String(started.ready.url) });
  }, 60_000);

  afterAll(async () => {
    await cleanup.runAll();
    await new Promise((resolve) => webhook?.close(resolve));
    rmSync(tmpDir, { recursive: true, force: true });
  });

  it('mirrors the requests it got by kind and the time it took to answer each charge', async () => {
    const { orderId, response } = await charge();
    expect(response.status).toBe(200);
    await midtrans(`/v2/${orderId}/status`);
    await midtrans(`/v2/${orderId}/status`);

    await eventually(() => {
      expect(simulator.requests).toMatchObject({ charge: 1, status: 2 });
      expect(simulator.chargeMs.get(orderId)).toBeGreaterThan(0);
    });
    expect(simulator.chargeMs.size).toBe(1);
  });

  it('lists every delivery attempt of the notifications it sent for the orders asked, retries included', async () => {
    const { orderId } = await charge();
    const paid = await fetch(`${simulator.url}/_simulator/transactions/${orderId}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);

    await eventually(async () => {
      const settlements = (await simulator.webhookAttempts([orderId])).filter((a) => a.transactionStatus === 'settlement');
      expect(settlements.map((a) => [a.answer, a.first, a.outcome])).toEqual([
        ['503', true, 'delivered'],
        ['200', false, 'delivered'],
      ]);
    }, 10_000);
    expect(await simulator.webhookAttempts(['no-such-order'])).toEqual([]);
  });

  async function charge(): Promise<{ orderId: string; response: Response }> {
    const request = chargeRequest('bank_transfer');
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    return { orderId, response: await midtrans('/v2/charge', request) };
  }

  async function midtrans(pathname: string, body?: unknown): Promise<Response> {
    return fetch(`${simulator.url}${pathname}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${SERVER_KEY}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
});
