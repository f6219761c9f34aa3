#!/usr/bin/env bash
# sanitize.sh - the whole test suite in the ASan+UBSan build (same as test.sh --sanitize).
exec "$(cd "$(dirname "$0")" && pwd)/test.sh" --sanitize
