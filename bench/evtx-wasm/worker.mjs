// The Chromium side of the wasm EVTX benchmark: loads the module bound with
// `wasm-bindgen --target web` (served under pkg/), fetches the files browser.py
// serves under file/N, runs bench.mjs's comparison and posts its lines back.
import init, { Bench } from "./pkg/cmdhunt_evtx_wasm_bench.js";
import { compare } from "./bench.mjs";

self.onmessage = async (e) => {
  const { rounds, names } = e.data;
  try {
    await init({ module_or_path: "./pkg/cmdhunt_evtx_wasm_bench_bg.wasm" });
    const files = [];
    for (const [i, name] of names.entries()) {
      const response = await fetch(`file/${i}`);
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
      files.push({ name, bytes: new Uint8Array(await response.arrayBuffer()) });
    }
    const lines = [];
    compare(Bench, files, rounds, () => performance.now(), (line) => lines.push(line));
    self.postMessage({ lines, agent: navigator.userAgent, isolated: self.crossOriginIsolated });
  } catch (err) {
    self.postMessage({ error: String(err && err.stack ? err.stack : err) });
  }
};
