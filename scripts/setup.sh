#!/usr/bin/env bash
# Install everything cmdhunt needs beyond the Rust toolchain, skipping what is
# already there. Safe to run again. Used by scripts/run.sh and scripts/test.sh.
#
#   scripts/setup.sh            # build tools (Rust targets, wasm-bindgen-cli)
#   scripts/setup.sh --browser  # and headless Chromium + ChromeDriver for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

# 1. Rust targets: the page (wasm32) and the no_std proof (x86_64-unknown-none).
#    RUSTUP_AUTO_INSTALL=0 on these machines: targets must be added explicitly.
installed=$(rustup target list --installed)
for target in wasm32-unknown-unknown x86_64-unknown-none; do
  if ! grep -qx "$target" <<<"$installed"; then
    say "rustup target add $target"
    rustup target add "$target"
  fi
done

# 2. wasm-bindgen-cli at exactly the version in Cargo.lock (the CLI and the
#    library must agree). Without --locked: the registry mirror lacks the newest
#    release of one of its dependencies (see shared/notes/toolchain.md).
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ -n "$want" ] && [ "$have" != "$want" ]; then
  say "cargo install wasm-bindgen-cli --version $want (about 9 minutes on 2 cores)"
  cargo install wasm-bindgen-cli --version "$want"
fi

# 3. wasm-opt (npm binaryen@132.0.0; Debian's binaryen is too old for current
#    rustc output) is installed by `cargo xtask dist` itself on first use,
#    into target/xtask-tools.

# 4. Headless Chromium and its driver, for the browser tests.
if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "apt-get install chromium chromium-driver (about 2.5 minutes)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium chromium-driver >&2
  fi
fi
say "ready"
