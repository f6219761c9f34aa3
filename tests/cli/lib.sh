# lib.sh - helpers for the CLI end-to-end tests (sourced; $MD is the binary).
set -u
MD=${1:?usage: bash test_x.sh /path/to/mixdown}
T=$(mktemp -d /tmp/mixdown-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
# expect_fail NAME WANT_CODE PATTERN CMD... : exit code, one stderr line matching PATTERN
expect_fail() {
  local name=$1 want=$2 pat=$3; shift 3
  local err code
  err=$("$@" 2>&1 >/dev/null); code=$?
  local lines
  lines=$(printf '%s' "$err" | grep -c '')
  if [ "$code" -ne "$want" ]; then bad "$name: exit $code, want $want ($err)"; return; fi
  if [ "$lines" -ne 1 ]; then bad "$name: $lines lines on stderr, want 1: $err"; return; fi
  if ! printf '%s' "$err" | grep -qE -- "$pat"; then bad "$name: stderr '$err' does not match '$pat'"; return; fi
  ok "$name: $err"
}
expect_ok() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name: exit $? ($out)"; fi
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
