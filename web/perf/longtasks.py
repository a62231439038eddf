#!/usr/bin/env python3
"""Main-thread long tasks while a file streams into the page.

Drives headless Chromium through chromedriver (plain WebDriver HTTP, no
Python packages), opens URL (dist/index.html served by `cargo xtask serve`),
registers a PerformanceObserver for 'longtask' entries, uploads FILE through
the file input, waits until the file's status is `done`, and prints the
number of long tasks (> 50 ms), how many exceed 100 ms, the longest, the
shown row count and the wall time.

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
              new PerformanceObserver(l => { for (const e of l.getEntries()) window.__lt.push(e.duration); })
                .observe({ type: 'longtask', buffered: false });""")
        el = call(base, "POST", s + "/element",
                  {"using": "css selector", "value": "[data-testid=file-input]"})[ELEMENT]
        start = time.time()
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
        shown = js("const e = document.querySelector('[data-testid=flagged-count]');"
                   "return e ? e.textContent : ''")
        return {"status": status, "shown": shown, "wall_s": round(wall, 1),
                "longtasks": len(lt), "over_100ms": sum(1 for d in lt if d > 100),
                "max_ms": round(max(lt), 0) if lt else 0,
                "total_ms": round(sum(lt), 0)}
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
