import { serve } from '@hono/node-server';
import { createLogger } from '../logger';
import { createCodecServer } from './app';
import { loadCodecServerConfig } from './config';

/** The codec server process: `npm run codec-server`. Configured only by environment variables (./config.ts). */
const config = loadCodecServerConfig();
const logger = createLogger(config.LOG_LEVEL, 'codec-server');
if (config.CODEC_OPERATOR_TOKENS.length === 0) {
  // Production refuses this, and elsewhere it is allowed on loopback only (./config.ts); it must not go unnoticed.
  logger.warn(
    'CODEC_OPERATOR_TOKENS is empty: anyone who reaches this codec server on this machine reads decoded payloads. Local development only.',
  );
}
if (config.CODEC_ALLOWED_ORIGINS.length === 0)
  logger.warn('CODEC_ALLOWED_ORIGINS is empty: no Web UI can call this codec server from a browser');

const app = createCodecServer(config, logger);
const server = serve({ fetch: app.fetch, port: config.CODEC_SERVER_PORT, hostname: config.CODEC_SERVER_HOST }, (info) => {
  logger.info(
    { port: info.port, namespace: config.TEMPORAL_NAMESPACE, allowedOrigins: config.CODEC_ALLOWED_ORIGINS },
    `codec server listening on http://${config.CODEC_SERVER_HOST}:${info.port} (operators sign in at /login)`,
  );
});

function shutdown() {
  const forced = setTimeout(() => process.exit(1), 10_000).unref();
  server.close(() => {
    clearTimeout(forced);
    process.exit(0);
  });
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
