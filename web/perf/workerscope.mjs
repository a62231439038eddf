// The page's worker code in Node, for web/perf/wasmscan.mjs and rangescan.mjs:
// Node's global passes for a dedicated worker scope (WorkerScan posts its
// messages there), and a dist's wasm-bindgen glue (dist/cmdhunt.js without the
// bootstrap) is loaded with its wasm.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

/** The last `Done` message's flagged count since `resetDone()` (null: none),
 * so a scan that failed cannot pass for a fast one. */
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

/** Forget the last Done (call before a scan's `finish()`). */
export const resetDone = () => {
  done = null;
};

/** The flagged count of the last Done since `resetDone()`, or null. */
export const lastDone = () => done;

/** DIST's bindings, instantiated: `{ name, bindings, times: [] }`. */
export const loadDist = (dist) => {
  const js = readFileSync(`${dist}/cmdhunt.js`, "utf8");
  const glue = js.slice(0, js.indexOf("// cmdhunt bootstrap"));
  const bindings = new Function(`${glue}\nreturn wasm_bindgen;`)();
  bindings.initSync({ module: new WebAssembly.Module(readFileSync(`${dist}/cmdhunt_bg.wasm`)) });
  return { name: basename(dist), bindings, times: [] };
};
