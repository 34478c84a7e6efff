import pino, { type Logger } from 'pino';

/**
 * Customer contact data is masked, secrets and other personal data never appear: logs leave this process and live
 * for months. Keys are compared without case, `_` or `-`, so `customer_details.first_name`, `customer.firstName` and
 * an `Authorization` header all match.
 */
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'xapikey',
  'apikey',
  'apikeys',
  'password',
  'secret',
  'serverkey',
  'midtransserverkey',
  'signaturekey',
  'payloadencryptionkeys',
  'databaseurl',
  'cardtoken',
  'tokenid',
  'savedtokenid',
  'cardnumber',
  'cardcvv',
  'cvv',
]);
const PERSONAL_KEYS = new Set(['email', 'phone', 'firstname', 'lastname', 'fullname', 'customername', 'cardholdername', 'address']);
/** What a customer pays one order with: tied to the customer's payment, and of no use to anyone reading logs. */
const PAYMENT_CODE_KEYS = new Set(['vanumber', 'permatavanumber', 'billkey', 'qrstring', 'paymentcode']);

/** Deeper than any shape the service logs; anything below is dropped rather than written unchecked. */
const MAX_DEPTH = 16;

function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

function censored(value: unknown): string {
  return typeof value === 'string' && value.includes('@') ? maskEmail(value) : '[redacted]';
}

const isSensitive = (key: string) => {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normalized) || PERSONAL_KEYS.has(normalized) || PAYMENT_CODE_KEYS.has(normalized);
};

/**
 * The log fields with every sensitive key censored, at any depth: in nested objects, arrays and errors (serialized
 * first, so their own properties such as a Midtrans answer body are checked too). Unchanged objects are returned as
 * they are, so a line with nothing to censor allocates nothing.
 */
export function redactLogFields<T>(fields: T): T {
  return censorValue(fields, 0, new Set()) as T;
}

function censorValue(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (ancestors.has(value)) return '[Circular]';
  if (value instanceof Error) return censorObject(pino.stdSerializers.err(value), depth, ancestors, true);
  if (Array.isArray(value)) {
    ancestors.add(value);
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const censoredItem = censorValue(item, depth + 1, ancestors);
      if (censoredItem !== item) (copy ??= [...value])[index] = censoredItem;
    });
    ancestors.delete(value);
    return copy ?? value;
  }
  // Dates, Buffers, URLs and the like write themselves through toJSON: no keys of ours inside.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  return censorObject(value, depth, ancestors, false);
}

function censorObject(value: object, depth: number, ancestors: Set<object>, alwaysCopy: boolean): object {
  ancestors.add(value);
  let copy: Record<string, unknown> | undefined = alwaysCopy ? {} : undefined;
  const keys = Object.keys(value);
  for (const [index, key] of keys.entries()) {
    const field = (value as Record<string, unknown>)[key];
    const censoredField = isSensitive(key) ? censored(field) : censorValue(field, depth + 1, ancestors);
    if (censoredField !== field && !copy) {
      copy = {};
      for (const earlier of keys.slice(0, index)) copy[earlier] = (value as Record<string, unknown>)[earlier];
    }
    if (copy) copy[key] = censoredField;
  }
  ancestors.delete(value);
  return copy ?? value;
}

/**
 * pino's `redact` paths cannot do this: a wildcard stands for exactly one level (`*.customer_details.email` misses
 * `charge.request.customer_details.email` and a top-level `customer_details`), there is no recursive wildcard, and
 * every array level needs its own `[*]`. So the fields pass through `formatters.log` (and child bindings through
 * `formatters.bindings`) instead; the `err` serializer only has to keep the already serialized error as it is.
 */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    base: { service: 'tiketq-payments', component: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (fields) => redactLogFields(fields),
      bindings: (bindings) => redactLogFields(bindings),
    },
    serializers: {
      err: (err: unknown) => (err instanceof Error ? redactLogFields(err) : err),
    },
  });
}

export type { Logger };

/** Logs at most one line per interval; the line says how many were suppressed since the previous one. */
export function rateLimitedWarning(intervalMs: number) {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (log: Logger, fields: Record<string, unknown>, message: string) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      suppressed += 1;
      return;
    }
    log.warn({ ...fields, suppressed }, message);
    lastAt = now;
    suppressed = 0;
  };
}
