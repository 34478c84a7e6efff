#!/usr/bin/env bash
# Builds the production Temporal server, temporal-sql-tool and the Web UI server from their Go modules into
# .tools/temporal-server/ (`npm run tools:install -- --server`), with the schemas and the UI server's config template
# copied beside them, so `npm run stack` needs neither Docker nor the module cache at run time. Pinned versions;
# a stamp makes a second run a no-op. The first build takes 10-15 minutes on 2 cores.
set -euo pipefail

TEMPORAL_SERVER_VERSION=v1.32.2
TEMPORAL_UI_SERVER_VERSION=v2.58.1
# The UI server's go.mod names two releases the Go module proxy does not serve (echo v4.16.1, go.temporal.io/api
# v1.64.0): it is built in a throwaway module that requires these next patch releases instead.
UI_ECHO_VERSION=v4.16.5
UI_TEMPORAL_API_VERSION=v1.64.1
# The server module needs Go >= 1.26.10; this toolchain comes from the Go module proxy when GOTOOLCHAIN names it.
GO_TOOLCHAIN=go1.27.3

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.tools/temporal-server"
stamp="$target/.installed"
wanted="server=$TEMPORAL_SERVER_VERSION ui-server=$TEMPORAL_UI_SERVER_VERSION echo=$UI_ECHO_VERSION api=$UI_TEMPORAL_API_VERSION go=$GO_TOOLCHAIN"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "install-temporal-server: Go is required to build the Temporal server (apt-get install golang, or go.dev/dl)" >&2
  exit 1
fi

export GOTOOLCHAIN="$GO_TOOLCHAIN"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
echo "install-temporal-server: building $wanted (the first build takes 10-15 minutes)"
started=$SECONDS
# Both modules name their binary `server`: each is written under a name that says what it is.
GOBIN="$build/server" go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION"
GOBIN="$build/server" go install "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
mkdir -p "$build/ui-module" "$build/ui"
(
  cd "$build/ui-module"
  go mod init tiketq.local/temporal-ui-build >/dev/null 2>&1
  go get "github.com/temporalio/ui-server/v2/cmd/server@$TEMPORAL_UI_SERVER_VERSION" \
    "github.com/labstack/echo/v4@$UI_ECHO_VERSION" "go.temporal.io/api@$UI_TEMPORAL_API_VERSION"
  go build -o "$build/ui/server" github.com/temporalio/ui-server/v2/cmd/server
)

module="$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION"
ui_module="$(go env GOMODCACHE)/github.com/temporalio/ui-server/v2@$TEMPORAL_UI_SERVER_VERSION"
rm -rf "$target"
mkdir -p "$target/bin" "$target/schema" "$target/ui/config"
install -m 0755 "$build/server/server" "$target/bin/temporal-server"
install -m 0755 "$build/server/sql" "$target/bin/temporal-sql-tool"
install -m 0755 "$build/ui/server" "$target/bin/temporal-ui-server"
install -m 0644 "$ui_module/config/docker.yaml" "$target/ui/config/docker.yaml"
cp -r "$module/schema/postgresql" "$target/schema/"
chmod -R u+w "$target/schema"
echo "$wanted" > "$stamp"
echo "install-temporal-server: built in $((SECONDS - started)) s into .tools/temporal-server/"
