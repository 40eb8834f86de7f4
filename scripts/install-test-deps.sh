#!/usr/bin/env bash
# Installs what the test suite needs, and only what is missing, so it is cheap to run before every
# `npm test`. Targets Debian 12 with Node 20 + npm, as root (CI and dev machines); a non-root user
# gets the list of what to install instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm writes node_modules/.package-lock.json on every install; older than the lockfile means stale.
if [[ ! -f node_modules/.package-lock.json || package.json -nt node_modules/.package-lock.json ||
      ( -f package-lock.json && package-lock.json -nt node_modules/.package-lock.json ) ]]; then
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

missing=()
command -v kcat >/dev/null || missing+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || missing+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' 2>/dev/null || missing+=(python3-kafka)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# test/ship/scratch.test.ts copies the CA bundle into the container file set.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
# runuser (Postgres as non-root), unshare (private /proc mount for the chroot), chroot itself.
for tool in runuser unshare chroot; do
  command -v "$tool" >/dev/null || { missing+=(util-linux coreutils); break; }
done

if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: missing ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
