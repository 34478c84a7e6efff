import { httpInstrumentationMiddleware } from '@hono/otel';
import type { MiddlewareHandler } from 'hono';
import { markPaymentSpan } from '../../telemetry/tracing';
import { paymentIdInPath } from './request-context';

/**
 * A server span per request (@hono/otel: it continues a caller's W3C trace context), marked with the payment the
 * path names. POST /payments marks its span itself, once it has the new payment's id. No headers are recorded.
 */
export function traceRequests(): MiddlewareHandler {
  const instrumented = httpInstrumentationMiddleware({ captureActiveRequests: false });
  return (c, next) =>
    instrumented(c, async () => {
      markPaymentSpan(paymentIdInPath(c.req.path));
      await next();
    });
}
