import { createRequire } from 'node:module';
import { trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { paymentIdOfWorkflow } from '../temporal/workflow-ids';

/**
 * One trace per payment: the API's request span, the Temporal client's start/update spans, the workflow's and its
 * activities' spans (Temporal's OpenTelemetry interceptors carry the context in workflow and activity headers), and
 * the outgoing fetch calls to Midtrans and the downstream services (undici's diagnostics channels). Exported over
 * OTLP (HTTP, protobuf) only when OTEL_EXPORTER_OTLP_ENDPOINT is set: otherwise no provider is registered and every
 * span is the API's no-op. The exporter itself reads the standard OTEL_EXPORTER_OTLP_* variables (headers, timeout).
 */

/** The attribute an operator searches a payment's trace by. */
export const PAYMENT_ID_ATTRIBUTE = 'payment.id';

/** The workflow-side interceptors, bundled into the workflow code (the worker runs a prebuilt bundle). */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface PaymentTracing {
  /** For the Temporal client: its start, signal, update and query spans carry the caller's context to the workflow. */
  readonly clientInterceptors: ClientInterceptors;
  /** For the worker: the activities' spans, children of the workflow span that scheduled them. */
  readonly workerInterceptors: WorkerInterceptors;
  /** For the worker: where the bundled workflow interceptors send their finished spans. */
  readonly workflowSinks: InjectedSinks<OpenTelemetrySinks>;
  /** Flushes what is buffered and stops tracing. */
  shutdown(): Promise<void>;
}

/** The bundle always calls its span sink: without tracing it is there, and empty. */
export const UNTRACED_WORKFLOW_SINKS: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => {} } } };

/**
 * Registers the process's tracer provider, or nothing when there is nowhere to send spans. `spanProcessor` replaces
 * the OTLP exporter (tests pass an in-memory one). The SDK is loaded only here, so an untraced process never loads it.
 */
export async function startTracing(
  component: 'api' | 'worker',
  options: { otlpEndpoint?: string; spanProcessor?: SpanProcessor },
): Promise<PaymentTracing | undefined> {
  if (!options.spanProcessor && !options.otlpEndpoint) return undefined;
  const [{ W3CTraceContextPropagator }, sdk, { NodeTracerProvider }, { Resource }, { registerInstrumentations }, { UndiciInstrumentation }, temporal] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-undici'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const exporting =
    options.spanProcessor ?? new sdk.BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter());
  const resource = new Resource({ 'service.name': `tiketq-payments-${component}`, 'service.namespace': 'tiketq' });
  const spanProcessor = new PaymentSpanProcessor(exporting);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: the Temporal interceptors and @hono/otel find the tracer and the propagator there. The W3C traceparent
  // only: OpenTelemetry's default also passes on a caller's baggage, to every call out and into workflow headers.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations: [new UndiciInstrumentation()] });
  const workflowExporter = temporal.makeWorkflowExporter(spanProcessor, resource);
  return {
    clientInterceptors: { workflow: [new temporal.OpenTelemetryWorkflowClientInterceptor()] },
    workerInterceptors: {
      activity: [
        (ctx) => ({
          inbound: new temporal.OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new temporal.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
        // Inside the span Temporal's interceptor opened (the first interceptor is the outermost).
        (ctx) => ({
          inbound: {
            execute: (input, next) => {
              markPaymentSpan(ctx.info.workflowExecution && paymentIdOfWorkflow(ctx.info.workflowExecution.workflowId));
              return next(input);
            },
          },
        }),
      ],
    },
    workflowSinks: {
      exporter: {
        export: {
          // Temporal's exporter copies the whole WorkflowInfo into the span attributes (memo, search attributes, last
          // result): only identifiers are passed on, and the payment id.
          fn: (info, spans) => {
            const paymentId = paymentIdOfWorkflow(info.workflowId);
            if (paymentId) for (const span of spans) span.attributes[PAYMENT_ID_ATTRIBUTE] = paymentId;
            const identifiers = { workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType, taskQueue: info.taskQueue };
            return workflowExporter.export.fn(identifiers as WorkflowInfo, spans);
          },
        },
      },
    },
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

/** Marks the active span as one payment's; the spans started under it in this process inherit the mark. */
export function markPaymentSpan(paymentId: string | undefined): void {
  if (paymentId) trace.getActiveSpan()?.setAttribute(PAYMENT_ID_ATTRIBUTE, paymentId);
}

/**
 * Every span passes here first. A child span started in this process inherits its parent's payment id (a fetch to
 * Midtrans inside an activity, the Temporal client's call inside a request), and URLs lose their query string,
 * which can carry search filters an operator typed (an email, a name).
 */
class PaymentSpanProcessor implements SpanProcessor {
  constructor(private readonly next: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    const parent = trace.getSpan(parentContext) as Partial<ReadableSpan> | undefined;
    const paymentId = parent?.attributes?.[PAYMENT_ID_ATTRIBUTE];
    if (paymentId !== undefined) span.setAttribute(PAYMENT_ID_ATTRIBUTE, paymentId);
    const url = span.attributes['url.full'];
    if (typeof url === 'string' && url.includes('?')) span.setAttribute('url.full', url.slice(0, url.indexOf('?')));
    if (span.attributes['url.query']) span.setAttribute('url.query', '');
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.next.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
