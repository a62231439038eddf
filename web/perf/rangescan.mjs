// The page's worker scan of a JSON lines file's two ranges without the
// browser (web/perf/wasmscan.mjs's loader): Node loads DIST's wasm and times,
// ROUNDS times alternated, the whole file's WorkerScan and each of the two
// ranges the page would give two workers (cut at the line start after the
// middle, `ScanRange.kind` "json"): the CPU each worker spends, the
// clean-line check included. Best and all times per run.
//
//   node web/perf/rangescan.mjs FILE ROUNDS DIST
import { readFileSync } from "node:fs";
import { basename } from "node:path";

import { lastDone, loadDist, resetDone } from "./workerscope.mjs";

const [file, roundsText, ...dists] = process.argv.slice(2);
const rounds = Number.parseInt(roundsText, 10);
if (!file || !(rounds > 0) || dists.length !== 1) {
  console.error("usage: node web/perf/rangescan.mjs FILE ROUNDS DIST");
  process.exit(2);
}
const data = readFileSync(file);
const scanners = dists.map(loadDist);
const cut = data.indexOf(10, Math.floor(data.length / 2) - 1) + 1;
if (cut <= 0) throw new Error("no line start after the middle");
const message = (range, format) =>
  JSON.stringify({ type: "Scan", job: 1, file: 0, name: basename(file), format, chunk_bytes: 1 << 20, range });
const runs = {
  whole: [message(undefined, null), 0, data.length],
  first: [message({ start: 0, end: cut, header_end: 0, bom: 0, kind: "json" }, null), 0, cut],
  second: [message({ start: cut, end: data.length, header_end: 0, bom: 0, kind: "json" }, "json"), cut, data.length],
};
const { bindings } = scanners[0];
const times = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, [m, start, end]] of Object.entries(runs)) {
    const t0 = performance.now();
    const scan = bindings.WorkerScan.start(m, start > 0 ? new Uint8Array(0) : undefined);
    if (!scan) throw new Error(`${name}: the scan did not start`);
    for (let at = start; at < end; at += 1 << 20) scan.push(data.subarray(at, Math.min(end, at + (1 << 20))));
    if (name !== "whole") scan.end_range();
    resetDone();
    scan.finish();
    if (lastDone() === null) throw new Error(`${name}: no Done message`);
    (times[name] ??= []).push(performance.now() - t0);
  }
}
console.log(`${basename(file)}: ${data.length} bytes, cut at ${cut}`);
for (const [name, t] of Object.entries(times)) {
  const all = t.map((x) => x.toFixed(0)).join(" ");
  console.log(`${name.padEnd(7)} best ${Math.min(...t).toFixed(0)} ms  (all: ${all})`);
}
