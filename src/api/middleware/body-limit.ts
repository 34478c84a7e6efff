import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../errors';

export const payloadTooLarge = (limit: number) => new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);

/** Bodies over `maxBytes` are a 413 PAYLOAD_TOO_LARGE, declared (Content-Length) or streamed. */
export function limitRequestBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(maxBytes);
    },
  });
}
