import pino, { type Logger } from 'pino';

/** Customer contact data is masked, secrets never appear: logs leave this process and live for months. */
function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    base: { service: 'tiketq-payments', component: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        '*.signature_key',
        '*.serverKey',
        '*.server_key',
        '*.card_token',
        '*.token_id',
        '*.customer_details.email',
        '*.customer_details.phone',
        'email',
        'phone',
      ],
      censor: (value) => (typeof value === 'string' && value.includes('@') ? maskEmail(value) : '[redacted]'),
    },
  });
}

export type { Logger };
