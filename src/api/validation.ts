import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors';

/** Validates input against its schema; failures become VALIDATION_FAILED with one entry per problem. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ApiError(
    'VALIDATION_FAILED',
    'the request is not valid',
    result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** The raw body as text and parsed JSON; malformed JSON is a 400, never a 500. */
export async function readJsonBody(c: Context): Promise<{ raw: string; json: unknown }> {
  const raw = await c.req.text();
  if (raw.trim() === '') return { raw, json: {} };
  try {
    return { raw, json: JSON.parse(raw) };
  } catch {
    throw new ApiError('MALFORMED_JSON', 'the request body is not valid JSON');
  }
}
