#!/usr/bin/env bash
# The main job: set up what is missing, build the page (dist/index.html and the
# single-file dist/cmdhunt.html), and serve dist/ at http://127.0.0.1:8080.
#
#   scripts/run.sh            # serve until Ctrl-C
#   scripts/run.sh --no-serve # only build
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p cmdhunt-cli
echo "[run] the CLI on a bundled export (tests/data/defender_portal.csv):" >&2
target/release/cmdhunt scan --window all tests/data/defender_portal.csv | head -5 >&2 || true
cargo xtask dist
echo "[run] built dist/index.html and dist/cmdhunt.html (open the latter from disk, offline)" >&2
if [ "${1:-}" != "--no-serve" ]; then
  exec cargo xtask serve
fi
