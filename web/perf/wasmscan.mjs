// The page's worker scan without the browser: Node loads a dist's wasm
// (the wasm-bindgen glue of dist/cmdhunt.js, without the bootstrap), runs
// WorkerScan over FILE in 1 MiB pushes, ROUNDS times per dist, alternated,
// and prints the best time per dist: the CPU cost of the scan alone (no
// stream reading, no page), e.g. a `+simd128` build against a scalar one.
//
//   node web/perf/wasmscan.mjs FILE ROUNDS DIST...
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const [file, roundsText, ...dists] = process.argv.slice(2);
const rounds = Number.parseInt(roundsText, 10);
if (!file || !(rounds > 0) || dists.length === 0) {
  console.error("usage: node web/perf/wasmscan.mjs FILE ROUNDS DIST...");
  process.exit(2);
}
const data = readFileSync(file);
// The worker's messages (WorkerScan posts them to its global scope): make
// Node's global pass for a worker scope and keep the last Done's flagged count,
// so a scan that failed cannot pass for a fast one.
let done = null;
globalThis.DedicatedWorkerGlobalScope = class {
  static [Symbol.hasInstance](x) {
    return x === globalThis;
  }
};
globalThis.postMessage = (bytes) => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const m = /"type":"Done".*?"flagged":(\d+)/.exec(text) ?? /"Done".*?"flagged":(\d+)/.exec(text);
  if (m) done = Number(m[1]);
};
const scanners = dists.map((dist) => {
  const js = readFileSync(`${dist}/cmdhunt.js`, "utf8");
  const glue = js.slice(0, js.indexOf("// cmdhunt bootstrap"));
  const bindings = new Function(`${glue}\nreturn wasm_bindgen;`)();
  bindings.initSync({ module: new WebAssembly.Module(readFileSync(`${dist}/cmdhunt_bg.wasm`)) });
  return { name: basename(dist), bindings, times: [] };
});
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
    done = null;
    scan.finish();
    s.times.push(performance.now() - t0);
    if (done === null) throw new Error(`${s.name}: no Done message`);
    s.flagged = done;
  }
}
for (const s of scanners) {
  const best = Math.min(...s.times);
  console.log(
    `${s.name.padEnd(14)} best ${best.toFixed(0)} ms  ${(data.length / 1e3 / best).toFixed(0)} MB/s` +
      `  ${s.flagged} flagged  (all: ${s.times.map((t) => t.toFixed(0)).join(" ")})`
  );
}
