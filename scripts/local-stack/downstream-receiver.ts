import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * Stands in for TiketQ's transaction and user services locally: records every call it receives, so tests,
 * benchmarks and the chaos suite count deliveries from the receiver's own records, not from the service's word.
 * Like the real services, it verifies each call's Standard Webhooks signature and answers 401 to a bad one.
 * `respondWith` lets a test make it fail (e.g. 503 three times, or 422 for good).
 */
export interface ReceivedCall {
  method: string;
  path: string;
  idempotencyKey?: string;
  body: unknown;
  at: number;
  answeredWith: number;
  /** The webhook-signature verified with the signing secret over the exact body, within the timestamp tolerance. */
  signatureValid: boolean;
}

export interface DownstreamReceiver {
  url: string;
  /** The DOWNSTREAM_SIGNING_SECRET the service must sign with. */
  signingSecret: string;
  calls: ReceivedCall[];
  respondWith(rule: (path: string, attempt: number) => number): void;
  reset(): void;
  close(): Promise<void>;
}

/** `signingSecret` defaults to a fresh one: hand `receiver.signingSecret` to the worker as DOWNSTREAM_SIGNING_SECRET. */
export async function startDownstreamReceiver(
  port = 0,
  signingSecret = `whsec_${randomBytes(32).toString('base64')}`,
): Promise<DownstreamReceiver> {
  const verifier = new Webhook(signingSecret);
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
      const raw = Buffer.concat(chunks).toString('utf8');
      const signatureValid = hasValidSignature(verifier, raw, req.headers);
      const key = header(req.headers, 'idempotency-key');
      // A forged call is no attempt at a delivery: only signed calls count towards the rule's attempts.
      const attempt = signatureValid ? (attempts.get(`${path}|${key}`) ?? 0) + 1 : 0;
      if (signatureValid) attempts.set(`${path}|${key}`, attempt);
      const status = signatureValid ? rule(path, attempt) : 401;
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      calls.push({ method: req.method ?? 'GET', path, idempotencyKey: key, body, at: Date.now(), answeredWith: status, signatureValid });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    signingSecret,
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

function hasValidSignature(verifier: Webhook, raw: string, headers: IncomingHttpHeaders): boolean {
  const signed = {
    'webhook-id': header(headers, 'webhook-id') ?? '',
    'webhook-timestamp': header(headers, 'webhook-timestamp') ?? '',
    'webhook-signature': header(headers, 'webhook-signature') ?? '',
  };
  try {
    verifier.verify(raw, signed, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
