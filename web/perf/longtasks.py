#!/usr/bin/env python3
"""Main-thread long tasks while a file streams into the page.

Drives headless Chromium through chromedriver (plain WebDriver HTTP, no
Python packages), opens URL (dist/index.html served by `cargo xtask serve`),
registers a PerformanceObserver for 'longtask' entries, uploads FILE through
the file input, waits until the file's status is `done`, and prints the
number of long tasks (> 50 ms), how many exceed 100 ms, the longest and
when it started (seconds after the upload), their total, the shown row
count and the wall time. PROFILE=1 also prints the main thread's top
functions by self time (DevTools CPU profile); ALL=1 lists every long
task as [start s, duration ms].

    python3 web/perf/longtasks.py http://127.0.0.1:8093/ /tmp/flagged-20k.csv [RUNS]
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

URL, FILE = sys.argv[1], os.path.abspath(sys.argv[2])
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
PROFILE = os.environ.get("PROFILE")  # set: print the main thread's top functions by self time
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())["value"]


def print_profile(profile):
    """Self time per function name, from a DevTools CPU profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas = profile["timeDeltas"]
    self_us = {}
    for sample, dt in zip(profile["samples"], deltas):
        name = nodes[sample]["callFrame"]["functionName"] or "(anonymous)"
        self_us[name] = self_us.get(name, 0) + dt
    for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:30]:
        print("%8.1f ms  %s" % (us / 1000, name[:120]))


def run_once(base):
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": os.environ.get("CMDHUNT_CHROMIUM", "/usr/bin/chromium"),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900",
                 "--user-data-dir=/tmp/cmdhunt-longtask-profile-%d" % os.getpid()]}}}}
    sid = call(base, "POST", "/session", caps)["sessionId"]
    s = "/session/" + sid
    try:
        call(base, "POST", s + "/url", {"url": URL})
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})
        for _ in range(300):
            if js("return document.documentElement.dataset.cmdhunt") == "ready":
                break
            time.sleep(0.1)
        js("""window.__lt = [];
              new PerformanceObserver(l => { for (const e of l.getEntries()) window.__lt.push([e.startTime - window.__t0, e.duration]); })
                .observe({ type: 'longtask', buffered: false });""")
        cdp = lambda cmd, params={}: call(base, "POST", s + "/goog/cdp/execute",
                                          {"cmd": cmd, "params": params})
        if PROFILE:
            cdp("Profiler.enable")
            cdp("Profiler.setSamplingInterval", {"interval": 500})
            cdp("Profiler.start")
        el = call(base, "POST", s + "/element",
                  {"using": "css selector", "value": "[data-testid=file-input]"})[ELEMENT]
        start = time.time()
        js("window.__t0 = performance.now()")
        call(base, "POST", s + "/element/%s/value" % el, {"text": FILE})
        status = ""
        while time.time() - start < 600:
            status = js("const e = document.querySelector('[data-testid=file-status]');"
                        "return e ? e.textContent : ''")
            if status and status not in ("queued", "reading") and not status.startswith("reading"):
                break
            time.sleep(0.2)
        wall = time.time() - start
        time.sleep(1.0)  # let the last render and its long tasks land
        lt = js("return window.__lt")
        if PROFILE:
            print_profile(cdp("Profiler.stop")["profile"])
        shown = js("const e = document.querySelector('[data-testid=flagged-count]');"
                   "return e ? e.textContent : ''")
        durations = [d for _, d in lt]
        worst = max(lt, key=lambda e: e[1]) if lt else (0, 0)
        return {"status": status, "shown": shown, "wall_s": round(wall, 1),
                "longtasks": len(lt), "over_100ms": sum(1 for d in durations if d > 100),
                "max_ms": round(worst[1]), "max_at_s": round(worst[0] / 1000, 1),
                "total_ms": round(sum(durations)),
                "tasks": [[round(t / 1000, 2), round(d)] for t, d in lt] if os.environ.get("ALL") else None}
    finally:
        call(base, "DELETE", s)


def main():
    port = free_port()
    driver = subprocess.Popen([CHROMEDRIVER, "--port=%d" % port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        with open("/proc/loadavg") as f:
            print("load average:", f.read().split()[0], flush=True)
        for i in range(RUNS):
            print(json.dumps(run_once(base)), flush=True)
    finally:
        driver.terminate()
        driver.wait(10)


main()
