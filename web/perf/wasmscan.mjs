// The page's worker scan without the browser: Node loads a dist's wasm
// (the wasm-bindgen glue of dist/cmdhunt.js, without the bootstrap), runs
// WorkerScan over FILE in 1 MiB pushes, ROUNDS times per dist, alternated,
// and prints the best time per dist: the CPU cost of the scan alone (no
// stream reading, no page), e.g. a `+simd128` build against a scalar one.
//
//   node web/perf/wasmscan.mjs FILE ROUNDS DIST...
import { readFileSync } from "node:fs";
import { basename } from "node:path";

import { lastDone, loadDist, resetDone } from "./workerscope.mjs";

const [file, roundsText, ...dists] = process.argv.slice(2);
const rounds = Number.parseInt(roundsText, 10);
if (!file || !(rounds > 0) || dists.length === 0) {
  console.error("usage: node web/perf/wasmscan.mjs FILE ROUNDS DIST...");
  process.exit(2);
}
const data = readFileSync(file);
const scanners = dists.map(loadDist);
const message = JSON.stringify({
  type: "Scan",
  job: 1,
  file: 0,
  name: basename(file),
  format: null,
  chunk_bytes: 1 << 20,
});
const piece = 1 << 20;
for (let r = 0; r < rounds; r++) {
  for (const s of scanners) {
    const t0 = performance.now();
    const scan = s.bindings.WorkerScan.start(message);
    for (let at = 0; at < data.length; at += piece) {
      scan.push(data.subarray(at, Math.min(data.length, at + piece)));
    }
    resetDone();
    scan.finish();
    s.times.push(performance.now() - t0);
    if (lastDone() === null) throw new Error(`${s.name}: no Done message`);
    s.flagged = lastDone();
  }
}
for (const s of scanners) {
  const best = Math.min(...s.times);
  console.log(
    `${s.name.padEnd(14)} best ${best.toFixed(0)} ms  ${(data.length / 1e3 / best).toFixed(0)} MB/s` +
      `  ${s.flagged} flagged  (all: ${s.times.map((t) => t.toFixed(0)).join(" ")})`
  );
}
