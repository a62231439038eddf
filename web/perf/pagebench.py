#!/usr/bin/env python3
"""The page against the browser's read floor and the CLI, in one run (issue 15).

Serves DIST (default `dist/`, built by `cargo xtask dist`) and a bare read
page on 127.0.0.1, drives headless Chromium (web/perf/chromedriver.py, the
no-network flags), and times, ROUNDS times alternated, best of each:

* `page`: the page, from the file input's change event to the file's status
  leaving "queued"/"reading" (a MutationObserver in the page, so polling
  does not round the time); a CSV of 64 MiB or more is read by two workers
  (web/src/split_job.rs);
* `page-whole`: the same page (the last DIST's) opened with
  `#split-threshold=` above the file's size, so one worker reads it whole;
* `page-cold`: the last DIST's page opened with `#warm-up=0`: no warm-up
  (web/src/warm_up.rs), so the browser optimises the hot code during the
  file's scan, as before the warm-up. Every page run waits for the page's
  warm-up to end before it picks the file (an analyst takes longer than
  that to drop one; the time it took is printed);
* `read-1`: one worker reading the same file's `File.stream()` whole with
  the stream's default reader (and copying each chunk, as the page's worker
  copies into wasm memory): the issue's single-stream floor;
* `read-1b`: the same with a BYOB reader into one reused 4 MiB buffer (what
  the page's workers do since issue 15: the fastest one stream reads here);
* `read-2`: two workers reading the two halves (`File.slice`) at once;
* `read-4`: four workers reading the four quarters at once;
* `cli`: `target/release/cmdhunt scan --window all --format csv FILE` (wall
  time; another binary with CMDHUNT_CLI=path).

For the page runs it also reports the page's peak memory: the peak resident
set (`VmHWM` in /proc/PID/status) of the renderer process that ran the page,
which holds the page's wasm memory and its workers' (dedicated workers are
threads of the page's renderer in Chromium), and of all the browser's
processes together at the end (`VmRSS`, summed). Printed as `peak MB`.

    cargo build --release -p cmdhunt-cli && cargo xtask dist
    cargo run --release -p cmdhunt-bench -- gen --size 300MB --out /tmp/x.csv
    python3 web/perf/pagebench.py /tmp/x.csv [ROUNDS] [DIST...]

SKIP=read-4,cli leaves those out; WHOLE=0 leaves out page-whole, COLD=0
page-cold. CPU=1 also prints, for each page run, the CPU time each of the
browser's threads spent from the pick to "done" (by process and thread
name, sampled every 10 ms while the page reads: a worker's thread is gone
once it ends).
Several DIST directories (say a build with and one without `+simd128`) are
each timed as `page:NAME` (NAME: the directory's name), alternated with the
rest in every round.
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import time

from chromedriver import (browser_memory, browser_threads, call, cpu_by_thread, running, session,
                          upload, wait)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

READ_PAGE = """<!doctype html><meta charset=utf-8><input type=file id=f>
<script>
const [partsText, mode] = location.hash.slice(1).split("-");
const parts = Number(partsText || 1);
document.getElementById("f").onchange = (e) => {
  const file = e.target.files[0];
  const t0 = performance.now();
  let left = parts;
  const step = Math.ceil(file.size / parts);
  for (let i = 0; i < parts; i++) {
    const w = new Worker("w.js");
    w.onmessage = () => { if (--left === 0) window.res = { ms: performance.now() - t0 }; };
    w.postMessage({ blob: file.slice(i * step, Math.min(file.size, (i + 1) * step)), byob: mode === "b" });
  }
};
</script>"""

READ_WORKER = """onmessage = async (e) => {
  const into = new Uint8Array(4 << 20);
  const { blob, byob } = e.data;
  const r = byob ? blob.stream().getReader({ mode: "byob" }) : blob.stream().getReader();
  let buffer = new ArrayBuffer(4 << 20);
  for (;;) {
    const { done, value } = await (byob ? r.read(new Uint8Array(buffer)) : r.read());
    if (done) break;
    if (byob) buffer = value.buffer;
    into.set(value.subarray(0, Math.min(value.length, into.length)));
  }
  postMessage(0);
};"""

# In the page: time from the input's change event to a final status.
PAGE_HOOK = """
window.__t0 = 0; window.__done = 0; window.__status = '';
document.addEventListener('change', () => { window.__t0 = performance.now(); }, true);
new MutationObserver(() => {
  const e = document.querySelector('[data-testid=file-status]');
  const t = e ? e.textContent : '';
  if (window.__t0 && !window.__done && t && t !== 'queued' && !t.startsWith('reading')) {
    window.__done = performance.now(); window.__status = t;
  }
}).observe(document.body, { subtree: true, childList: true, characterData: true });
"""


def serve(dists):
    """Serve dists[i] under /i/ and the read page under /__read/."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            parts = path.split("?")[0].split("#")[0].lstrip("/").split("/", 1)
            if parts[0].isdigit() and int(parts[0]) < len(dists):
                return os.path.join(dists[int(parts[0])], parts[1] if len(parts) > 1 else "")
            return "/nonexistent"

        def do_GET(self):
            extra = {"/__read/index.html": ("text/html", READ_PAGE),
                     "/__read/w.js": ("text/javascript", READ_WORKER)}.get(self.path.split("#")[0])
            if extra is None:
                return super().do_GET()
            body = extra[1].encode()
            self.send_response(200)
            self.send_header("Content-Type", extra[0])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def open_warm(base, s, js, url):
    """Open the page at `url` (fragment included), wait until it is ready and
    its warm-up is over, and hook "done"; the warm-up's [state, ms]."""
    call(base, "POST", s + "/url", {"url": url})
    wait(js, "return document.documentElement.dataset.cmdhunt === 'ready'")
    warm = wait(js, "const w = document.documentElement.dataset.warmUp;"
                    "return w === 'running' ? null :"
                    "[w ?? 'none', document.documentElement.dataset.warmUpMs ?? ''];", 60)
    js(PAGE_HOOK)
    return warm


def page_once(base, url, path, fragment=""):
    with session(base, ["--window-size=1280,900"] + os.environ.get("CHROMIUM_ARGS", "").split()) as (s, js):
        warm = open_warm(base, s, js, url + "index.html" + fragment)
        cpu = os.environ.get("CPU") == "1"
        before = browser_threads() if cpu else {}
        after = dict(before)
        upload(base, s, "[data-testid=file-input]", path)
        while not js("return window.__done > 0"):
            if cpu:
                after.update(browser_threads())
            time.sleep(0.01 if cpu else 0.05)
        if cpu:
            after.update(browser_threads())
        ms = js("return window.__done - window.__t0")
        status = js("return window.__status")
        shown = js("const e = document.querySelector('[data-testid=flagged-count]');"
                   "return e ? e.textContent : ''")
        peak, total = browser_memory()
        MEMORY.setdefault(url + fragment, []).append((peak, total))
        note = "%s, %s rows; renderer peak %.0f MB, browser %.0f MB; warm-up %s" % (
            status, shown, peak, total, "done in %s ms" % warm[1] if warm[0].startswith("[") else warm[0])
        if cpu:
            note += "; CPU ms by thread %s" % json.dumps(cpu_by_thread(before, after))
        return ms, note


def read_once(base, url, path, parts, byob=False):
    with session(base) as (s, js):
        call(base, "POST", s + "/url",
             {"url": url + "__read/index.html#%d%s" % (parts, "-b" if byob else "")})
        upload(base, s, "#f", path)
        return wait(js, "return window.res || null")["ms"], ""


def cli_once(path):
    exe = os.environ.get("CMDHUNT_CLI", os.path.join(ROOT, "target", "release", "cmdhunt"))
    start = time.perf_counter()
    out = subprocess.run([exe, "scan", "--window", "all", "--format", "csv", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    ms = (time.perf_counter() - start) * 1000
    return ms, "%d output lines" % (out.count(b"\n") - 1)


#: Per page run: (renderer peak, browser total) in MB, by page URL.
MEMORY = {}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    dists = [os.path.abspath(d) for d in sys.argv[3:]] or [os.path.join(ROOT, "dist")]
    size = os.path.getsize(path)
    server = serve(dists)
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    best = {}
    loads = []
    try:
        with running() as base:
            # Warm the page cache for the file once, so every contender reads it from memory.
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass
            for r in range(rounds):
                with open("/proc/loadavg") as f:
                    loads.append(float(f.read().split()[0]))
                pages = [("page" if len(dists) == 1 else "page:" + os.path.basename(d),
                          lambda i=i: page_once(base, url + "%d/" % i, path))
                         for i, d in enumerate(dists)]
                if os.environ.get("WHOLE", "1") != "0":
                    # The last DIST's page (the newest build, as in
                    # `pagebench FILE N BEFORE AFTER`) read by one worker,
                    # whatever the size.
                    last = "%d/" % (len(dists) - 1)
                    pages.append(("page-whole", lambda: page_once(
                        base, url + last, path, "#split-threshold=%d" % (size + 1))))
                if os.environ.get("COLD", "1") != "0":
                    pages.append(("page-cold", lambda: page_once(
                        base, url + "%d/" % (len(dists) - 1), path, "#warm-up=0")))
                for name, run in pages + [("read-1", lambda: read_once(base, url, path, 1)),
                                  ("read-1b", lambda: read_once(base, url, path, 1, True)),
                                  ("read-2", lambda: read_once(base, url, path, 2)),
                                  ("read-4", lambda: read_once(base, url, path, 4)),
                                          ("cli", lambda: cli_once(path))]:
                    if name in os.environ.get("SKIP", "").split(","):
                        continue
                    ms, note = run()
                    best.setdefault(name, []).append(ms)
                    print(json.dumps({"round": r, "what": name, "ms": round(ms), "note": note}),
                          flush=True)
    finally:
        server.shutdown()
    print("file %s, %.0f MB; load average %.1f-%.1f; best of %d rounds, alternated:"
          % (path, size / 1e6, min(loads), max(loads), rounds))
    for name, times in best.items():
        ms = min(times)
        print("  %-18s %7.0f ms  %6.0f MB/s  median %5.0f ms  (all: %s)"
              % (name, ms, size / 1e3 / ms, sorted(times)[len(times) // 2],
                 " ".join("%.0f" % t for t in times)))
    floors = [f for f in ("read-1", "read-1b", "read-2") if f in best]
    for name, _ in pages:
        if name not in best or not floors:  # skipped (SKIP=page-cold, SKIP=read-1...)
            continue
        print("  best: " + ", ".join("%s / %s = %.2f" % (name, f, min(best[name]) / min(best[f]))
                                     for f in floors))
    for page, runs in MEMORY.items():
        print("  memory %s: renderer peak %.0f-%.0f MB, all browser processes %.0f-%.0f MB"
              % (page.split("/", 3)[-1] or "page", min(p for p, _ in runs), max(p for p, _ in runs),
                 min(t for _, t in runs), max(t for _, t in runs)))


if __name__ == "__main__":
    main()
