import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/**
 * Temporal's codec-server protocol carries `Payloads` as protobuf JSON: `{"payloads": [{"metadata": {"encoding":
 * "<base64>"}, "data": "<base64>"}]}`, bytes fields in base64 (proto3 JSON accepts the standard and URL-safe alphabets).
 */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const payloadsJson = z.object({
  // An empty list is left out altogether (`{}`): the Temporal CLI sends that for an event with no payloads.
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).default([]),
});
type PayloadJson = z.infer<typeof payloadsJson>['payloads'][number];

export function payloadFromJson({ metadata = {}, data = '' }: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data, 'base64'),
  };
}

export function payloadToJson(payload: Payload): PayloadJson {
  const bytes = (value: Uint8Array | null | undefined) => Buffer.from(value ?? []).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, bytes(value)])),
    data: bytes(payload.data),
  };
}
