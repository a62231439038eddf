#!/usr/bin/env python3
"""The detail panel's process context on a big file (issue 13, item 4).

Serves DIST (default `dist/`), drops FILE on the page in headless Chromium
(web/perf/chromedriver.py, the no-network flags), waits for the scan, opens
the newest flagged row's detail and clicks "Chain, nearby events and
children": prints the scan's time, the second read's time (click to the
section's answer) and the renderer's peak memory (VmHWM, which holds the
page's and its workers' wasm memory) after the scan and after the second
read, ROUNDS times (a fresh browser each).

    cargo xtask dist
    cargo run --release -p cmdhunt-bench -- gen --size 1GB --out /tmp/x1g.csv
    python3 web/perf/contextbench.py /tmp/x1g.csv [ROUNDS] [DIST]
"""
import os
import sys
import time

from chromedriver import browser_memory, call, file_rounds_dist, running, serve_dir, session, upload, wait


# In the page: time from the input's change event to a final file status.
PAGE_HOOK = """
window.__t0 = 0; window.__done = 0;
document.addEventListener('change', () => { if (!window.__t0) window.__t0 = performance.now(); }, true);
new MutationObserver(() => {
  const e = document.querySelector('[data-testid=file-status]');
  const t = e ? e.textContent : '';
  if (window.__t0 && !window.__done && t && t !== 'queued' && !t.startsWith('reading')) {
    window.__done = performance.now();
  }
}).observe(document.body, { subtree: true, childList: true, characterData: true });
"""


SELECT_ALL = """const s = document.querySelector('[data-testid=window-select]');
s.value = 'all'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;"""


def once(base, url, path):
    with session(base, ["--window-size=1400,1000"]) as (s, js):
        call(base, "POST", s + "/url", {"url": url + "index.html"})
        wait(js, "return document.documentElement.dataset.cmdhunt === 'ready'")
        js(PAGE_HOOK)
        upload(base, s, "[data-testid=file-input]", path)
        wait(js, "return window.__done > 0", limit=1200)
        scan_ms = js("return window.__done - window.__t0")
        scan_peak = browser_memory()[0]
        js(SELECT_ALL)
        wait(js, "return document.querySelector('[data-testid=result-row]') !== null")
        js("document.querySelector('[data-testid=result-row]').click(); return true;")
        wait(js, "return document.querySelector('[data-testid=context-load]') !== null")
        js("window.__c0 = performance.now();"
           "new MutationObserver(() => { if (!window.__c1 && document.querySelector("
           "'[data-testid=context-found], [data-testid=context-error]')) window.__c1 = performance.now(); })"
           ".observe(document.body, { subtree: true, childList: true });"
           "document.querySelector('[data-testid=context-load]').click(); return true;")
        wait(js, "return window.__c1 > 0", limit=1200)
        context_ms = js("return window.__c1 - window.__c0")
        counts = js("return Array.from(document.querySelectorAll("
                    "'[data-testid=context-chain-end], [data-testid=context-children-count],"
                    " [data-testid=context-nearby-count], [data-testid=context-read]'), e => e.textContent)")
        peak = browser_memory()[0]
        return scan_ms, context_ms, scan_peak, peak, counts


def main():
    path, rounds, dist = file_rounds_dist(__doc__)
    server = serve_dir(dist)
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    print("%s: %.0f MB, load %s" % (path, os.path.getsize(path) / 1e6, os.getloadavg()))
    with running() as base:
        for i in range(rounds):
            scan_ms, context_ms, scan_peak, peak, counts = once(base, url, path)
            print("round %d: scan %.0f ms, second read %.0f ms; renderer peak %.0f MB after the scan,"
                  " %.0f MB after the second read; %s" % (i + 1, scan_ms, context_ms, scan_peak, peak,
                                                          " | ".join(counts)))
            time.sleep(1)
    server.shutdown()


if __name__ == "__main__":
    main()
