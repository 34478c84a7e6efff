import { z } from 'zod';
import {
  commaList,
  isLoopbackUrl,
  MIN_PRODUCTION_API_KEY_LENGTH,
  payloadEncryptionKeys,
  positiveInt,
  PUBLICLY_KNOWN_OPERATOR_TOKENS,
} from '../config';

/**
 * The codec server's environment (`npm run codec-server`). Its own schema, not src/config.ts's: it needs no database
 * or Midtrans settings, and the API and worker must not need operator tokens to start.
 */

/** CODEC_ALLOWED_ORIGINS: each entry a bare origin (scheme, host, port), as browsers send it in `Origin`. */
const origins = commaList.transform((entries, ctx) => {
  entries.forEach((entry, index) => {
    if (!URL.canParse(entry) || new URL(entry).origin !== entry) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} is not an origin like https://temporal-ui.example.com (no path, no trailing slash)`,
      });
    }
  });
  return entries;
});

const codecServerSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CODEC_SERVER_HOST: z.string().default('127.0.0.1'),
    CODEC_SERVER_PORT: z.coerce.number().int().min(1).max(65_535).default(8234),
    /** Who may read decoded payloads: each operator holds one token (several, so they can be rotated or revoked). */
    CODEC_OPERATOR_TOKENS: commaList,
    /** The Temporal Web UI's origins: only they may call /encode and /decode from a browser. */
    CODEC_ALLOWED_ORIGINS: origins,
    /** How long a sign-in on /login lasts before the operator must give the token again. */
    CODEC_SESSION_HOURS: positiveInt(8),
    /** Temporal limits a payload to 2 MB; a batch of a few of them fits. */
    CODEC_BODY_LIMIT_BYTES: positiveInt(8 * 1024 * 1024),
    /** The one namespace whose payloads this server opens (the UI names it in X-Namespace). */
    TEMPORAL_NAMESPACE: z.string().default('default'),
    PAYLOAD_ENCRYPTION_KEYS: payloadEncryptionKeys,
  })
  .superRefine((c, ctx) => {
    const refuse = (variable: keyof typeof c, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
    if (c.PAYLOAD_ENCRYPTION_KEYS.length === 0)
      refuse('PAYLOAD_ENCRYPTION_KEYS', 'must be set: the codec server opens payloads with these keys');
    if (c.NODE_ENV === 'production') {
      if (c.CODEC_OPERATOR_TOKENS.length === 0)
        refuse('CODEC_OPERATOR_TOKENS', 'must be set in production: without it anyone who reaches the server reads every payload');
      c.CODEC_OPERATOR_TOKENS.forEach((token, index) => {
        const which = `token ${index + 1} of ${c.CODEC_OPERATOR_TOKENS.length}`;
        if (PUBLICLY_KNOWN_OPERATOR_TOKENS.has(token))
          refuse('CODEC_OPERATOR_TOKENS', `${which} is publicly known (a test token of this repository)`);
        else if (token.length < MIN_PRODUCTION_API_KEY_LENGTH)
          refuse('CODEC_OPERATOR_TOKENS', `${which} is shorter than ${MIN_PRODUCTION_API_KEY_LENGTH} characters`);
      });
      // The session cookie is Secure in production: a browser would never send it back over http.
      c.CODEC_ALLOWED_ORIGINS.forEach((origin, index) => {
        if (!origin.startsWith('https://')) refuse('CODEC_ALLOWED_ORIGINS', `entry ${index + 1} must be https in production`);
      });
    } else if (
      c.CODEC_OPERATOR_TOKENS.length === 0 &&
      !isLoopbackUrl(`http://${c.CODEC_SERVER_HOST.includes(':') ? `[${c.CODEC_SERVER_HOST}]` : c.CODEC_SERVER_HOST}`)
    ) {
      refuse(
        'CODEC_OPERATOR_TOKENS',
        'is empty, which leaves the codec server open: it may then listen only on loopback (CODEC_SERVER_HOST 127.0.0.1, ::1 or localhost)',
      );
    }
  });

export type CodecServerConfig = z.infer<typeof codecServerSchema>;

/** Parses the environment; the error names each bad variable but never echoes a value (tokens and keys are secrets). */
export function loadCodecServerConfig(env: NodeJS.ProcessEnv = process.env): CodecServerConfig {
  const parsed = codecServerSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid codec server configuration: ${problems}`);
  }
  return parsed.data;
}
