#!/usr/bin/env bash
# The page's tests: build it, run the web crate's wasm-bindgen tests in
# headless Chromium, then the end-to-end browser tests (tests/browser,
# package cmdhunt-e2e) against the served dist/index.html and the single
# file dist/cmdhunt.html opened from file://.
#
#   scripts/test-web.sh            # everything
#   scripts/test-web.sh -- NAME    # only the end-to-end tests whose name contains NAME
#
# Called by scripts/test.sh. One browser at a time (--test-threads=1): on a
# 2-core machine two Chromiums plus the page's workers make timings flaky.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

filter=()
failed=()
if [ "${1:-}" = "--" ]; then
  shift
  filter=("$@")
fi

step "setup (wasm tools, Chromium, chromedriver)"
bash scripts/setup.sh --browser

step "cargo xtask dist (dist/index.html + assets, dist/cmdhunt.html)"
cargo xtask dist

step "web crate: wasm-bindgen tests in headless Chromium (cargo xtask wasm-test)"
# Always run: a missing or renamed command is a failure, never a skip
# (tests/browser/tests/ci_scripts.rs). A failure here does not stop the
# end-to-end tests; the script fails at the end.
cargo xtask wasm-test || failed+=("cargo xtask wasm-test")

step "end-to-end browser tests (cmdhunt-e2e)"
start=$(date +%s)
# dist/ was just built: the tests use it as is instead of building it again.
CMDHUNT_E2E_DIST_FRESH=1 cargo test -p cmdhunt-e2e -- --test-threads=1 "${filter[@]}" ||
  failed+=("cargo test -p cmdhunt-e2e")
printf '[test-web] end-to-end tests took %ss\n' "$(( $(date +%s) - start ))" >&2

if [ "${#failed[@]}" -gt 0 ]; then
  printf '[test-web] FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
