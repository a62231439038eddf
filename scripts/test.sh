#!/usr/bin/env bash
# Run every test of cmdhunt on a machine that has only the Rust toolchain
# (plus Node/npm and Python): installs what is missing first (scripts/setup.sh).
#
#   scripts/test.sh
#
# Steps: formatting, clippy (warnings are errors; natively and for wasm32), the native test suites of
# every crate, the no_std proof (cmdhunt-core without std for a target that has
# no std), the WebAssembly build of the core, EVTX accounts in wasm against the
# native ones (bench/evtx-wasm/parity.sh), the page's build (dist/), its
# wasm-bindgen tests and the end-to-end browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "setup"
bash scripts/setup.sh --browser

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy for wasm32 (the page's browser glue, worker and components exist only there)"
cargo clippy -p cmdhunt-web -p cmdhunt-evtx-wasm-bench --target wasm32-unknown-unknown -- -D warnings

step "no_std: cmdhunt-core --no-default-features for x86_64-unknown-none"
cargo build -p cmdhunt-core --no-default-features --target x86_64-unknown-none

step "cmdhunt-core for wasm32-unknown-unknown"
cargo build -p cmdhunt-core --target wasm32-unknown-unknown

step "native tests (every crate; the browser tests run below, with the page built)"
cargo test --workspace --exclude cmdhunt-e2e --all-targets
cargo test --workspace --exclude cmdhunt-e2e --doc

step "cargo doc -D warnings: cmdhunt-core's public items documented, no broken intra-doc link"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p cmdhunt-core

step "EVTX in wasm (the page's build, under Node) gives the native accounts"
bash bench/evtx-wasm/parity.sh

# Run through bash, never skipped: a lost exec bit or a missing script is a
# failure here, not a silent pass (tests/browser/tests/ci_scripts.rs).
step "the page: build, wasm-bindgen tests, browser end-to-end tests"
bash scripts/test-web.sh
step "all tests passed"
