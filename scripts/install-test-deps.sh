#!/usr/bin/env bash
# Installs what the test suite needs, and only what is missing, so it is cheap to run before every
# `npm test`. Targets Debian 12 with Node 20 + npm, as root (CI and dev machines); a non-root user
# gets the list of what to install instead.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm records what it installed in node_modules/.package-lock.json; it is stale when a package the
# lockfile wants (platform-specific optional ones aside) is missing or at another version, or when
# something installed is no longer locked. Comparing contents, not mtimes, keeps a script-only edit
# of package.json from wiping node_modules under everyone else using this tree.
node_modules_current() {
  [[ -f package-lock.json && -f node_modules/.package-lock.json ]] || return 1
  node -e '
    const locked = require("./package-lock.json").packages;
    const installed = require("./node_modules/.package-lock.json").packages;
    const wanted = Object.entries(locked).filter(([path, pkg]) => path !== "" && !pkg.optional);
    const stale = wanted.some(([path, pkg]) => installed[path]?.version !== pkg.version) ||
      Object.entries(installed).some(([path, pkg]) => locked[path]?.version !== pkg.version);
    process.exit(stale ? 1 : 0);
  '
}
if [[ ! -f package-lock.json ]]; then
  [[ -d node_modules ]] || npm install --no-audit --no-fund
elif ! node_modules_current; then
  npm ci --no-audit --no-fund
fi

missing=()
command -v kcat >/dev/null || missing+=(kcat)
/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || missing+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' 2>/dev/null || missing+=(python3-kafka)
# python confluent-kafka's SchemaRegistryClient, JSONSerializer and ProtobufSerializer (test/integration/schema-clients.test.ts).
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || missing+=(python3-protobuf)
/usr/bin/python3 -c 'import requests' 2>/dev/null || missing+=(python3-requests)
# test/lake decodes Iceberg manifests with an Avro reader that is not the writer's (avsc).
/usr/bin/python3 -c 'import avro' 2>/dev/null || missing+=(python3-avro)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
# test/harness/certs.ts makes the TLS tests' CA and certificates; test/harness/postgres.ts a self-signed one for the postgres:// TLS tests.
command -v openssl >/dev/null || missing+=(openssl)
# test/ship/scratch.test.ts copies the CA bundle into the container file set.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
# scripts/build-librdkafka.sh compiles librdkafka against Debian's TLS, zlib and zstd headers.
for dev in libssl-dev zlib1g-dev libzstd-dev; do
  dpkg -s "$dev" >/dev/null 2>&1 || missing+=("$dev")
done
# test/harness/s3.ts runs a throwaway Ceph cluster (monitor, in-memory OSD, RADOS Gateway) as the
# S3 server that enforces conditional writes; monmaptool comes with ceph-base, a dependency of these.
for pkg in radosgw ceph-mon ceph-osd ceph-common; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# test/http/console.test.ts drives the web console in Debian's Chromium (through playwright-core);
# test/harness/prometheus.ts parses /metrics with the Prometheus project's Python client.
command -v chromium >/dev/null || missing+=(chromium)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || missing+=(python3-prometheus-client)
# runuser runs Postgres as non-root; unshare runs the image's file set as its root with its own /proc.
for tool in runuser unshare; do
  command -v "$tool" >/dev/null || { missing+=(util-linux); break; }
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

# The librdkafka client tests run against Debian's librdkafka and a current build (newer protocol
# versions, KIP-848 consumer groups).
for tool in cc make; do
  command -v "$tool" >/dev/null || { echo "install-test-deps: $tool is needed to build librdkafka" >&2; exit 1; }
done
scripts/build-librdkafka.sh
