#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine: `docker-compose config` parses it, fills in ${VAR:-default}
# values and validates it against the Compose schema. It does not build the image or start anything.
# Installs Debian's docker-compose first when it is missing and we are root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v docker-compose >/dev/null 2>&1; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "check-compose: installing docker-compose with apt-get"
    apt-get update -qq
    # --no-install-recommends: only the compose CLI, not the docker.io engine it recommends.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    echo "check-compose: docker-compose is missing; install the Debian package 'docker-compose' (apt-get install docker-compose)" >&2
    exit 1
  fi
fi

cd "$root"
docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml is valid"
