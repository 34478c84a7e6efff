import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors';

// PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode an unpaired surrogate, yet both are legal JSON escapes.
// Such a string would fail at the database (a 5xx, or a workflow retrying its read-model write forever): refuse it here.
// The schemas say so for their own fields; this catches what a lenient schema passes through.
const isUnstorableText = (text: string) => text.includes('\u0000') || /\p{Cs}/u.test(text);

/** Paths of unstorable strings; iterative, because a lenient schema may pass through deeply nested JSON. */
function unstorableTextPaths(input: unknown): string[] {
  const found: string[] = [];
  const pending: { value: unknown; path: string }[] = [{ value: input, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string' && isUnstorableText(value)) found.push(path);
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value)) pending.push({ value: item, path: path === '' ? key : `${path}.${key}` });
  }
  return found;
}

type ParseResult = { success: true; data: unknown } | { success: false; error: z.ZodError };

/** VALIDATION_FAILED with one entry per problem, or nothing when the input is valid and storable. */
function refuseInvalid(result: ParseResult): void {
  const problems = result.success
    ? unstorableTextPaths(result.data).map((path) => ({ path, message: 'must not contain U+0000 or an unpaired surrogate' }))
    : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  if (problems.length > 0) throw new ApiError('VALIDATION_FAILED', 'the request is not valid', problems);
}

/** Validates input against its schema; failures become VALIDATION_FAILED with one entry per problem. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  refuseInvalid(result);
  return result.data as z.infer<S>;
}

/** The routers' validation hook (@hono/zod-openapi's defaultHook): parameters are refused exactly as bodies are. */
export const refuseInvalidInput = (result: ParseResult) => refuseInvalid(result);

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

/** A JSON body read whatever its Content-Type (an empty one is {}), then validated: see jsonRequestBody. */
export async function readValidBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  return parseWith(schema, (await readJsonBody(c)).json);
}
