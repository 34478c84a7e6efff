# One image for every process of the payment service; docker-compose.yml picks the command:
#   API (default)       node dist/server.js
#   worker              node dist/worker.js      (loads the prebuilt workflow bundle: no webpack at start)
#   Midtrans simulator  node dist/simulator.js
# and the `migrate` stage is the one-off migration job (npm run migrate:deploy needs the Prisma CLI).
#
# dist/ is what `npm run build` writes; CI builds the same artifact without Docker and runs `npm run stack` from it
# (STACK_FROM_DIST=1), so what this image runs is what was tested. Node 24 LTS, as CI's test run.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: all dependencies, the Prisma client, then dist/ ---------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# CHECKPOINT_DISABLE: no Prisma telemetry lookup. The npm settings keep npm off the network apart from the registry.
ENV CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# Dependencies first, so the layer is reused until the lockfile changes. --ignore-scripts: native parts (Temporal core
# bridge, swc, esbuild) come prebuilt in their packages; the dependencies' own install scripts would only fetch Prisma
# engines (unused: the JS engine is configured). Our postinstall is `prisma generate`, run explicitly.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --ignore-scripts && npm run prisma:generate
COPY . .
RUN npm run build

# --- migrate: the one-off migration job (the Prisma CLI is a devDependency) -------------------------------------------
FROM build AS migrate
USER node
CMD ["npm", "run", "migrate:deploy"]

# --- runtime: production dependencies and dist/ only ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# Files stay owned by root, so the service cannot rewrite its own code.
COPY --from=build /app/dist ./dist
# Read, not run: the API's /ready and a starting worker check that the database has applied each of these migrations.
COPY --from=build /app/prisma/migrations ./prisma/migrations

# Production by default: config.ts then refuses the simulator's server key, an empty API_KEYS and missing payload
# encryption keys. docker-compose.yml overrides NODE_ENV for the local stack.
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js

USER node
EXPOSE 8000

# No curl in slim images: node's fetch. The X-Forwarded-Proto header keeps the probe working with ENFORCE_HTTPS=true.
# The worker, the simulator and the migration job override or disable this in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health', { headers: { 'x-forwarded-proto': 'https' }, signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node directly, not through npm: npm runs scripts through `sh -c`, which does not pass SIGTERM on.
CMD ["node", "dist/server.js"]
