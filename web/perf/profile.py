#!/usr/bin/env python3
"""Where the page's CPU goes during one scan, in headless Chromium.

    python3 web/perf/profile.py tier FILE [DIST] [FRAGMENT]
    python3 web/perf/profile.py main FILE [DIST] [FRAGMENT]

Both serve DIST (default dist/) as pagebench does, wait for the page and its
warm-up, pick FILE and wait for "done".

`tier`: V8's own log of wasm compilations (Chromium started with
`--js-flags=--trace-wasm-compilation-times`): the TurboFan work that ran
between the pick and "done" (the optimising compiler recompiling functions
that became hot during the scan, on the same cores the scan uses), its total
and the functions that cost most. Function names need a name section: build
the dist with `cargo xtask dist --no-opt` (the numbers are then the
unoptimised build's; the totals of an optimised build are close).

`main`: a CPU profile of the page's main thread (the Chrome DevTools
Protocol's Profiler, through chromedriver), self time by function, the
renderer's own work as "(program)". Again, a --no-opt dist names the wasm
functions.

What session 8 found with them: 349 ms of TurboFan work on `evtx`'s renderer
during a real log's first scan (the warm-up now renders), and 250-320 ms of
main-thread CPU for 10,089 flagged rows (web/README.md, "Warm-up";
README.md, "The page at the read floor, EVTX walked").
"""
import collections
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromedriver  # noqa: E402
import pagebench  # noqa: E402
from chromedriver import call, running, session, upload, wait  # noqa: E402

TURBOFAN = re.compile(rb"Compiled function .*#(\d+) using TurboFan, took (\d+) \xce\xbcs")


def leb(b, i):
    """An unsigned LEB128 number at b[i]; the number and where it ends."""
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def wasm_names(path):
    """Function index -> name, from a wasm file's name section (empty without one)."""
    b = open(path, "rb").read()
    i, out = 8, {}
    while i < len(b):
        sid = b[i]
        size, i = leb(b, i + 1)
        end = i + size
        if sid == 0:
            nl, j = leb(b, i)
            if b[j:j + nl] == b"name":
                j += nl
                while j < end:
                    sub = b[j]
                    ss, j = leb(b, j + 1)
                    se = j + ss
                    if sub == 1:
                        n, j = leb(b, j)
                        for _ in range(n):
                            idx, j = leb(b, j)
                            ln, j = leb(b, j)
                            out[idx] = b[j:j + ln].decode("utf8", "replace")
                            j += ln
                    j = se
        i = end
    return out


def scan(path, dist, fragment, before, extra_args=(), log=None):
    """Open the page and wait for its warm-up (`pagebench.open_warm`), call
    `before(base, s)` just before picking `path`, wait for "done", then call
    what `before` returned, still in the session; the page's time from pick
    to done and what that call gave."""
    server = pagebench.serve([dist])
    url = "http://127.0.0.1:%d/0/index.html%s" % (server.server_address[1], fragment)
    try:
        with running(log) as base:
            with session(base, list(extra_args)) as (s, js):
                pagebench.open_warm(base, s, js, url)
                after = before(base, s)
                upload(base, s, "[data-testid=file-input]", path)
                wait(js, "return window.__done > 0")
                return js("return window.__done - window.__t0"), after()
    finally:
        server.shutdown()


def tier(path, dist, fragment):
    with tempfile.NamedTemporaryFile(prefix="cmdhunt-v8-", suffix=".log") as log:
        def at_pick(base, s):
            """Where V8's log stood at the pick (the browser writes to this file)."""
            pick = log.tell()
            return lambda: pick

        ms, at = scan(path, dist, fragment, at_pick,
                      ["--js-flags=--trace-wasm-compilation-times", "--enable-logging=stderr"], log)
        log.flush()
        log.seek(at)
        hits = [(int(us), int(idx)) for idx, us in TURBOFAN.findall(log.read())]
    names = wasm_names(os.path.join(dist, "cmdhunt_bg.wasm"))
    print("scan %.0f ms; TurboFan during it: %.1f ms, %d functions"
          % (ms, sum(us for us, _ in hits) / 1000, len(hits)))
    for us, idx in sorted(hits, reverse=True)[:20]:
        print("  %7.1f ms  %s" % (us / 1000, names.get(idx, "wasm-function#%d" % idx)[:120]))


def main_thread(path, dist, fragment):
    def cdp(base, s, cmd, params=None):
        return call(base, "POST", s + "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})

    def start(base, s):
        cdp(base, s, "Profiler.enable")
        cdp(base, s, "Profiler.setSamplingInterval", {"interval": 200})
        cdp(base, s, "Profiler.start")
        return lambda: cdp(base, s, "Profiler.stop")["profile"]

    ms, profile = scan(path, dist, fragment, start)
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_us = collections.Counter()
    for sample, dt in zip(profile["samples"], profile["timeDeltas"]):
        frame = nodes[sample]["callFrame"]
        self_us[frame["functionName"] or frame["url"][-40:] or "(anonymous)"] += dt
    print("scan %.0f ms (profiled); main thread sampled %.0f ms" % (ms, sum(self_us.values()) / 1000))
    for name, us in self_us.most_common(30):
        print("  %7.1f ms  %s" % (us / 1000, name[:120]))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("tier", "main"):
        sys.exit(__doc__)
    what, path = sys.argv[1], os.path.abspath(sys.argv[2])
    dist = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "dist")
    fragment = sys.argv[4] if len(sys.argv) > 4 else ""
    (tier if what == "tier" else main_thread)(path, dist, fragment)
