#!/usr/bin/env bash
# Whether two cmdhunt CLI builds give byte-identical output on EVTX logs:
# `scan --window all --format ndjson` (parity and hardened mode) and
# `validate --format json`, stdout, stderr and exit code, on every .evtx
# under ../shared/data (damaged ones included), the repeated-chunks page
# benchmark log and synthetic logs (cmdhunt-bench gen --format evtx, several
# sizes and seeds). Prints one line per difference and a count; exits 1 if any.
#
#   scripts/evtx_identical.sh BEFORE-CLI AFTER-CLI [BENCH-BIN] [EXTRA.evtx...]
#
# BENCH-BIN (default target/release/cmdhunt-bench) makes the synthetic logs
# in $SYNTH_DIR (default /tmp/evtx-identical), once each.
set -u
before=${1:?before CLI}
after=${2:?after CLI}
bench=${3:-target/release/cmdhunt-bench}
shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")/.." && pwd)
data=${SHARED_DATA:-$here/../shared/data}
synth=${SYNTH_DIR:-/tmp/evtx-identical}
mkdir -p "$synth"
logs=()
while IFS= read -r -d '' f; do logs+=("$f"); done < <(find "$data" -name '*.evtx' -print0 | sort -z)
[ -f /tmp/splitpage-256m.evtx ] && logs+=(/tmp/splitpage-256m.evtx)
for spec in 1MB:1 1MB:2 4MB:3 16MB:4 64MB:5 256MB:6; do
  size=${spec%:*} seed=${spec#*:}
  out=$synth/synth-$size-$seed.evtx
  [ -f "$out" ] || "$bench" gen --format evtx --size "$size" --seed "$seed" --out "$out" >/dev/null || exit 2
  logs+=("$out")
done
logs+=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # BIN LOG TAG ARGS...: stdout, stderr, exit code into $tmp/TAG.*
  local bin=$1 log=$2 tag=$3; shift 3
  "$bin" "$@" "$log" >"$tmp/$tag.out" 2>"$tmp/$tag.err"
  echo $? >"$tmp/$tag.rc"
}
differ=0 runs=0
for log in "${logs[@]}"; do
  for mode in "scan --window all --format ndjson" "scan --window all --format ndjson --mode hardened" "validate --format json"; do
    run "$before" "$log" a $mode
    run "$after" "$log" b $mode
    runs=$((runs + 1))
    for part in out err rc; do
      if ! cmp -s "$tmp/a.$part" "$tmp/b.$part"; then
        echo "DIFFERS ($part): $mode $log"
        differ=$((differ + 1))
      fi
    done
  done
done
echo "${#logs[@]} logs, $runs runs of each build, $differ differences"
[ "$differ" -eq 0 ]
