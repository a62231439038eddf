#!/usr/bin/env bash
# Fuzz cmdhunt-core: every cargo-fuzz target in fuzz/ for SECONDS each.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 600 s, every target)
#
# Seed corpora are rebuilt at each run under fuzz/corpus/<target>/ (git-ignored)
# from the real exports in ../shared/data and the fixtures in tests/data; the
# corpus a run grows is kept for the next run. Decoder seeds carry one extra
# leading byte that picks the chunking (see fuzz/src/lib.rs). Crashes land in
# fuzz/artifacts/<target>/. Prints target / seconds / executions / crashes.
# Needs the nightly toolchain and cargo-fuzz (scripts/setup.sh, or
# `cargo install cargo-fuzz --version =0.13.2 --locked`).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
data="$root/../shared/data"
seconds="${1:-600}"
shift || true
all_targets=(csv json xml evtx xlsx sniff matcher)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

# Largest input per target: a few dozen records for the text formats; two
# EVTX chunks (4 KiB file header + 2 x 64 KiB) for evtx, one for sniff.
max_len() {
  case "$1" in
    evtx) echo 135168 ;;
    sniff) echo 70000 ;;
    xlsx) echo 65536 ;;
    matcher) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

# seed DIR FILE...: copy each file, cut to the target's max_len, twice: with a
# leading 0 byte (one push) and 0x5a (chunks of 1..32 bytes).
seed() {
  local dir="$1" limit="$2"
  shift 2
  mkdir -p "$dir"
  local f n=0
  for f in "$@"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    { printf '\000'; head -c "$((limit - 1))" "$f"; } >"$dir/seed-$n-whole"
    { printf '\132'; head -c "$((limit - 1))" "$f"; } >"$dir/seed-$n-chunked"
  done
}

# A small XLSX built from real rows (the Defender advanced-hunting export).
make_xlsx() {
  python3 - "$data/defender/advanced_hunting_test.csv" "$1" <<'PY'
import csv, sys, zipfile
from xml.sax.saxutils import escape
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))[:12]
def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
cells = []
for r, row in enumerate(rows, 1):
    cs = "".join(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for c, v in enumerate(row))
    cells.append(f'<row r="{r}">{cs}</row>')
parts = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + "".join(cells) + "</sheetData></worksheet>",
}
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in parts.items():
        z.writestr(name, text)
PY
}

# matcher seeds: command lines from the Atomic Red Team tests and Sigma rules.
make_matcher_seeds() {
  local dir="$1"
  mkdir -p "$dir"
  python3 - "$data" "$dir" <<'PY'
import glob, os, sys
data, out = sys.argv[1], sys.argv[2]
lines = []
for path in sorted(glob.glob(os.path.join(data, "atomic-red-team/**/*.md"), recursive=True)):
    lines += [l.strip() for l in open(path, encoding="utf-8", errors="replace") if "cmd" in l.lower()]
for path in sorted(glob.glob(os.path.join(data, "sigma-rules/**/*.yml"), recursive=True))[:150]:
    lines += [l.strip(" -'\"\n") for l in open(path, encoding="utf-8", errors="replace") if l.startswith("            - ")]
for i, l in enumerate(dict.fromkeys(l for l in lines if l)):
    open(os.path.join(out, f"seed-{i}"), "w", encoding="utf-8").write(l)
PY
}

build_corpus() {
  local c="$root/fuzz/corpus"
  local csvs=("$data"/defender/*.csv "$root"/tests/data/*.csv)
  local jsons=("$data"/defender/*.json "$data"/otrf/*.json)
  mapfile -t -O "${#jsons[@]}" jsons < <(find "$data/sigma-regression" -name '*.json' | sort | head -40)
  local xmls=("$data"/xml/*.xml)
  mapfile -t evtxs < <(find "$data/evtx-samples" "$data/sysmon-evtx" "$data/security-4688" -name '*.evtx' | sort | head -60)
  seed "$c/csv" "$(max_len csv)" "${csvs[@]}"
  seed "$c/json" "$(max_len json)" "${jsons[@]}"
  seed "$c/xml" "$(max_len xml)" "${xmls[@]}"
  seed "$c/evtx" "$(max_len evtx)" "${evtxs[@]}"
  local xlsx_tmp
  xlsx_tmp="$(mktemp -d)"
  make_xlsx "$xlsx_tmp/made.xlsx"
  seed "$c/xlsx" "$(max_len xlsx)" "$xlsx_tmp/made.xlsx" "$root"/tests/data/*.xlsx
  seed "$c/sniff" "$(max_len sniff)" "${csvs[@]:0:4}" "${jsons[@]:0:4}" "${xmls[@]}" "${evtxs[@]:0:8}" \
    "$xlsx_tmp/made.xlsx" "$root"/tests/data/sentinel_portal_utf16le.csv
  rm -rf "$xlsx_tmp"
  make_matcher_seeds "$c/matcher"
}

cd "$root/fuzz"
build_corpus
# Build once (release, debug assertions on: overflow is a crash), then run the
# binaries directly so that edits elsewhere do not rebuild mid-run.
cargo +nightly fuzz build -a
bin_dir="$root/fuzz/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

results=()
for t in "${targets[@]}"; do
  mkdir -p "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log="$root/fuzz/artifacts/$t.log"
  start=$(date +%s)
  "$bin_dir/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=2048 \
    -timeout=30 -print_final_stats=1 >"$log" 2>&1 || true
  elapsed=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  after=$(find "artifacts/$t" -type f | wc -l)
  results+=("$(printf '%-8s %8s %12s %8s' "$t" "$elapsed" "${execs:-?}" "$((after - before))")")
done

printf '%-8s %8s %12s %8s\n' target seconds executions crashes
printf '%s\n' "${results[@]}"
echo "logs: fuzz/artifacts/<target>.log; crash inputs: fuzz/artifacts/<target>/"
