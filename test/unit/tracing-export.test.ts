import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { PAYMENT_ID_ATTRIBUTE, markPaymentSpan, startTracing } from '../../src/telemetry/tracing';

/** Where spans go: nowhere (and no SDK) without OTEL_EXPORTER_OTLP_ENDPOINT; over OTLP/HTTP protobuf with it. */
const collected: { method?: string; url?: string; contentType?: string; body: Buffer }[] = [];
const collector = createServer((request: IncomingMessage, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    collected.push({ method: request.method, url: request.url, contentType: request.headers['content-type'], body: Buffer.concat(chunks) });
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});

afterEach(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  await new Promise((resolve) => collector.close(resolve));
});

describe('startTracing', () => {
  it('registers nothing without an endpoint: spans are the API no-op', async () => {
    expect(await startTracing('api', {})).toBeUndefined();
    const span = trace.getTracer('test').startSpan('untraced');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces as OTLP protobuf, with the service name and the payment id', async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    const tracing = await startTracing('worker', { otlpEndpoint: endpoint });
    expect(tracing).toBeDefined();
    trace.getTracer('test').startActiveSpan('RunActivity:chargePayment', (span) => {
      markPaymentSpan('pay-0123456789abcdef0123456789abcdef');
      span.end();
    });
    await tracing!.shutdown(); // flushes the batch
    expect(collected).toHaveLength(1);
    expect(collected[0]).toMatchObject({ method: 'POST', url: '/v1/traces', contentType: 'application/x-protobuf' });
    // Protobuf keeps strings as they are: the names and values are in the body's bytes.
    const body = collected[0]!.body.toString('latin1');
    for (const text of ['tiketq-payments-worker', 'RunActivity:chargePayment', PAYMENT_ID_ATTRIBUTE, 'pay-0123456789abcdef0123456789abcdef']) {
      expect(body).toContain(text);
    }
  });
});
