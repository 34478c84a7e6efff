import { context, propagation, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT_ID_ATTRIBUTE, startTracing, type PaymentTracing } from '../../src/telemetry/tracing';
import { createPaymentBody } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * One trace per payment, end to end over real infrastructure: the API's request span, the Temporal client's
 * update-with-start, the workflow's spans (through the bundle's interceptors and their sink), the activities' spans
 * and their fetch calls to Midtrans (the simulator) and to the downstream services, all under one trace id and all
 * marked with the payment id. Spans land in memory instead of an OTLP collector.
 */
const exported = new InMemorySpanExporter();
let tracing: PaymentTracing;
let s: Service;

beforeAll(async () => {
  tracing = (await startTracing('api', { spanProcessor: new SimpleSpanProcessor(exported) }))!;
  s = await startService({ tracing });
});
afterAll(async () => {
  await s?.close();
  await tracing?.shutdown();
});

const spans = () => exported.getFinishedSpans();
const parentOf = (span: ReadableSpan) => spans().find((candidate) => candidate.spanContext().spanId === span.parentSpanId);
/** The span, its parent, its parent's parent… as far as this process saw them. */
function ancestry(span: ReadableSpan): ReadableSpan[] {
  const chain = [span];
  for (let parent = parentOf(span); parent; parent = parentOf(parent)) chain.push(parent);
  return chain;
}

describe("what the process passes on of a caller's trace headers", () => {
  it("is the W3C traceparent only: a caller's baggage reaches neither Midtrans, the downstream services nor Temporal's headers", () => {
    // @hono/otel extracts with the global propagator, and undici's instrumentation and Temporal's interceptors inject with it.
    const incoming = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      baggage: 'customer.email=ana%40example.com,customer.phone=08123456789',
    };
    const outgoing: Record<string, string> = {};
    propagation.inject(propagation.extract(context.active(), incoming), outgoing);
    expect(outgoing).toEqual({ traceparent: incoming.traceparent });
  });
});

describe('a payment traced from POST /payments to the downstream call', () => {
  it('shares one trace id across the API, the workflow, its activities and their HTTP calls, with payment.id on each', async () => {
    const body = createPaymentBody();
    const created = await s.api('POST', '/payments', body);
    expect(created.status).toBe(201);
    const paymentId = created.body.payment_id as string;
    expect((await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/pay`, { method: 'POST' })).ok).toBe(true);
    const notifyUrl = `${s.receiver.url}/transactions/payments/notify`;
    // A workflow span ends (and crosses the sink) in the workflow task after its activity completed: wait for it.
    const untilScheduled = async (url: string) => {
      const call = spans().find((span) => span.kind === SpanKind.CLIENT && span.attributes['url.full'] === url);
      return call ? ancestry(call) : [];
    };
    const chain = await s.eventually(
      () => untilScheduled(notifyUrl),
      (found) => found.some((span) => span.name.startsWith('StartActivity:')),
    );

    const request = spans().find((span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === '/payments' && span.attributes['http.request.method'] === 'POST');
    expect(request, 'the POST /payments server span').toBeDefined();
    const traceId = request!.spanContext().traceId;
    expect(request!.attributes[PAYMENT_ID_ATTRIBUTE]).toBe(paymentId);

    // The downstream call, back through the activity and the workflow's scheduling of it.
    expect(chain.map((span) => span.name)).toEqual(['POST', 'RunActivity:notifyTransactionService', 'StartActivity:notifyTransactionService']);
    for (const span of chain) {
      expect(span.spanContext().traceId, span.name).toBe(traceId);
      expect(span.attributes[PAYMENT_ID_ATTRIBUTE], span.name).toBe(paymentId);
    }
    // The request started the workflow: the client's update-with-start span is the request's child, same trace.
    const start = spans().find((span) => span.parentSpanId === request!.spanContext().spanId && span.name.startsWith('UpdateWithStartWorkflow'));
    expect(start?.spanContext().traceId).toBe(traceId);
    expect(start?.attributes[PAYMENT_ID_ATTRIBUTE]).toBe(paymentId);

    // The charge at Midtrans is in the same trace, under its own activity.
    const charge = await s.eventually(
      () => untilScheduled(`${s.simulator.url}/v2/charge`),
      (found) => found.some((span) => span.name.startsWith('StartActivity:')),
    );
    expect(charge.map((span) => [span.name, span.spanContext().traceId, span.attributes[PAYMENT_ID_ATTRIBUTE]])).toEqual([
      ['POST', traceId, paymentId],
      [expect.stringMatching(/^RunActivity:/), traceId, paymentId],
      [expect.stringMatching(/^StartActivity:/), traceId, paymentId],
    ]);
  });

  it("traces Midtrans's notification on its own, from the webhook to the workflow's signal handler, marked with the payment", async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    const paymentId = created.body.payment_id as string;
    await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/pay`, { method: 'POST' });
    const ofPayment = () => spans().filter((span) => span.attributes[PAYMENT_ID_ATTRIBUTE] === paymentId);
    const handled = await s.eventually(
      async () => ofPayment().find((span) => span.name.startsWith('HandleSignal:')),
      (span) => span !== undefined,
    );
    const webhook = ofPayment().find((span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === '/payments/webhook');
    expect(webhook, 'the webhook request span').toBeDefined();
    expect(handled!.spanContext().traceId).toBe(webhook!.spanContext().traceId);
    const request = ofPayment().find((span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === '/payments');
    expect(webhook!.spanContext().traceId).not.toBe(request!.spanContext().traceId);
  });

  it('puts no personal data in any span attribute', () => {
    const { customer_details: customer } = createPaymentBody();
    const attributes = JSON.stringify(spans().map((span) => span.attributes));
    expect(spans().length).toBeGreaterThan(5);
    for (const value of [customer.first_name, customer.last_name, customer.email, customer.phone, customer.phone.slice(3)]) {
      expect(attributes).not.toContain(value);
    }
  });
});
