import type { Payload } from '@temporalio/common';
import { decode } from '@temporalio/common/lib/encoding';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import type { temporal } from '@temporalio/proto';
import { ENCRYPTION_KEY_ID_METADATA } from '../../src/temporal/payload-codec';

/**
 * Every payload a workflow history holds (inputs, results, signals, updates, failures' details), wherever it sits in
 * an event, except what never passes through a codec: search attributes (the server indexes them), the SDK core's
 * own patch markers (they hold a patch id), the `data` of its local-activity markers (sequence number, attempt,
 * activity type and times; the activity's result beside it is a payload like any other), and the tracing
 * interceptors' header: the TypeScript SDK runs no header through a codec (sdk-typescript#514), and that one holds
 * a W3C trace context only (tracingHeadersIn checks it).
 */
export function payloadsIn(history: temporal.api.history.v1.IHistory): Payload[] {
  const found: Payload[] = [];
  const visit = (value: unknown, key: string) => {
    if (key === 'searchAttributes' || key === TRACE_HEADER || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (key === 'markerRecordedEventAttributes') {
      const { markerName, details, ...marker } = value as { markerName?: string; details?: Record<string, unknown> };
      if (markerName === 'core_patch') return;
      if (markerName === 'core_local_activity') {
        const { data: _coreBookkeeping, ...activityPayloads } = details ?? {};
        return visit({ ...marker, details: activityPayloads }, '');
      }
    }
    if (isPayload(value)) {
      found.push(value);
      return;
    }
    for (const [childKey, child] of Object.entries(value)) visit(child, childKey);
  };
  visit(history, '');
  return found;
}

/** What the tracing interceptors' headers in a history say, decoded (they are plain JSON payloads). */
export function tracingHeadersIn(history: temporal.api.history.v1.IHistory): unknown[] {
  const found: unknown[] = [];
  const visit = (value: unknown) => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const fields = (value as { fields?: Record<string, Payload> }).fields;
    const header = fields?.[TRACE_HEADER];
    if (header) found.push(JSON.parse(decode(header.data!)));
    for (const child of Object.values(value)) visit(child);
  };
  visit(history);
  return found;
}

function isPayload(value: object): value is Payload {
  const metadata = (value as Payload).metadata;
  return metadata !== null && typeof metadata === 'object' && 'encoding' in metadata;
}

/** The key ids the payloads were sealed with; "none" for a payload that is not encrypted. */
export function keyIdsOf(payloads: readonly Payload[]): string[] {
  return payloads.map((payload) => {
    const keyId = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA];
    return keyId ? decode(keyId) : 'none';
  });
}

/** All of the payloads' bytes (metadata and data) in one buffer, to search for plain text. */
export function bytesOf(payloads: readonly Payload[]): Buffer {
  // Buffer.from: a decoded protobuf's empty bytes field is a plain [] (binary/null has no data).
  return Buffer.concat(payloads.flatMap((payload) => [...Object.values(payload.metadata ?? {}), Buffer.from(payload.data ?? [])]));
}
