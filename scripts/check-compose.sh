#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine: `docker-compose config` parses it, fills in ${VAR} values and
# validates it against the Compose schema. It does not build the image or start anything. Six checks:
#   1. with every required secret set, the file is valid;
#   2. without any one of them (unset or empty), rendering fails with a message naming it: the stack has no default
#      secrets to start with by accident;
#   3. every published port is bound to 127.0.0.1;
#   4. the API has a memory limit within its 512 MB budget, the worker one of at least 1 GB (Node sizes its heaps,
#      and the worker its workflow cache, from them);
#   5. the background tier (worker, temporal, temporal-postgres) weighs less CPU than the API and its PostgreSQL, so a
#      saturated host answers the webhook first;
#   6. no service leaves the runtime's default seccomp profile, which refuses io_uring (docs/operations.md, "io_uring
#      and seccomp").
# Installs Debian's docker-compose first when it is missing and we are root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The secrets docker-compose.yml must demand with ${NAME:?message}; a new one there must be added here.
required_secrets=(API_KEYS OPERATOR_TOKENS MIDTRANS_SERVER_KEY DOWNSTREAM_SIGNING_SECRET PAYLOAD_ENCRYPTION_KEYS POSTGRES_PASSWORD TEMPORAL_POSTGRES_PASSWORD CODEC_OPERATOR_TOKENS)

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
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# An empty env file instead of ./.env, and nothing from the caller's shell but PATH and HOME: only what each check sets.
: >"$work/empty.env"
compose_config() { env -i PATH="$PATH" HOME="$HOME" "$@" docker-compose --env-file "$work/empty.env" -f docker-compose.yml config; }

all_secrets=()
for name in "${required_secrets[@]}"; do all_secrets+=("$name=check-compose-placeholder-$name"); done

# 1. Valid with every secret set.
if ! compose_config "${all_secrets[@]}" >"$work/rendered.yml" 2>"$work/errors.txt"; then
  echo "check-compose: docker-compose.yml is invalid with every required secret set:" >&2
  cat "$work/errors.txt" >&2
  exit 1
fi
echo "check-compose: valid with ${required_secrets[*]} set"

# 2. Each secret missing, then empty: refused, naming it.
for name in "${required_secrets[@]}"; do
  others=()
  for assignment in "${all_secrets[@]}"; do [[ "$assignment" == "$name="* ]] || others+=("$assignment"); done
  for missing in unset empty; do
    extra=()
    [[ "$missing" == empty ]] && extra=("$name=")
    if compose_config "${others[@]}" "${extra[@]}" >/dev/null 2>"$work/errors.txt"; then
      echo "check-compose: docker-compose.yml renders with $name $missing; it must demand it with \${$name:?message}" >&2
      exit 1
    fi
    if ! grep -q "set $name" "$work/errors.txt"; then
      echo "check-compose: with $name $missing the error does not name it:" >&2
      cat "$work/errors.txt" >&2
      exit 1
    fi
  done
done
echo "check-compose: refused, naming the variable, when any of them is unset or empty"

# 3. Published ports on loopback only (docker-compose config writes them as "ip:published:target/proto" or as a
# mapping with host_ip; PyYAML comes with docker-compose).
python3 - "$work/rendered.yml" <<'PY'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
exposed = []
for name, service in services.items():
    for port in service.get("ports", []):
        host_ip = port.get("host_ip") if isinstance(port, dict) else (str(port).split(":")[0] if str(port).count(":") == 2 else None)
        if host_ip != "127.0.0.1":
            exposed.append(f"{name}: {port}")
if exposed:
    sys.exit("check-compose: ports published beyond 127.0.0.1: " + "; ".join(exposed))
PY
echo "check-compose: every published port is bound to 127.0.0.1"
echo "docker-compose.yml is valid"

# 4. The API's and the worker's memory limits (docker-compose config writes mem_limit in bytes, or as written).
python3 - "$work/rendered.yml" <<'PY'
import re, sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
units = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}

def limit_bytes(name):
    service = services[name]
    limit = service.get("mem_limit") or service.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory")
    match = re.fullmatch(r"(\d+)\s*([bkmg]?)b?", str(limit).strip().lower()) if limit is not None else None
    if not match:
        sys.exit(f"check-compose: the {name} service has no memory limit (mem_limit), or one not read: {limit!r}")
    return int(match.group(1)) * units[match.group(2)]

api = limit_bytes("api")
if api > 512 * 10**6:
    sys.exit(f"check-compose: the api service's memory limit ({api} bytes) is over its 512 MB budget")
# Below 1 GB a worker caches too few payments to be worth running (docs/operations.md, "Worker memory").
worker = limit_bytes("worker")
if worker < 10**9:
    sys.exit(f"check-compose: the worker service's memory limit ({worker} bytes) is under 1 GB")
PY
echo "check-compose: the API runs under a memory limit within its budget, the worker under one of at least 1 GB"

# 5. CPU weights: the background tier below the latency tier (cpu_shares; Docker's default is 1024).
python3 - "$work/rendered.yml" <<'PY'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
shares = lambda name: int(services[name].get("cpu_shares", 1024))
latency = min(shares(name) for name in ("api", "postgres"))
heavy = [f"{name} ({shares(name)})" for name in ("worker", "temporal", "temporal-postgres") if shares(name) >= latency]
if heavy:
    sys.exit(f"check-compose: the background tier must weigh less CPU than the api and postgres ({latency}): " + ", ".join(heavy))
PY
echo "check-compose: the worker, Temporal and its PostgreSQL weigh less CPU than the API and PostgreSQL"

# 6. Every service under the runtime's default seccomp profile: no security_opt turns it off.
python3 - "$work/rendered.yml" <<'PY'
import re, sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
unconfined = [f"{name}: {option}" for name, service in services.items() for option in service.get("security_opt", [])
              if re.fullmatch(r"seccomp[=:]\s*unconfined", str(option).strip())]
if unconfined:
    sys.exit("check-compose: services must keep the default seccomp profile (it refuses io_uring): " + "; ".join(unconfined))
PY
echo "check-compose: every service keeps the runtime's default seccomp profile"
