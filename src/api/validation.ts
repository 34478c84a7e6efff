import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors';

// PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode an unpaired surrogate, yet both are legal JSON escapes.
// Such a string would fail at the database (a 5xx, or a workflow retrying its read-model write forever): refuse it here.
// The schemas say so for their own fields; this catches what a lenient schema passes through.
const isUnstorableText = (text: string) => text.includes('\u0000') || /\p{Cs}/u.test(text);

/**
 * Every value in a JSON document with its path and key (the document itself: path and key ''); iterative, because a
 * lenient schema may pass through deeply nested JSON.
 */
function* jsonEntries(input: unknown): Generator<{ path: string; key: string; value: unknown }> {
  const pending: { value: unknown; path: string; key: string }[] = [{ value: input, path: '', key: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    yield next;
    const { value, path } = next;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, item] of Object.entries(value)) pending.push({ value: item, path: path === '' ? key : `${path}.${key}`, key });
  }
}

const unstorableTextPaths = (input: unknown) =>
  [...jsonEntries(input)].filter(({ value }) => typeof value === 'string' && isUnstorableText(value)).map(({ path }) => path);

/**
 * Paths of `__proto__` keys. JSON.parse keeps one as an own key, but zod copies keys by assignment, which makes it the
 * parsed object's prototype: its fields would then be read past every check of the schema.
 */
const prototypeKeyPaths = (input: unknown) => [...jsonEntries(input)].filter(({ key }) => key === '__proto__').map(({ path }) => path);

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

/** The raw body as text and parsed JSON; malformed JSON is a 400, never a 500, and so is a `__proto__` key. */
export async function readJsonBody(c: Context): Promise<{ raw: string; json: unknown }> {
  const raw = await c.req.text();
  if (raw.trim() === '') return { raw, json: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ApiError('MALFORMED_JSON', 'the request body is not valid JSON');
  }
  const prototypeKeys = prototypeKeyPaths(json);
  if (prototypeKeys.length > 0) {
    throw new ApiError('VALIDATION_FAILED', 'the request is not valid', prototypeKeys.map((path) => ({ path, message: 'the key __proto__ is not accepted' })));
  }
  return { raw, json };
}

/** A JSON body read whatever its Content-Type (an empty one is {}), then validated: see jsonRequestBody. */
export async function readValidBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  return parseWith(schema, (await readJsonBody(c)).json);
}
