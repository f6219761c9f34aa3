#!/usr/bin/env bash
# test_repl.sh - the REPL end to end through a pseudo-terminal (repl_test.py):
# multi-line input, completion, help, errors, Ctrl-C during a render, history,
# piped stdin. Needs python3, sox and ffmpeg (scripts/setup.sh installs them).
MD=${1:?usage: bash test_repl.sh /path/to/mixdown}
if ! command -v python3 >/dev/null; then
  echo "FAIL python3 is missing (scripts/setup.sh installs it)"
  echo "0 passed, 1 failed"
  exit 1
fi
exec python3 "$(dirname "$0")/repl_test.py" "$MD"
