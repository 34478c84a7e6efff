# One image for every process of the payment service; docker-compose.yml picks the command:
#   API (default)       tsx src/server.ts
#   worker              tsx src/worker.ts
#   Midtrans simulator  tsx simulator/main.ts
#   migration job       npm run migrate:deploy
#
# Single stage on purpose: the code runs as TypeScript through tsx (no build step), and the migration job needs the
# Prisma CLI, which is a devDependency, so pruning dev dependencies would break `migrate deploy` and `prisma generate`.
# Once `prisma` moves to dependencies, `npm ci --omit=dev` can shrink the image.
FROM node:20-bookworm-slim

WORKDIR /app

# CHECKPOINT_DISABLE: no Prisma telemetry lookup. The npm settings keep `npm ci`/`npm run` off the network apart
# from the registry itself. NODE_ENV stays unset here: with NODE_ENV=production, npm ci would skip devDependencies.
ENV CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    PATH=/app/node_modules/.bin:$PATH

# Dependencies first, so the layer is reused until the lockfile changes. --ignore-scripts: native parts (Temporal core
# bridge, swc, esbuild) come prebuilt in their packages, and the dependencies' own install scripts would only fetch
# Prisma's native engines (unused: the JS engine is configured) and send install telemetry. Our postinstall is just
# `prisma generate` (offline; needs the schema and prisma.config.ts), run explicitly: it writes src/generated/prisma.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --ignore-scripts \
 && npm run prisma:generate \
 && npm cache clean --force

# The source (see .dockerignore). Files stay owned by root, so the service cannot rewrite its own code.
COPY . .

# Production by default: config.ts then refuses the simulator's server key and an empty API_KEYS.
# docker-compose.yml overrides this for the local stack.
ENV NODE_ENV=production

USER node
EXPOSE 8000

# No curl in slim images: node's fetch. The X-Forwarded-Proto header keeps the probe working with ENFORCE_HTTPS=true.
# The worker, the simulator and the migration job override or disable this in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health', { headers: { 'x-forwarded-proto': 'https' }, signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# tsx directly, not `npm run api`: npm runs scripts through `sh -c`, which does not pass SIGTERM on, so the process
# would be killed instead of shutting down cleanly. tsx forwards signals to the node process it starts.
CMD ["tsx", "src/server.ts"]
