#!/usr/bin/env bash
# Builds a current librdkafka (the client tests run against it as well as Debian 12's 2.0: it speaks newer
# protocol versions, and KIP-848 consumer groups need 2.4+) from the
# sources @confluentinc/kafka-javascript publishes on npm, the one registry reachable here, into
# node_modules/.cache/tansu-librdkafka. Debian's python3-confluent-kafka loads it through
# LD_LIBRARY_PATH (same soname, stable ABI). Nothing is downloaded but the npm tarball.
set -euo pipefail
cd "$(dirname "$0")/.."

package="@confluentinc/kafka-javascript@1.10.1"
configure=(--disable-curl --disable-gssapi --disable-lz4-ext)
cache="$PWD/node_modules/.cache/tansu-librdkafka"
# The stamp names what was built: a cache built from another package or configuration is rebuilt.
stamp="$package ${configure[*]}"
[[ -f "$cache/install/lib/librdkafka.so.1" && "$(cat "$cache/stamp" 2>/dev/null)" == "$stamp" ]] && exit 0

echo "build-librdkafka: building librdkafka from $package (once)"
rm -rf "$cache" && mkdir -p "$cache" && cd "$cache"
tarball=$(npm pack --silent "$package" | tail -n 1)
tar xzf "$tarball"
cd package/deps/librdkafka
./configure --prefix="$cache/install" "${configure[@]}" >../../../configure-output.txt  # not configure.*: mklove would load it as a module
make -j"$(nproc)" libs >make.log 2>&1 || { tail -n 50 make.log >&2; exit 1; }
make -C src install >>make.log 2>&1
echo "$stamp" >"$cache/stamp"
