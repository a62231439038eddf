#!/usr/bin/env bash
# The wasm build reads EVTX as the native one does: runs the benchmark once
# (`cargo xtask evtx-wasm-bench --rounds 1`, the page's web-release build under
# Node) and the native example (core/examples/evtx_speed.rs) over the same real
# logs, healthy and corrupt, and compares, file by file, the evtx crate's record
# count and cmdhunt's accounts (records, analysed, flagged, decode error).
# Called by scripts/test.sh. Prints both sides and exits 1 when they differ.
#
#   bash bench/evtx-wasm/parity.sh [FILE.evtx...]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="$root/../shared/data"
cd "$root"
if [ $# -gt 0 ]; then
  files=("$@")
else
  files=("$data"/evtx-samples/samples/*.evtx
    "$data/sysmon-evtx/AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
    "$data/security-4688/TA0005-Defense Evasion/T1562.004-Impair Defenses-Disable or Modify System Firewall/ID4688-5447-4950-Firewall disabled (command).evtx")
fi

# "NAME: ... (R records); ... cmdhunt FileScan T (COUNTS); ..." -> "NAME | R | COUNTS"
accounts() {
  sed -n 's/^\(.*\): [0-9]* bytes; evtx records() [^(]*(\([0-9]*\) records);.* cmdhunt FileScan [^(]*(\([^)]*\)); scan.*$/\1 | \2 | \3/p'
}

native=$(cargo run --quiet -p cmdhunt-core --example evtx_speed -- --rounds 1 "${files[@]}" | accounts)
wasm=$(cargo xtask evtx-wasm-bench --rounds 1 "${files[@]}" | accounts)
printf 'native:\n%s\nwasm:\n%s\n' "$native" "$wasm"
if [ "$(wc -l <<<"$native")" -ne "${#files[@]}" ]; then
  echo "parity: the native example gave $(wc -l <<<"$native") lines for ${#files[@]} files" >&2
  exit 1
fi
if [ "$native" != "$wasm" ]; then
  echo "parity: the wasm and native accounts differ:" >&2
  diff <(echo "$native") <(echo "$wasm") >&2 || true
  exit 1
fi
echo "parity: wasm and native agree on ${#files[@]} files"
