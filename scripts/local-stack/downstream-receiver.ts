import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for TiketQ's transaction and user services locally: records every call it receives, so tests,
 * benchmarks and the chaos suite count deliveries from the receiver's own records, not from the service's word.
 * `respondWith` lets a test make it fail (e.g. 503 three times, or 422 for good).
 */
export interface ReceivedCall {
  method: string;
  path: string;
  idempotencyKey?: string;
  body: unknown;
  at: number;
  answeredWith: number;
}

export interface DownstreamReceiver {
  url: string;
  calls: ReceivedCall[];
  respondWith(rule: (path: string, attempt: number) => number): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startDownstreamReceiver(port = 0): Promise<DownstreamReceiver> {
  const calls: ReceivedCall[] = [];
  const attempts = new Map<string, number>();
  let rule: (path: string, attempt: number) => number = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (req.method === 'GET' && path === '/_received') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(calls));
        return;
      }
      const key = header(req.headers, 'idempotency-key');
      const attempt = (attempts.get(`${path}|${key}`) ?? 0) + 1;
      attempts.set(`${path}|${key}`, attempt);
      const status = rule(path, attempt);
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      calls.push({ method: req.method ?? 'GET', path, idempotencyKey: key, body, at: Date.now(), answeredWith: status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    calls,
    respondWith(next) {
      rule = next;
    },
    reset() {
      calls.length = 0;
      attempts.clear();
      rule = () => 200;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
