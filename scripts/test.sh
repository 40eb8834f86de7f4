#!/usr/bin/env bash
# What `npm test` runs: dependencies, the compiled broker the integration tests exercise, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
npm run build
# Strict types, and no unused code (tsconfig noUnusedLocals), are part of passing.
npm run --silent typecheck

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
node_modules/.bin/bun test "$@" 2>&1 | tee "$log" || status=$?

# bun's summary (" 12 pass" / " 0 fail") is not a format CI readers know; restate it as the plain line.
pass=$(sed -n 's/^ *\([0-9][0-9]*\) pass$/\1/p' "$log" | tail -1)
fail=$(sed -n 's/^ *\([0-9][0-9]*\) fail$/\1/p' "$log" | tail -1)
skip=$(sed -n 's/^ *\([0-9][0-9]*\) skip$/\1/p' "$log" | tail -1)
if [[ -n $pass || -n $fail ]]; then
  echo "${pass:-0} passed, ${fail:-0} failed${skip:+, $skip skipped}"
fi
exit "$status"
