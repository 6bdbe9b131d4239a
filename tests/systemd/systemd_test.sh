#!/usr/bin/env bash
# Checks the systemd integration files in systemd/:
#   1. `systemd-analyze verify` is clean for journeyd.service (no output, exit 0),
#   2. `systemd-analyze security --offline=true` rates its exposure at 2.0 or lower,
#   3. the sysusers.d and tmpfiles.d files parse (and, as root, create what they should).
# Usage: systemd_test.sh JOURNEYD_BINARY SYSTEMD_DIR
# Exit: 0 pass, 1 fail, 77 skip (only when systemd-analyze is not installed).
set -euo pipefail

MAX_EXPOSURE=2.0

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ $# -ne 2 ]; then
  echo "usage: $0 JOURNEYD_BINARY SYSTEMD_DIR" >&2
  exit 1
fi
# Absolute paths: ExecStart= needs one, and sysusers/tmpfiles resolve relative ones in --root.
binary=$(realpath -m -- "$1")
src=$(realpath -m -- "$2")
unit_src="$src/journeyd.service"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not found"
  exit 77
fi
[ -x "$binary" ] || fail "journeyd binary '$binary' is missing or not executable"
[ -f "$unit_src" ] || fail "unit file '$unit_src' not found"
[ -x /bin/kill ] || fail "/bin/kill (used by ExecReload=) is missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# verify checks that ExecStart='s binary exists, so point it at the one just built. The unit
# keeps its name: verify and security derive the unit type and name from it.
unit="$work/journeyd.service"
sed -e "s|^ExecStart=/usr/bin/journeyd |ExecStart=$binary |" \
    -e "s|^ExecReload=/bin/kill |ExecReload=/bin/kill |" "$unit_src" >"$unit"
grep -q "^ExecStart=$binary " "$unit" ||
  fail "$unit_src has no 'ExecStart=/usr/bin/journeyd ...' line to rewrite"
# shellcheck disable=SC2016  # $MAINPID is meant literally
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" ||
  fail "$unit_src has no 'ExecReload=/bin/kill -HUP \$MAINPID' line"
changed=$(diff "$unit_src" "$unit" | grep -c '^>' || true)
[ "$changed" -eq 1 ] || fail "rewriting the unit changed $changed lines, expected 1"

# --- 1. systemd-analyze verify ---------------------------------------------------------------
# verify exits 0 even for unknown keys or unparsable values (it only warns), so any output
# about our unit is a failure. (systemd 252 does not resolve User= here, so the journeyd user
# need not exist; should a newer systemd complain about it, that complaint fails the test.)
# Lines about other units on the host are shown but do not fail the test.
set +e
verify_out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$unit" 2>&1)
verify_rc=$?
set -e
echo "systemd-analyze verify (exit $verify_rc):"
if [ -n "$verify_out" ]; then
  sed 's/^/  /' <<<"$verify_out"
else
  echo "  (no output)"
fi
[ "$verify_rc" -eq 0 ] || fail "systemd-analyze verify exited with $verify_rc"
if grep -q -e "journeyd" -e "$work" <<<"$verify_out"; then
  fail "systemd-analyze verify reported problems with journeyd.service (see above)"
fi

# --- 2. systemd-analyze security ------------------------------------------------------------
set +e
security_out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
security_rc=$?
set -e
# Parse warnings (unknown keys etc.) come on stderr, mixed in here; they mean a setting we
# count on is being ignored.
if grep -e "$work" <<<"$security_out"; then
  fail "systemd-analyze security warned about the unit (see above)"
fi
line=$(grep -a "Overall exposure level" <<<"$security_out" || true)
if [ -z "$line" ]; then
  printf '%s\n' "$security_out"
  fail "systemd-analyze security (exit $security_rc) printed no 'Overall exposure level' line"
fi
exposure=$(sed -E 's/.*Overall exposure level for [^:]*: ([0-9]+(\.[0-9]+)?).*/\1/' <<<"$line")
[[ "$exposure" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "cannot parse the exposure from: $line"
echo "systemd-analyze security: overall exposure $exposure (limit $MAX_EXPOSURE)"
if ! awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
  grep -a "✗" <<<"$security_out" || true
  fail "exposure $exposure is above $MAX_EXPOSURE"
fi

# --- 3. sysusers.d and tmpfiles.d -----------------------------------------------------------
sysusers="$src/journeyd.sysusers"
tmpfiles="$src/journeyd.tmpfiles"
[ -f "$sysusers" ] || fail "$sysusers not found"
[ -f "$tmpfiles" ] || fail "$tmpfiles not found"
# Scratch root for the tools' --root, so nothing on this machine is touched.
root="$work/root"
mkdir -p "$root/etc"
if command -v systemd-sysusers >/dev/null 2>&1; then
  set +e
  out=$(systemd-sysusers --dry-run --root="$root" "$sysusers" 2>&1)
  rc=$?
  set -e
  echo "systemd-sysusers --dry-run (exit $rc):"; sed 's/^/  /' <<<"$out"
  [ "$rc" -eq 0 ] || fail "systemd-sysusers rejected $sysusers"
  grep -q "$sysusers" <<<"$out" && fail "systemd-sysusers warned about $sysusers"
  grep -q "Creating user 'journeyd'" <<<"$out" || fail "$sysusers does not create user journeyd"
  grep -q "Creating group 'journeyd'" <<<"$out" || fail "$sysusers does not create group journeyd"
  grep -q "/var/lib/journeyd" "$sysusers" || fail "$sysusers does not set home /var/lib/journeyd"
fi
if [ "$(id -u)" -eq 0 ] && command -v systemd-sysusers >/dev/null 2>&1 &&
   command -v systemd-tmpfiles >/dev/null 2>&1; then
  # As root: create the user in a scratch root, then the directories, and look at them.
  systemd-sysusers --root="$root" "$sysusers" >/dev/null 2>&1 ||
    fail "systemd-sysusers --root could not create the user"
  set +e
  out=$(systemd-tmpfiles --root="$root" --create "$tmpfiles" 2>&1)
  rc=$?
  set -e
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    sed 's/^/  /' <<<"$out"
    fail "systemd-tmpfiles --create failed or warned for $tmpfiles (exit $rc)"
  fi
  uid=$(awk -F: '$1 == "journeyd" { print $3 }' "$root/etc/passwd")
  gid=$(awk -F: '$1 == "journeyd" { print $3 }' "$root/etc/group")
  for d in var/lib/journeyd var/log/journeyd; do
    [ -d "$root/$d" ] || fail "tmpfiles did not create /$d"
    got=$(stat -c '%a %u:%g' "$root/$d")
    [ "$got" = "750 $uid:$gid" ] || fail "/$d is '$got', expected '750 $uid:$gid'"
  done
  got=$(stat -c '%a %u:%g' "$root/etc/journeyd")
  [ "$got" = "750 0:$gid" ] || fail "/etc/journeyd is '$got', expected '750 0:$gid'"
  echo "systemd-tmpfiles: /var/lib/journeyd, /var/log/journeyd, /etc/journeyd as expected"
else
  echo "note: not root (or no systemd-sysusers/systemd-tmpfiles); tmpfiles not exercised"
fi

echo "PASS"
