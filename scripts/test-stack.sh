#!/usr/bin/env bash
# `npm run test:stack`: the integration suite and a chaos subset on the production topology (the Temporal server on
# its own PostgreSQL, two workers), the chaos stack running the built artifact (dist/) as the image does.
# The first run builds the Temporal server (10-15 minutes); CHAOS_MODE=full runs the chaos subset at full size.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-tools.sh --server
npm run -s build
TEST_TEMPORAL_TOPOLOGY=stack node_modules/.bin/vitest run --project integration
CHAOS_TEMPORAL=stack CHAOS_MODE="${CHAOS_MODE:-bounded}" STACK_FROM_DIST=1 node_modules/.bin/vitest run --config test/chaos/vitest.config.ts
