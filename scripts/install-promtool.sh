#!/usr/bin/env bash
# Builds promtool (Prometheus's rule checker and rule unit-test runner) from its Go module into .tools/promtool/, for
# the alert-rule and dashboard tests (test/unit/alerts-and-dashboards.test.ts). Pinned version; a stamp makes a second
# run a no-op, and a warm Go module and build cache make a rebuild in a fresh clone take a minute or two, offline.
# The first build on a machine downloads the modules and takes 10-25 minutes on 2 cores.
set -euo pipefail

# Prometheus v3.x is published as Go module versions v0.3xx.y (v0.316.0 = Prometheus 3.16.0).
PROMETHEUS_MODULE_VERSION=v0.316.0
# The module needs a newer Go than the machine's; this toolchain comes from the Go module proxy when GOTOOLCHAIN names it.
GO_TOOLCHAIN=go1.27.3

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.tools/promtool"
stamp="$target/.installed"
wanted="prometheus=$PROMETHEUS_MODULE_VERSION go=$GO_TOOLCHAIN"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$target/bin/promtool" ]]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "install-promtool: Go is required to build promtool (apt-get install golang, or go.dev/dl)" >&2
  exit 1
fi

echo "install-promtool: building promtool ($wanted) into .tools/promtool/"
started=$SECONDS
rm -rf "$target"
GOTOOLCHAIN="$GO_TOOLCHAIN" GOBIN="$target/bin" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
echo "$wanted" > "$stamp"
echo "install-promtool: built in $((SECONDS - started)) s: $target/bin/promtool"
