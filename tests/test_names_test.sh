#!/usr/bin/env bash
# ctest cuts a discovered test's name at ';' (CMake's list separator): such a test then matches
# nothing, is never run, and ctest counts it as passed. Fails when a Catch test name holds one.
# Usage: test_names_test.sh TEST_BINARY...
set -euo pipefail
bad=0
for binary in "$@"; do
  # Catch v2 exits with the number of tests listed, so the status says nothing.
  names=$("$binary" --list-test-names-only || true)
  count=$(grep -c . <<<"$names" || true)
  if [ "$count" -lt 10 ]; then
    echo "FAIL: $binary lists only $count tests" >&2
    exit 1
  fi
  if grep -n ';' <<<"$names" >&2; then bad=1; fi
done
if [ "$bad" -ne 0 ]; then
  echo "FAIL: the test names above contain ';': ctest would never run them; write ',' instead" >&2
  exit 1
fi
echo "ok: no test name contains ';'"
