import { OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import type { ApiEnv } from './middleware/request-context';
import { errorSchema, idempotencyKeyHeader, paymentSchema } from './schemas';
import { refuseInvalidInput } from './validation';

/**
 * What the routes share in their OpenAPI declarations (routes/*.ts): the error responses, the API key, the
 * Idempotency-Key, JSON request bodies. The document at /openapi.json is generated from those declarations.
 */

/** A router whose declared parameters are validated into VALIDATION_FAILED, as bodies are. */
export const apiRouter = (options: { strict?: boolean } = {}) => new OpenAPIHono<ApiEnv>({ ...options, defaultHook: refuseInvalidInput });

export const API_KEY_SECURITY: RouteConfig['security'] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
/** GET /metrics: a token of METRICS_TOKENS (what Prometheus holds), or an API key. */
export const METRICS_SECURITY: RouteConfig['security'] = [{ metricsToken: [] }, ...API_KEY_SECURITY];
/** The operators' routes take an operator token (OPERATOR_TOKENS), never an API key nor the console's session cookie. */
export const OPERATOR_SECURITY: RouteConfig['security'] = [{ operatorToken: [] }];
export const SECURITY_SCHEMES = {
  bearerAuth: { type: 'http', scheme: 'bearer' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  operatorToken: { type: 'http', scheme: 'bearer', description: 'An operator token from OPERATOR_TOKENS (an API key is not one)' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'A token from METRICS_TOKENS: opens GET /metrics and nothing else' },
} as const;

export const jsonContent = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });

export const errorResponse = (description: string) => ({ description, ...jsonContent(errorSchema) });

export const STANDARD_ERRORS = {
  400: errorResponse('Invalid input (VALIDATION_FAILED, MALFORMED_JSON)'),
  401: errorResponse('Missing or wrong API key (UNAUTHORIZED)'),
  405: errorResponse('The path exists but does not take this method (METHOD_NOT_ALLOWED); see the Allow header'),
  413: errorResponse('Body over the size limit (PAYLOAD_TOO_LARGE)'),
  503: errorResponse('A dependency is unavailable (SERVICE_UNAVAILABLE); retry after the Retry-After header'),
} as const;

export const OPERATOR_ERRORS = {
  ...STANDARD_ERRORS,
  401: errorResponse('No operator token or session (UNAUTHORIZED); an API key is not an operator token'),
} as const;

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as a client may send it (io "input"). */
function inputJsonSchema(schema: z.ZodType): object {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // A discriminated union's members exclude each other (one value of the discriminator each): oneOf says so.
      if (zodSchema._zod.def.type === 'union' && 'discriminator' in zodSchema._zod.def && jsonSchema.anyOf) {
        jsonSchema.oneOf = jsonSchema.anyOf;
        delete jsonSchema.anyOf;
      }
    },
  });
  return jsonSchema;
}

/**
 * A JSON request body, documented from its zod schema as an inline JSON Schema. It is not handed to
 * @hono/zod-openapi's validator, which would refuse any Content-Type but JSON with 415 and an empty body as malformed,
 * where this API reads the body as JSON whatever its type (an empty one is {}) and clients rely on it: the handler
 * reads it with readValidBody. zod's own converter writes a refused field (z.never) as `not: {}`, which zod-to-openapi cannot.
 */
export function jsonRequestBody(schema: z.ZodType, { required }: { required: boolean }): RouteConfig['requestBody'] {
  return { required, content: { 'application/json': { schema: inputJsonSchema(schema) } } };
}

export function idempotencyKeyParameter(retried: string): RouteConfig['parameters'] {
  return [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        `Per caller (the API key), kept IDEMPOTENCY_KEY_TTL_HOURS (default 24). ${retried} ` +
        'The same key with another body, endpoint or payment is 409 IDEMPOTENCY_CONFLICT.',
      schema: inputJsonSchema(idempotencyKeyHeader),
    },
  ];
}

export const IDEMPOTENT_REPLAY_HEADERS = {
  'Idempotent-Replayed': {
    description: '"true" when this is the stored answer to an earlier request with the same key',
    schema: { type: 'string' as const, enum: ['true'] },
  },
};

export const MIDTRANS_UNAVAILABLE_RESPONSE = errorResponse(
  'MIDTRANS_UNAVAILABLE: Midtrans did not take the request for a reason that is not the payment\'s (it refused our server ' +
    'key, or a proxy in front of it answered). Final for this Idempotency-Key: once the cause is fixed, read the payment ' +
    '(an earlier attempt whose answer was lost may have reached Midtrans), then send the request again with a new key.',
);

export const UPDATE_PENDING_RESPONSE = {
  description:
    'UPDATE_PENDING: the workflow has not finished within UPDATE_WAIT_MS (a worker away, Midtrans slow). The request is ' +
    'not canceled and still completes; retry after Retry-After with the same Idempotency-Key to get its answer. ' +
    'details.payment is the payment as the read model has it now.',
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const } } },
  ...jsonContent(
    errorSchema.extend({ error: errorSchema.shape.error.extend({ details: z.object({ payment: paymentSchema.nullable() }) }) }),
  ),
};
