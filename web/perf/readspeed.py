#!/usr/bin/env python3
"""How fast can a worker in Chromium read a picked file, by each browser API?
(The question behind the worker reading File.stream(): see web/README.md.)

Drives headless Chromium (web/perf/chromedriver.py), serves a small page on
127.0.0.1 whose worker reads FILE whole in each MODE and copies every chunk
into one buffer (as the worker copies into wasm memory), and prints MB/s:

* `sync-N`: FileReaderSync over N MiB File.slice()s (the worker's old loop)
* `async-N`: Blob.arrayBuffer() of N MiB slices
* `stream`: File.stream() with its default reader (the worker's loop now)
* `byob-N`: File.stream() with a BYOB reader and an N MiB buffer

    python3 web/perf/readspeed.py /tmp/dpe-1g.csv sync-1 sync-16 async-16 stream byob-4
"""
import os
import sys
import tempfile
import time

from chromedriver import browser_cpu, call, running, serve_dir, session, upload

PAGE = """<!doctype html><meta charset=utf-8><input type=file id=f>
<script>
const w = new Worker("w.js");
w.onmessage = e => { window.res = e.data; };
document.getElementById("f").onchange = e => w.postMessage({ file: e.target.files[0], mode: location.hash.slice(1) });
</script>"""

WORKER = """onmessage = async (e) => {
  const { file, mode } = e.data;
  const [kind, mb] = mode.split("-");
  const size = Number(mb || 1) * 1048576;
  const into = new Uint8Array(Math.max(size, 4 << 20));
  const copy = (b) => into.set(b.subarray(0, Math.min(b.length, into.length)));
  let total = 0, chunks = 0, largest = 0;
  const seen = (b) => { copy(b); total += b.length; chunks++; largest = Math.max(largest, b.length); };
  const t0 = performance.now();
  if (kind === "sync") {
    const r = new FileReaderSync();
    for (let at = 0; at < file.size; at += size) seen(new Uint8Array(r.readAsArrayBuffer(file.slice(at, at + size))));
  } else if (kind === "async") {
    for (let at = 0; at < file.size; at += size) seen(new Uint8Array(await file.slice(at, at + size).arrayBuffer()));
  } else if (kind === "stream") {
    const r = file.stream().getReader();
    for (;;) { const { done, value } = await r.read(); if (done) break; seen(value); }
  } else if (kind === "byob") {
    const r = file.stream().getReader({ mode: "byob" });
    let buf = new ArrayBuffer(size);
    for (;;) { const { done, value } = await r.read(new Uint8Array(buf)); if (done) break; seen(value); buf = value.buffer; }
  } else {
    postMessage({ error: "unknown mode " + mode }); return;
  }
  const ms = performance.now() - t0;
  postMessage({ mode, total, chunks, largest, ms, mbps: total / 1e6 / (ms / 1000) });
};"""


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, modes = os.path.abspath(sys.argv[1]), sys.argv[2:]
    with tempfile.TemporaryDirectory(prefix="cmdhunt-readspeed-") as root:
        for name, text in (("index.html", PAGE), ("w.js", WORKER)):
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        server = serve_dir(root)
        url = "http://127.0.0.1:%d/index.html#" % server.server_address[1]
        try:
            with running() as base:
                for mode in modes:
                    with session(base) as (s, js):
                        call(base, "POST", s + "/url", {"url": url + mode})
                        cpu = browser_cpu()
                        upload(base, s, "#f", path)
                        for _ in range(3000):
                            r = js("return window.res || null")
                            if r:
                                break
                            time.sleep(0.1)
                        if not r or r.get("error"):
                            sys.exit("%s: %s" % (mode, r and r["error"] or "no result"))
                        cpu = browser_cpu() - cpu
                        print("%-9s %7.0f MB/s  %6.0f ms  %5.0f ms CPU  %d chunks, largest %d bytes"
                              % (mode, r["mbps"], r["ms"], cpu * 1000, r["chunks"], r["largest"]))
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
