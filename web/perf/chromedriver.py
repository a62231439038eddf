"""Headless Chromium through chromedriver, in plain WebDriver HTTP (no Python
packages): what web/perf/fit.py, web/perf/longtasks.py and
bench/evtx-wasm/browser.py share.

    import chromedriver
    with chromedriver.running() as base:
        with chromedriver.session(base, ["--window-size=1400,1000"]) as (s, js):
            chromedriver.call(base, "POST", s + "/url", {"url": URL})
            print(js("return document.title"))

Chromium gets the flags of shared/notes/toolchain.md that keep it off the
network (only 127.0.0.1 resolves) and a fresh profile directory, removed
afterwards. CHROMEDRIVER and CMDHUNT_CHROMIUM override the binaries.
"""
import contextlib
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CMDHUNT_CHROMIUM", "/usr/bin/chromium")
#: WebDriver's key for an element reference in a JSON answer.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
#: Headless, and nothing but 127.0.0.1 reachable (Chromium itself calls Google hosts otherwise).
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-features=NetworkTimeServiceQuerying",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def free_port():
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, timeout=600):
    """One WebDriver request; returns the answer's `value`."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())["value"]


@contextlib.contextmanager
def running():
    """Start chromedriver on a free loopback port; yield its base URL."""
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
        yield base
    finally:
        driver.terminate()
        driver.wait(10)


@contextlib.contextmanager
def session(base, extra_args=(), capabilities=None):
    """A browser session with ARGS + extra_args (and `capabilities` merged into
    alwaysMatch); yields its path ("/session/ID") and a `js(script)` helper
    that runs a synchronous script and returns its value."""
    with tempfile.TemporaryDirectory(prefix="cmdhunt-chromium-") as profile:
        match = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM, "args": ARGS + list(extra_args) + ["--user-data-dir=" + profile]}}
        for key, value in (capabilities or {}).items():
            if isinstance(value, dict) and isinstance(match.get(key), dict):
                match[key].update(value)
            else:
                match[key] = value
        s = "/session/" + call(base, "POST", "/session",
                               {"capabilities": {"alwaysMatch": match}})["sessionId"]
        js = lambda script: call(base, "POST", s + "/execute/sync", {"script": script, "args": []})
        try:
            yield s, js
        finally:
            call(base, "DELETE", s)
