// Node runner of the wasm EVTX benchmark (see bench.mjs and src/lib.rs).
//
//   node bench/evtx-wasm/run.mjs BOUND_MODULE.js [--rounds N] FILE.evtx...
//
// BOUND_MODULE.js is the crate bound with `wasm-bindgen --target nodejs`;
// `cargo xtask evtx-wasm-bench` builds it and calls this script. Prints one
// line per file, like core/examples/evtx_speed.rs, and exits non-zero when a
// file cannot be read.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { compare } from "./bench.mjs";

const args = process.argv.slice(2);
let rounds = 30;
const at = args.indexOf("--rounds");
if (at >= 0) {
  rounds = Number.parseInt(args[at + 1], 10);
  args.splice(at, 2);
}
const [modulePath, ...paths] = args;
if (!modulePath || paths.length === 0 || !(rounds > 0)) {
  console.error("usage: node run.mjs BOUND_MODULE.js [--rounds N] FILE.evtx...");
  process.exit(2);
}
const { Bench } = createRequire(import.meta.url)(resolve(modulePath));
let status = 0;
const files = [];
for (const path of paths) {
  try {
    files.push({ name: path, bytes: new Uint8Array(readFileSync(path)) });
  } catch (e) {
    console.error(`${path}: ${e.message}`);
    status = 1;
  }
}
console.error(`[evtx-wasm] node ${process.version}, V8 ${process.versions.v8}, ${rounds} rounds`);
compare(Bench, files, rounds, () => performance.now(), (line) => console.log(line));
process.exit(status);
