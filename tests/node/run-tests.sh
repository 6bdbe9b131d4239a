#!/usr/bin/env bash
# Acceptance tests: official vendor packages (stripe, standardwebhooks, @segment/analytics-node)
# sign and send requests that the real journeyd must accept, and tampered copies it must refuse;
# and the status page is driven in Debian's Chromium by playwright-core (status_page.test.mjs).
#
#   tests/node/run-tests.sh PATH/TO/journeyd
#
# Installs the pinned packages from package-lock.json (npm ci) when node_modules is missing or
# older than the lock, then runs every *.test.mjs with node's built-in test runner. The exit code
# is the test result.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 PATH/TO/journeyd" >&2
  exit 2
fi
journeyd=$(realpath -- "$1")
if [[ ! -x $journeyd ]]; then
  echo "$0: $1 is not an executable" >&2
  exit 2
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd -- "$here"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is not installed" >&2
    exit 1
  fi
done

# npm ci rewrites node_modules/.package-lock.json, so its age says when the lock was installed.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund
fi

export JOURNEYD=$journeyd
export JOURNEYD_FIXTURES=${JOURNEYD_FIXTURES:-$(realpath -m -- "$here/../../../shared/fixtures")}

# Each test file starts its own daemon, so the files may run in parallel.
exec node --test --test-timeout=120000 ./*.test.mjs
